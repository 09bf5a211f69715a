'use strict';
/*
 * Jest's own runner (jest.config.js: runner), with one rule added: a test file whose docblock holds
 * `@exclusive` runs after all the others, in band, with no other file beside it. The other files run
 * in parallel workers.
 *
 * Such a file asserts what one sweep of the machine's shared state finds and removes (containers,
 * cgroup groups of dead runners): any file running beside it that prepares a Docker or host backend
 * sweeps the same state and could take those orphans first. The reason follows the pragma in each
 * file.
 */
const fs = require('node:fs');
const { extract, parse } = require('jest-docblock');
const TestRunner = require('jest-runner').default;

function exclusive(test) {
  return Object.hasOwn(parse(extract(fs.readFileSync(test.path, 'utf8'))), 'exclusive');
}

class Runner extends TestRunner {
  async runTests(tests, watcher, options) {
    const alone = tests.filter(exclusive);
    const shared = tests.filter((test) => !alone.includes(test));
    if (shared.length > 0) await super.runTests(shared, watcher, options);
    if (alone.length > 0 && !watcher.isInterrupted()) await super.runTests(alone, watcher, { ...options, serial: true });
  }
}

module.exports = Runner;
