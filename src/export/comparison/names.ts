import type { ComparisonResult } from '../../compare/compareBackends';
import { shellQuote } from '../../shellQuote';

/** What hyperfine's `command` field holds: the comparison's name, else its argv as a shell would quote it. */
export function comparisonName(result: ComparisonResult): string {
  return result.name ?? shellQuote(result.command);
}

/**
 * The names to show for several comparisons, told apart: one `-n NAME` given to every value of a
 * parameter names them all alike, so a name shared by several comparisons shows their parameters
 * (`build (size = 4)`), as hyperfine shows the parameters a name does not mention.
 */
export function shownNames(results: readonly ComparisonResult[]): string[] {
  const names = results.map(comparisonName);
  return names.map((name, i) => {
    const parameters = Object.entries(results[i]?.parameters ?? {});
    const shared = names.filter((n) => n === name).length > 1;
    return shared && parameters.length > 0 ? `${name} (${parameters.map(([k, v]) => `${k} = ${v}`).join(', ')})` : name;
  });
}

/** One comparison or several, as a list (the exporters take either: several when the call had several workloads). */
export function comparisonList(comparisons: ComparisonResult | readonly ComparisonResult[]): readonly ComparisonResult[] {
  return 'backends' in comparisons ? [comparisons] : comparisons;
}
