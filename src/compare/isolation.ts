/**
 * A backend's whole cost of isolation in a comparison (stats/isolationCost.ts), paired by round
 * against `none`'s command times. `none` is the reference whatever the comparison's baseline: the
 * cost inside the command is the command's time under isolation minus its time without any.
 */
import { BASELINE_BACKEND } from '../sandbox/types';
import { pairedIsolationCost, type IsolationCost } from '../stats/isolationCost';
import type { BackendRounds } from './summarizeBackends';

export function isolationOf(rounds: BackendRounds, all: readonly BackendRounds[]): IsolationCost | null {
  const none = all.find((r) => r.backend === BASELINE_BACKEND);
  if (!none?.commandMs || !rounds.commandMs) return null;
  return pairedIsolationCost(rounds.roundsMs, rounds.commandMs, none.commandMs);
}
