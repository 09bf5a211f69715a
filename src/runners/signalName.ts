import { constants } from 'node:os';

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** A signal's name from its number, as a wait status or a report gives it (`11` → `SIGSEGV`); `SIG<N>` for one this system does not name. */
export function signalName(number: number): string {
  return SIGNAL_NAMES.get(number) ?? `SIG${number}`;
}
