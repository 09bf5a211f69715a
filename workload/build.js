#!/usr/bin/env node
'use strict';
/*
 * A build-like sample workload: reads every file under a source tree (as a compiler or bundler
 * does), hashes each, then runs a short compute step, and prints one summary line.
 * `node workload/build.js --generate DIR` writes the tree first (2 000 small files, deterministic).
 */
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const FILES = 2000;
const PER_DIR = 100;

function generate(dir) {
  for (let i = 0; i < FILES; i++) {
    const sub = path.join(dir, `mod${String(Math.floor(i / PER_DIR)).padStart(2, '0')}`);
    if (i % PER_DIR === 0) fs.mkdirSync(sub, { recursive: true });
    const body = `export const value${i} = ${i};\n`.repeat(20 + (i % 40));
    fs.writeFileSync(path.join(sub, `file${i}.js`), body);
  }
}

function walk(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

const args = process.argv.slice(2);
if (args[0] === '--generate') {
  if (!args[1]) throw new Error('usage: node workload/build.js --generate DIR');
  generate(args[1]);
  process.exit(0);
}
const root = args[0];
if (!root) {
  process.stderr.write('usage: node workload/build.js DIR (create DIR with --generate DIR)\n');
  process.exit(2);
}
const hash = crypto.createHash('sha256');
let bytes = 0;
const files = walk(root, []).sort();
for (const file of files) {
  const data = fs.readFileSync(file);
  bytes += data.length;
  hash.update(data);
}
// The compute step: a deterministic ~20 ms of integer work, like a type checker's inner loops.
let acc = 0;
for (let i = 0; i < 6e6; i++) acc = (acc * 31 + i) % 1000003;
process.stdout.write(`built ${files.length} files, ${bytes} bytes, digest ${hash.digest('hex').slice(0, 12)}, check ${acc}\n`);
