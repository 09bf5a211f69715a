import path from 'node:path';
import { backendEntry } from '../runners/backendNames';
import type { BackendName, SandboxOptions } from '../runners/types';
import { historyInside } from '../state/historyReach';
import { describeValue } from '../validation';
import { UsageError } from './command';
import type { HistoryPath } from './database';

/**
 * Refuses, before anything runs or is written, a history that a run of this command could write
 * (issue 23, finding 6: `run --db .sandbox-perf/state.db --sandbox bubblewrap` let the run
 * truncate it, and the history dropped to the run's one row, exit 0, no warning): one in the
 * working directory or below it, when a backend that isolates the run binds that directory
 * writable (its registry entry's `rwReachesHost`; `none` is no sandbox), unless the run sees the
 * directory read-only (`--workdir ro`) or through its own layer (`overlay`) that no `--keep`
 * copies the history back from. Refused rather than masked: docs/runners.md says why.
 * `workdirFlag: false` for a command without `--workdir` (predict): the fix offered leaves it out.
 */
export function assertHistoryOutOfReach(
  where: HistoryPath,
  sandbox: Pick<SandboxOptions, 'workdir' | 'keep'> & { cwd: string },
  backends: readonly BackendName[],
  { workdirFlag = true }: { workdirFlag?: boolean } = {},
): void {
  const { cwd } = sandbox;
  const workdir = sandbox.workdir ?? 'rw';
  if (workdir === 'ro' || !historyInside(where.file, cwd)) return;
  const reaching = backends.filter((b) => b !== 'none' && backendEntry(b).rwReachesHost);
  if (reaching.length === 0) return;
  let how = `which ${reaching.join(', ')} ${reaching.length === 1 ? 'binds' : 'bind'} writable into the sandbox`;
  if (workdir === 'overlay') {
    const kept = (sandbox.keep ?? []).find((p) => historyInside(where.file, path.join(cwd, p)));
    if (kept === undefined) return;
    how = `whose ${JSON.stringify(kept)} --keep copies back from the run's layer`;
  }
  const name = where.source === 'the default history' ? where.source : `\`${where.source}\``;
  const ro = workdirFlag ? ', or give the run --workdir ro' : '';
  const fix =
    where.source === 'the default history'
      ? `run from a project directory below ${cwd}, ${workdirFlag ? '' : 'or '}name a history outside it with --db or SANDBOX_PERF_DB${ro}`
      : `choose a history outside ${cwd}${where.source === '--db' ? ' with --db' : ' in SANDBOX_PERF_DB'}, ${workdirFlag ? '' : 'or '}run from another directory${ro}`;
  throw new UsageError(
    `Expected ${name} to be outside the working directory ${cwd}, ${how}, got ${describeValue(where.file).replace(/ \(string\)$/, '')}; the run could truncate or forge it, so nothing was run: ${fix}`,
  );
}
