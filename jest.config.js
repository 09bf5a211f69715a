const os = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  // Tests use real SQLite files, child processes and servers: on a shared 2-CPU runner a test that
  // takes 1 s alone can take 10 s. Timeouts catch hangs, not slowness (performance lives in bench/).
  testTimeout: 30_000,
  // Most files wait on processes, containers and SQLite rather than compute: jest's default (one
  // worker fewer than the cores), but at least two, so that a 2-core machine runs two files at once
  // (a third gained 6 % there and slowed every file by 38 %). Files marked `@exclusive` run alone
  // after the others (test/support/jestRunner.js).
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  runner: '<rootDir>/test/support/jestRunner.js',
  collectCoverageFrom: ['src/**/*.ts', '!src/**/__tests__/**', '!src/**/index.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: {
    './src/sandbox/SandboxPerfMonitor.ts': { statements: 100 },
  },
  // `npm test` type-checks everything with `tsc --noEmit` first, so jest only transpiles (isolatedModules:
  // each file on its own, no type-checker per file): the same tests at half the transform's CPU time.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
};
