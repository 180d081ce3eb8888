import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/polyfill.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // LAN tests create network namespaces and spawn nodes: run files one at a time on 2 cores.
    fileParallelism: false
  }
})
