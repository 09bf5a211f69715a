import { CanarySchedule } from '../CanarySchedule';

/** A round that ends when the test says so. */
function controlledRounds(): { round: () => Promise<void>; finish: () => void; started: number } {
  const state: { started: number; finish: () => void } = { started: 0, finish: () => undefined };
  return {
    round: () => {
      state.started++;
      return new Promise<void>((resolve) => {
        state.finish = resolve;
      });
    },
    finish: () => state.finish(),
    get started() {
      return state.started;
    },
  };
}

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

test('the first round starts at once, the next ones on the grid', async () => {
  const rounds = controlledRounds();
  const schedule = new CanarySchedule(10_000, { round: rounds.round });
  schedule.start();
  await jest.advanceTimersByTimeAsync(0);
  expect(rounds.started).toBe(1);
  rounds.finish();
  expect(schedule.nextAt).toBe(1_010_000);
  await jest.advanceTimersByTimeAsync(9_999);
  expect(rounds.started).toBe(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(rounds.started).toBe(2);
  rounds.finish();
  await schedule.stop();
});

test('a round due while one runs is skipped and counted; the next starts on the grid after it ended', async () => {
  const rounds = controlledRounds();
  const skips: number[] = [];
  const schedule = new CanarySchedule(1000, { round: rounds.round, onSkip: (n) => skips.push(n) });
  schedule.start();
  await jest.advanceTimersByTimeAsync(2500);
  expect(rounds.started).toBe(1);
  expect(skips).toEqual([1, 2]);
  expect(schedule.busy).toBe(true);
  rounds.finish();
  await jest.advanceTimersByTimeAsync(0);
  expect(schedule.busy).toBe(false);
  // Not at once: at the next due time (3000 ms after the start).
  expect(rounds.started).toBe(1);
  await jest.advanceTimersByTimeAsync(500);
  expect(rounds.started).toBe(2);
  expect(schedule.skipped).toBe(2);
  rounds.finish();
  await schedule.stop();
});

test('due times that went by while the event loop was held up count as skipped, not run late in a burst', async () => {
  const schedule = new CanarySchedule(1000, { round: () => Promise.resolve() });
  schedule.start();
  await jest.advanceTimersByTimeAsync(0);
  // The wall clock jumps 3.5 s ahead of the timers (a stalled loop, a suspended machine), then the next timer fires.
  jest.setSystemTime(Date.now() + 3500);
  await jest.advanceTimersByTimeAsync(1000);
  // Fired at 4.5 s: one round, the due times at 2, 3 and 4 s skipped, the next at 5 s.
  expect(schedule.started).toBe(2);
  expect(schedule.skipped).toBe(3);
  expect(schedule.nextAt).toBe(1_000_000 + 5000);
  await schedule.stop();
});

test('stop() waits for the round in flight and no round starts after it', async () => {
  const rounds = controlledRounds();
  const schedule = new CanarySchedule(1000, { round: rounds.round });
  schedule.start();
  await jest.advanceTimersByTimeAsync(0);
  let stopped = false;
  const stopping = schedule.stop().then(() => (stopped = true));
  await jest.advanceTimersByTimeAsync(5000);
  expect(stopped).toBe(false);
  rounds.finish();
  await stopping;
  expect(rounds.started).toBe(1);
  expect(schedule.nextAt).toBeNull();
  expect(jest.getTimerCount()).toBe(0);
});
