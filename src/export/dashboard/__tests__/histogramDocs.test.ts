import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { readDashboardSummary } from '../../../state/read/dashboardQueries';
import { RUN_DURATION_BUCKETS_MS } from '../../../stats/durationBuckets';

const ROOT = path.resolve(__dirname, '../../../..');

/** The bin edges a document gives for the dashboard's histogram: the `N ms` / `N s` list after "up to". */
function documentedEdgesMs(file: string, marker: RegExp): number[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\s+/g, ' ');
  const at = text.search(marker);
  expect(at).toBeGreaterThanOrEqual(0);
  const list = /up to ((?:[\d.]+ m?s, )+)and above/.exec(text.slice(at))?.[1] ?? '';
  return [...list.matchAll(/([\d.]+) (m?s),/g)].map(([, n, unit]) => Number(n) * (unit === 's' ? 1000 : 1));
}

// Issue 22: the README said the dashboard's bins were report's (log scale from the shortest run to
// the longest); the page draws the Prometheus buckets. The documents now list the edges the page uses.
test("README and docs/exporters.md list the dashboard histogram's bins as the page draws them", () => {
  const empty = new Database(':memory:');
  const { edgesMs } = readDashboardSummary(empty).histogram;
  empty.close();
  expect(edgesMs).toEqual([...RUN_DURATION_BUCKETS_MS]);
  expect(documentedEdgesMs('README.md', /The dashboard's histogram has fixed bins/)).toEqual(edgesMs);
  expect(documentedEdgesMs('docs/exporters.md', /duration histogram on the Prometheus bucket edges/)).toEqual(edgesMs);
  // What the README used to claim: the dashboard shares report's log-scale bins.
  expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).not.toMatch(/longest, as the dashboard's/);
});
