import { resetLogOnce, setLogSink } from '../../../log';
import type { ChangeMark } from '../../../state/read/changeMarks';
import { ChangeWatch, type ChangeLook } from '../changeWatch';

const mark = (time: number): ChangeMark => ({
  backend: 'docker',
  workload: null,
  workloadLabel: null,
  metric: 'duration',
  time,
  relativeChange: 0.5,
  pValue: 0.001,
  meanBeforeMs: 100,
  meanAfterMs: 150,
});

/** A look the test answers by hand, as the summary thread would later. */
function pendingLooks(): { look: () => Promise<ChangeLook>; answer: (look: ChangeLook) => void; asked: () => number } {
  const waiting: ((look: ChangeLook) => void)[] = [];
  let asked = 0;
  return {
    look: () => {
      asked++;
      return new Promise((resolve) => waiting.push(resolve));
    },
    answer: (look) => waiting.shift()?.(look),
    asked: () => asked,
  };
}

test('the first look counts the change points, later looks log each new one, oldest first', async () => {
  const lines: string[] = [];
  const looks = pendingLooks();
  const watch = new ChangeWatch(looks.look, '/h/state.db', (line) => lines.push(line), 0);
  const first = watch.check();
  looks.answer({ ok: true, marks: [mark(Date.UTC(2026, 11, 1))] });
  expect(await first).toHaveLength(1);
  const second = watch.check();
  looks.answer({ ok: true, marks: [mark(Date.UTC(2026, 11, 3)), mark(Date.UTC(2026, 11, 2)), mark(Date.UTC(2026, 11, 1))] });
  expect(await second).toHaveLength(2);
  expect(lines).toEqual([
    expect.stringMatching(
      /^sandbox-perf serve: 1 change point in the history \(newest: \+50 % duration on docker since 2026-12-01 00:00 UTC/,
    ),
    expect.stringContaining('new change point: +50 % duration on docker since 2026-12-02'),
    expect.stringContaining('new change point: +50 % duration on docker since 2026-12-03'),
  ]);
  watch.close();
});

test('a look still running when the next is due is not doubled, and nothing is logged after close()', async () => {
  const lines: string[] = [];
  const looks = pendingLooks();
  const watch = new ChangeWatch(looks.look, '/h/state.db', (line) => lines.push(line), 0);
  const first = watch.check();
  await expect(watch.check()).resolves.toEqual([]);
  expect(looks.asked()).toBe(1);
  watch.close();
  looks.answer({ ok: true, marks: [mark(1)] });
  await expect(first).resolves.toEqual([]);
  expect(lines).toEqual([]);
});

test('no history yet is silent; a failed look is logged once with its code, and the next look tries again', async () => {
  const logged: string[] = [];
  resetLogOnce();
  const restore = setLogSink((line) => logged.push(line));
  try {
    const lines: string[] = [];
    const looks = pendingLooks();
    const watch = new ChangeWatch(looks.look, '/h/state.db', (line) => lines.push(line), 0);
    for (const look of [
      { ok: false, error: null },
      { ok: false, error: { code: 'SQLITE_CORRUPT', message: 'database disk image is malformed' } },
      { ok: false, error: { code: 'SQLITE_CORRUPT', message: 'database disk image is malformed' } },
      { ok: true, marks: [] },
    ] as ChangeLook[]) {
      const pending = watch.check();
      looks.answer(look);
      await pending;
    }
    expect(logged).toEqual([
      'sandbox-perf serve: could not look for change points in /h/state.db (SQLITE_CORRUPT: database disk image is malformed)',
    ]);
    expect(lines).toEqual(['sandbox-perf serve: 0 change points in the history; new ones are logged here']);
    watch.close();
  } finally {
    restore();
  }
});
