import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { toolMissing } from '../../../test/support/runners';
import { sandboxDir, tempDir } from '../../../test/support/tempDir';
import { cli, describeBuilt } from './support/cli';

/*
 * Hostile trial (s37), finding 1: a command sandboxed in bubblewrap replaced the export's path in
 * its working directory with a symbolic link to a host file, and sandbox-perf (root) wrote the
 * JSON through it. A link at the export path, or a folder above it whose real path changed during
 * the runs, is now refused when the export is written, exit 2, and the file it points at is left
 * as it was; the write goes through a temporary file renamed in the folder seen at the start.
 */
jest.setTimeout(120_000);

let work: string;
let victim: string;
let profile: string;
beforeEach(() => {
  work = sandboxDir('export-swap');
  victim = tempDir('export-victim');
  profile = path.join(victim, 'profile.sh');
  fs.writeFileSync(profile, 'echo original\n');
});
afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(victim, { recursive: true, force: true });
});

function sandboxed(exportPath: string, script: string): ReturnType<typeof cli> {
  const db = path.join(tempDir('export-swap-db'), 'h.db');
  return cli(
    ['compare', '--db', db, '-r', '1', '-w', '0', '--sandbox', 'bubblewrap', '--export-json', exportPath, '--', 'sh', '-c', script],
    work,
    {
      timeoutMs: 90_000,
    },
  ).finally(() => fs.rmSync(path.dirname(db), { recursive: true, force: true }));
}

/** The temporary files of the write, wherever the swap could have sent them. */
function leftovers(): string[] {
  return [work, victim]
    .flatMap((d) => fs.readdirSync(d, { recursive: true, encoding: 'utf8' }))
    .filter((f) => f.includes('.sandbox-perf-'));
}

describeBuilt('exports written where a sandboxed run can reach', () => {
  describeWhen('on bubblewrap', toolMissing('bwrap'), 'apt-get install bubblewrap', () => {
    test('a sandboxed command overwrites a host file: a symbolic link it puts at the export path is refused, not followed', async () => {
      const r = await sandboxed('results.json', `rm -f results.json; ln -s ${profile} results.json; exit 1`);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `(a symbolic link to ${JSON.stringify(profile)}); it was left untouched (the path changed during the runs)\n`,
      );
      expect(fs.readFileSync(profile, 'utf8')).toBe('echo original\n');
      expect(fs.readlinkSync(path.join(work, 'results.json'))).toBe(profile);
      expect(leftovers()).toEqual([]);
    });

    test('a sandboxed command overwrites a host file: a folder above the export path swapped for a link is refused', async () => {
      fs.mkdirSync(path.join(work, 'out'));
      fs.writeFileSync(path.join(victim, 'results.json'), 'echo original\n');
      const r = await sandboxed('out/results.json', `mv out out.old && ln -s ${victim} out`);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^Error: Expected `--export-json` to be a file in the folder it was in at the start, got `".+\/out\/results\.json"` \(its folder .+\/out was .+\/out at the start and is now .+; replaced or moved\); it was left untouched \(the path changed during the runs\)\n$/m,
      );
      expect(fs.readFileSync(path.join(victim, 'results.json'), 'utf8')).toBe('echo original\n');
      expect(fs.readdirSync(path.join(work, 'out.old'))).toEqual([]);
      expect(leftovers()).toEqual([]);
    });
  });
});
