import { startRig } from '../rig.js';
import { receiverEndpoint, withRig, type Scenario, type Size, QUIET_MS } from '../scenario.js';
import { killUnderLoad } from './kill-under-load.js';

// Each kill keeps the server down for a while: longer than the API's wait for Temporal, so that producers meet 503s.
const LOAD: Record<Size, { events: number; perSecond: number; kills: number; downForMs: number; settleMs: number }> = {
  full: { events: 3_000, perSecond: 15, kills: 3, downForMs: 20_000, settleMs: 600_000 },
  short: { events: 300, perSecond: 15, kills: 1, downForMs: 10_000, settleMs: 240_000 },
};

/** The embedded Temporal server SIGKILLed mid-load and restarted by the supervisor on the same SQLite file. */
export const temporalKill: Scenario = {
  name: 'Temporal server SIGKILL',
  promise:
    'An event answered 202 is in Temporal’s database: a server killed the next instant still has it when it restarts. ' +
    'While the server is away the API answers 503 with Retry-After, never 202 and never 500.',
  run: (size) =>
    withRig(
      {},
      (receiver) => startRig({ topology: 'node', config: { endpoints: [receiverEndpoint(receiver.url)] } }),
      async (parts) => {
        const { produced, counted, startedAt, notes, problems } = await killUnderLoad(parts, {
          ...LOAD[size],
          quietMs: QUIET_MS[size],
          process: 'temporal',
        });
        if (!produced.answers['503']) problems.push('no 503 while the server was down');
        return { name: temporalKill.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
      },
    ),
};
