import { produce } from '../producer.js';
import { startRig } from '../rig.js';
import { answerProblems, answersNote, receiverEndpoint, settle, spreadThrough, withRig, type Scenario, type Size } from '../scenario.js';

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
          runId: `evt_temporal_kill_${startedAt.toString(36)}`,
          onSent: (seq) => {
            if (!killAt.has(seq)) return;
            if (rig.pid('temporal') === undefined) return void notes.push(`kill at event ${seq} skipped: server restarting`);
            rig.kill('temporal', { downForMs: load.downForMs });
            kills += 1;
          },
        });
        const counted = await settle(produced, () => receiver.arrivals, size === 'full' ? 600_000 : 240_000);
        const problems = answerProblems(produced);
        if (kills === 0) problems.push('no kill happened');
        if (!produced.answers['503']) problems.push('no 503 while the server was down');
        notes.unshift(`${kills} kills, each down ${load.downForMs / 1_000} s`, answersNote(produced));
        return { name: temporalKill.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
      },
    );
  },
};
