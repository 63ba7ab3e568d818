import { produce } from '../producer.js';
import { startChaosReceiver } from '../receiver.js';
import { startRig } from '../rig.js';
import { answersNote, settle, withRig, type Scenario, type Size } from '../scenario.js';

// Each kill keeps the server down for a while: longer than the API's wait for Temporal, so that producers meet 503s.
const LOAD: Record<Size, { events: number; perSecond: number; kills: number; downForMs: number }> = {
  full: { events: 3_000, perSecond: 15, kills: 3, downForMs: 20_000 },
  short: { events: 450, perSecond: 15, kills: 1, downForMs: 10_000 },
};

/** The embedded Temporal server SIGKILLed mid-load and restarted by the supervisor on the same SQLite file. */
export const temporalKill: Scenario = {
  name: 'Temporal server SIGKILL',
  promise:
    'An event answered 202 is in Temporal’s database: a server killed the next instant still has it when it restarts. ' +
    'While the server is away the API answers 503 with Retry-After, never 202 and never 500.',
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
          runId: `evt_temporal_kill_${startedAt.toString(36)}`,
          onSent: (seq) => {
            if (!killAt.has(seq)) return;
            if (rig.pid('temporal') === undefined) return void notes.push(`kill at event ${seq} skipped: server restarting`);
            rig.kill('temporal', { downForMs: load.downForMs });
            kills += 1;
          },
        });
        const counted = await settle(produced, () => receiver.arrivals, size === 'full' ? 600_000 : 240_000);
        const problems: string[] = [];
        if (produced.answers['500']) problems.push(`the API answered 500 ${produced.answers['500']} times`);
        if (!produced.answers['503'] && !produced.answers['none'])
          problems.push('no request met the server away: the kills missed the load');
        notes.unshift(`${kills} kills, each down ${load.downForMs / 1_000} s`, answersNote(produced));
        return { name: temporalKill.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
      },
    );
  },
};
