#!/usr/bin/env node
// Prepares the real builds docs/large-projects.md measures, each at several sizes, in DIR (made
// world-readable and -writable: the sandboxes run as nobody). Nothing here was written by this
// project except the glue; the code built and installed comes from the npm packages in node_modules
// and the local npm cache:
//   tsc/  the TypeScript compiler (node_modules/typescript) over the @jridgewell source-map packages'
//         own sources (gen-mapping, remapping, sourcemap-codec, trace-mapping: 23 .ts files, 2 850
//         lines), SIZE copies of them in one program: tsconfig.SIZE.json
//   c/    Google's cpu_features (shipped in node_modules/cpu-features/deps) built with gcc and make,
//         SIZE copies of the library and its list_cpu_features tool: Makefile.SIZE, 18 compiler
//         calls, one ar and one link per copy (the flags CMakeLists.txt gives on Linux)
//   npm/  `npm ci --offline` from the local npm cache's entries for its packages, of this project's real lockfile cut
//         to the closure of a few of its top-level dependencies: npm/SIZE/ holds a lockfile of SIZE packages
// Each build's entry in the JSON printed: the command ({size} to replace), the directory to run it
// in (relative to DIR) and the clean-up before each run there (compare's --prepare hook).
// usage: node scripts/large-builds/prepare.js DIR [tsc,c,npm] [--copies 1,2,4,8] [--npm-sets 4]
// prints the commands to run (relative to DIR) as JSON on stdout, and writes them to DIR/builds.json.
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const ROOT = path.resolve(__dirname, '../..');
const MODULES = path.join(ROOT, 'node_modules');
const REGISTRY = 'https://registry.npmjs.org';
const args = process.argv.slice(2);
const dir = path.resolve(args[0] ?? fail('usage: prepare.js DIR [tsc,c,npm] [--copies 1,2,4,8]'));
const only = (args[1] && !args[1].startsWith('--') ? args[1] : 'tsc,c,npm').split(',');
const copiesAt = args.indexOf('--copies');
const copies = (copiesAt >= 0 ? args[copiesAt + 1] : '1,2,4,8').split(',').map(Number);
const maxCopies = Math.max(...copies);
const setsAt = args.indexOf('--npm-sets');

function fail(message) {
  process.stderr.write(`prepare.js: ${message}\n`);
  process.exit(2);
}

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true, dereference: true });
}

/** The @jridgewell source-map packages (Babel's, Jest's and TypeScript tools' dependency), their own TypeScript sources. */
const JRIDGEWELL = ['gen-mapping', 'remapping', 'sourcemap-codec', 'trace-mapping'];

function tsc() {
  const base = path.join(dir, 'tsc');
  // The packages the sources import by name resolve to their published builds, as in their own repository's workspace.
  for (const pkg of ['typescript', '@types/node', ...[...JRIDGEWELL, 'resolve-uri'].map((p) => `@jridgewell/${p}`)]) {
    copy(path.join(MODULES, pkg), path.join(base, 'node_modules', pkg));
  }
  for (let i = 1; i <= maxCopies; i++) {
    for (const pkg of JRIDGEWELL) copy(path.join(MODULES, '@jridgewell', pkg, 'src'), path.join(base, `copy${i}`, pkg, 'src'));
  }
  for (const n of copies) {
    const config = {
      // The settings of the packages' own tsconfig: strict, ES2015 modules resolved as node, declarations and maps.
      compilerOptions: {
        strict: true,
        target: 'es2015',
        module: 'commonjs',
        moduleResolution: 'node',
        lib: ['es2019'],
        declaration: true,
        sourceMap: true,
        skipLibCheck: true,
        types: ['node'],
        rootDir: '.',
        outDir: `out${n}`,
      },
      include: Array.from({ length: n }, (_, i) => `copy${i + 1}/*/src/**/*.ts`),
    };
    fs.writeFileSync(path.join(base, `tsconfig.${n}.json`), `${JSON.stringify(config, null, 2)}\n`);
  }
  return { command: 'node node_modules/typescript/lib/tsc.js -p tsconfig.{size}.json', cwd: 'tsc', clean: 'rm -rf out{size}' };
}

const CPU_FEATURES = path.join(MODULES, 'cpu-features/deps/cpu_features');
const CFLAGS = '-O2 -DSTACK_LINE_READER_BUFFER_SIZE=1024 -DHAVE_DLFCN_H -DHAVE_STRONG_GETAUXVAL';

/** One copy's actions, in make's order: every source compiled, archived, the tool linked. */
function cActions(i) {
  const sources = fs
    .readdirSync(path.join(CPU_FEATURES, 'src'))
    .filter((f) => f.endsWith('.c'))
    .sort();
  const d = `copy${i}`;
  const rules = [];
  const objects = sources.map((f) => `${d}/obj/${f.replace(/\.c$/, '.o')}`);
  sources.forEach((f, k) =>
    rules.push({ target: objects[k], deps: [`${d}/src/${f}`], recipe: `gcc ${CFLAGS} -I${d}/include -c ${d}/src/${f} -o ${objects[k]}` }),
  );
  rules.push({
    target: `${d}/obj/list_cpu_features.o`,
    deps: [`${d}/src/utils/list_cpu_features.c`],
    recipe: `gcc ${CFLAGS} -I${d}/include -c ${d}/src/utils/list_cpu_features.c -o ${d}/obj/list_cpu_features.o`,
  });
  rules.push({ target: `${d}/obj/libcpu_features.a`, deps: objects, recipe: `ar rcs ${d}/obj/libcpu_features.a ${objects.join(' ')}` });
  rules.push({
    target: `${d}/obj/list_cpu_features`,
    deps: [`${d}/obj/list_cpu_features.o`, `${d}/obj/libcpu_features.a`],
    recipe: `gcc -o ${d}/obj/list_cpu_features ${d}/obj/list_cpu_features.o ${d}/obj/libcpu_features.a -ldl`,
  });
  return rules;
}

function c() {
  const base = path.join(dir, 'c');
  for (let i = 1; i <= maxCopies; i++) {
    copy(path.join(CPU_FEATURES, 'src'), path.join(base, `copy${i}`, 'src'));
    copy(path.join(CPU_FEATURES, 'include'), path.join(base, `copy${i}`, 'include'));
    fs.mkdirSync(path.join(base, `copy${i}`, 'obj'), { recursive: true });
  }
  for (const n of copies) {
    const rules = Array.from({ length: n }, (_, i) => cActions(i + 1)).flat();
    const tools = rules.filter((r) => r.target.endsWith('/list_cpu_features')).map((r) => r.target);
    const text = [`all: ${tools.join(' ')}`, '', ...rules.map((r) => `${r.target}: ${r.deps.join(' ')}\n\t${r.recipe}\n`)].join('\n');
    fs.writeFileSync(path.join(base, `Makefile.${n}`), `${text}\n`);
    // The same actions, one shell-free command per line, for the per-action runs (perAction.ts).
    fs.writeFileSync(path.join(base, `actions.${n}.txt`), `${rules.map((r) => r.recipe).join('\n')}\n`);
  }
  return { command: 'make -s -f Makefile.{size}', cwd: 'c', clean: 'rm -f copy*/obj/*' };
}

/** Top-level dependency sets, each a superset of the last, from this project's own package.json. */
const NPM_SETS = [
  ['prom-client'],
  ['prom-client', 'dockerode'],
  ['prom-client', 'dockerode', 'eslint'],
  ['prom-client', 'dockerode', 'eslint', 'jest'],
];

/**
 * The part of this project's real lockfile (package-lock.json, made by npm) that `set` needs: the
 * closure of its dependencies, each resolved as Node resolves it (the nearest node_modules up the
 * path), entries and their paths unchanged, so the tree npm ci lays out is the one npm resolved.
 */
function subsetLock(lock, set, deps) {
  const entries = lock.packages;
  const keep = new Set();
  const resolve = (from, name) => {
    for (let at = from; ; at = at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '') {
      const key = at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`;
      if (entries[key]) return key;
      if (at === '') return null;
    }
  };
  const visit = (key) => {
    if (keep.has(key)) return;
    keep.add(key);
    const entry = entries[key];
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) {
      const found = resolve(key, name);
      if (found) visit(found);
    }
  };
  for (const name of set) visit(resolve('', name) ?? fail(`${name} is not in package-lock.json`));
  const packages = { '': { name: 'large-builds-npm', version: '1.0.0', dependencies: deps } };
  for (const key of [...keep].sort()) {
    // Every kept package is now a dependency of the root: npm recomputes dev/optional from the tree.
    const entry = { ...entries[key] };
    for (const flag of ['dev', 'devOptional', 'peer']) delete entry[flag];
    packages[key] = entry;
  }
  return { name: 'large-builds-npm', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

/**
 * From the local npm cache (cacache's layout), the entries `npm ci --offline` reads for the packages
 * of `lock`, not the whole cache (144 MB here): the lockfile names no tarball URLs, so npm reads each
 * package's document (`REGISTRY/name`) and then its tarball (`REGISTRY/name/-/base-version.tgz`),
 * and pacote its own key for the tarball. Each is an index bucket, filed by the SHA-256 of the key,
 * whose lines name the content by its integrity digest.
 */
function copyCacheEntries(from, to, lock) {
  const filed = (hex) => [hex.slice(0, 2), hex.slice(2, 4), hex.slice(4)];
  const content = (sri) => {
    const [algorithm, digest] = sri.split(/-(.*)/s);
    return path.join('content-v2', algorithm, ...filed(Buffer.from(digest, 'base64').toString('hex')));
  };
  const files = new Set();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '') continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const keys = [
      `make-fetch-happen:request-cache:${REGISTRY}/${name.replace('/', '%2f')}`,
      `make-fetch-happen:request-cache:${REGISTRY}/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`,
      `pacote:tarball:${name}@${entry.version}`,
    ];
    for (const key of keys) {
      const bucket = path.join('index-v5', ...filed(createHash('sha256').update(key).digest('hex')));
      // Absent for a package npm skips here (fsevents, for macOS only); npm ci names any other it misses.
      if (!fs.existsSync(path.join(from, bucket))) continue;
      files.add(bucket);
      for (const line of fs.readFileSync(path.join(from, bucket), 'utf8').split('\n').filter(Boolean)) {
        const { integrity } = JSON.parse(line.slice(line.indexOf('\t') + 1));
        if (integrity) for (const sri of integrity.split(/\s+/)) files.add(content(sri));
      }
    }
  }
  for (const file of files) if (fs.existsSync(path.join(from, file))) copy(path.join(from, file), path.join(to, file));
  // Made here, so that the chmod below leaves it writable: npm run as root by one backend must not
  // create it 0755 before a backend that runs npm as nobody.
  fs.mkdirSync(path.join(to, 'tmp'), { recursive: true });
}

function npm() {
  const base = path.join(dir, 'npm');
  const cache = path.join(base, 'cache');
  const home = process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');
  const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const sizes = [];
  for (const set of NPM_SETS.slice(0, setsAt >= 0 ? Number(args[setsAt + 1]) : NPM_SETS.length)) {
    const deps = Object.fromEntries(set.map((name) => [name, own.dependencies?.[name] ?? own.devDependencies?.[name]]));
    const subset = subsetLock(lock, set, deps);
    const size = Object.keys(subset.packages).length - 1;
    const to = path.join(base, String(size));
    fs.mkdirSync(to, { recursive: true });
    fs.writeFileSync(
      path.join(to, 'package.json'),
      `${JSON.stringify({ name: 'large-builds-npm', version: '1.0.0', private: true, dependencies: deps }, null, 2)}\n`,
    );
    fs.writeFileSync(path.join(to, 'package-lock.json'), `${JSON.stringify(subset, null, 2)}\n`);
    copyCacheEntries(path.join(home, '_cacache'), path.join(cache, '_cacache'), subset);
    sizes.push(size);
  }
  return {
    command: 'npm ci --prefix {size} --offline --ignore-scripts --no-audit --no-fund --loglevel=error --cache cache',
    cwd: 'npm',
    clean: 'rm -rf {size}/node_modules',
    sizes,
  };
}

fs.mkdirSync(dir, { recursive: true });
const builds = {};
for (const name of only) {
  if (name === 'tsc') builds.tsc = { ...tsc(), sizes: copies };
  else if (name === 'c') builds.c = { ...c(), sizes: copies };
  else if (name === 'npm') builds.npm = npm();
  else fail(`expected tsc, c or npm, got ${JSON.stringify(name)}`);
}
// The sandboxes run as nobody (65534): everything readable and writable, every directory enterable.
execFileSync('chmod', ['-R', 'a+rwX', dir]);
for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
  if ((fs.statSync(d).mode & 0o001) === 0)
    fail(`${d} is not searchable by others (the sandbox's user cannot reach ${dir}): choose DIR under /tmp`);
}
fs.writeFileSync(path.join(dir, 'builds.json'), `${JSON.stringify(builds, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(builds, null, 2)}\n`);
