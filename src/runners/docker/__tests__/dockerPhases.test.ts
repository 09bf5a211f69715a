import { dockerPhases, type DockerRunTimes } from '../dockerPhases';

describe('dockerPhases', () => {
  const x = (sent: number, answered: number, headers = answered) => ({ sent, headers, answered });
  const times: DockerRunTimes = {
    began: 0,
    create: x(1, 31),
    attach: x(32, 34),
    wait: x(32.5, 90, 33),
    start: x(35, 60),
    inspect: null,
    remove: null,
  };

  test("the engine's share of each step, and `client`: the rest of the run, ours", () => {
    // create 30, attach 32→34, start 25 + wait 30; window 0→95: client = 95 − 87 = 8.
    expect(dockerPhases(times, 95, null)).toEqual({ create: 30, attach: 2, start: 25, wait: 30, client: 8 });
  });

  test("the launcher's split replaces start + wait; the phases tile the run", () => {
    const phases = dockerPhases(times, 95, { spawn: 20, command: 10, exit: 25 });
    expect(Object.keys(phases)).toEqual(['create', 'attach', 'spawn', 'command', 'exit', 'client']);
    expect(Object.values(phases).reduce((a, b) => a + b, 0)).toBeCloseTo(95, 9);
  });

  test('a run that stopped at the create: the create and the rest', () => {
    expect(dockerPhases({ ...times, attach: null, wait: null, start: null }, 40, null)).toEqual({ create: 30, client: 10 });
  });
});
