import { Client, Connection } from '@temporalio/client';
import { startRig, until, type Rig } from '../rig.js';
import { receiverEndpoint, withRig, type Scenario, type Size, QUIET_MS } from '../scenario.js';
import { killUnderLoad } from './kill-under-load.js';

const LOAD: Record<Size, { events: number; perSecond: number; kills: number; settleMs: number }> = {
  full: { events: 3_000, perSecond: 20, kills: 5, settleMs: 600_000 },
  short: { events: 300, perSecond: 20, kills: 2, settleMs: 240_000 },
};
// The kill follows the event's request by this much: the API has it (parsing it, starting its workflow) and has
// not answered yet.
const MID_REQUEST_MS = 5;

/**
 * `npm start`'s gateway node (the API and its worker) SIGKILLed while requests are in flight. Producers send again
 * every request that got no answer: half by the event's own id, half by an Idempotency-Key.
 */
export const apiKill: Scenario = {
  name: 'API SIGKILL mid-request',
  promise:
    'A producer that sends again what got no answer, with the same event id or Idempotency-Key, creates exactly one ' +
    'workflow per event: the workflow id is the event id, and Temporal refuses a second one.',
  run: (size) =>
    withRig(
      {},
      (receiver) => startRig({ topology: 'node', config: { endpoints: [receiverEndpoint(receiver.url)] } }),
      async (parts) => {
        const { produced, counted, startedAt, notes, problems } = await killUnderLoad(parts, {
          ...LOAD[size],
          quietMs: QUIET_MS[size],
          process: 'node',
          afterRequestMs: MID_REQUEST_MS,
          identity: 'both',
        });
        if (!produced.answers['cut']) problems.push('no request was cut mid-way: the kills missed the requests');
        const expected = counted.accepted + parts.rig.probes;
        const workflows = await countDeliveryWorkflows(parts.rig, expected);
        if (workflows !== expected) problems.push(`${workflows} delivery workflows for ${expected} events`);
        notes.push(`${workflows} delivery workflows for ${expected} events (probes included)`);
        return { name: apiKill.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
      },
    ),
};

/** The delivery workflows Temporal holds, once visibility shows at least `expected` (it trails the starts). */
async function countDeliveryWorkflows(rig: Rig, expected: number): Promise<number> {
  const connection = await Connection.connect({ address: rig.temporalAddress });
  try {
    const client = new Client({ connection });
    let workflows = 0;
    await until(`${expected} delivery workflows are visible`, 60_000, async () => {
      workflows = (await client.workflow.count(`WorkflowType = 'deliverEvent'`)).count;
      return workflows >= expected;
    }).catch(() => undefined);
    return workflows;
  } finally {
    await connection.close();
  }
}
