import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../log';
import { ownerLabels, ownerState, readOwnerFile } from '../docker/containerOwner';

/**
 * The host directories of `docker-pool`'s agent sockets: `$TMPDIR/sandbox-perf-pool-XXXXXX/`
 * holding `owner.json` (the owner labels every container of this package carries: PID, start time,
 * boot id, host) and `agent/`, the directory bound read-only into the container, where the socket
 * lives until the agent connects. The owner file stays outside the bind, so a sandbox does not
 * learn the host PID or boot id from it.
 *
 * A runner that is SIGKILLed leaves its directories behind; `sandbox-perf gc` and the next start of
 * a Docker backend remove those whose owner is gone, judged by `ownerState` exactly as containers
 * are. Only what this module makes is touched: a name mkdtemp gives our prefix, a real directory
 * owned by this user, an owner file naming a dead owner, and nothing inside but `owner.json`,
 * `agent/` and `agent/agent.sock`; it is taken apart entry by entry, never removed recursively.
 */
export const SOCKET_DIR_PREFIX = 'sandbox-perf-pool-';
const NAME = /^sandbox-perf-pool-[A-Za-z0-9]{6}$/;
const OWNER_FILE = 'owner.json';
const AGENT_DIR = 'agent';
const SOCKET_FILE = 'agent.sock';

export interface SocketDir {
  /** The directory to remove when the sandbox is gone. */
  dir: string;
  /** The directory the container sees (bind it, read-only). */
  agentDir: string;
  /** The socket's path on the host. */
  socket: string;
}

/** Makes a sandbox's socket directory, its owner file first. */
export function makeSocketDir(tmpDir: string = os.tmpdir()): SocketDir {
  const dir = fs.mkdtempSync(path.join(tmpDir, SOCKET_DIR_PREFIX));
  fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify(ownerLabels()), { mode: 0o600, flag: 'wx' });
  const agentDir = path.join(dir, AGENT_DIR);
  fs.mkdirSync(agentDir);
  // The container's user is not root: it must be able to reach the socket in the bound directory.
  fs.chmodSync(agentDir, 0o755);
  return { dir, agentDir, socket: path.join(agentDir, SOCKET_FILE) };
}

/** What a sweep of the temporary directory found and did. */
export interface SocketDirSweep {
  /** Directories removed because their owner is gone. */
  removed: string[];
  /** Directories with our prefix left alone: owner alive or elsewhere, not ours, or holding what we did not put there. */
  kept: number;
  failures: string[];
}

function isOwnRealDirectory(stat: fs.Stats): boolean {
  return stat.isDirectory() && !stat.isSymbolicLink() && stat.uid === (process.geteuid?.() ?? stat.uid);
}

/** Only the entries this module makes: `owner.json`, `agent/` (a directory of ours) and `agent/agent.sock`. */
function holdsOnlyOurs(dir: string): boolean {
  const entries = fs.readdirSync(dir);
  if (!entries.every((e) => e === OWNER_FILE || e === AGENT_DIR)) return false;
  if (!entries.includes(AGENT_DIR)) return true;
  const agentDir = path.join(dir, AGENT_DIR);
  if (!isOwnRealDirectory(fs.lstatSync(agentDir))) return false;
  return fs.readdirSync(agentDir).every((e) => e === SOCKET_FILE && fs.lstatSync(path.join(agentDir, e)).isSocket());
}

function takeApart(dir: string): void {
  const agentDir = path.join(dir, AGENT_DIR);
  fs.rmSync(path.join(agentDir, SOCKET_FILE), { force: true });
  if (fs.existsSync(agentDir)) fs.rmdirSync(agentDir);
  fs.unlinkSync(path.join(dir, OWNER_FILE));
  fs.rmdirSync(dir);
}

/**
 * Removes the socket directories under `tmpDir` whose owner is gone (a SIGKILLed runner's). Never
 * throws: what could not be removed is in `failures`.
 */
export function removeOrphanSocketDirs(tmpDir: string = os.tmpdir()): SocketDirSweep {
  const sweep: SocketDirSweep = { removed: [], kept: 0, failures: [] };
  let names: string[];
  try {
    names = fs.readdirSync(tmpDir).filter((name) => NAME.test(name));
  } catch (error) {
    sweep.failures.push(`listing ${tmpDir}: ${errorMessage(error)}`);
    return sweep;
  }
  for (const name of names) {
    const dir = path.join(tmpDir, name);
    try {
      if (!isOwnRealDirectory(fs.lstatSync(dir))) {
        sweep.kept++;
        continue;
      }
      const owner = readOwnerFile(path.join(dir, OWNER_FILE));
      if (owner === null || ownerState(owner) !== 'gone' || !holdsOnlyOurs(dir)) {
        sweep.kept++;
        continue;
      }
      takeApart(dir);
      sweep.removed.push(dir);
    } catch (error) {
      // ENOENT: removed meanwhile by another sweep: gone all the same.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      sweep.failures.push(`socket directory ${dir}: ${errorMessage(error)}`);
    }
  }
  return sweep;
}
