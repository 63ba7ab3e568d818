import { setTimeout as delay } from 'node:timers/promises';
import { mountSmallDisk, type SmallDisk } from '../disk.js';
import { produce } from '../producer.js';
import { startRig } from '../rig.js';
import {
  answerProblems,
  answersNote,
  inBackground,
  notRun,
  receiverEndpoint,
  settle,
  withRig,
  type Scenario,
  type Size,
  QUIET_MS,
} from '../scenario.js';

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
      return notRun(diskFull.name, `not run: ${(error as Error).message}`);
    }
    try {
      return await withRig(
        {},
        (receiver) => startRig({ topology: 'node', dataDir: disk.path, config: { endpoints: [receiverEndpoint(receiver.url)] } }),
        async ({ rig, receiver }) => {
          await rig.waitUntilRouted('chaos.probe', ['receiver']);
          const startedAt = Date.now();
          const notes: string[] = [];
          // The answers from the fill on: the server may stay unable to store for a while after space returns (until
          // it is restarted), and on a loaded machine the answers to requests sent while full come after the free.
          const answersWhileFull: Record<string, number> = {};
          const answersSinceFull: Record<string, number> = {};
          let full = false;
          let filled = false;
          const at = (): string => `${Math.round((Date.now() - startedAt) / 1_000)} s`;
          // By the clock, not by the load's progress: while the disk is full, producers wait on their retries.
          const loadMs = (load.events * 1_000) / load.perSecond;
          const faults = inBackground(async () => {
            await delay(loadMs / 3);
            const bytes = await disk.fill();
            full = true;
            filled = true;
            notes.push(`filled the last ${Math.round(bytes / 2 ** 20)} MiB at ${at()}`);
            await delay(loadMs / 3);
            await disk.free();
            full = false;
            notes.push(`freed at ${at()}`);
          });
          const produced = await produce({
            apiUrl: rig.apiUrl,
            count: load.events,
            perSecond: load.perSecond,
            type: 'chaos.sent',
            runId: `evt_disk_full_${startedAt.toString(36)}`,
            onAnswer: (status) => {
              if (full) answersWhileFull[status] = (answersWhileFull[status] ?? 0) + 1;
              if (filled) answersSinceFull[status] = (answersSinceFull[status] ?? 0) + 1;
            },
          });
          await faults.done();
          const counted = await settle(produced, () => receiver.arrivals, size === 'full' ? 600_000 : 240_000, QUIET_MS[size]);
          const problems = answerProblems(produced);
          if (!answersSinceFull['503']) problems.push(`no 503 once the disk was full (answers since: ${JSON.stringify(answersSinceFull)})`);
          const whileFull = Object.entries(answersWhileFull).map(([status, count]) => `${status}×${count}`);
          notes.unshift(answersNote(produced), `while full: ${whileFull.join(', ')}`);
          return { name: diskFull.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
        },
      );
    } finally {
      await disk.unmount();
    }
  },
};
