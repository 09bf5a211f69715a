import os from 'node:os';
import { resolveSandboxOptions } from '../../options';
import { containerSpec } from '../containerSpec';

/*
 * A hostile trial of 2026-12-07: the containers logged with Docker's json-file driver, with no size
 * limit, so a run that wrote 200 MiB left a 201 MB log on the host's disk (dockerd's write of it in
 * the measured time) although the runner reads the output through the attach stream only. Every
 * container the Docker backends and pools create is made from this spec.
 */
test('the containers keep no log of their own: the attach stream is the only copy of the output', () => {
  const spec = containerSpec(resolveSandboxOptions({ cwd: os.tmpdir() }), ['true'], undefined, 'test');
  expect(spec.HostConfig?.LogConfig).toEqual({ Type: 'none', Config: {} });
});
