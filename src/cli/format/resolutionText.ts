import type { CommandResolution, ResolutionDifference } from '../../compare/resolution';
import { rootText } from '../../compare/resolution';
import type { Colours } from '../terminal';

/** One backend's resolution, under its block: `Resolved: /usr/bin/node (sha256 1a2b3c4d5e6f…, 96.2 MB) from host`. */
export function resolutionLine(resolution: CommandResolution | undefined): string[] {
  if (resolution === undefined) return [];
  if (resolution.program === null || resolution.sha256 === null)
    return [`  Resolved:           ${resolution.error ?? 'not found'} (root ${rootText(resolution.root)})`];
  const size = resolution.bytes === null ? '' : `, ${(resolution.bytes / 1e6).toFixed(1)} MB`;
  return [
    `  Resolved:           ${resolution.program} (sha256 ${resolution.sha256.slice(0, 12)}…${size}) from ${rootText(resolution.root)}`,
  ];
}

/** After the mitigations: every pair that did not run the same program from the same root, and what differs. */
export function resolutionDifferenceLines(differences: readonly ResolutionDifference[], c: Colours): string[] {
  if (differences.length === 0) return [];
  const out = [
    '',
    `${c.yellow('Not the same command')} (a mitigation and its backend resolved it differently: the saving is not the mitigation's alone)`,
  ];
  for (const d of differences) out.push(`  ${c.cyan(d.mitigation)} against ${d.against}: ${d.details.join('; ')}`);
  return out;
}
