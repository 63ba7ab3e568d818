import { setTimeout as delay } from 'node:timers/promises';
import { startClusterRig } from '../cluster-rig.js';
import { crashAndRestartPostgres, ensurePostgresRunning, findPostgresCluster, type PostgresCluster } from '../postgres.js';
import { produce } from '../producer.js';
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

const LOAD: Record<Size, { events: number; perSecond: number; postgresDownMs: number }> = {
  full: { events: 2_000, perSecond: 10, postgresDownMs: 15_000 },
  short: { events: 200, perSecond: 10, postgresDownMs: 5_000 },
};
// The machine's PostgreSQL, which `npm run cluster` uses.
const POSTGRES_PORT = 5432;

/**
 * The cluster of `npm run cluster` under load: its Temporal server SIGKILLed a third of the way through (the
 * supervisor restarts it), then this machine's PostgreSQL crashed (`pg_ctlcluster … stop -m immediate`) and started
 * again two thirds through. PostgreSQL is started again whatever happens.
 */
export const postgresRestart: Scenario = {
  name: 'cluster: Temporal SIGKILL, PostgreSQL crash',
  promise:
    'On a real cluster, what the API answered 202 for survives the Temporal process dying and its database crashing: ' +
    'accepted means committed in PostgreSQL. Meanwhile the API answers 503, and workers and replicas reconnect by themselves.',
  run: async (size) => {
    const load = LOAD[size];
    let postgres: PostgresCluster;
    try {
      postgres = await findPostgresCluster(POSTGRES_PORT);
      // A run killed while PostgreSQL was down left it so: this one starts by bringing it back.
      await ensurePostgresRunning(postgres);
    } catch (error) {
      return notRun(postgresRestart.name, `not run: ${(error as Error).message}`);
    }
    try {
      return await withRig(
        {},
        (receiver) => startClusterRig({ config: { endpoints: [receiverEndpoint(receiver.url)] } }),
        async ({ rig, receiver }) => {
          await rig.waitUntilRouted('chaos.probe', ['receiver']);
          const startedAt = Date.now();
          const notes: string[] = [];
          const at = (): string => `${Math.round((Date.now() - startedAt) / 1_000)} s`;
          // By the clock, not by the load's progress: producers wait on their retries while the store is away.
          const loadMs = (load.events * 1_000) / load.perSecond;
          const faults = inBackground(async () => {
            await delay(loadMs / 3);
            rig.kill('temporal');
            notes.push(`Temporal SIGKILLed at ${at()}`);
            await delay(loadMs / 3);
            notes.push(`PostgreSQL ${postgres.version}/${postgres.name} crashed at ${at()}`);
            await crashAndRestartPostgres(postgres, load.postgresDownMs);
            notes.push(`and back at ${at()}`);
          });
          const produced = await produce({
            apiUrl: rig.apiUrl,
            count: load.events,
            perSecond: load.perSecond,
            type: 'chaos.sent',
            runId: `evt_cluster_${startedAt.toString(36)}`,
          });
          await faults.done();
          const counted = await settle(produced, () => receiver.arrivals, size === 'full' ? 600_000 : 300_000, QUIET_MS[size]);
          const problems = answerProblems(produced);
          notes.unshift(answersNote(produced));
          return { name: postgresRestart.name, ...counted, wallMs: Date.now() - startedAt, notes, problems };
        },
      );
    } finally {
      await ensurePostgresRunning(postgres);
    }
  },
};
