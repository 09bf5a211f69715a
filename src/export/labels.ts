import { assertNumberInRange } from '../validation';

/** Label value for runs whose details name no backend. */
export const UNKNOWN_BACKEND = 'unknown';
/** Label value every backend past the limit folds into. */
export const OTHER_BACKEND = 'other';
/** @see BackendLabels */
export const DEFAULT_MAX_BACKENDS = 20;
/** @see sanitizeLabelValue */
export const DEFAULT_MAX_LABEL_LENGTH = 64;

// Line feed is kept: the exposition format escapes it (`\n`). Every other control character and
// lone surrogates (which no UTF-8 encoder can write) become U+FFFD.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A label value both exporters can carry: a string of at most `maxLength` UTF-16 units (cut
 * values end in `…`), without control characters other than line feed. Quotes, backslashes and
 * line feeds are left for the exposition writer to escape, so the value Prometheus stores is
 * the name the caller gave, as far as it fits.
 */
export function sanitizeLabelValue(value: unknown, maxLength = DEFAULT_MAX_LABEL_LENGTH): string {
  let text = typeof value === 'string' ? value : String(value);
  if (text.length === 0) return UNKNOWN_BACKEND;
  text = text.replace(UNSAFE, '\uFFFD');
  if (text.length > maxLength) {
    let cut = maxLength - 1;
    // Never split a surrogate pair.
    if (/[\ud800-\udbff]/.test(text.charAt(cut - 1))) cut--;
    text = `${text.slice(0, cut)}…`;
  }
  return text;
}

export interface BackendLabelOptions {
  /**
   * Distinct backend label values kept; later ones fold into `other`. `unknown` and `other`
   * do not count against it.
   * @default 20
   */
  maxBackends?: number;
  /** @default 64 */
  maxLabelLength?: number;
}

/**
 * Maps `details.backend` to a bounded set of label values: the first `maxBackends` distinct
 * (sanitised) names are kept as they are, first come first served; every later one becomes
 * `other`. A process that sees 10 000 backend names therefore exports at most
 * `maxBackends + 2` values (with `unknown` and `other`).
 *
 * The lookup on the recording path is one Map hit for a name seen before.
 */
export class BackendLabels {
  readonly maxBackends: number;
  readonly maxLabelLength: number;
  /** Raw name → label, for admitted names only (so it is bounded too). */
  private readonly known = new Map<string, string>();
  private readonly admitted = new Set<string>();
  private folded = 0;

  constructor(options: BackendLabelOptions = {}) {
    const { maxBackends = DEFAULT_MAX_BACKENDS, maxLabelLength = DEFAULT_MAX_LABEL_LENGTH } = options;
    assertNumberInRange('maxBackends', maxBackends, 0, 10_000, true);
    assertNumberInRange('maxLabelLength', maxLabelLength, 8, 1024, true);
    this.maxBackends = maxBackends;
    this.maxLabelLength = maxLabelLength;
  }

  /** The label for a backend name (`unknown` for undefined/empty, `other` past the limit). */
  label(backend: string | undefined): string {
    if (backend === undefined) return UNKNOWN_BACKEND;
    const hit = this.known.get(backend);
    if (hit !== undefined) return hit;
    return this.admit(backend);
  }

  /** Distinct names that were folded into `other` so far (names seen again are counted again). */
  get foldedCount(): number {
    return this.folded;
  }

  private admit(backend: string): string {
    const label = sanitizeLabelValue(backend, this.maxLabelLength);
    if (label === UNKNOWN_BACKEND || label === OTHER_BACKEND || this.admitted.has(label)) {
      // Different raw names can share a label (cut at the same prefix); cache them while bounded.
      if (this.known.size < 4 * this.maxBackends) this.known.set(backend, label);
      return label;
    }
    if (this.admitted.size >= this.maxBackends) {
      this.folded++;
      return OTHER_BACKEND;
    }
    this.admitted.add(label);
    this.known.set(backend, label);
    return label;
  }
}
