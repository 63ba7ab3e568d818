import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two cores: more parallel files only make the Temporal tests contend for them.
    maxWorkers: 2,
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false, expect: { requireAssertions: true } },
      },
      {
        test: {
          name: 'integration',
          include: ['test/workflow/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // One Temporal dev server and one workflow bundle for the whole run.
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Waits for things that happen in other processes (Temporal, workers, receivers); on two busy cores in CI
          // they take seconds, not the one second expect.poll allows by default.
          expect: { requireAssertions: true, poll: { timeout: 15_000, interval: 100 } },
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          // The console in Debian's Chromium, driven by playwright-core, against a gateway on the dev server.
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
          expect: { requireAssertions: true, poll: { timeout: 15_000, interval: 100 } },
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          // The topology of `npm run cluster`: Temporal on PostgreSQL, API replicas behind HAProxy, workers.
          globalSetup: ['test/support/cluster-setup.ts'],
          // Its files run after the other tiers' (its setup runs with theirs, at the start), one at a time: they share
          // one cluster, and some kill parts of it.
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          expect: { requireAssertions: true, poll: { timeout: 30_000, interval: 200 } },
        },
      },
      {
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          // `npm run chaos --short`: each scenario starts, hurts and stops deployments of its own, one at a time,
          // after every other tier, so that no other test shares the two cores with a kill.
          sequence: { groupOrder: 2 },
          fileParallelism: false,
          testTimeout: 600_000,
          expect: { requireAssertions: true },
        },
      },
    ],
  },
});
