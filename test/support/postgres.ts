import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';

/**
 * A throwaway Postgres server for the tests that need a real one (concurrency, SKIP LOCKED,
 * several connections): §7 runs them on a server, not on PGlite.
 *
 * - With TEST_DATABASE_URL (a role allowed to CREATE DATABASE): a fresh database on that server,
 *   dropped by stop().
 * - Otherwise: `initdb` a cluster in a temporary directory and start it on a free port of
 *   127.0.0.1 (trust auth, loopback only, fsync off). Postgres refuses to run as root, so when
 *   the tests run as root (CI does) the cluster belongs to, and runs as, the `postgres` user (or
 *   `nobody` when there is no such user).
 */
export interface ThrowawayPostgres {
  url: string;
  stop(): Promise<void>;
  /**
   * Failover drills: stops the server in immediate mode (every connection is cut, as when the
   * primary dies) and keeps its data; `startServer()` brings it back on the same port. Only for
   * a cluster the test started itself (not with TEST_DATABASE_URL).
   */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
}

const PG_VERSIONS_PREFERRED = ['15', '16', '17', '14', '13'];
const DB_SUPERUSER = 'postgres';

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const external = process.env.TEST_DATABASE_URL;
  return external ? freshDatabaseOn(external) : startCluster();
}

async function freshDatabaseOn(serverUrl: string): Promise<ThrowawayPostgres> {
  const name = `test_${process.pid}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let stopped = false;
  const notOurs = async () => {
    throw new Error('TEST_DATABASE_URL names a server this test did not start: it cannot be stopped and started');
  };
  return {
    url: url.toString(),
    stopServer: notOurs,
    startServer: notOurs,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

interface PgBinaries {
  initdb: string;
  pgCtl: string;
}

/** PG_BINDIR, then Debian's /usr/lib/postgresql/<v>/bin (15 first), then the PATH. */
export function findPostgresBinaries(): PgBinaries {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).sort((a, b) => {
      const ia = PG_VERSIONS_PREFERRED.indexOf(a);
      const ib = PG_VERSIONS_PREFERRED.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || b.localeCompare(a, undefined, { numeric: true });
    });
    for (const v of versions) candidates.push(join(debianRoot, v, 'bin'));
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  for (const dir of candidates) {
    const initdb = join(dir, 'initdb');
    const pgCtl = join(dir, 'pg_ctl');
    if (isExecutable(initdb) && isExecutable(pgCtl) && isExecutable(join(dir, 'postgres'))) return { initdb, pgCtl };
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in PG_BINDIR, /usr/lib/postgresql/*/bin or the PATH. ' +
      'Install them (Debian: apt-get install --no-install-recommends postgresql-15) or set TEST_DATABASE_URL to a server ' +
      'where the role may CREATE DATABASE.',
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
  name: string;
}

/** Who runs the cluster: ourselves, unless we are root, which Postgres refuses. */
function clusterUser(): RunAs {
  if (process.getuid?.() !== 0) return { name: userInfo().username };
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) {
      return { name, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
    }
  }
  throw new Error('running as root and there is neither a "postgres" nor a "nobody" user to run Postgres as');
}

function run(cmd: string, args: string[], as: RunAs, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // uid/gid: libuv drops root's supplementary groups too before exec.
    const child = spawn(cmd, args, { uid: as.uid, gid: as.gid, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function startCluster(): Promise<ThrowawayPostgres> {
  const bin = findPostgresBinaries();
  const as = clusterUser();
  // Short path: the Unix socket path (dir + /.s.PGSQL.<port>) must stay under 107 bytes.
  const base = await mkdtemp(join(tmpdir(), 'pg-'));
  const dataDir = join(base, 'data');
  const logFile = join(base, 'postgres.log');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C', HOME: base, TZ: 'UTC' };
  const stopSync = () => {
    spawnSync(bin.pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10'], { uid: as.uid, gid: as.gid, env, stdio: 'ignore' });
  };
  let started = false;
  const removeDir = () => rm(base, { recursive: true, force: true });
  try {
    if (as.uid !== undefined) await chown(base, as.uid, as.gid!);

    const init = await run(
      bin.initdb,
      ['-D', dataDir, '-U', DB_SUPERUSER, '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
      as,
      env,
    );
    if (init.code !== 0) throw new Error(`initdb failed (${init.code}):\n${init.output}`);
    // Trust, but only over the Unix socket in our private directory and 127.0.0.1.
    const hba = join(dataDir, 'pg_hba.conf');
    await writeFile(hba, 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    if (as.uid !== undefined) await chown(hba, as.uid, as.gid!);

    let lastError = '';
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      const port = await freePort(); // another process may grab it first: retry on a new one
      const options = [
        `-p ${port}`,
        `-k ${base}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=100',
        '-c shared_buffers=32MB',
      ].join(' ');
      const startArgs = ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options];
      const start = await run(bin.pgCtl, startArgs, as, env);
      if (start.code !== 0) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        lastError = `${start.output}\n${log.split('\n').slice(-20).join('\n')}`;
        stopSync();
        continue;
      }
      started = true;
      const url = `postgres://${DB_SUPERUSER}@127.0.0.1:${port}/postgres`;
      await waitUntilAccepting(url);
      // If the test process dies without calling stop(), do not leave a server behind.
      process.once('exit', stopSync);
      let stopped = false;
      return {
        url,
        stopServer: async () => {
          const r = await run(bin.pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'], as, env);
          if (r.code !== 0) throw new Error(`pg_ctl stop failed (${r.code}):\n${r.output}`);
        },
        startServer: async () => {
          const r = await run(bin.pgCtl, startArgs, as, env);
          if (r.code !== 0) throw new Error(`pg_ctl start failed (${r.code}):\n${r.output}`);
          await waitUntilAccepting(url);
        },
        stop: async () => {
          if (stopped) return;
          stopped = true;
          process.removeListener('exit', stopSync);
          await run(bin.pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'], as, env);
          await removeDir();
        },
      };
    }
    throw new Error(`could not start Postgres:\n${lastError}`);
  } catch (err) {
    if (started) stopSync();
    await removeDir();
    throw err;
  }
}

async function waitUntilAccepting(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  throw new Error(`Postgres at ${url} did not accept connections within ${timeoutMs} ms: ${String(last)}`);
}
