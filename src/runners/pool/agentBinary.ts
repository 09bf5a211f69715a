import fs from 'node:fs';
import path from 'node:path';
import { AGENT_SCRIPT } from './agentScript';
import { nativeProgram } from '../../nativeProgram';

/**
 * Which agent a pooled container runs. The C agent (native/agent.c, built at install by
 * native/build.js beside the launcher): one small static process, bound read-only into the
 * container, ready as soon as it has read the host's warm-up line; or, when it was not built or
 * SANDBOX_PERF_AGENT=off, the Node agent (agentScript.ts) run by the image's own node, which
 * starts two Node processes (itself and its warm-up spawn) before it is ready. Both speak the same
 * protocol (agentProtocol.ts) on the same channel, with the same guarantees.
 */

const AGENT_FILE = nativeProgram('sandbox-perf-agent');

/** Where the pools bind the C agent (read-only) in their containers. */
export const AGENT_IN_CONTAINER = '/.sandbox-perf-agent';

export interface AgentProgram {
  /** `c` (native/agent.c) or `node` (agentScript.ts). */
  kind: 'c' | 'node';
  /** The container's command before the agent's arguments (USER TOKEN SOCKET LAUNCHER). */
  command: readonly string[];
  /** The C agent's host path (to bind at AGENT_IN_CONTAINER), null for the Node agent. */
  file: string | null;
  why: string;
}

let resolved: AgentProgram | undefined;

/** The agent the pools start, looked up once per process (SANDBOX_PERF_AGENT: `off`, or another C agent's path). */
export function agentProgram(): AgentProgram {
  if (resolved) return resolved;
  const setting = process.env.SANDBOX_PERF_AGENT;
  const node = (why: string): AgentProgram => ({ kind: 'node', command: ['node', '-e', AGENT_SCRIPT], file: null, why });
  if (setting === 'off') {
    resolved = node('SANDBOX_PERF_AGENT=off');
  } else {
    const file = setting !== undefined && setting !== '' ? path.resolve(setting) : AGENT_FILE;
    try {
      fs.accessSync(file, fs.constants.X_OK);
      resolved = { kind: 'c', command: [AGENT_IN_CONTAINER], file, why: `C agent at ${file}` };
    } catch {
      resolved = node(`no C agent at ${file} (no C compiler at install; install one, then: npm rebuild sandbox-perf)`);
    }
  }
  return resolved;
}

/** For tests: forget what was found. */
export function resetAgentProgram(): void {
  resolved = undefined;
}
