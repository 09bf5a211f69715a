import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD_IMAGE, ENABLE_DOCKER, pingEngine } from '../docker/dockerEngine';
import { CONTAINER_LABEL, ownerLabels } from '../docker/containerOwner';
import { BackendUnavailableError } from '../errors';
import type { ResolvedSandboxOptions } from '../options';

/**
 * Where runc-pool keeps the root file systems it runs from: one directory per image id
 * (`<sha256 hex>/rootfs`, plus `image.json`, written last, which marks it complete). Root's, 0700.
 * The same image, so the same files as docker-pool's containers see: only who starts them differs.
 */
export const ROOTFS_CACHE = '/var/tmp/sandbox-perf-runc';

export interface ImageRoot {
  /** The image id (`sha256:…`) the root was exported from. */
  id: string;
  /** The root file system's directory, mounted read-only in every container. */
  rootfs: string;
  /** The image's environment (`KEY=value`), under the sandbox's own. */
  env: string[];
}

const made = new Map<string, Promise<ImageRoot>>();

/**
 * The root file system of `options.image`, exported once per image id: the engine is asked only
 * for the image's id (and, the first time, for an export of it), never on a refill's path.
 */
export function imageRoot(options: ResolvedSandboxOptions): Promise<ImageRoot> {
  const key = `${options.dockerSocket}\0${options.image}`;
  let root = made.get(key);
  if (!root) {
    root = exportImage(options);
    made.set(key, root);
    root.catch(() => made.delete(key));
  }
  return root;
}

async function exportImage(options: ResolvedSandboxOptions): Promise<ImageRoot> {
  const socket = options.dockerSocket;
  const docker = await pingEngine(socket).catch((error: unknown) => {
    throw new BackendUnavailableError('runc-pool', `no engine answers at ${socket} to export ${options.image}`, ENABLE_DOCKER, {
      cause: error,
    });
  });
  let info: { Id: string; Config?: { Env?: string[] | null } };
  try {
    info = await docker.getImage(options.image).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    throw new BackendUnavailableError('runc-pool', `image ${options.image} is not in the engine at ${socket}`, BUILD_IMAGE, {
      cause: error,
    });
  }
  const dir = path.join(ROOTFS_CACHE, info.Id.replace(/^sha256:/, ''));
  const marker = path.join(dir, 'image.json');
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as ImageRoot;
  fs.mkdirSync(ROOTFS_CACHE, { recursive: true, mode: 0o700 });
  const partial = fs.mkdtempSync(`${dir}.partial-`);
  try {
    const rootfs = path.join(partial, 'rootfs');
    fs.mkdirSync(rootfs);
    // Labelled as every container of ours: a runner killed during the export leaves it to gc.
    const container = await docker.createContainer({
      Image: options.image,
      Cmd: ['true'],
      Labels: { [CONTAINER_LABEL]: 'runc-export', ...ownerLabels() },
    });
    try {
      await untar(await container.export(), rootfs);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
    // Docker's mount point for it is empty in an export; every container shares this root, read-only.
    fs.writeFileSync(path.join(rootfs, 'etc', 'hosts'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
    const root: ImageRoot = { id: info.Id, rootfs: path.join(dir, 'rootfs'), env: info.Config?.Env ?? [] };
    fs.writeFileSync(path.join(partial, 'image.json'), JSON.stringify(root));
    fs.renameSync(partial, dir);
    return root;
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    // Another process finished the same export first.
    if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as ImageRoot;
    throw error;
  }
}

/** Extracts a tar stream into `dir` as root, keeping owners and modes (`tar --numeric-owner`). */
function untar(stream: NodeJS.ReadableStream, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--extract', '--numeric-owner', '--same-permissions', '--directory', dir], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    tar.once('error', reject);
    tar.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}: ${stderr.trim()}`))));
    stream.on('error', reject);
    stream.pipe(tar.stdin);
  });
}
