import { measured } from '../compareBackends';
import type { SandboxResult } from '../../runners/types';

function result(over: Partial<SandboxResult>): SandboxResult {
  return {
    backend: 'none',
    outcome: 'success',
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    phases: {},
    cpuMs: null,
    peakMemoryBytes: null,
    error: null,
    ...over,
  };
}

const exited = (code: number) => result({ outcome: 'error', exitCode: code, error: `exited with code ${code}` });

test('without --ignore-failure only a success is a measurement', () => {
  expect(measured(result({}), undefined)).toBe(true);
  expect(measured(exited(1), undefined)).toBe(false);
});

test('-i counts a run that exited non-zero; -i=CODES only those codes', () => {
  expect(measured(exited(1), 'all')).toBe(true);
  expect(measured(exited(2), [1, 2])).toBe(true);
  expect(measured(exited(3), [1, 2])).toBe(false);
});

test('-i never counts a run that did not end with its own exit code: signal, timeout, memory limit, failed start', () => {
  expect(measured(result({ outcome: 'error', exitCode: null, signal: 'SIGKILL', error: 'killed by SIGKILL' }), 'all')).toBe(false);
  expect(measured(result({ outcome: 'timeout', exitCode: null, signal: 'SIGKILL', error: 'timed out after 5 ms' }), 'all')).toBe(false);
  expect(measured(result({ outcome: 'error', exitCode: 137, error: 'killed: memory limit of 6291456 bytes reached' }), 'all')).toBe(false);
  expect(measured(result({ outcome: 'error', exitCode: 127, error: 'spawn nosuch ENOENT' }), 'all')).toBe(false);
});
