/** Edit distance (insertions, deletions, substitutions; each costs 1) between two strings. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The candidate closest to `word`: case-insensitively equal, a prefix either way (`alertThreshold`
 * → `alertThresholdMs`), else the smallest edit distance (to the key or to its start of the same
 * length) if it is at most a third of the word (at least 2). Undefined when nothing is that close.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const prefix = candidates.find((c) => lower.length >= 3 && (c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase())));
  if (prefix !== undefined) return prefix;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const candidate = c.toLowerCase();
    // Against the whole key and against its start: `tiemout` is a typo of `timeout`, the start of `timeoutMs`.
    const d = Math.min(levenshtein(lower, candidate), levenshtein(lower, candidate.slice(0, lower.length)));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
