/**
 * The pairs behind a block of intervals, for its header and lines: `rounds` is "N paired round(s)"
 * when every backend has N, else "up to N" (the most); `own` is what a backend with fewer adds to
 * its line, nothing when the header's number is its own.
 */
export function pairCounts(counts: readonly number[]): { most: number; rounds: string; own: (pairs: number) => string } {
  const most = Math.max(0, ...counts);
  const same = counts.every((n) => n === most);
  return {
    most,
    rounds: `${same ? '' : 'up to '}${most} paired round(s)`,
    own: (pairs) => (same || pairs === most ? '' : ` (${pairs} paired round(s))`),
  };
}
