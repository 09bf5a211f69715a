import { printable } from '../../printable';
import type { KeepReport } from '../../runners/workdir/keepOutputs';

/** Entries of a keep report named in full; the rest are counted. */
const SHOWN = 5;

/** One line on what `--keep` copied back and what it did not (the run chose those names: escaped). */
export function keptText(kept: KeepReport): string {
  const head = `kept ${kept.files} file${kept.files === 1 ? '' : 's'} (${kept.bytes} bytes)`;
  if (kept.skipped.length === 0) return head;
  const shown = kept.skipped.slice(0, SHOWN).map((s) => `${printable(s.path)}: ${s.reason}`);
  const more = kept.skipped.length > SHOWN ? `; and ${kept.skipped.length - SHOWN} more` : '';
  return `${head}; not copied: ${shown.join('; ')}${more}`;
}
