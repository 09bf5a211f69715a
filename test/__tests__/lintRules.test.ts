import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Linter, type Rule } from 'eslint';
import tseslint from 'typescript-eslint';
import { REPO_ROOT } from '../support/spawnTs';

/* The project's own lint rules (eslint-rules/house.cjs) and where eslint.config.mjs applies them. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS plugin that eslint.config.mjs imports too
const house = require('../../eslint-rules/house.cjs') as { rules: Record<string, Rule.RuleModule> };

const linter = new Linter({ configType: 'flat', cwd: REPO_ROOT });
const config: Linter.Config[] = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { house },
    rules: { 'house/layer-order': 'error', 'house/long-test-reason': ['error', { max: 300 }] },
  },
];

/** The rule ids and messages for `code` as if it were the file at `file` (relative to the repository). */
function lint(file: string, code: string): string[] {
  return linter.verify(code, config, { filename: path.join(REPO_ROOT, file) }).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('house/layer-order', () => {
  test('an import up the layers fails, naming both files and the order', () => {
    expect(lint('src/stats/newStat.ts', "import { main } from '../cli/main';\n")).toEqual([
      expect.stringMatching(
        /^house\/layer-order: cli is above stats in the layer order: src\/stats\/newStat\.ts must not import src\/cli\/main\.ts \(order: cli → export → canary → state → compare → calibrate → runners → machine → sandbox → stats → validation\)\.$/,
      ),
    ]);
    expect(lint('src/runners/host/none2.ts', "import type { CompareOptions } from '../../compare/compareBackends';\n")).toHaveLength(1);
    expect(lint('src/state/x.ts', "export { canaryRatio } from '../canary/canaryRound';\n")).toHaveLength(1);
    expect(lint('src/state/x.ts', "import type Round = require('../canary/canaryRound');\n")).toHaveLength(1);
  });

  test('imports down the layers, within a layer and from the entry point pass', () => {
    expect(lint('src/stats/newStat.ts', "import { assertFiniteNumber } from '../validation';\n")).toEqual([]);
    expect(
      lint(
        'src/runners/host/none2.ts',
        "import { BACKENDS } from '../backends';\nimport { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';\n",
      ),
    ).toEqual([]);
    expect(lint('src/index.ts', "export { main } from './cli/main';\n")).toEqual([]);
  });

  test("the monitor's default sink is the one arrow up, from that file only", () => {
    expect(lint('src/sandbox/SandboxPerfMonitor.ts', "import { StateDatabase } from '../state/StateDatabase';\n")).toEqual([]);
    expect(lint('src/sandbox/ActiveRuns.ts', "import { StateDatabase } from '../state/StateDatabase';\n")).toHaveLength(1);
  });

  test('a folder in no layer must be placed', () => {
    expect(lint('src/plugins/x.ts', "import { summarize } from '../stats/descriptive';\n")).toEqual([
      'house/layer-order: src/plugins is in no layer: add it to LAYERS in eslint-rules/house.cjs where its imports put it.',
    ]);
  });

  test('tests may import across layers', () => {
    expect(lint('src/stats/__tests__/x.test.ts', "import { main } from '../../cli/main';\n")).toEqual([]);
  });
});

describe('house/long-test-reason', () => {
  const body = (lines: number): string => 'test.todo("x");\n'.repeat(lines);

  test('a test file over 300 lines (as wc -l counts) without a reason at its top fails', () => {
    expect(lint('src/stats/__tests__/x.test.ts', body(300))).toEqual([]);
    expect(lint('src/stats/__tests__/x.test.ts', body(301))).toEqual([
      'house/long-test-reason: This test file has 301 lines, over 300: split it, or say why at its top ("// Over 300 lines on purpose: …").',
    ]);
    // A reason further down does not count.
    expect(lint('src/stats/__tests__/x.test.ts', `${body(300)}// Over 300 lines on purpose: late\n`)).toHaveLength(1);
  });

  test('with "Over 300 lines on purpose: …" at its top it passes', () => {
    expect(lint('src/stats/__tests__/x.test.ts', `// [TAG]\n// Over 300 lines on purpose: one contract.\n${body(400)}`)).toEqual([]);
  });
});

describe('eslint.config.mjs', () => {
  const FILES = [
    'src/runners/pool/SandboxPool.ts',
    'src/sandbox/__tests__/SandboxPerfMonitor.test.ts',
    'test/__tests__/prometheusOps.test.ts',
  ];
  let configs: Record<string, { rules: Record<string, unknown> }> | undefined;
  // In a child: the config is an ES module, which Jest's CommonJS runtime cannot import. One child
  // for every file, as `eslint --print-config` computes each (calculateConfigForFile): ESLint and
  // its plugins take about a second of CPU to load.
  const rulesFor = (file: string): Record<string, unknown> => {
    configs ??= JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { ESLint } from 'eslint';
          const eslint = new ESLint();
          const configs = {};
          for (const file of process.argv.slice(1)) configs[file] = await eslint.calculateConfigForFile(file);
          console.log(JSON.stringify(configs));`,
          ...FILES,
        ],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      ),
    ) as Record<string, { rules: Record<string, unknown> }>;
    const config = configs[file];
    if (!config) throw new Error(`${file} is not in FILES`);
    return config.rules;
  };

  test('source files under src/: at most 300 lines as wc -l counts them, imports in layer order', () => {
    const rules = rulesFor('src/runners/pool/SandboxPool.ts');
    expect(rules['max-lines']).toEqual([2, { max: 300, skipBlankLines: false, skipComments: false }]);
    expect(rules['house/layer-order']).toEqual([2]);
  });

  test('test files: no max-lines, the reason rule instead', () => {
    for (const file of ['src/sandbox/__tests__/SandboxPerfMonitor.test.ts', 'test/__tests__/prometheusOps.test.ts']) {
      const rules = rulesFor(file);
      expect(rules['max-lines']).toBeUndefined();
      expect(rules['house/long-test-reason']).toEqual([2, { max: 300 }]);
    }
  });
});
