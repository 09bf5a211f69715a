/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  // Tests use real SQLite files, child processes and servers: on a shared 2-CPU runner a test that
  // takes 1 s alone can take 10 s. Timeouts catch hangs, not slowness (performance lives in bench/).
  testTimeout: 30_000,
  collectCoverageFrom: ['src/**/*.ts', '!src/**/__tests__/**', '!src/**/index.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: {
    './src/sandbox/SandboxPerfMonitor.ts': { statements: 100 },
  },
  // `npm test` type-checks everything with `tsc --noEmit` first, so jest only transpiles (isolatedModules:
  // each file on its own, no type-checker per file): the same tests at half the transform's CPU time.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
};
