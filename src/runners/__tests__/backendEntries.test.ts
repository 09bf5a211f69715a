import fs from 'node:fs';
import path from 'node:path';
import { BACKENDS, type BackendEntry } from '../backends';
import { BACKEND_NAMES } from '../backendNames';

/*
 * The registry is complete: a backend module whose factory no entry names would be a backend the
 * CLI, compare, the canary and detectBackends() silently never offer.
 */
const RUNNERS = path.resolve(__dirname, '..');
const FAMILIES = ['host', 'docker', 'pool'] as const;
const entries: readonly BackendEntry[] = BACKENDS;

function sources(family: string): { file: string; text: string }[] {
  const dir = path.join(RUNNERS, family);
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ file: `${family}/${name}`, text: fs.readFileSync(path.join(dir, name), 'utf8') }));
}

describe('the backend registry (runners/backends.ts)', () => {
  const registry = fs.readFileSync(path.join(RUNNERS, 'backends.ts'), 'utf8');

  test.each(FAMILIES)('every backend factory of %s/ has an entry', (family) => {
    const factories = sources(family).flatMap(({ file, text }) =>
      [...text.matchAll(/^export function (create\w*Backend)\b/gm)].map((m) => ({ file, factory: m[1] as string })),
    );
    expect(factories.length).toBeGreaterThan(0);
    const missing = factories.filter(({ factory }) => !new RegExp(`\\b${factory}\\b`).test(registry));
    expect(missing).toEqual([]);
  });

  test('every entry creates a backend of its own name without starting anything, and says how to enable it', () => {
    for (const entry of entries) {
      const backend = entry.create({});
      expect({ entry: entry.name, created: backend.name }).toEqual({ entry: entry.name, created: entry.name });
      expect(FAMILIES).toContain(entry.family);
      expect(entry.enable).not.toBe('');
    }
  });

  test('a mitigation names another backend of the registry', () => {
    for (const { name, mitigates } of entries) {
      if (mitigates === null) continue;
      expect(BACKEND_NAMES).toContain(mitigates);
      expect(mitigates).not.toBe(name);
    }
  });

  test('names are unique', () => {
    expect(new Set(BACKEND_NAMES).size).toBe(entries.length);
  });
});
