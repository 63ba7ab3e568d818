import { startRig } from '../rig.js';
import { receiverEndpoint, withRig, type Scenario, type Size, QUIET_MS } from '../scenario.js';
import { killUnderLoad } from './kill-under-load.js';

const LOAD: Record<Size, { events: number; perSecond: number; kills: number; settleMs: number }> = {
  full: { events: 10_000, perSecond: 20, kills: 10, settleMs: 900_000 },
  short: { events: 600, perSecond: 20, kills: 2, settleMs: 240_000 },
};

/** The worker process SIGKILLed again and again under a steady load, restarted each time by the supervisor. */
export const workerKill: Scenario = {
  name: 'worker SIGKILL',
  promise:
    'A worker that dies mid-delivery loses nothing: its workflow and activity tasks time out and run again on the next worker. ' +
    'A repeat is the same webhook-id, so a receiver that dedupes sees each event once.',
  run: (size) =>
    withRig(
      {},
      (receiver) => startRig({ topology: 'split', config: { endpoints: [receiverEndpoint(receiver.url)] } }),
      async (parts) => {
        const { counted, startedAt, notes, problems } = await killUnderLoad(parts, {
          ...LOAD[size],
          quietMs: QUIET_MS[size],
          process: 'worker',
        });
        return { name: workerKill.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
      },
    ),
};
