// Runs the README's code as a user would paste it, in a project that installed the packed tarball
// (.ci/consumer-test.sh calls it there), and checks every output block against a real run.
//
//   node scripts/readme-check.mjs README.md PROJECT_DIR [--list]
//
// What counts as runnable (the info string's first word):
// - `js`: CommonJS when it calls require(), ESM when it has an import statement (written to .cjs or .mjs);
// - `mjs` / `cjs`: as said; `ts`: type-checked (strict, skipLibCheck off) against the installed types;
// - `sh`: each `sandbox-perf …` / `npx sandbox-perf …` line is run (npm install/start/test lines are
//   what the harness and CI do anyway);
// - a `text` block whose first line is `$ sandbox-perf …` or `$ npm start` is run too (npm start is the
//   `demo` subcommand in a clone), and the block is its expected output.
// A `text` block right after a runnable block (only a short paragraph between them) is that block's
// output. Its labels (keys such as `durationMs:`, phase names before a figure, words that open a line)
// must all appear in the real output: numbers differ from run to run, names must not.
// `<!-- readme-check: skip REASON -->` on the line before a block leaves it out, with the reason printed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const [readme, project, flag] = process.argv.slice(2);
if (!readme || !project) {
  console.error('usage: node scripts/readme-check.mjs README.md PROJECT_DIR [--list]');
  process.exit(2);
}

/** Fenced blocks with their language, first line number, the text before them and a skip reason. */
function blocks(markdown) {
  const lines = markdown.split('\n');
  const found = [];
  let prose = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) {
      prose.push(lines[i]);
      continue;
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    const before = prose.join('\n').trimEnd();
    const skip = /<!-- readme-check: skip (.+?) -->$/.exec(before)?.[1] ?? null;
    found.push({ lang: open[1], line: start, text: lines.slice(start, end).join('\n'), before, skip });
    prose = [];
    i = end;
  }
  return found;
}

/** The labels of an output block: what must reappear in a real run whatever its figures. */
function labels(expected) {
  const found = new Set();
  for (const line of expected.split('\n')) {
    if (line.startsWith('$ ') || line.trim() === '…') continue;
    for (const m of line.matchAll(/([A-Za-z][A-Za-z0-9_-]*):(?=\s|$)/g)) found.add(m[1]);
    // A phase or field before its figure: `spawn 16.09 ms`, `command 1.997 s`.
    for (const m of line.matchAll(/(?:^|[\s,{(])([A-Za-z][A-Za-z-]*) [−+-]?\d[\d.]* (?:ms|s)\b/g)) found.add(m[1]);
    const lead = /^\s*([A-Z][A-Za-z]+)\b/.exec(line);
    if (lead) found.add(lead[1]);
  }
  return [...found];
}

function missingLabels(expected, actual) {
  return labels(expected).filter(
    (label) => !new RegExp(`(^|[^A-Za-z0-9_-])${label.replace(/[-]/g, '\\-')}([^A-Za-z0-9_-]|$)`).test(actual),
  );
}

// The history beside the project, not in it: the working directory is what the sandboxes may write.
const env = {
  ...process.env,
  NO_COLOR: '1',
  SANDBOX_PERF_DB: path.join(path.dirname(path.resolve(project)), 'readme-history', 'state.db'),
};

function runNode(file) {
  const r = spawnSync(process.execPath, [file], { cwd: project, env, encoding: 'utf8', timeout: 300_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

function runCommand(line) {
  const words = line.replace(/^npx (--no-install )?/, '').trim();
  const argv = words === 'npm start' ? ['sandbox-perf', 'demo'] : splitWords(words);
  const r = spawnSync('npx', ['--no-install', ...argv], { cwd: project, env, encoding: 'utf8', timeout: 600_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** Shell-like words: single and double quotes group, nothing else is interpreted. */
function splitWords(text) {
  const words = [];
  for (const m of text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

const all = blocks(fs.readFileSync(readme, 'utf8'));
let failures = 0;
let checked = 0;
const report = (ok, what, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `\n     ${detail.replace(/\n/g, '\n     ')}` : ''}`);
  if (!ok) failures++;
  checked++;
};

for (const [index, block] of all.entries()) {
  const where = `README.md:${block.line} (${block.lang || 'no language'})`;
  if (block.skip) {
    console.log(`skip ${where}: ${block.skip}`);
    continue;
  }
  const next = all[index + 1];
  // An output block follows at once, or after one short paragraph such as "Real output:".
  const output =
    next && next.lang === 'text' && !next.text.startsWith('$ ') && next.before.split('\n').filter((l) => l.trim()).length <= 2
      ? next
      : null;
  let result = null;
  if (['js', 'cjs', 'mjs'].includes(block.lang)) {
    const esm = block.lang === 'mjs' || (block.lang === 'js' && /^import\s/m.test(block.text));
    const file = path.join(project, `readme-${block.line}.${esm ? 'mjs' : 'cjs'}`);
    fs.writeFileSync(file, `${block.text}\n`);
    result = runNode(file);
    report(
      result.ok,
      `${where} runs as ${esm ? 'ESM' : 'CommonJS'}`,
      result.ok ? '' : result.output.trim().split('\n').slice(-8).join('\n'),
    );
  } else if (block.lang === 'ts') {
    const file = path.join(project, `readme-${block.line}.ts`);
    fs.writeFileSync(file, `${block.text}\nexport {};\n`);
    const args = [
      '--no-install',
      'tsc',
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      file,
    ];
    const r = spawnSync('npx', args, { cwd: project, encoding: 'utf8' });
    report(r.status === 0, `${where} type-checks (nodenext, strict, skipLibCheck off)`, r.status === 0 ? '' : `${r.stdout}${r.stderr}`);
  } else if (block.lang === 'sh') {
    for (const line of block.text.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim())) {
      if (!/^(npx )?sandbox-perf\s/.test(line)) continue;
      result = runCommand(line);
      report(result.ok, `${where}: ${line}`, result.ok ? '' : result.output.trim().split('\n').slice(-8).join('\n'));
    }
  } else if (block.lang === 'text' && /^\$ (npx )?(sandbox-perf\s|npm start$)/.test(block.text.split('\n')[0])) {
    const command = block.text.split('\n')[0].slice(2);
    const r = runCommand(command);
    const missing = missingLabels(block.text, r.output);
    report(
      r.ok && missing.length === 0,
      `${where}: \`${command}\` prints every label the block shows`,
      [
        r.ok ? '' : `exit non-zero:\n${r.output.trim().split('\n').slice(-8).join('\n')}`,
        missing.length ? `labels missing from the real output: ${missing.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    continue;
  }
  if (output && result) {
    const missing = missingLabels(output.text, result.output);
    report(
      missing.length === 0,
      `README.md:${output.line} (output of ${block.line}) shows only labels a real run prints`,
      missing.length ? `missing: ${missing.join(', ')}` : '',
    );
  }
  if (flag === '--list' && result) console.log(result.output);
}
console.log(`readme-check: ${checked} check(s), ${failures} failed`);
if (failures > 0) process.exit(1);
