import { produce } from '../producer.js';
import { startRig } from '../rig.js';
import { answerProblems, answersNote, receiverEndpoint, settle, spreadThrough, withRig, type Scenario, type Size } from '../scenario.js';

const LOAD: Record<Size, { events: number; perSecond: number; kills: number }> = {
  full: { events: 10_000, perSecond: 20, kills: 10 },
  short: { events: 600, perSecond: 20, kills: 2 },
};

/** The worker process SIGKILLed again and again under a steady load, restarted each time by the supervisor. */
export const workerKill: Scenario = {
  name: 'worker SIGKILL',
  promise:
    'A worker that dies mid-delivery loses nothing: its workflow and activity tasks time out and run again on the next worker. ' +
    'A repeat is the same webhook-id, so a receiver that dedupes sees each event once.',
  run: (size) => {
    const load = LOAD[size];
    return withRig(
      {},
      (receiver) => startRig({ topology: 'split', config: { endpoints: [receiverEndpoint(receiver.url)] } }),
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
          runId: `evt_worker_kill_${startedAt.toString(36)}`,
          onSent: (seq) => {
            if (!killAt.has(seq)) return;
            // A kill that finds the worker still restarting from the last one is skipped, and said.
            if (rig.pid('worker') === undefined) return void notes.push(`kill at event ${seq} skipped: worker restarting`);
            rig.kill('worker');
            kills += 1;
          },
        });
        const counted = await settle(produced, () => receiver.arrivals, size === 'full' ? 900_000 : 240_000);
        const problems = answerProblems(produced);
        if (kills === 0) problems.push('no kill happened');
        notes.unshift(`${kills} kills`, answersNote(produced));
        return { name: workerKill.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
      },
    );
  },
};
