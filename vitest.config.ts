import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// Unit tests are pure and fast; integration tests start real servers and real processes,
// so they run one file at a time, and the groups one after another (groupOrder), to keep the
// 2-core machines from timing out each other. Renderer tests mount Svelte components in jsdom;
// e2e tests drive the built renderer in Chromium against a real head node.
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
        plugins: [svelte(), svelteTesting()],
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.ts'],
          environment: 'jsdom',
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
          exclude: [
            'test/integration/cli/demo.test.ts',
            'test/integration/cli/completion.test.ts',
            'test/integration/cli/newcomer.test.ts',
          ],
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
          exclude: [
            'test/integration/cli/demo.test.ts',
            'test/integration/cli/completion.test.ts',
            'test/integration/cli/newcomer.test.ts',
          ],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          env: { KESTREL_TEST_SERVER: 'ejabberd' },
          sequence: { groupOrder: 3 },
        },
      },
      {
        // The pool's suites on a two-node ejabberd cluster: the manager on node 1, the workers
        // spread over both nodes, so every task and result crosses the cluster.
        test: {
          name: 'integration-ejabberd-cluster',
          include: ['test/integration/pool/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          env: { KESTREL_TEST_SERVER: 'ejabberd-cluster' },
          sequence: { groupOrder: 4 },
        },
      },
      {
        // The built renderer (npm test builds it first) in Chromium, against real processes.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 5 },
        },
      },
    ],
  },
});
