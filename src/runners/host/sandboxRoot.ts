import { BackendNotPreparedError } from '../errors';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { madeWithTeardown } from '../inFlightRuns';
import { ownerTag, parseOwnerTag, probeOwner } from '../owner';
import { writable } from '../../writable';
import { insideByAnyName, isInside } from '../../pathReach';

/** The user and group a strict host sandbox runs its command as (`nobody`/`nogroup` on Debian). */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

/**
 * What of the host's /etc a strict sandbox sees: what the C library, the shell, Node and TLS
 * clients read (name resolution, the dynamic loader's cache, time zone, Debian's alternatives
 * symlinks, CA certificates). Never `shadow`, `gshadow`, `sudoers`, `ssl/private`, `ssh`, or the
 * host's passwd/group (the sandbox gets its own, naming only root and nobody). Copied, world-readable
 * entries only, when the backend is prepared: the copy is what the command reads.
 */
export const ETC_ENTRIES = [
  'hosts',
  'host.conf',
  'resolv.conf',
  'nsswitch.conf',
  'gai.conf',
  'protocols',
  'services',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'timezone',
  'alternatives',
  'ssl/certs',
  'ssl/openssl.cnf',
  'ca-certificates.conf',
  'mime.types',
  'os-release',
  'debian_version',
] as const;

/** Host directories bound read-only (or recreated as the same symlink, e.g. `/bin -> usr/bin`). */
export const SYSTEM_DIRS = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'] as const;

/** Device nodes of a strict sandbox's private /dev. */
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

export interface SystemDir {
  /** e.g. `lib64`. */
  name: string;
  /** The link's target when the host has a symlink there (merged /usr), else null (a directory). */
  link: string | null;
}

/** The system directories this host has, each a directory or a symlink. */
export function systemDirs(): SystemDir[] {
  const found: SystemDir[] = [];
  for (const name of SYSTEM_DIRS) {
    const stat = fs.lstatSync(`/${name}`, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) found.push({ name, link: fs.readlinkSync(`/${name}`) });
    else if (stat?.isDirectory()) found.push({ name, link: null });
  }
  return found;
}

const PASSWD = `root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:${SANDBOX_UID}:${SANDBOX_GID}:nobody:/tmp:/usr/sbin/nologin\n`;
const GROUP = `root:x:0:\nnogroup:x:${SANDBOX_GID}:\n`;

function worldReadable(stat: fs.Stats): boolean {
  return (stat.mode & (stat.isDirectory() ? 0o005 : 0o004)) === (stat.isDirectory() ? 0o005 : 0o004);
}

/** Copies `from` to `to`: files dereferenced, directories entry by entry with symlinks kept as links. */
function copyVetted(from: string, to: string): void {
  const stat = fs.statSync(from, { throwIfNoEntry: false });
  if (!stat || !worldReadable(stat)) return;
  if (stat.isFile()) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    fs.chmodSync(to, 0o644);
    return;
  }
  if (!stat.isDirectory()) return;
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), path.join(to, entry.name));
    else copyVetted(source, path.join(to, entry.name));
  }
}

const PREFIX = 'sandbox-perf-root-';
/** A root kept for a printed command line (SandboxRoot.keep): not swept. */
const KEPT_PREFIX = 'sandbox-perf-kept-';

/** A skeleton's name: the prefix, its owner (owner.ts's ownerTag), mkdtemp's suffix. */
const STALE = new RegExp(`^${PREFIX}(\\d+\\.\\d+\\.\\d+)-[A-Za-z0-9]{6}$`);

/**
 * Removes the skeletons of sandbox-perf processes that died without their teardown (SIGKILL): only
 * a directory of this user whose owner is provably gone (a live owner in another PID namespace is
 * told apart; a name from before the owner tag, with a PID alone, is left alone).
 */
function removeStale(parent: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = parseOwnerTag(STALE.exec(name)?.[1] ?? '');
    if (owner === null) continue;
    const stat = fs.lstatSync(path.join(parent, name), { throwIfNoEntry: false });
    if (!stat?.isDirectory() || stat.uid !== process.geteuid?.()) continue;
    if (probeOwner(owner) === 'gone') fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/**
 * The root directory of a strict host sandbox, built once per prepared backend in the host's temp
 * directory (or /dev/shm, /var/tmp when the working directory holds it): `etc/` (the vetted copy plus a passwd and group naming only root and nobody, which
 * `os.userInfo()` needs), empty mount points for the system directories, /proc, /tmp and the
 * devices, and the same symlinks as the host (`bin -> usr/bin`). It is only ever mounted read-only
 * into a sandbox. `remove()` deletes it; a skeleton left by a killed process is removed by the
 * next one.
 */
export class SandboxRoot {
  /** The root file system: what `/` is in the sandbox. */
  readonly rootfs: string;
  /** The host's system directories, as this skeleton mirrors them. */
  readonly systemDirs: readonly SystemDir[] = systemDirs();

  /** Unregisters the signal's removal of the skeleton (registerTeardown), once it is removed or kept. */
  private unregister: () => void = () => undefined;

  private constructor(readonly dir: string) {
    this.rootfs = path.join(dir, 'root');
  }

  /** `cwd` gets a mount point too, unless it lies under /tmp (a tmpfs in the sandbox). */
  static create(cwd: string): SandboxRoot {
    // Bound writable, a directory holding the skeleton would let one run rewrite the next run's /etc
    // (and unshare's fstab, which the host mounts as root): by any name, not only its spelling (a
    // TMPDIR that is the working directory through a bind mount or a symbolic link was used before).
    const parent = [os.tmpdir(), '/dev/shm', '/var/tmp'].find((dir) => !insideByAnyName(dir, cwd) && writable(dir));
    if (parent === undefined) {
      throw new Error(`the working directory ${cwd} holds every place the sandbox root can be built (${os.tmpdir()}, /dev/shm, /var/tmp)`);
    }
    removeStale(parent);
    // Built at prepare and removed at teardown, which SIGINT/SIGTERM/SIGHUP skip: the signal removes it then.
    const { made: root, unregister } = madeWithTeardown(
      `sandbox root in ${parent}`,
      () => new SandboxRoot(fs.mkdtempSync(path.join(parent, `${PREFIX}${ownerTag()}-`))),
      (made) => made.remove(),
    );
    root.unregister = unregister;
    const rootfs = root.rootfs;
    const etc = root.etc;
    fs.mkdirSync(etc, { recursive: true, mode: 0o755 });
    fs.chmodSync(rootfs, 0o755);
    for (const entry of ETC_ENTRIES) copyVetted(path.join('/etc', entry), path.join(etc, entry));
    fs.writeFileSync(path.join(etc, 'passwd'), PASSWD, { mode: 0o644 });
    fs.writeFileSync(path.join(etc, 'group'), GROUP, { mode: 0o644 });
    for (const { name, link } of root.systemDirs) {
      if (link === null) fs.mkdirSync(path.join(rootfs, name));
      else fs.symlinkSync(link, path.join(rootfs, name));
    }
    for (const name of ['proc', 'tmp', 'dev', 'dev/shm']) fs.mkdirSync(path.join(rootfs, name), { mode: 0o755 });
    for (const name of DEVICES) fs.writeFileSync(path.join(rootfs, 'dev', name), '');
    const links: [string, string][] = [
      ['fd', '/proc/self/fd'],
      ['stdin', '/proc/self/fd/0'],
      ['stdout', '/proc/self/fd/1'],
      ['stderr', '/proc/self/fd/2'],
    ];
    for (const [name, target] of links) fs.symlinkSync(target, path.join(rootfs, 'dev', name));
    if (!isInside(cwd, '/tmp')) fs.mkdirSync(path.join(rootfs, cwd), { recursive: true });
    return root;
  }

  get etc(): string {
    return path.join(this.rootfs, 'etc');
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.unregister();
  }

  /**
   * Moves the skeleton out of the stale-root sweep (`sandbox-perf-kept-…` beside it), so that it
   * outlives this process: a printed command line (`run --print-command`) uses it afterwards.
   * Whoever keeps it removes it (`rm -rf`). The moved root; paths built from the old one are stale.
   */
  keep(): SandboxRoot {
    const kept = path.join(path.dirname(this.dir), path.basename(this.dir).replace(PREFIX, KEPT_PREFIX));
    fs.renameSync(this.dir, kept);
    this.unregister();
    return new SandboxRoot(kept);
  }
}

/** The root a strict tool's `wrap` needs; `prepare` builds it before any run. */
export function requireRoot(root: SandboxRoot | null): SandboxRoot {
  if (root === null) throw new BackendNotPreparedError('a strict sandbox root');
  return root;
}
