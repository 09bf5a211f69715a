import { BackendNotPreparedError, SandboxPerfMonitor, StateDatabase, ValidationError, createBackend } from '../index';

test('a bad option is a ValidationError, still a TypeError named so, with the one message shape', () => {
  let thrown: unknown;
  try {
    new SandboxPerfMonitor({ alertThresholdMs: 'soon' as never, sink: false });
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  expect(thrown).toBeInstanceOf(TypeError);
  expect(String(thrown)).toMatch(/^TypeError: Expected `alertThresholdMs` to be a finite number >= 0, got `"soon"` \(string\)$/);
  expect(() => new StateDatabase({ path: 42 as never })).toThrow(ValidationError);
});

test('run() before prepare() is a BackendNotPreparedError naming the backend', async () => {
  const run = createBackend('none').run(['true']);
  await expect(run).rejects.toBeInstanceOf(BackendNotPreparedError);
  await expect(run).rejects.toMatchObject({
    name: 'BackendNotPreparedError',
    backend: 'none',
    message: 'none: call prepare() before run()',
  });
});
