import { Client, Connection } from '@temporalio/client';
import { produce } from '../producer.js';
import { startRig, until, type Rig } from '../rig.js';
import { answerProblems, answersNote, receiverEndpoint, settle, spreadThrough, withRig, type Scenario, type Size } from '../scenario.js';

const LOAD: Record<Size, { events: number; perSecond: number; kills: number }> = {
  full: { events: 3_000, perSecond: 20, kills: 5 },
  short: { events: 400, perSecond: 20, kills: 2 },
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
  run: (size) => {
    const load = LOAD[size];
    return withRig(
      {},
      (receiver) => startRig({ topology: 'node', config: { endpoints: [receiverEndpoint(receiver.url)] } }),
      async ({ rig, receiver }) => {
        await rig.waitUntilRouted('chaos.probe', ['receiver']);
        const startedAt = Date.now();
        const killAt = spreadThrough(load.events, load.kills);
        const notes: string[] = [];
        let kills = 0;
        const produced = await produce({
          apiUrl: rig.apiUrl,
          count: load.events,
          perSecond: load.perSecond,
          type: 'chaos.sent',
          runId: `evt_api_kill_${startedAt.toString(36)}`,
          identity: 'both',
          onSent: (seq) => {
            if (!killAt.has(seq)) return;
            if (rig.pid('node') === undefined) return void notes.push(`kill at event ${seq} skipped: node restarting`);
            setTimeout(() => rig.kill('node'), MID_REQUEST_MS);
            kills += 1;
          },
        });
        const counted = await settle(produced, () => receiver.arrivals, size === 'full' ? 600_000 : 240_000);
        const problems = answerProblems(produced);
        if (!produced.answers['cut']) problems.push('no request was cut mid-way: the kills missed the requests');

        const workflows = await countDeliveryWorkflows(rig, counted.accepted + rig.probes);
        if (workflows !== counted.accepted + rig.probes)
          problems.push(`${workflows} delivery workflows for ${counted.accepted + rig.probes} events`);
        notes.unshift(
          `${kills} kills`,
          answersNote(produced),
          `${workflows} delivery workflows for ${counted.accepted + rig.probes} events (probes included)`,
        );
        return { name: apiKill.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
      },
    );
  },
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
