/**
 * The one environment every backend gives the command, `none` included. A backend that passed
 * the caller's environment through would not be comparable with one that clears it: on a host
 * with NODE_EXTRA_CA_CERTS set, every Node start pays for reading the CA bundle (about 85 ms
 * measured here), so a sandbox that drops the variable looks faster than bare. Nothing is
 * inherited; callers add what they need with the `env` option, and it reaches every backend alike.
 */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * `PATH` (the Debian default), `HOME=/tmp` (writable in every backend), `LANG=C.UTF-8` (built into
 * glibc), `PWD` (the working directory: bubblewrap and shells set it anyway, so every backend gets it),
 * then `extra`.
 */
export function sandboxEnv(cwd: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: SANDBOX_PATH, HOME: '/tmp', LANG: 'C.UTF-8', PWD: cwd, ...extra };
}

/** The `KEY=value` list the Docker Engine API takes. */
export function envList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}
