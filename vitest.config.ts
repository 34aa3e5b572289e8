import { defineConfig } from 'vitest/config';

const ignore = ['**/node_modules/**', '**/.next/**', '**/generated/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [...ignore, '**/*.int.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/src/**/*.int.test.ts', 'apps/*/src/**/*.int.test.ts', 'scripts/**/*.int.test.ts'],
          exclude: ignore,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
          // Runs after the unit tests (its own group, so it may use its own worker count).
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
