/**
 * Longest test files first, on a clean clone too. Jest orders files by their times of earlier runs
 * (its cache) and, with none, by file size, so a CI run on a fresh clone started some of the
 * longest files last and one worker idled while the other finished them (a 56 s file started at
 * minute 13). Without a cached time, a file's time comes from file-times.json (milliseconds, one
 * clean-clone run); a file missing there goes first, as jest puts files it has no time for.
 * Refresh the table from a run: `npx jest --json --outputFile=/tmp/jest.json`, then
 * `node __tests__/support/sequencer.js /tmp/jest.json`.
 */
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = join(__dirname, '..', '..');
const TABLE = join(__dirname, 'file-times.json');

class LongestFirst extends Sequencer {
  time(test) {
    const cached = super.time(test);
    if (cached != null) return cached;
    return this.table()[relative(ROOT, test.path).split('\\').join('/')];
  }

  table() {
    return (this.times ??= JSON.parse(readFileSync(TABLE, 'utf8')));
  }
}

/** Write file-times.json from `jest --json` output: each file's run time in ms, longest first. */
function writeTable(jestJson) {
  const results = JSON.parse(readFileSync(jestJson, 'utf8')).testResults;
  const rows = results.map((r) => [relative(ROOT, r.name).split('\\').join('/'), Math.round(r.endTime - r.startTime)]);
  rows.sort((a, b) => b[1] - a[1]);
  writeFileSync(TABLE, JSON.stringify(Object.fromEntries(rows), null, 1) + '\n');
  process.stdout.write(`wrote ${TABLE} (${rows.length} files)\n`);
}

if (require.main === module) writeTable(process.argv[2]);
module.exports = LongestFirst;
