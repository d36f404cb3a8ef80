import { defineConfig } from 'vitest/config';

// Unit tests are pure and fast; integration tests start real servers and real processes,
// so they run one file at a time, and the groups one after another (groupOrder), to keep the
// 2-core machines from timing out each other.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          env: { KESTREL_TEST_SERVER: 'prosody' },
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The core pool's suites again, unchanged, on Kestrel's embedded XMPP server.
        test: {
          name: 'integration-embedded',
          include: ['test/integration/{pool,xmpp,cli}/*.test.ts'],
          exclude: ['test/integration/cli/demo.test.ts', 'test/integration/cli/completion.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          env: { KESTREL_TEST_SERVER: 'embedded' },
          sequence: { groupOrder: 2 },
        },
      },
      {
        // The same suites on ejabberd (Debian's package, started privately by the harness).
        test: {
          name: 'integration-ejabberd',
          include: ['test/integration/{pool,xmpp,cli}/*.test.ts'],
          exclude: ['test/integration/cli/demo.test.ts', 'test/integration/cli/completion.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          env: { KESTREL_TEST_SERVER: 'ejabberd' },
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
