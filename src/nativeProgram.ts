import path from 'node:path';

/**
 * The path of one of the package's C programs, `native/bin/<name>` (built by native/build.js),
 * found from the folder this module was loaded from: src/ or dist/ (one level below the package)
 * or dist-bench/src (the benchmarks' build: two). Only the package's own copy is ever named: these
 * programs run with the caller's rights (root included), so a folder above the package (in an
 * installed package, the user's node_modules) is never searched. A missing program keeps this
 * path, so that the caller's "not built" message names it.
 */
export function nativeProgram(name: string, moduleDir: string = __dirname): string {
  const inBenchBuild = path.basename(moduleDir) === 'src' && path.basename(path.dirname(moduleDir)) === 'dist-bench';
  return path.resolve(moduleDir, inBenchBuild ? '../..' : '..', 'native', 'bin', name);
}
