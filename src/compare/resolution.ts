import type { BackendName } from '../runners/types';
import type { CommandResolution, RootFileSystem } from '../runners/resolveCommand';
import { MITIGATES } from './mitigations';

export type { CommandResolution, RootFileSystem } from '../runners/resolveCommand';

/** A mitigation pair that did not run the same thing: its saving is not the mitigation's alone. */
export interface ResolutionDifference {
  mitigation: BackendName;
  against: BackendName;
  /** What differs: `program` (the resolved path), `sha256` (the program's bytes), `root` (host, or which image). */
  fields: ('program' | 'sha256' | 'root')[];
  /** One phrase per field, mitigated side first: `root: image sandbox-perf/node:local (sha256:1a2b…) ≠ host`. */
  details: string[];
}

/** `host`, or the image's name and the first 12 hex digits of its id (or its digest, when it has one). */
export function rootText(root: RootFileSystem): string {
  if (root.kind === 'host') return 'host';
  return `image ${root.image} (${root.digest ?? root.id.replace(/^sha256:([0-9a-f]{12}).*$/, 'sha256:$1…')})`;
}

/** The same root: both the host's, or images with the same id. */
function sameRoot(a: RootFileSystem, b: RootFileSystem): boolean {
  if (a.kind === 'host' || b.kind === 'host') return a.kind === b.kind;
  return a.id === b.id;
}

const shortHash = (hash: string | null): string => (hash === null ? 'not found' : `${hash.slice(0, 12)}…`);

/**
 * Every mitigation pair (backends.ts `mitigates`) both resolved in this comparison whose program
 * path, program bytes or root file system differ, in the order the mitigations were given. Pure.
 */
export function resolutionDifferences(resolutions: readonly CommandResolution[]): ResolutionDifference[] {
  const byName = new Map(resolutions.map((r) => [r.backend, r]));
  const differences: ResolutionDifference[] = [];
  for (const mitigated of resolutions) {
    const against = MITIGATES[mitigated.backend];
    const base = against === undefined ? undefined : byName.get(against);
    if (against === undefined || base === undefined) continue;
    const fields: ResolutionDifference['fields'] = [];
    const details: string[] = [];
    if (mitigated.program !== base.program) {
      fields.push('program');
      details.push(`program: ${mitigated.program ?? 'not found'} ≠ ${base.program ?? 'not found'}`);
    }
    if (mitigated.sha256 !== base.sha256) {
      fields.push('sha256');
      details.push(`sha256: ${shortHash(mitigated.sha256)} ≠ ${shortHash(base.sha256)}`);
    }
    if (!sameRoot(mitigated.root, base.root)) {
      fields.push('root');
      details.push(`root: ${rootText(mitigated.root)} ≠ ${rootText(base.root)}`);
    }
    if (fields.length > 0) differences.push({ mitigation: mitigated.backend, against, fields, details });
  }
  return differences;
}
