import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pingEngine } from '../docker/dockerEngine';
import { CONTAINER_LABEL, ownerLabels } from '../docker/containerOwner';
import { BackendUnavailableError } from '../errors';
import { hostProgram } from './hostPrograms';
import type { ResolvedSandboxOptions } from '../options';

/** Where the exported roots are kept: not the working directory's tree, not a tmpfs that /tmp may be. */
const ROOTS_DIR = '/var/tmp';
/** Written last: a directory without it is an export that did not finish. */
const COMPLETE = '.sandbox-perf-complete';

/**
 * The tools gvisor's line runs inside the sandbox before the command (gvisor.ts): `mount` for the
 * sized /tmp and `setpriv` for the drop to the sandbox user. The image lacks them, so they are
 * copied in at their host paths with the libraries they link (and `true`, which `prepare`'s probe
 * runs by its host path); the image's own files are never overwritten.
 */
const TOOLS = ['mount', 'setpriv', 'true'] as const;

/** The libraries a program links, from ldd (absolute paths). */
function linkedLibraries(program: string): string[] {
  const out = execFileSync(hostProgram('ldd'), [program], { encoding: 'utf8' });
  return [...out.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((m) => m[1] as string);
}

/** Copies a host file into `root` at the same path, unless the image has one there already. */
function copyIn(root: string, file: string): void {
  const target = path.join(root, file);
  if (fs.existsSync(target)) return;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(fs.realpathSync(file), target);
  fs.chmodSync(target, 0o755);
}

/**
 * The image's root file system as a directory gVisor can take as its root (`runsc do -root`):
 * exported once per image id into /var/tmp/sandbox-perf-gvisor-root-<id>, through a container
 * that is created, never started, and removed (it carries the owner labels, so `gc` removes it if
 * this process dies first). The directory is read-only to every run: `runsc do` lays its overlay
 * in memory on top. A rebuilt image has another id, so another directory; an older one stays
 * until removed by hand (about the image's size).
 */
export async function gvisorImageRoot(options: ResolvedSandboxOptions): Promise<string> {
  let id: string;
  let docker;
  try {
    docker = await pingEngine(options.dockerSocket);
    id = ((await docker.getImage(options.image).inspect()) as { Id: string }).Id;
  } catch (error) {
    throw new BackendUnavailableError(
      'gvisor',
      `gvisorRoot 'image' needs the image ${options.image} in the engine at ${options.dockerSocket}`,
      '.ci/docker-up.sh',
      {
        cause: error,
      },
    );
  }
  const dir = path.join(ROOTS_DIR, `sandbox-perf-gvisor-root-${id.replace(/^sha256:/, '').slice(0, 16)}`);
  if (fs.existsSync(path.join(dir, COMPLETE))) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { mode: 0o755 });
  const container = await docker.createContainer({
    Image: options.image,
    Cmd: ['true'],
    Labels: { [CONTAINER_LABEL]: 'gvisor-root', ...ownerLabels() },
  });
  try {
    const tar = spawn(hostProgram('tar'), ['-x', '-C', partial], { stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => tar.once('close', resolve));
    await pipeline(await container.export(), tar.stdin);
    if ((await exited) !== 0) throw new Error(`tar could not unpack the export of ${options.image}`);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
  for (const tool of TOOLS) {
    const program = hostProgram(tool);
    copyIn(partial, program);
    for (const library of linkedLibraries(program)) copyIn(partial, library);
  }
  fs.chmodSync(partial, 0o755);
  fs.writeFileSync(path.join(partial, COMPLETE), `${options.image} ${id}\n`);
  try {
    fs.renameSync(partial, dir);
  } catch {
    // Another process finished the same export first: its directory is as good.
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}
