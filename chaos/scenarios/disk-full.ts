import { setTimeout as delay } from 'node:timers/promises';
import { produce } from '../producer.js';
import { startChaosReceiver } from '../receiver.js';
import { mountSmallDisk, type SmallDisk } from '../disk.js';
import { startRig } from '../rig.js';
import { answersNote, settle, withRig, type Scenario, type Size } from '../scenario.js';

const LOAD: Record<Size, { events: number; perSecond: number }> = {
  full: { events: 1_500, perSecond: 10 },
  short: { events: 300, perSecond: 10 },
};
const DISK_MIB = 256;

/**
 * The embedded server's data folder on a small filesystem, filled to the last byte a third of the way through the
 * load and freed at two thirds.
 */
export const diskFull: Scenario = {
  name: 'disk full',
  promise:
    'When Temporal cannot store an event, the API refuses it with 503 and Retry-After instead of accepting what it ' +
    'cannot keep; when space returns, it accepts again, and everything it accepted is delivered.',
  run: async (size) => {
    const load = LOAD[size];
    let disk: SmallDisk;
    try {
      disk = await mountSmallDisk(DISK_MIB);
    } catch (error) {
      return notRun(`not run: ${(error as Error).message}`);
    }
    try {
      return await withRig(
        async () => {
          const receiver = await startChaosReceiver();
          const rig = await startRig({
            topology: 'node',
            dataDir: disk.path,
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
          const notes: string[] = [];
          const answersWhileFull: Record<string, number> = {};
          let phase: 'before' | 'full' | 'after' = 'before';
          // By the clock, not by the load's progress: while the disk is full, producers wait on their retries.
          const loadMs = (load.events * 1_000) / load.perSecond;
          const filling = delay(loadMs / 3)
            .then(() => disk.fill())
            .then(async (bytes) => {
              phase = 'full';
              notes.push(`filled the last ${Math.round(bytes / 2 ** 20)} MiB at ${Math.round((Date.now() - startedAt) / 1_000)} s`);
              await delay(loadMs / 3);
              await disk.free();
              phase = 'after';
              notes.push(`freed at ${Math.round((Date.now() - startedAt) / 1_000)} s`);
            });
          const produced = await produce({
            apiUrl: rig.apiUrl,
            count: load.events,
            perSecond: load.perSecond,
            type: 'chaos.sent',
            runId: `evt_disk_full_${startedAt.toString(36)}`,
            onAnswer: (status) => {
              if (phase === 'full') answersWhileFull[status] = (answersWhileFull[status] ?? 0) + 1;
            },
          });
          await filling;
          const counted = await settle(produced, () => receiver.arrivals, size === 'full' ? 600_000 : 240_000);
          const problems: string[] = [];
          if (produced.answers['500']) problems.push(`the API answered 500 ${produced.answers['500']} times`);
          if (!answersWhileFull['503']) problems.push(`no 503 while the disk was full (answers then: ${JSON.stringify(answersWhileFull)})`);
          if (produced.abandoned) problems.push(`${produced.abandoned} events never accepted once space returned`);
          notes.unshift(
            answersNote(produced),
            `while full: ${Object.entries(answersWhileFull)
              .map(([status, count]) => `${status}×${count}`)
              .join(', ')}`,
          );
          return { name: diskFull.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
        },
      );
    } finally {
      await disk.unmount();
    }
  },
};

function notRun(reason: string) {
  return {
    name: diskFull.name,
    accepted: 0,
    delivered: 0,
    lost: 0,
    duplicateRequests: 0,
    duplicatesUnderAnotherId: 0,
    longestDelayMs: 0,
    wallMs: 0,
    notes: [],
    problems: [reason],
  };
}
