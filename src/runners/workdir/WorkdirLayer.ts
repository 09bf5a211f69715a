import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage, logOnce } from '../../log';
import { ownerLabels, ownerState, readOwnerFile } from '../docker/containerOwner';
import { madeWithTeardown } from '../inFlightRuns';
import { copyTree } from './copyTree';
import { keepOutputs, type KeepReport } from './keepOutputs';
import { mountsUnder, unmountAll } from './mounts';
import type { KeptPath } from './workdirOptions';
import { insideByAnyName } from '../../pathReach';

export const LAYER_PREFIX = 'sandbox-perf-layer-';
const NAME = /^sandbox-perf-layer-[A-Za-z0-9]{6}$/;
const OWNER_FILE = 'owner.json';
/** Paths that go into overlayfs options (and Docker's `o=`), where `,` `:` `\` and white space would split them. */
const OPTION_SAFE = /^[A-Za-z0-9_./+@-]+$/;

/**
 * overlayfs options that keep the upper layer readable as plain files: no metadata-only copy-up
 * (a chmod would leave an empty file there) and no redirected directories (a rename would leave a
 * pointer into the lower layer); renaming a directory of the lower layer then fails with EXDEV,
 * which `mv` and Node's fs.rename callers handle by copying.
 */
const OVERLAY_FEATURES = 'redirect_dir=off,metacopy=off,index=off';

/** The places layers may go, in order of preference. */
export function layerParents(): string[] {
  return [...new Set([os.tmpdir(), '/var/tmp', '/dev/shm'])];
}

/** Where layers go: the host's temp directory, else /var/tmp or /dev/shm; never inside the working directory. */
export function layerParent(cwd: string): string {
  const candidates = layerParents();
  // By any name (pathReach.ts): a place the working directory reaches through a mount or a link would let a run write the layers.
  const parent = candidates.find((dir) => OPTION_SAFE.test(dir) && !insideByAnyName(dir, cwd) && fs.existsSync(dir));
  if (parent === undefined) {
    throw new Error(
      `workdir 'overlay': no place for the run's layer outside the working directory ${cwd} (tried ${candidates.join(', ')}; a path without , : \\ or spaces)`,
    );
  }
  return parent;
}

/**
 * A run's copy-on-write layer (or, for gVisor, its copy of the working directory, see `copy`): `$TMPDIR/sandbox-perf-layer-XXXXXX/` (mode 0700, root's) holding
 * `owner.json` (the owner labels containers carry), `upper/` (what the run writes, owned and
 * permissioned like the working directory so the merged view's root looks the same), `work/`
 * (overlayfs's own) and `lower`, a symbolic link to the working directory, so that the options
 * name only paths of ours (Docker's `o=` cannot escape a comma in the caller's path). The layer is
 * mounted by whoever runs the sandbox (a private mount namespace, Docker's local volume driver, or
 * the host for docker-warm); `remove()` deletes it once nothing is mounted under it.
 */
export class WorkdirLayer {
  /** Unregisters the signal's removal of this layer (registerTeardown), once remove() did it. */
  private unregister: () => void = () => undefined;

  private constructor(
    readonly dir: string,
    /** `overlay`: upper/work/lower for overlayfs; `copy`: a whole copy of the working directory in `copy/`. */
    readonly kind: 'overlay' | 'copy',
  ) {}

  private static make(kind: 'overlay' | 'copy', parent: string): WorkdirLayer {
    // SIGINT/SIGTERM/SIGHUP end the process without the run's finally: the layer goes (after its
    // runs are killed, and after whatever was mounted on it later is detached), not to the next sweep.
    const { made: layer, unregister } = madeWithTeardown(
      `layer in ${parent}`,
      () => new WorkdirLayer(fs.mkdtempSync(path.join(parent, LAYER_PREFIX)), kind),
      (made) => made.remove(),
    );
    layer.unregister = unregister;
    const { dir } = layer;
    fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify(ownerLabels()), { mode: 0o600, flag: 'wx' });
    return layer;
  }

  /** An empty overlayfs layer above `cwd`. */
  static create(cwd: string, parent: string = layerParent(cwd)): WorkdirLayer {
    const layer = WorkdirLayer.make('overlay', parent);
    const like = fs.statSync(cwd);
    fs.mkdirSync(layer.upper, { mode: 0o700 });
    fs.chownSync(layer.upper, like.uid, like.gid);
    fs.chmodSync(layer.upper, like.mode & 0o7777);
    fs.mkdirSync(layer.work, { mode: 0o700 });
    fs.symlinkSync(cwd, layer.lower);
    return layer;
  }

  /**
   * A copy of `cwd` (copyTree.ts), for gVisor: runsc 2022-12-19 answers EINVAL to stat() of any
   * file on an overlayfs (or tmpfs) bind. It costs a read and a write of the whole directory.
   */
  static async copy(cwd: string, parent: string = layerParent(cwd)): Promise<WorkdirLayer> {
    const layer = WorkdirLayer.make('copy', parent);
    try {
      await copyTree(cwd, layer.copyDir);
    } catch (error) {
      await layer.remove();
      throw error;
    }
    return layer;
  }

  /** The copy's root (kind `copy`): what is bound at the working directory's path. */
  get copyDir(): string {
    return path.join(this.dir, 'copy');
  }

  get upper(): string {
    return path.join(this.dir, 'upper');
  }

  get work(): string {
    return path.join(this.dir, 'work');
  }

  get lower(): string {
    return path.join(this.dir, 'lower');
  }

  /** The overlayfs mount options: the working directory below, this layer above. */
  get mountOptions(): string {
    return `lowerdir=${this.lower},upperdir=${this.upper},workdir=${this.work},${OVERLAY_FEATURES}`;
  }

  /** Copies what the run wrote under the kept paths back into `cwd` (call once the run's processes are gone). */
  keep(cwd: string, kept: readonly KeptPath[]): KeepReport {
    return keepOutputs(this.kind === 'overlay' ? this.upper : this.copyDir, cwd, kept);
  }

  /** Deletes the layer; refuses while anything is mounted under it (the working directory itself could be). */
  async remove(): Promise<void> {
    if (!(await unmountAll(this.dir))) throw new Error(`${this.dir} is still mounted: left in place`);
    await fs.promises.rm(this.dir, { recursive: true, force: true });
    this.unregister();
  }
}

/**
 * Removes the layers under `parent` whose owner is gone (a SIGKILLed runner's), after detaching
 * anything still mounted under them (docker-warm's). Only directories of this user named as
 * mkdtemp names ours, with a well-formed owner file naming a dead owner. Never throws: returns
 * what was removed and one line per failure.
 */
export async function removeOrphanLayers(parent: string = os.tmpdir()): Promise<{ removed: string[]; failures: string[] }> {
  const sweep = { removed: [] as string[], failures: [] as string[] };
  let names: string[];
  try {
    names = fs.readdirSync(parent).filter((name) => NAME.test(name));
  } catch (error) {
    sweep.failures.push(`listing ${parent}: ${errorMessage(error)}`);
    return sweep;
  }
  for (const name of names) {
    const dir = path.join(parent, name);
    try {
      const stat = fs.lstatSync(dir);
      if (!stat.isDirectory() || stat.uid !== (process.geteuid?.() ?? stat.uid)) continue;
      const owner = readOwnerFile(path.join(dir, OWNER_FILE));
      if (owner === null || ownerState(owner) !== 'gone') continue;
      if (!(await unmountAll(dir))) {
        sweep.failures.push(`layer ${dir}: still mounted at ${mountsUnder(dir).join(', ')}`);
        continue;
      }
      await fs.promises.rm(dir, { recursive: true, force: true });
      sweep.removed.push(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') sweep.failures.push(`layer ${dir}: ${errorMessage(error)}`);
    }
  }
  return sweep;
}

let swept: Promise<void> | undefined;

/** Once per process, before the first `overlay` run: the layers of runners that died are removed (failures logged once). */
export function sweepOrphanLayersOnce(): Promise<void> {
  swept ??= (async () => {
    for (const parent of layerParents()) {
      const sweep = await removeOrphanLayers(parent);
      for (const failure of sweep.failures) logOnce(new Error(failure), 'sandbox-perf: could not remove an orphan layer');
    }
  })();
  return swept;
}
