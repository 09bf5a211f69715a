import path from 'node:path';
import { backendEntry } from '../runners/backendNames';
import type { BackendName, SandboxOptions } from '../runners/types';
import { historyHeldBy, historyInside, historyMountedInside, historyOtherNames } from '../state/historyReach';
import { describeArgument } from '../validation';
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
  if (workdir === 'ro') return;
  const reaching = backends.filter((b) => b !== 'none' && backendEntry(b).rwReachesHost);
  if (reaching.length === 0) return;
  const name = where.source === 'the default history' ? where.source : `\`${where.source}\``;
  if (!historyInside(where.file, cwd)) {
    if (workdir === 'rw') assertOneName(where, name, cwd, reaching, workdirFlag);
    return;
  }
  let how = `which ${reaching.join(', ')} ${reaching.length === 1 ? 'binds' : 'bind'} writable into the sandbox`;
  if (workdir === 'overlay') {
    const kept = (sandbox.keep ?? []).find((p) => historyHeldBy(where.file, path.join(cwd, p)));
    if (kept === undefined) return;
    how = `whose ${JSON.stringify(kept)} --keep copies back from the run's layer`;
  }
  const ro = roFix(workdirFlag);
  const fix =
    where.source === 'the default history'
      ? `run from a project directory below ${cwd}, ${workdirFlag ? '' : 'or '}name a history outside it with --db or SANDBOX_PERF_DB${ro}`
      : `choose a history outside ${cwd}${where.source === '--db' ? ' with --db' : ' in SANDBOX_PERF_DB'}, ${workdirFlag ? '' : 'or '}run from another directory${ro}`;
  // A mount in the working directory that shows it (its folder bound there, or the file bound alone) is named.
  const mounted = historyMountedInside(where.file, cwd);
  const at = mounted === null ? '' : ` (a mount shows it there as ${mounted})`;
  throw new UsageError(
    `Expected ${name} to be outside the working directory ${cwd}, ${how}, got ${describeArgument(where.file)}${at}; the run could truncate or forge it, so nothing was run: ${fix}`,
  );
}

/**
 * A history with another name (a hard link, to it or to its -wal, -shm or -journal) is refused
 * like one inside the working directory (issue 23's hostile trial: `ln $DB hist.db` in the working
 * directory, then a run truncated hist.db and the history dropped from 3 runs to 1). The other name
 * could be anywhere on the history's file system, and only walking all of it, or all of the working
 * directory and what is mounted below it, would tell where: unbounded, and a run's files can be
 * many. So a link count above 1 counts as reachable whenever a backend binds the working directory
 * writable (`rw`): the rare history with a second name costs its owner one `rm` or one `--db`.
 * `overlay` is not refused: the run writes the lower file's copy in its layer, and `--keep` renames
 * a fresh file over the name, which leaves the history's inode alone.
 */
function assertOneName(where: HistoryPath, name: string, cwd: string, reaching: readonly BackendName[], workdirFlag: boolean): void {
  const other = historyOtherNames(where.file);
  if (other === null) return;
  const db =
    where.source === 'SANDBOX_PERF_DB' ? 'in SANDBOX_PERF_DB' : where.source === '--db' ? 'with --db' : 'with --db or SANDBOX_PERF_DB';
  const ro = roFix(workdirFlag);
  throw new UsageError(
    `Expected ${name} to have one name while ${reaching.join(', ')} ${reaching.length === 1 ? 'binds' : 'bind'} the working directory ${cwd} writable into the sandbox, got ${describeArgument(other.file)} with ${other.links} names (hard links); one could lie in the working directory, where the run could truncate or forge it, so nothing was run: remove the other names (\`find / -samefile ${other.file}\` lists them), or name another history ${db}${ro}`,
  );
}

/** The last fix each refusal offers, for a command that has `--workdir`. */
const roFix = (workdirFlag: boolean): string => (workdirFlag ? ', or give the run --workdir ro' : '');
