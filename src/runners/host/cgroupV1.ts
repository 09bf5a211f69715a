import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { registerTeardown } from '../inFlightRuns';
import { ownerTag } from '../owner';

/**
 * cgroup v1 on the host, where this process may create groups (root, v1 hierarchies mounted).
 * cgroup v2 is not used: its controllers are usually not delegated to a process like this one,
 * while v1 memory/cpu/cpuacct groups are plain directories a root process can create.
 */
export interface CgroupV1 {
  /** Mount point of each controller this module uses. */
  memory: string;
  cpu: string;
  cpuacct: string;
  /** Every hierarchy, v1 and a hybrid host's v2 (Docker creates a group in each): where groups are removed. */
  hierarchies: string[];
}

/** Where the groups of this package live, under each hierarchy. */
export const CGROUP_PARENT = 'sandbox-perf';

let probed: { value: CgroupV1 | null; reason: string } | undefined;

export function parseMounts(): { byController: Map<string, string>; hierarchies: string[] } {
  const byController = new Map<string, string>();
  const hierarchies: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const [fstype, , superOptions = ''] = right.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mountPoint = left.split(' ')[4];
    if (!mountPoint) continue;
    hierarchies.push(mountPoint);
    // A hybrid host's v2 tree (/sys/fs/cgroup/unified) gets a group per container too: it is removed with the rest.
    if (fstype === 'cgroup2') continue;
    for (const option of superOptions.split(',')) byController.set(option, mountPoint);
  }
  return { byController, hierarchies };
}

/** The host's cgroup v1, or null with the reason (cached: the answer does not change while running). */
export function probeCgroupV1(): { value: CgroupV1 | null; reason: string } {
  if (probed) return probed;
  try {
    const { byController, hierarchies } = parseMounts();
    const memory = byController.get('memory');
    const cpu = byController.get('cpu');
    const cpuacct = byController.get('cpuacct');
    if (!memory || !cpu || !cpuacct) {
      probed = { value: null, reason: 'no cgroup v1 memory, cpu and cpuacct hierarchies are mounted' };
    } else {
      for (const root of new Set([memory, cpu, cpuacct])) {
        fs.mkdirSync(path.join(root, CGROUP_PARENT), { recursive: true });
        fs.accessSync(path.join(root, CGROUP_PARENT), fs.constants.W_OK);
      }
      probed = { value: { memory, cpu, cpuacct, hierarchies }, reason: 'cgroup v1 is writable' };
    }
  } catch (error) {
    probed = { value: null, reason: `cgroup v1 is not writable here (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  return probed;
}

export interface CgroupLimits {
  memoryBytes?: number | undefined;
  cpus?: number | undefined;
}

export interface CgroupUsage {
  cpuMs: number | null;
  peakMemoryBytes: number | null;
  /** Processes the kernel killed because the memory limit was reached. */
  oomKills: number;
}

const CFS_PERIOD_US = 100_000;

function readNumber(file: string): number | null {
  try {
    const value = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** Usage of a group (hierarchical: children, even removed ones, are included). */
export function readUsage(v1: CgroupV1, relative: string): CgroupUsage {
  const ns = readNumber(path.join(v1.cpuacct, relative, 'cpuacct.usage'));
  const peak = readNumber(path.join(v1.memory, relative, 'memory.max_usage_in_bytes'));
  let oomKills = 0;
  try {
    const match = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(v1.memory, relative, 'memory.oom_control'), 'utf8'));
    oomKills = match ? Number(match[1]) : 0;
  } catch {
    // Older kernels do not count OOM kills; the exit signal still tells.
  }
  return { cpuMs: ns === null ? null : ns / 1e6, peakMemoryBytes: peak, oomKills };
}

/** Starts a new peak-memory window and returns the CPU counter, for runs sharing a group (docker-warm). */
export function markUsage(v1: CgroupV1, relative: string): number | null {
  try {
    fs.writeFileSync(path.join(v1.memory, relative, 'memory.max_usage_in_bytes'), '0');
  } catch {
    // A kernel that refuses the reset still reports a (too high) peak.
  }
  return readNumber(path.join(v1.cpuacct, relative, 'cpuacct.usage'));
}

/** The processes of the group at `dir` but `spare` (none when the group is gone). */
function othersIn(dir: string, spare?: number): string[] {
  try {
    return fs
      .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((pid) => pid !== '' && Number(pid) !== spare);
  } catch {
    return [];
  }
}

/** How many processes of the group at `dir` are not `spare` (0 when the group is gone). */
export const membersBut = (dir: string, spare: number): number => othersIn(dir, spare).length;

/** SIGKILLs every member of the group but `spare` (a process that must finish its own work first); how many. */
export function killMembers(dir: string, spare?: number): number {
  const pids = othersIn(dir, spare);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids.length;
}

/**
 * Removes a group and the groups under it, in every hierarchy given; retries while members exit.
 * False when a group still held members after the retries (members this process cannot see, from
 * another PID namespace, are neither listed nor killed).
 */
export async function removeGroup(roots: readonly string[], relative: string): Promise<boolean> {
  let removed = true;
  for (const root of new Set(roots)) {
    const dir = path.join(root, relative);
    for (let attempt = 0; ; attempt++) {
      try {
        for (const child of fs.readdirSync(dir, { withFileTypes: true })) {
          if (child.isDirectory()) await removeGroup([dir], child.name);
        }
        fs.rmdirSync(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (attempt >= 50) {
          removed = false;
          break;
        }
        // EBUSY: a killed member has not been reaped yet.
        killMembers(dir);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
  return removed;
}

let sequence = 0;
/** Two copies of this module in one process (two builds side by side) must not name the same group. */
const MODULE_NONCE = randomBytes(3).toString('hex');

/**
 * A group for runs, in the memory, cpu and cpuacct hierarchies, used by one run at a time and
 * reused by the next: a fresh memory cgroup makes the first allocations of its first process
 * slower (about 14 ms more per `node -e 0` measured here), which would burden every host run
 * and skew the ratios against Docker. `begin()` starts a run's accounting window.
 */
export class RunCgroup {
  readonly relative: string;
  /** The directories whose `cgroup.procs` the command must join (one per distinct hierarchy). */
  readonly dirs: string[];
  private cpuBefore = 0;
  private oomBefore = 0;
  /** Unregisters the signal's removal of the group (registerTeardown), once remove() did it. */
  private readonly unregister: () => void;

  constructor(
    private readonly v1: CgroupV1,
    limits: CgroupLimits,
  ) {
    this.relative = path.join(CGROUP_PARENT, `run-${ownerTag()}-${MODULE_NONCE}${++sequence}`);
    this.dirs = [...new Set([v1.memory, v1.cpu, v1.cpuacct])].map((root) => path.join(root, this.relative));
    // Kept between runs and removed at teardown, which SIGINT/SIGTERM/SIGHUP skip: the signal removes it then.
    this.unregister = registerTeardown(`cgroup ${this.relative}`, () => this.remove());
    for (const dir of this.dirs) fs.mkdirSync(dir);
    const memoryDir = path.join(v1.memory, this.relative);
    if (limits.memoryBytes !== undefined) {
      fs.writeFileSync(path.join(memoryDir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // Without swap in the limit, a run over its memory limit would swap instead of failing.
      const memsw = path.join(memoryDir, 'memory.memsw.limit_in_bytes');
      if (fs.existsSync(memsw)) fs.writeFileSync(memsw, String(limits.memoryBytes));
    }
    if (limits.cpus !== undefined) {
      const cpuDir = path.join(v1.cpu, this.relative);
      fs.writeFileSync(path.join(cpuDir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      fs.writeFileSync(path.join(cpuDir, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CFS_PERIOD_US)));
    }
  }

  /** Starts a run: peak memory restarts from the (empty) group's usage, CPU and OOM kills are counted from here. */
  begin(): void {
    this.cpuBefore = markUsage(this.v1, this.relative) ?? 0;
    this.oomBefore = readUsage(this.v1, this.relative).oomKills;
  }

  /** SIGKILLs every process in the group, until none is left (a member may fork meanwhile). */
  killAll(): void {
    const dir = path.join(this.v1.memory, this.relative);
    for (let round = 0; round < 100 && killMembers(dir) > 0; round++);
  }

  /** The run's usage since begin(). */
  usage(): CgroupUsage {
    const total = readUsage(this.v1, this.relative);
    return {
      cpuMs: total.cpuMs === null ? null : total.cpuMs - this.cpuBefore / 1e6,
      peakMemoryBytes: total.peakMemoryBytes,
      oomKills: total.oomKills - this.oomBefore,
    };
  }

  async remove(): Promise<void> {
    if (await removeGroup([this.v1.memory, this.v1.cpu, this.v1.cpuacct], this.relative)) this.unregister();
  }
}

/**
 * A `/bin/sh -c` script that moves itself into the groups given as arguments, then execs the
 * command: so the command is in its group from its first instruction (cgroup v1 cannot spawn
 * into a group, and moving a process after spawn would miss what it forks meanwhile).
 * Arguments: the number of groups, their directories, then the command.
 */
export const JOIN_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; n=$((n - 1)); done; exec "$@"';
