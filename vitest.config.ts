/** Unit and integration tests (plain Node: real SQLite files, real git repositories, the real Docker Engine). */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    // Two cores: a little parallelism, not so much that Docker and git tests starve each other.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 600_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
