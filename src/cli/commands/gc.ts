import { collectGarbage } from '../../runners/gc';
import { parseArgs } from '../args';
import { defineCommand, UsageError, type Command } from '../command';

const FLAGS = {
  'docker-socket': { type: 'string', value: 'PATH' },
  json: { type: 'boolean' },
} as const;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const gcCommand: Command = defineCommand({
  name: 'gc',
  summary: 'remove the containers and cgroups left by sandbox-perf processes that died (SIGKILL, reboot)',
  usage: `Usage: sandbox-perf gc [--docker-socket PATH] [--json]

Removes every container labelled sandbox-perf whose owner is gone: each container carries the PID,
start time, PID namespace, boot id and host of the process that created it, and the owner is gone
when that process provably no longer runs (the same PID in another PID namespace is another
process) or the machine rebooted since. Also removes the cgroup groups under sandbox-perf/ named
after such a process, killing what still runs in them, and the docker-pool socket directories
($TMPDIR/sandbox-perf-pool-*) and working-directory layers (sandbox-perf-layer-* in $TMPDIR,
/var/tmp, /dev/shm; detached first when still mounted) whose owner file names a gone owner. The next
start of a Docker backend does the same. Containers of running owners, of other hosts and without owner
labels are left alone and counted.

Exit code: 0, or 1 when something could not be removed.

Options:
  --docker-socket PATH   the engine   [default: the path in DOCKER_HOST (unix://…) or /var/run/docker.sock]
  --json                 machine-readable output
  --help                 this text
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'gc');
    if (parsed.positionals.length > 0 || parsed.command !== null) {
      throw new UsageError(`'gc' takes no command or arguments, got ${JSON.stringify(parsed.positionals[0] ?? '--')}`);
    }
    const socket = parsed.flags['docker-socket'] as string | undefined;
    const gc = await collectGarbage(socket === undefined ? {} : { dockerSocket: socket });
    if (parsed.flags.json) {
      io.stdout.write(`${JSON.stringify(gc, null, 2)}\n`);
      return gc.failures.length > 0 ? 1 : 0;
    }
    const lines: string[] = [];
    if (gc.engineUnavailable !== null) {
      lines.push(`Containers: not checked: ${gc.engineUnavailable}`);
    } else {
      const ids = gc.removed.map((id) => id.slice(0, 12)).join(', ');
      lines.push(`Removed ${plural(gc.removed.length, 'container')} whose owner is gone${ids ? ` (${ids})` : ''}.`);
      const { alive, foreign, unknown } = gc.kept;
      if (alive + foreign + unknown > 0) {
        lines.push(`Left alone: ${alive} in use, ${foreign} from another host or PID namespace, ${unknown} without owner labels.`);
      }
      if (unknown > 0)
        lines.push('  (without full owner labels: made by hand or by an older sandbox-perf; docker ps -a --filter label=sandbox-perf)');
    }
    lines.push(
      `Removed ${plural(gc.cgroupsRemoved.length, 'cgroup group')} of dead processes${gc.cgroupsRemoved.length ? `: ${gc.cgroupsRemoved.join(', ')}` : ''}` +
        `${gc.cgroupsKept > 0 ? ` (${gc.cgroupsKept} left alone: owner alive, out of sight, or named by its PID alone)` : ''}.`,
    );
    lines.push(
      `Removed ${gc.socketDirsRemoved.length} pool socket ${gc.socketDirsRemoved.length === 1 ? 'directory' : 'directories'} of dead owners` +
        `${gc.socketDirsKept > 0 ? ` (${gc.socketDirsKept} left alone: owner alive, or not provably ours)` : ''}.`,
    );
    if (gc.runcRemoved.length > 0) lines.push(`Removed ${plural(gc.runcRemoved.length, 'runc-pool container')} of dead owners.`);
    if (gc.layersRemoved.length > 0) lines.push(`Removed ${plural(gc.layersRemoved.length, 'working-directory layer')} of dead owners.`);
    for (const failure of gc.failures) lines.push(`Could not remove: ${failure}`);
    io.stdout.write(`${lines.join('\n')}\n`);
    return gc.failures.length > 0 ? 1 : 0;
  },
});
