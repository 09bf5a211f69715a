import { THREADED_CALLS, threadsCaveat } from '../threadsCaveat';

describe("predict's caveat for a threaded command on gVisor", () => {
  test('said for the gVisor backends when the command made many calls on other threads', () => {
    const caveat = threadsCaveat(['bubblewrap', 'gvisor', 'gvisor-pool'], { thread: 2459 });
    expect(caveat).toMatch(/^the command made 2,459 calls on threads other than its first: /);
    expect(caveat).toMatch(/read gvisor and gvisor-pool's prediction as a lower bound/);
  });

  test('not said without gVisor, nor for a command whose threads made few calls (node -e 0: 71)', () => {
    expect(threadsCaveat(['bubblewrap', 'docker'], { thread: 27_722 })).toBeNull();
    expect(threadsCaveat(['gvisor'], { thread: 71 })).toBeNull();
    expect(threadsCaveat(['gvisor'], { thread: THREADED_CALLS - 1 })).toBeNull();
    expect(threadsCaveat(['gvisor'], { thread: THREADED_CALLS })).not.toBeNull();
  });
});
