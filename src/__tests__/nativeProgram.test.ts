import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nativeProgram } from '../nativeProgram';

describe('nativeProgram', () => {
  it.each([
    ['/opt/pkg/src', '/opt/pkg/native/bin/sandbox-perf-guard'],
    ['/opt/pkg/dist', '/opt/pkg/native/bin/sandbox-perf-guard'],
    ['/opt/pkg/dist-bench/src', '/opt/pkg/native/bin/sandbox-perf-guard'],
  ])('from %s names the package’s own copy', (dir, expected) => {
    expect(nativeProgram('sandbox-perf-guard', dir)).toBe(expected);
  });

  it('never names a copy in the folder above the package, even when the package’s own is missing', () => {
    // An installed package: <app>/node_modules/sandbox-perf/dist. A program planted in
    // <app>/node_modules/native/bin must not be run (as root) in place of the missing own copy.
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-native-'));
    try {
      const modules = path.join(app, 'node_modules');
      fs.mkdirSync(path.join(modules, 'sandbox-perf', 'dist'), { recursive: true });
      fs.mkdirSync(path.join(modules, 'native', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(modules, 'native', 'bin', 'sandbox-perf-guard'), '#!/bin/sh\n', { mode: 0o755 });
      expect(nativeProgram('sandbox-perf-guard', path.join(modules, 'sandbox-perf', 'dist'))).toBe(
        path.join(modules, 'sandbox-perf', 'native', 'bin', 'sandbox-perf-guard'),
      );
    } finally {
      fs.rmSync(app, { recursive: true, force: true });
    }
  });

  it('finds the programs native/build.js built for this checkout', () => {
    expect(fs.existsSync(nativeProgram('sandbox-perf-launcher'))).toBe(true);
  });
});
