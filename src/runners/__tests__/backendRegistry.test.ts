import { HostBackend, type HostTool } from '../host/HostBackend';
import type { BackendEntry, BackendName } from '../backends';
import type { SandboxOptions } from '../types';

/*
 * A backend added through the registry alone: this file's copy of runners/backends.ts has one
 * more entry, `fake` (a host process with no isolation that mitigates `none`), and nothing else
 * is told about it. Everything that asks about backends must then know it.
 */
const NO_SOCKET = `/tmp/sandbox-perf-no-engine-${process.pid}.sock`;
// Without the launcher's own CPU report, compare reads a run's CPU where the entry's `cpu` rule says.
process.env.SANDBOX_PERF_LAUNCHER = 'off';

jest.mock('../backends', () => {
  const actual: { BACKENDS: readonly BackendEntry[] } = jest.requireActual('../backends');
  const fakeTool: HostTool = {
    name: 'fake' as BackendName,
    install: 'echo fake',
    contain: true,
    probe: false,
    wrap: (command) => [...command],
  };
  const fake: BackendEntry = {
    name: 'fake',
    family: 'host',
    create: (options?: SandboxOptions) => new HostBackend(fakeTool, options),
    freshPerRun: true,
    mitigates: 'none',
    canary: true,
    cpu: 'children',
    rwReachesHost: true,
    root: 'host',
    enable: 'echo fake',
  };
  return { ...actual, BACKENDS: [...actual.BACKENDS, fake] };
});

// Loaded after the mock, as every module of the package is.
/* eslint-disable @typescript-eslint/no-require-imports */
const { BACKEND_NAMES } = require('../backendNames') as typeof import('../backendNames');
const { createBackend } = require('../createBackend') as typeof import('../createBackend');
const { detectBackends } = require('../detect') as typeof import('../detect');
const { compareBackends } = require('../../compare/compareBackends') as typeof import('../../compare/compareBackends');
const { MITIGATES } = require('../../compare/mitigations') as typeof import('../../compare/mitigations');
const { CANARY_CANDIDATES } = require('../../canary/startCanary') as typeof import('../../canary/startCanary');
const { runCommand } = require('../../cli/commands/run') as typeof import('../../cli/commands/run');
const { compareCommand } = require('../../cli/commands/compare') as typeof import('../../cli/commands/compare');
const { parseBackends } = require('../../cli/backendsFlag') as typeof import('../../cli/backendsFlag');
const { SandboxPerfMonitor } = require('../../sandbox/SandboxPerfMonitor') as typeof import('../../sandbox/SandboxPerfMonitor');
/* eslint-enable @typescript-eslint/no-require-imports */

const fake = 'fake' as BackendName;

describe('a backend added to the registry alone', () => {
  test("is a backend name, created by createBackend, accepted by --sandbox and listed in run's and compare's help", () => {
    expect(BACKEND_NAMES).toContain(fake);
    expect(createBackend(fake).name).toBe(fake);
    expect(parseBackends(['none', 'fake'])).toEqual(['none', 'fake']);
    expect(runCommand.usage).toMatch(/--sandbox BACKEND .*gvisor-pool, fake/);
    expect(compareCommand.usage).toMatch(/gvisor-pool, fake\)/);
  });

  test('is a mitigation pair and a canary candidate as its entry says', () => {
    expect(MITIGATES[fake]).toBe('none');
    expect(CANARY_CANDIDATES).toContain(fake);
  });

  test('is compared: its CPU read as a child process (its `cpu` rule), its saving against what it mitigates', async () => {
    const monitor = new SandboxPerfMonitor({ sink: false });
    const result = await compareBackends({ backends: ['none', fake], command: ['true'], runs: 3, warmup: 0, monitor });
    const compared = result.backends.find((b) => b.backend === fake);
    expect(compared?.durationsMs).toHaveLength(3);
    expect(compared?.cpu).not.toBeNull();
    expect(result.mitigations).toEqual([expect.objectContaining({ mitigation: fake, against: 'none', freshSandboxPerRun: true })]);
  });

  test('is detected by detectBackends() with its default list', async () => {
    const found = await detectBackends({ dockerSocket: NO_SOCKET });
    expect(found.map((b) => b.backend)).toEqual(BACKEND_NAMES);
    expect(found.find((b) => b.backend === fake)).toMatchObject({ available: true, message: 'fake: available' });
  }, 60_000);
});
