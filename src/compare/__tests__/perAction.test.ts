import { perActionTable, type PerActionRounds } from '../perAction';
import { mulberry32 } from '../../stats/prng';

/*
 * A synthetic backend with known costs: one sandbox costs F = 500 ms, each action loses g = 2 ms
 * inside it, and each action in a sandbox of its own costs f = 60 ms. Actions take 40 ms on none.
 * Break-even: (500 − 0) / (60 − 2) = 8.62 actions.
 */
function rounds(seed: number): PerActionRounds[] {
  const random = mulberry32(seed);
  const noise = (): number => (random() - 0.5) * 6;
  const sizes = [20, 40, 80];
  const none: PerActionRounds = { backend: 'none', sizes: [] };
  const docker: PerActionRounds = { backend: 'docker', sizes: [] };
  for (const n of sizes) {
    const wholeNone: number[] = [];
    const eachNone: number[] = [];
    const wholeDocker: number[] = [];
    const eachDocker: number[] = [];
    for (let r = 0; r < 8; r++) {
      const drift = random() * 50;
      wholeNone.push(40 * n + drift);
      eachNone.push(40 * n + drift);
      wholeDocker.push(40 * n + drift + 500 + 2 * n + noise());
      eachDocker.push(40 * n + drift + 60 * n + noise());
    }
    none.sizes.push({ actions: n, wholeMs: wholeNone, perActionMs: eachNone });
    docker.sizes.push({ actions: n, wholeMs: wholeDocker, perActionMs: eachDocker });
  }
  return [none, docker];
}

describe('perActionTable', () => {
  test('recovers the one-sandbox cost, the per-action cost and the break-even number of actions', () => {
    const table = perActionTable(rounds(11));
    expect(table.actions).toEqual([20, 40, 80]);
    expect(table.baselineActionMs).toBeCloseTo(40, 0);
    const docker = table.backends[0];
    expect(docker?.backend).toBe('docker');
    expect(docker?.wholeFixedMs?.estimate).toBeCloseTo(500, -1);
    expect(docker?.wholePerActionMs?.estimate).toBeCloseTo(2, 0);
    expect(docker?.perActionMs?.estimate).toBeCloseTo(60, 0);
    expect(docker?.perActionFixedMs?.estimate).toBeCloseTo(0, -1);
    expect(docker?.breakEvenActions).toBeCloseTo(500 / 58, 0);
    expect(docker?.costPerActionTime).toBeCloseTo(1.5, 1);
  });

  test('no break-even when per-action sandboxing costs no more per action than one sandbox', () => {
    const [none, docker] = rounds(4) as [PerActionRounds, PerActionRounds];
    const cheap = { ...docker, sizes: docker.sizes.map((s, i) => ({ ...s, perActionMs: none.sizes[i]?.perActionMs ?? [] })) };
    expect(perActionTable([none, cheap]).backends[0]?.breakEvenActions).toBeNull();
  });

  test('refuses rounds without the baseline, naming it', () => {
    const [, docker] = rounds(1) as [PerActionRounds, PerActionRounds];
    expect(() => perActionTable([docker])).toThrow(/^Expected `rounds` to be a list that holds the baseline none, got `\["docker"\]`/);
  });
});
