import { Client, Connection } from '@temporalio/client';
import { produce } from '../producer.js';
import { startChaosReceiver } from '../receiver.js';
import { startRig, until } from '../rig.js';
import { answersNote, settle, withRig, type Scenario, type Size } from '../scenario.js';

const LOAD: Record<Size, { events: number; perSecond: number; kills: number }> = {
  full: { events: 3_000, perSecond: 20, kills: 5 },
  short: { events: 400, perSecond: 20, kills: 2 },
};

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
      async () => {
        const receiver = await startChaosReceiver();
        const rig = await startRig({
          topology: 'node',
          config: {
            endpoints: [
              {
                id: 'receiver',
                url: `${receiver.url}/ok`,
                events: ['chaos.*'],
                retry: { schedule: ['1s', '2s', '4s', '8s', '16s', '30s'], jitter: 0 },
              },
            ],
          },
        });
        return { rig, receiver };
      },
      async ({ rig, receiver }) => {
        await rig.waitUntilRouted('chaos.probe', ['receiver']);
        const startedAt = Date.now();
        const killAt = new Set(Array.from({ length: load.kills }, (_, k) => Math.round(((k + 1) * load.events) / (load.kills + 1))));
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
            rig.kill('node');
            kills += 1;
          },
        });
        const counted = await settle(produced, () => receiver.arrivals, size === 'full' ? 600_000 : 240_000);
        const problems: string[] = [];
        if (produced.answers['500']) problems.push(`the API answered 500 ${produced.answers['500']} times`);
        if (!produced.answers['none']) problems.push('no request went unanswered: the kills missed the load');

        // Every workflow the run started, counted by Temporal: one per accepted event and probe, no more.
        const expected = counted.accepted + rig.probes;
        const connection = await Connection.connect({ address: rig.temporalAddress });
        let workflows = 0;
        try {
          const client = new Client({ connection });
          // Visibility trails the starts by a moment.
          await until(`${expected} delivery workflows are visible`, 60_000, async () => {
            workflows = (await client.workflow.count(`WorkflowType = 'deliverEvent'`)).count;
            return workflows >= expected;
          }).catch(() => undefined);
        } finally {
          await connection.close();
        }
        if (workflows !== expected) problems.push(`${workflows} delivery workflows for ${expected} events`);
        notes.unshift(`${kills} kills`, answersNote(produced), `${workflows} delivery workflows for ${expected} events (probes included)`);
        return { name: apiKill.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
      },
    );
  },
};
