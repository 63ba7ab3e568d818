import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two cores: more parallel files only make the Temporal tests contend for them.
    maxWorkers: 2,
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        test: {
          name: 'integration',
          include: ['test/workflow/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // One Temporal dev server and one workflow bundle for the whole run.
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
