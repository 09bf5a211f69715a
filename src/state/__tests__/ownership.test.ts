// Over 300 lines on purpose: one file per reproduction list of issue 13's "It moves other people's
// files aside", every kind of foreign file against every way in (path, env, export), kept together
// so a reader sees the whole matrix.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StateDatabase } from '../StateDatabase';
import { HistoryReader } from '../read/HistoryReader';
import { SCHEMA_VERSION } from '../schema';
import { APPLICATION_ID, DatabaseRefusedError, assertOwnDatabasePath, inspectDatabaseFile, isDatabaseFile } from '../ownership';
import { captureLog, countRows, until } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';
import { fixtureRuns, writeVersion3 } from '../../../test/support/historyFixture';

/*
 * Issue 13, "It moves other people's files aside": every kind of file that is not a sandbox-perf
 * database, made for real, is refused with an error naming the path and what was found, and
 * stays byte-for-byte and mtime-identical, with nothing created beside it.
 */

jest.setTimeout(30_000);

let dir: string;
let logs: ReturnType<typeof captureLog>;
const servers: net.Server[] = [];
beforeEach(() => {
  dir = tempDir('own');
  logs = captureLog();
});
afterEach(async () => {
  logs.restore();
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

function sqlite(file: string, setup: (db: Database.Database) => void): string {
  const db = new Database(file);
  setup(db);
  db.close();
  return file;
}

interface BadCase {
  name: string;
  make: () => string | Promise<string>;
  found: RegExp;
}

const BAD: BadCase[] = [
  {
    name: 'run --db /etc/passwd (a copy): a text file',
    make: () => {
      const file = path.join(dir, 'passwd');
      fs.copyFileSync('/etc/passwd', file);
      return file;
    },
    found: /a file that is not a SQLite database \(\d+ bytes starting with `"root:x:0:0:root:"` \(string\)\)/,
  },
  {
    name: '--db notes.txt: a text file',
    make: () => {
      const file = path.join(dir, 'notes.txt');
      fs.writeFileSync(file, 'shopping: milk\n');
      return file;
    },
    found: /not a SQLite database \(15 bytes starting with `"shopping: milk."`/,
  },
  {
    name: 'garbage bytes',
    make: () => {
      const file = path.join(dir, 'junk.db');
      fs.writeFileSync(file, Buffer.from(Array.from({ length: 12_288 }, (_, i) => (i * 7919) % 251)));
      return file;
    },
    found: /not a SQLite database/,
  },
  {
    name: 'a file shorter than a SQLite header that starts like one',
    make: () => {
      const file = path.join(dir, 'short.db');
      fs.writeFileSync(file, 'SQLite format 3\0and then nothing');
      return file;
    },
    found: /not a SQLite database \(32 bytes/,
  },
  {
    name: 'a foreign SQLite database with user_version 0 and its own tables',
    make: () => sqlite(path.join(dir, 'app.db'), (db) => db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')")),
    found: /a SQLite database of another application \(user_version 0, tables: notes\)/,
  },
  {
    name: 'a foreign SQLite database in WAL mode (no -wal or -shm may appear beside it)',
    make: () =>
      sqlite(path.join(dir, 'wal.db'), (db) => {
        db.pragma('journal_mode = WAL');
        db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY)');
      }),
    found: /another application \(user_version 0, tables: accounts\)/,
  },
  {
    name: 'a SQLite database with another application_id',
    make: () => sqlite(path.join(dir, 'other-id.db'), (db) => db.pragma('application_id = 1234')),
    found: /another application \(application_id 0x000004d2\)/,
  },
  {
    name: 'our table names next to a foreign table',
    make: () =>
      sqlite(path.join(dir, 'mixed.db'), (db) => {
        db.exec('CREATE TABLE sandbox_perf_records (id INTEGER PRIMARY KEY); CREATE TABLE invoices (n INTEGER)');
        db.pragma('user_version = 4');
      }),
    found: /another application \(user_version 4, tables: invoices\)/,
  },
  {
    name: 'our table name at user_version 0 (never migrated by sandbox-perf)',
    make: () => sqlite(path.join(dir, 'v0.db'), (db) => db.exec('CREATE TABLE sandbox_perf_records (id INTEGER PRIMARY KEY)')),
    found: /another application \(user_version 0, tables: sandbox_perf_records\)/,
  },
  {
    name: 'a SQLite file without our mark whose pages are damaged',
    make: () => {
      const file = sqlite(path.join(dir, 'broken.db'), (db) => db.exec('CREATE TABLE t (x); CREATE TABLE u (y)'));
      const bytes = fs.readFileSync(file);
      bytes.fill(0xa5, 100);
      fs.writeFileSync(file, bytes);
      return file;
    },
    found: /a SQLite database whose tables cannot be read \(SQLITE_CORRUPT/,
  },
  {
    name: 'a directory',
    make: () => {
      fs.mkdirSync(path.join(dir, 'folder.db'));
      return path.join(dir, 'folder.db');
    },
    found: /got a directory/,
  },
  {
    name: 'a FIFO (never opened, so nothing blocks)',
    make: () => {
      execFileSync('mkfifo', [path.join(dir, 'pipe.db')]);
      return path.join(dir, 'pipe.db');
    },
    found: /got a FIFO \(named pipe\)/,
  },
  { name: '/dev/null', make: () => '/dev/null', found: /got a character device/ },
  { name: 'SANDBOX_PERF_DB=/dev/full (no /dev/full-journal)', make: () => '/dev/full', found: /got a character device/ },
  {
    name: 'a Unix socket',
    make: async () => {
      const file = path.join(dir, 'sock.db');
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(file, resolve));
      return file;
    },
    found: /got a socket/,
  },
  {
    name: 'a symbolic link loop',
    make: () => {
      fs.symlinkSync('b.db', path.join(dir, 'a.db'));
      fs.symlinkSync('a.db', path.join(dir, 'b.db'));
      return path.join(dir, 'a.db');
    },
    found: /got a symbolic link loop/,
  },
  {
    name: 'a dangling symbolic link',
    make: () => {
      fs.symlinkSync('/nonexistent/elsewhere.db', path.join(dir, 'dangling.db'));
      return path.join(dir, 'dangling.db');
    },
    found: /got a dangling symbolic link \(to \/nonexistent\/elsewhere\.db\)/,
  },
  { name: '/proc/self/mem', make: () => '/proc/self/mem', found: /got a file in \/proc\/\d+ \(a kernel pseudo file system\)/ },
  {
    name: 'a path under a plain file',
    make: () => {
      fs.writeFileSync(path.join(dir, 'plain'), 'x');
      return path.join(dir, 'plain', 'sub', 'state.db');
    },
    found: /got a path under a plain file \(.*plain is not a folder\)/,
  },
];

interface Snapshot {
  listing: string[];
  hash?: string;
  mtimeMs?: number;
}

/** The file (or, for a path under a plain file, that plain file), its folder's listing, hash and mtime. */
function snapshot(target: string): Snapshot {
  let file = target;
  const exists = (f: string): boolean => {
    try {
      fs.lstatSync(f);
      return true;
    } catch {
      return false;
    }
  };
  while (!exists(file)) file = path.dirname(file);
  const pseudo = file.startsWith('/dev/') || file.startsWith('/proc/');
  const parent = path.dirname(file);
  const listing = pseudo ? [] : fs.readdirSync(parent).sort();
  const lst = fs.lstatSync(file);
  if (lst.isFile() && !pseudo) {
    return { listing, hash: createHash('sha256').update(fs.readFileSync(file)).digest('hex'), mtimeMs: lst.mtimeMs };
  }
  return { listing, mtimeMs: pseudo ? undefined : lst.mtimeMs };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(BAD)('refused, left untouched: $name', ({ make, found }) => {
  test('assertOwnDatabasePath throws DatabaseRefusedError naming the path and what was found', async () => {
    const file = await make();
    const before = snapshot(file);
    expect(inspectDatabaseFile(file).kind).toBe('refused');
    let thrown: unknown;
    try {
      assertOwnDatabasePath(file);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DatabaseRefusedError);
    const message = (thrown as Error).message;
    expect(message).toMatch(
      new RegExp(
        `^Expected \`${escape(path.resolve(file))}\` to be a sandbox-perf database, an empty file or a path that does not exist yet, got `,
      ),
    );
    expect(message).toMatch(found);
    expect(message).toMatch(/it was left untouched \(choose another file with --db or SANDBOX_PERF_DB\)$/);
    expect(snapshot(file)).toEqual(before);
  });

  test('StateDatabase: every write refused (SANDBOX_PERF_NOT_OURS), rows kept, the file byte-for-byte unchanged', async () => {
    const file = await make();
    const before = snapshot(file);
    const db = new StateDatabase({ path: file, handleExit: false, retryBaseMs: 10, retryMaxMs: 20 });
    for (let i = 0; i < 10; i++) {
      db.insert('sandbox_perf_records', {
        sandboxId: `r-${i}`,
        startTime: 1_700_000_000_000 + i,
        durationMs: 5,
        outcome: 'success',
        alertFired: false,
      });
    }
    await until(() => db.health().failedWrites >= 3);
    expect(db.health()).toMatchObject({ queued: 10, written: 0, lastError: { code: 'SANDBOX_PERF_NOT_OURS' } });
    expect(db.health().lastError?.message).toMatch(found);
    // The exit hook's last-chance write goes through the same check.
    db.writeRemainingSync();
    await db.close();
    expect(snapshot(file)).toEqual(before);
    expect(fs.existsSync(`${file}-journal`)).toBe(false);
    expect(logs.lines.filter((l) => l.includes('retrying') && l.includes('SANDBOX_PERF_NOT_OURS'))).toHaveLength(1);
  });
});

test('a FIFO given to HistoryReader is refused at once instead of blocking the thread', () => {
  const fifo = path.join(dir, 'pipe.db');
  execFileSync('mkfifo', [fifo]);
  expect(() => new HistoryReader(fifo)).toThrow(/got a FIFO \(named pipe\)/);
});

test('accepted: a new path (folders created), an empty file, a SQLite file without tables; each stamped with application_id', async () => {
  const files = [path.join(dir, 'new', 'deep', 'state.db'), path.join(dir, 'empty.db'), path.join(dir, 'blank.db')];
  fs.writeFileSync(files[1] as string, '');
  sqlite(files[2] as string, (db) => db.pragma('user_version = 0'));
  expect(files.map((f) => inspectDatabaseFile(f).kind)).toEqual(['missing', 'empty', 'empty']);
  for (const file of files) {
    const db = new StateDatabase({ path: file, handleExit: false });
    db.insert('sandbox_perf_records', {
      sandboxId: 'a',
      startTime: 1_700_000_000_000,
      durationMs: 1,
      outcome: 'success',
      alertFired: false,
    });
    await db.close();
    expect(countRows(file)).toBe(1);
    // In the header itself (offset 68), so the next inspection needs no SQL.
    expect(fs.readFileSync(file).readUInt32BE(68)).toBe(APPLICATION_ID);
    expect(inspectDatabaseFile(file)).toEqual({ kind: 'ours', version: SCHEMA_VERSION });
  }
});

test('a database of an older sandbox-perf (no application_id, schema 3) is recognised by its tables, stamped and migrated', async () => {
  const file = path.join(dir, 'old.db');
  writeVersion3(file, fixtureRuns(50));
  expect(inspectDatabaseFile(file)).toEqual({ kind: 'legacy', version: 3 });
  const db = new StateDatabase({ path: file, handleExit: false });
  db.insert('sandbox_perf_records', {
    sandboxId: 'new',
    startTime: 1_700_000_000_000,
    durationMs: 1,
    outcome: 'success',
    alertFired: false,
  });
  await db.close();
  expect(countRows(file)).toBe(51);
  expect(inspectDatabaseFile(file)).toEqual({ kind: 'ours', version: SCHEMA_VERSION });
  expect(new HistoryReader(file).report({}).count).toBe(51);
});

test('isDatabaseFile: the database, its -wal/-shm/-journal, and a hard link to it; not a neighbour', () => {
  const file = path.join(dir, 'state.db');
  fs.writeFileSync(file, '');
  fs.linkSync(file, path.join(dir, 'alias'));
  for (const target of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`, path.join(dir, 'alias'), path.join(dir, '.', 'state.db')]) {
    expect(isDatabaseFile(target, file)).toBe(true);
  }
  expect(isDatabaseFile(path.join(dir, 'report.md'), file)).toBe(false);
});
