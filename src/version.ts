import fs from 'node:fs';
import path from 'node:path';

/** The package version, read from package.json next to dist/ (or the repo root under ts-jest). */
function readVersion(): string {
  for (const candidate of [path.resolve(__dirname, '../package.json'), path.resolve(__dirname, '../../package.json')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sandbox-perf' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

export const version = readVersion();
