import { Client, Pool } from 'pg';
import type { ThrowawayPostgres } from './postgres';

/** One query on a fresh connection, its rows (for assertions on what a gateway stored). */
export async function sqlRows(url: string, text: string, params: unknown[] = []): Promise<any[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

/** Creates one database per gateway on a throwaway Postgres server. */
export async function createGatewayDatabases(pg: ThrowawayPostgres, names: string[]): Promise<Record<string, string>> {
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  const urls: Record<string, string> = {};
  try {
    for (const name of names) {
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(pg.url);
      u.pathname = `/${name}`;
      urls[name] = u.toString();
    }
  } finally {
    await admin.end();
  }
  return urls;
}

/**
 * Read-only look into a gateway's database, to see where a transfer stands. One connection, whose
 * queries wait their turn: a test may ask several things at once (`Promise.all`), which a lone
 * `pg.Client` only tolerates with a deprecation warning (an error from pg 9).
 */
export class GatewayDb {
  private constructor(private readonly pool: Pool) {}

  static async open(url: string): Promise<GatewayDb> {
    const pool = new Pool({ connectionString: url, max: 1 });
    // A connection lost while idle (a test stopping the server) is opened again by the next query.
    pool.on('error', () => undefined);
    await pool.query('SELECT 1');
    return new GatewayDb(pool);
  }

  async transferState(id: string, role: 'DEPARTURE' | 'ARRIVAL'): Promise<string | undefined> {
    const r = await this.pool.query('SELECT state FROM transfers WHERE id = $1 AND role = $2', [id, role]);
    return r.rows[0]?.state;
  }

  async jobs(prefix: string): Promise<{ kind: string; state: string; attempts: number; dedupe_key: string }[]> {
    const r = await this.pool.query('SELECT kind, state, attempts, dedupe_key FROM jobs WHERE dedupe_key LIKE $1 ORDER BY id', [`${prefix}%`]);
    return r.rows;
  }

  async events(id: string, role: 'DEPARTURE' | 'ARRIVAL'): Promise<{ type: string; item_id: string | null; from_state: string | null; to_state: string | null; data: any }[]> {
    const r = await this.pool.query('SELECT type, item_id, from_state, to_state, data FROM transfer_events WHERE transfer_id = $1 AND role = $2 ORDER BY seq', [id, role]);
    return r.rows;
  }

  /** Multipart upload checkpoints whose object key starts with `prefix`. */
  async checkpoints(prefix: string): Promise<{ object_key: string; upload_id: string; checkpoint: { bytes: number; parts: { part: number }[]; partSize: number } }[]> {
    const r = await this.pool.query('SELECT object_key, upload_id, checkpoint FROM upload_checkpoints WHERE starts_with(object_key, $1) ORDER BY object_key', [prefix]);
    return r.rows;
  }

  /** Any read-only query, for a suite that counts or inspects rows of its own concern. */
  async rows<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params)).rows as T[];
  }

  async close() {
    await this.pool.end();
  }
}
