/**
 * Order statistics of numbers that are not stored anywhere: a scan visits them, as often as the
 * selection needs, and nothing proportional to their count is allocated (issue 23: the
 * change-point detector's copies of a 31-million-value series took 2.36 GB). Radix selection on
 * the 64 bits of each double, 16 at a time, in the order-preserving key (sign bit flipped for
 * positives, every bit flipped for negatives): two passes narrow the values down to those sharing
 * the k-th one's first 32 bits, and a third gathers them (when at most 65 536) for quickselect, or
 * two more passes finish the digits; one more scan finds the lower middle of an even count. −0
 * counts as +0; NaN is not expected.
 */

import { selectInPlace } from './select';

const DIGITS = 1 << 16;
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Where the low and high 32 bits of a double sit in memory: little-endian hosts keep the low word first. */
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** Calls `visit` once per value, in any order; the same values every time. */
export type Scan = (visit: (value: number) => void) => void;

/** The high word of `value`'s order-preserving key (−0 as +0); `lowKey` then gives the low word. */
function highKey(value: number): number {
  bits[0] = value === 0 ? 0 : value;
  const hi = words[HI] as number;
  return hi >>> 31 === 1 ? ~hi >>> 0 : (hi | 0x80000000) >>> 0;
}

/** The low word of the key of the value `highKey` was last called with. */
function lowKey(): number {
  const lo = words[LO] as number;
  return (words[HI] as number) >>> 31 === 1 ? ~lo >>> 0 : lo;
}

/** (a + b) / 2, also when a + b overflows (two middle values near ±1.8e308); the same bits otherwise. */
function midpoint(a: number, b: number): number {
  const sum = a + b;
  return Number.isFinite(sum) ? sum / 2 : a / 2 + b / 2;
}

/** The double whose key is (hi, lo). */
function valueOf(hi: number, lo: number): number {
  if (hi >>> 31 === 1) {
    words[HI] = (hi & 0x7fffffff) >>> 0;
    words[LO] = lo;
  } else {
    words[HI] = ~hi >>> 0;
    words[LO] = ~lo >>> 0;
  }
  return bits[0] as number;
}

/** Shared between calls (selection is synchronous and never nested): no 256 KiB allocation per median. */
const counts = new Uint32Array(DIGITS);
/** A bucket this small after the first 32 bits is gathered and finished by quickselect (one scan instead of two). */
const GATHER_LIMIT = 1 << 16;
let gathered = new Float64Array(0);

/** The digit holding rank `state.rank` in `counts`; moves the ranks of the smaller digits into `state.below`. */
function pick(state: { rank: number; below: number }): number {
  for (let d = 0; d < DIGITS; d++) {
    const c = counts[d] as number;
    if (state.rank < c) return d;
    state.rank -= c;
    state.below += c;
  }
  throw new RangeError('the scan visited fewer values than its count');
}

/**
 * The `k`-th smallest (0-based) of the `count` values `scan` visits, exactly. Throws a RangeError
 * for a k outside [0, count). Three or four scans.
 */
export function kthOfScan(count: number, k: number, scan: Scan): number {
  return select(count, k, scan).value;
}

/** The k-th smallest and how many values are strictly smaller. */
function select(count: number, k: number, scan: Scan): { value: number; below: number } {
  if (!(Number.isInteger(k) && k >= 0 && k < count)) throw new RangeError(`k = ${k} is outside 0 … ${count - 1}`);
  const state = { rank: k, below: 0 };
  counts.fill(0);
  scan((value) => {
    const d = highKey(value) >>> 16;
    counts[d] = (counts[d] as number) + 1;
  });
  const d0 = pick(state);
  counts.fill(0);
  scan((value) => {
    const hi = highKey(value);
    if (hi >>> 16 === d0) counts[hi & 0xffff] = (counts[hi & 0xffff] as number) + 1;
  });
  const d1 = pick(state);
  const high = ((d0 << 16) | d1) >>> 0;
  const bucket = counts[d1] as number;
  if (bucket <= GATHER_LIMIT) {
    if (gathered.length < bucket) gathered = new Float64Array(Math.max(bucket, 1024));
    let j = 0;
    scan((value) => {
      if (highKey(value) === high) gathered[j++] = value === 0 ? 0 : value;
    });
    const values = gathered.subarray(0, bucket);
    const value = selectInPlace(values, state.rank);
    let smaller = 0;
    for (let i = 0; i < bucket; i++) if ((values[i] as number) < value) smaller++;
    return { value, below: state.below + smaller };
  }
  counts.fill(0);
  scan((value) => {
    if (highKey(value) !== high) return;
    const d = lowKey() >>> 16;
    counts[d] = (counts[d] as number) + 1;
  });
  const d2 = pick(state);
  counts.fill(0);
  scan((value) => {
    if (highKey(value) !== high) return;
    const lo = lowKey();
    if (lo >>> 16 === d2) counts[lo & 0xffff] = (counts[lo & 0xffff] as number) + 1;
  });
  const d3 = pick(state);
  return { value: valueOf(high, ((d2 << 16) | d3) >>> 0), below: state.below };
}

/**
 * The median of the `count` values `scan` visits: the middle one, or the mean of the two middle
 * ones (the project's rule, as medianOfSorted). Five scans for an even count, four for an odd one.
 */
export function medianOfScan(count: number, scan: Scan): number {
  const middle = count >> 1;
  if (count <= GATHER_LIMIT) {
    // Few enough to hold in the shared buffer: one scan, then quickselect (as medianOfSorted would answer).
    if (gathered.length < count) gathered = new Float64Array(Math.max(count, 1024));
    let j = 0;
    scan((value) => (gathered[j++] = value === 0 ? 0 : value));
    const values = gathered.subarray(0, count);
    const upper = selectInPlace(values, middle);
    if (count % 2 === 1) return upper;
    // After selection everything before the middle is <= the upper middle: the lower middle is their maximum.
    let lower = -Infinity;
    for (let i = 0; i < middle; i++) lower = Math.max(lower, values[i] as number);
    return midpoint(lower, upper);
  }
  const { value: upper, below } = select(count, middle, scan);
  if (count % 2 === 1) return upper;
  // The lower middle: the upper one again when it repeats below the middle, else the largest value under it.
  if (below < middle) return upper;
  let lower = -Infinity;
  scan((value) => {
    if (value < upper && value > lower) lower = value;
  });
  return midpoint(lower, upper);
}

/** The median of `values[from..to)` without copying them. */
export function medianOfRange(values: ArrayLike<number>, from: number, to: number): number {
  return medianOfScan(to - from, (visit) => {
    for (let i = from; i < to; i++) visit(values[i] as number);
  });
}
