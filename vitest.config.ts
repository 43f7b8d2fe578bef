import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration tests share one Docker Engine and one registry: run files one at a time there,
    // so two files never fight over the engine's two cores.
    fileParallelism: false,
    reporters: ['default'],
  },
});
