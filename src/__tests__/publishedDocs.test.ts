/*
 * What a user's editor shows: every function and class the package exports carries its TSDoc in the
 * published declarations (dist/index.d.ts and what it re-exports; `npm test` builds dist/ first).
 * A doc comment above the wrong declaration (as runInSandbox's and compareBackends' once were)
 * reaches nobody.
 */
import path from 'node:path';
import ts from 'typescript';

const entry = path.resolve(__dirname, '../../dist/index.d.ts');

let built: Map<string, string> | undefined;

/** Built once for both tests: a program over the declarations costs seconds of type checking. */
function exportedDocs(): Map<string, string> {
  if (built) return built;
  const program = ts.createProgram([entry], { strict: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`${entry} is missing (run: npm run build)`);
  const moduleSymbol = checker.getSymbolAtLocation(source) as ts.Symbol;
  const docs = new Map<string, string>();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if ((symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) === 0) continue;
    docs.set(exported.name, ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim());
  }
  built = docs;
  return docs;
}

test('every exported function and class of the package is documented in its .d.ts', () => {
  const docs = exportedDocs();
  expect(docs.size).toBeGreaterThan(50);
  expect([...docs].filter(([, doc]) => doc === '').map(([name]) => name)).toEqual([]);
});

test("the two main functions carry their own documentation, not a neighbour's", () => {
  const docs = exportedDocs();
  expect(docs.get('runInSandbox')).toMatch(/^Runs `command` in a sandbox and records it through the monitor/);
  expect(docs.get('compareBackends')).toMatch(/^Runs the command on every backend, interleaved/);
});
