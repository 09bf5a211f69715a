import { HostBackend, type HostTool } from './HostBackend';
import type { SandboxOptions } from './types';

/** The baseline: the command as a plain child process (same environment, cwd and cgroup accounting). */
export const noneTool: HostTool = {
  name: 'none',
  install: 'nothing to install',
  wrap: (command) => [...command],
};

export function createNoneBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(noneTool, options);
}
