import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable } from '../hostProcess';

describe('findExecutable looks a program up the way execvp does', () => {
  let root: string;
  const dir = (name: string): string => path.join(root, name);

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-find-'));
    for (const d of ['plain', 'subdir', 'bin', 'later']) fs.mkdirSync(dir(d));
    fs.writeFileSync(path.join(dir('plain'), 'tool'), 'not executable', { mode: 0o644 });
    fs.mkdirSync(path.join(dir('subdir'), 'tool'));
    fs.writeFileSync(dir('notadir'), '');
    fs.writeFileSync(path.join(dir('bin'), 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir('later'), 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('skips missing entries, a non-executable file, a directory and a PATH entry that is a file', () => {
    const pathVar = ['missing', 'plain', 'subdir', 'notadir', 'bin', 'later'].map(dir).join(':');
    expect(findExecutable('tool', pathVar, root)).toBe(path.join(dir('bin'), 'tool'));
  });

  test('empty PATH entries are ignored', () => {
    expect(findExecutable('tool', `::${dir('later')}:`, root)).toBe(path.join(dir('later'), 'tool'));
  });

  test('null when no directory holds an executable file of that name', () => {
    expect(findExecutable('tool', ['missing', 'plain', 'subdir'].map(dir).join(':'), root)).toBeNull();
  });

  test('a name with a slash is resolved against cwd, not PATH', () => {
    expect(findExecutable('./bin/tool', dir('later'), root)).toBe(path.join(dir('bin'), 'tool'));
    expect(findExecutable('./plain/tool', dir('later'), root)).toBeNull();
  });
});
