import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          // Integration (adapters against DynamoDB Local and the SES emulator) and end-to-end tests
          // (the local stack over HTTP) share one local stack started for the run.
          name: 'stack',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/local-stack-setup.ts'],
          // One file at a time: a sweep months ahead would otherwise reach other files' customers.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          // The pipeline under injected faults, on a local stack of its own (the faults and the
          // moved clock must not reach other tests).
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/local-stack-setup.ts'],
          // One file at a time: each sets the injector and the clock for the whole stack.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
