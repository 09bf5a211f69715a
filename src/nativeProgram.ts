import fs from 'node:fs';
import path from 'node:path';

/**
 * The path of one of the package's C programs, `native/bin/<name>` (built by native/build.js).
 * src/ or dist/: one level up is the package; dist-bench/src (the benchmarks' build): two. When
 * neither holds it, the package's own path, so that the caller's "not built" message names it.
 */
export function nativeProgram(name: string): string {
  return (
    [1, 2]
      .map((up) => path.resolve(__dirname, ...Array<string>(up).fill('..'), 'native', 'bin', name))
      .find((file) => fs.existsSync(file)) ?? path.resolve(__dirname, '..', 'native', 'bin', name)
  );
}
