import { BACKEND_NAMES, type BackendName } from '../runners/types';
import { UsageError } from './command';

export function parseBackends(value: unknown, flag = 'sandbox'): BackendName[] {
  const list = Array.isArray(value) ? (value as string[]) : [String(value)];
  for (const name of list) {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--${flag}: unknown backend ${JSON.stringify(name)}; expected one of ${BACKEND_NAMES.join(', ')}`);
    }
  }
  const unique = [...new Set(list)] as BackendName[];
  if (unique.length !== list.length) throw new UsageError(`--${flag}: a backend is listed twice (${list.join(',')})`);
  return unique;
}
