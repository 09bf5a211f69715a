'use strict';
/*
 * The project's own lint rules (eslint.config.mjs turns them on):
 * - house/layer-order: an import in src/ may point down the layers, never up;
 * - house/long-test-reason: a test file over 300 lines says why at its top.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');

/**
 * Top to bottom, as the code's imports run (CONTRIBUTING.md, "Layout"). A folder of src/ is its
 * layer; the files directly in src/ that every layer shares are the bottom one. src/index.ts, the
 * package's entry point, sits above them all.
 */
const LAYERS = [
  ['cli'],
  ['export'],
  ['canary'],
  ['state'],
  ['compare'],
  ['calibrate'],
  ['runners'],
  ['machine'],
  ['sandbox'],
  ['stats'],
  [
    'validation.ts',
    'nearest.ts',
    'log.ts',
    'printable.ts',
    'shellQuote.ts',
    'shellWords.ts',
    'version.ts',
    'startThread.ts',
    'nativeProgram.ts',
    'writable.ts',
    'signalDeath.ts',
    'pathReach.ts',
  ],
];

/** The arrows that run up, each with its reason. */
const EXCEPTIONS = [
  {
    from: 'src/sandbox/SandboxPerfMonitor.ts',
    to: 'src/state/StateDatabase.ts',
    why: "the specification's default sink: a monitor without one records into the process-wide StateDatabase",
  },
];

/** 'cli', 'validation.ts', … for a file under src/; 'index.ts' for the entry point. */
function layerName(file) {
  const [first] = path.relative(SRC, file).split(path.sep);
  return first;
}

/** 0 for the top layer, …; -1 for the entry point; undefined for a name in no layer. */
function rank(name) {
  if (name === 'index.ts') return -1;
  const index = LAYERS.findIndex((layer) => layer.includes(name));
  return index === -1 ? undefined : index;
}

function resolveImport(fromFile, spec) {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return `${base}.ts`;
}

const layerOrder = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Imports in src/ point down the layer order (cli → export → canary → state → compare → calibrate → runners → machine → sandbox → stats → shared files).',
    },
    schema: [],
    messages: {
      up: '{{from}} is above {{to}} in the layer order: {{fromFile}} must not import {{toFile}} (order: {{order}}).',
      unplaced: 'src/{{name}} is in no layer: add it to LAYERS in eslint-rules/house.cjs where its imports put it.',
    },
  },
  create(context) {
    const file = context.filename;
    if (!file.startsWith(SRC + path.sep) || file.split(path.sep).includes('__tests__')) return {};
    const fromName = layerName(file);
    const check = (node) => {
      // `import X = require('…')` keeps its path in moduleReference.
      const source = node.source || (node.moduleReference && node.moduleReference.expression);
      const spec = source && source.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = resolveImport(file, spec);
      if (!target.startsWith(SRC + path.sep)) return;
      const toName = layerName(target);
      if (toName === fromName) return;
      const from = rank(fromName);
      const to = rank(toName);
      if (from === undefined || to === undefined) {
        context.report({ node: source, messageId: 'unplaced', data: { name: from === undefined ? fromName : toName } });
        return;
      }
      if (from === -1 || from <= to) return;
      const fromFile = path.relative(ROOT, file);
      const toFile = path.relative(ROOT, target);
      if (EXCEPTIONS.some((e) => e.from === fromFile && e.to === toFile)) return;
      const order = LAYERS.map((layer) => layer[0].replace(/\.ts$/, '')).join(' → ');
      context.report({ node: source, messageId: 'up', data: { from: toName, to: fromName, fromFile, toFile, order } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, TSImportEqualsDeclaration: check };
  },
};

/** A comment at a test file's top that says why it is long: "Over 300 lines on purpose: …". */
const REASON = /over \d+ lines on purpose:/i;

const longTestReason = {
  meta: {
    type: 'suggestion',
    docs: { description: 'A test file over `max` lines (as wc -l counts) starts with a comment saying why.' },
    schema: [{ type: 'object', properties: { max: { type: 'integer', minimum: 1 } }, additionalProperties: false }],
    messages: {
      long: 'This test file has {{count}} lines, over {{max}}: split it, or say why at its top ("// Over {{max}} lines on purpose: …").',
    },
  },
  create(context) {
    const max = (context.options[0] && context.options[0].max) || 300;
    return {
      Program(program) {
        const { lines } = context.sourceCode;
        // As max-lines and wc -l count: the empty string after a final newline is not a line.
        const count = lines.length > 1 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
        if (count <= max) return;
        const firstStatement = program.body[0];
        const top = context.sourceCode.getAllComments().filter((c) => !firstStatement || c.range[1] <= firstStatement.range[0]);
        if (top.some((c) => REASON.test(c.value))) return;
        context.report({ loc: { line: 1, column: 0 }, messageId: 'long', data: { count, max } });
      },
    };
  },
};

module.exports = { LAYERS, EXCEPTIONS, rules: { 'layer-order': layerOrder, 'long-test-reason': longTestReason } };
