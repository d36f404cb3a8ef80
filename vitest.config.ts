import { defineConfig } from 'vitest/config';

// Unit tests are pure and fast; integration tests start real servers and real processes,
// so they run one file at a time to keep the 2-core machines from timing out each other.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
