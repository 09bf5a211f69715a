import { WorkloadLabels } from '../workloadLabels';

const MIN = 60_000;

test('first come while there is room, then other; a run that names no workload has no label', () => {
  const labels = new WorkloadLabels({ maxWorkloads: 2 });
  expect(['a', 'b', 'c', 'a', undefined, ''].map((w) => labels.label(w, undefined, 0))).toEqual([
    'a',
    'b',
    'other',
    'a',
    undefined,
    undefined,
  ]);
  expect(labels.foldedCount).toBe(1);
  expect([...labels.exported()]).toEqual([
    { workload: 'a', label: 'a' },
    { workload: 'b', label: 'b' },
  ]);
});

test('the busiest N: a newcomer twice as busy as the quietest takes its place at the next rebalance; the demoted one retires one rebalance later', () => {
  const retired: string[] = [];
  const labels = new WorkloadLabels({ maxWorkloads: 2, workloadHalfLifeMs: 10 * MIN }, (w) => retired.push(w));
  labels.label('quiet', 'quiet job', 0);
  labels.label('steady', 'steady job', 0);
  for (let i = 0; i < 5; i++) labels.label('steady', 'steady job', 1000);
  // 'busy' arrives when the two slots are taken: other, for now.
  for (let i = 0; i < 10; i++) expect(labels.label('cmd-busy', 'make busy', 2000)).toBe('other');
  // The first run after a rebalance period ranks again: busy (10) > 2 × quiet (1) replaces it.
  expect(labels.label('cmd-busy', 'make busy', MIN + 1)).toBe('cmd-busy');
  expect([...labels.exported()].map((w) => w.workload).sort()).toEqual(['cmd-busy', 'steady']);
  expect([...labels.exported()].find((w) => w.workload === 'cmd-busy')?.label).toBe('make busy');
  // quiet's later runs fold into other; its series stay until the next rebalance (scrapes see its last increments).
  expect(labels.label('quiet', 'quiet job', MIN + 2)).toBe('other');
  expect(retired).toEqual([]);
  labels.label('steady', 'steady job', 2 * MIN + 3);
  expect(retired).toEqual(['quiet']);
});

test('hysteresis: a newcomer only a little busier does not displace an exported workload (no flapping)', () => {
  const labels = new WorkloadLabels({ maxWorkloads: 1 });
  for (let i = 0; i < 10; i++) labels.label('a', undefined, 0);
  for (let i = 0; i < 15; i++) labels.label('b', undefined, 0);
  labels.rebalance(MIN);
  expect([...labels.exported()].map((w) => w.workload)).toEqual(['a']);
});

test('counts decay: a workload that was busy long ago loses its place to one busy now', () => {
  const labels = new WorkloadLabels({ maxWorkloads: 1, workloadHalfLifeMs: MIN });
  for (let i = 0; i < 100; i++) labels.label('old', undefined, 0);
  // Ten half-lives later old's 100 runs weigh less than 0.1; new's 5 runs, made since, beat it.
  labels.rebalance(10 * MIN);
  for (let i = 0; i < 5; i++) labels.label('new', undefined, 10 * MIN + 1);
  labels.rebalance(10 * MIN + 2);
  expect([...labels.exported()].map((w) => w.workload)).toEqual(['new']);
});

test('10 000 distinct hostile workload names: bounded labels and candidates, sanitized values', () => {
  const labels = new WorkloadLabels({ maxWorkloads: 20, maxLabelLength: 16 });
  const seen = new Set<string | undefined>();
  for (let i = 0; i < 10_000; i++) seen.add(labels.label(`w"${i}\n\u0007${'x'.repeat(40)}`, `label\u0000${i}`, i));
  expect(seen.size).toBe(21);
  expect(seen.has('other')).toBe(true);
  const exported = [...labels.exported()];
  expect(exported).toHaveLength(20);
  for (const w of exported) {
    expect(w.workload.length).toBeLessThanOrEqual(16);
    // eslint-disable-next-line no-control-regex -- control characters are what must not get through
    expect(w.workload).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(w.label).not.toContain('\u0000');
  }
  labels.rebalance(20_000);
  expect([...labels.exported()]).toHaveLength(20);
});

test('options are checked with the usual message shape', () => {
  expect(() => new WorkloadLabels({ maxWorkloads: -1 })).toThrow(/^Expected `maxWorkloads` to be/);
  expect(() => new WorkloadLabels({ workloadHalfLifeMs: 0 })).toThrow(/^Expected `workloadHalfLifeMs` to be/);
  expect(() => new WorkloadLabels({ workloadRebalanceMs: Number.NaN })).toThrow(/^Expected `workloadRebalanceMs` to be/);
});

test('seed: known workloads take the slots busiest first before any run; ignored once one is admitted', () => {
  const labels = new WorkloadLabels({ maxWorkloads: 1 });
  labels.seed([
    { workload: 'busy', label: 'make busy', runs: 30 },
    { workload: 'quiet', label: 'quiet', runs: 2 },
  ]);
  expect(labels.label('quiet', undefined, 0)).toBe('other');
  expect(labels.label('busy', undefined, 0)).toBe('busy');
  expect([...labels.exported()]).toEqual([{ workload: 'busy', label: 'make busy' }]);
  labels.seed([{ workload: 'late', label: 'late', runs: 99 }]);
  expect([...labels.exported()].map((w) => w.workload)).toEqual(['busy']);
});
