import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Pool, PoolClient, type QueryConfig, types as pgTypes } from 'pg';

/** How to run one statement. */
export interface QueryOptions {
  /**
   * Run it as this named prepared statement on a Postgres server: parsed and planned once per
   * connection instead of at every call (ADR 023). For a hot statement whose text never changes
   * and whose result columns are listed (never `*`, so a migration cannot change its result
   * type). Ignored by PGlite, and when the database was opened with `preparedStatements: false`.
   */
  prepare?: string;
}

/** What repositories need: run a statement, alone or inside a transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<{ rows: T[]; rowCount: number }>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The database cannot be reached now (server stopped, failing over, connection cut, no
 * connection within the timeout): the operation did not happen, or its transaction was rolled
 * back. Callers answer 503 and background work retries later without counting an attempt.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('database unavailable', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

// Errors that say "the server is not there", never "this statement is wrong": node's socket
// errors, the SQLSTATE classes 08 (connection exception) and 57P (operator intervention: the
// server shut down or is starting), too many connections, and pg's own messages for a cut link.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '53300']);
const UNAVAILABLE_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|is not queryable|Client was closed|Connection ended/i;

/** True when `err` (or its cause) means the database server could not be reached. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('57P'))) return true;
    if (e instanceof Error && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

function unavailableOr(err: unknown): unknown {
  return !(err instanceof DatabaseUnavailableError) && isDatabaseUnavailable(err) ? new DatabaseUnavailableError(err) : err;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** Sizes are int8; they stay below 2^53 (bounded by the contract), so numbers are safe. */
function parseInt8(value: string): number {
  return Number(value);
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  constructor(private readonly db: PGlite) {}

  async query<T>(sql: string, params: unknown[] = []) {
    const r = await this.db.query<T>(sql, params as any[]);
    return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      fn({
        query: async <R>(sql: string, params: unknown[] = []) => {
          const r = await tx.query<R>(sql, params as any[]);
          return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
        },
      }),
    );
  }

  async close() {
    await this.db.close();
  }
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly pool: Pool,
    private readonly onError: (err: Error, source: DatabaseErrorSource) => void,
    private readonly preparedStatements: boolean,
  ) {
    // An idle connection the server cuts (restart, failover) is reported here; without a
    // listener Node would end the process on this `error` event (issue 14, finding 4). The pool
    // has already dropped that client and opens a new one on the next query.
    pool.on('error', (err) => this.onError(err, 'idle-connection'));
  }

  /** A named statement when asked and allowed (node-postgres prepares it once per connection). */
  private statement(sql: string, params: unknown[], options?: QueryOptions): QueryConfig {
    return options?.prepare && this.preparedStatements ? { name: options.prepare, text: sql, values: params } : { text: sql, values: params };
  }

  async query<T>(sql: string, params: unknown[] = [], options?: QueryOptions) {
    try {
      const r = await this.pool.query(this.statement(sql, params, options));
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    } catch (err) {
      throw this.classify(err);
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.classify(err);
    }
    // A checked-out client has no listener of the pool's: a cut between two statements of the
    // transaction would otherwise be an unhandled `error` event.
    let broken: Error | undefined;
    const onClientError = (err: Error) => {
      broken = err;
      this.onError(err, 'checked-out-connection');
    };
    client.on('error', onClientError);
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R>(sql: string, params: unknown[] = [], options?: QueryOptions) => {
          const r = await client.query(this.statement(sql, params, options));
          return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw this.classify(broken ?? err);
    } finally {
      client.removeListener('error', onClientError);
      // A broken connection is destroyed, not returned to the pool.
      client.release(broken);
    }
  }

  private classify(err: unknown): unknown {
    const mapped = unavailableOr(err);
    if (mapped !== err) this.onError(err as Error, 'query');
    return mapped;
  }

  async close() {
    await this.pool.end();
  }
}

export interface DatabaseOptions {
  /** Postgres server URL; when absent the embedded PGlite is used. */
  url?: string;
  /** PGlite data directory; absent = in memory (tests). */
  pgliteDir?: string;
  poolSize?: number;
  /** Postgres server: connection errors (logged and counted by the caller; never fatal). */
  onError?: (err: Error, source: DatabaseErrorSource) => void;
  /** Postgres server: how long to wait for a connection before the query fails as unavailable. */
  connectTimeoutMs?: number;
  /**
   * Postgres server: run the statements that ask for it as named prepared statements (default
   * true). Off behind a pooler that cannot carry them from one transaction to the next
   * (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
   */
  preparedStatements?: boolean;
}

export type DatabaseErrorSource = 'idle-connection' | 'checked-out-connection' | 'query';

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      types: {
        getTypeParser: ((oid: number, format?: any) =>
          oid === INT8_OID ? parseInt8 : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
      },
    });
    // Fail fast at boot with the server's own message rather than at the first request.
    const db = new PostgresDatabase(pool, options.onError ?? (() => undefined), options.preparedStatements ?? true);
    await pool.query('SELECT 1');
    return db;
  }
  if (options.pgliteDir) mkdirSync(options.pgliteDir, { recursive: true });
  const db = await PGlite.create(options.pgliteDir, {
    parsers: { [INT8_OID]: parseInt8, [NUMERIC_OID]: (v: string) => Number(v) },
  });
  return new PgliteDatabase(db);
}
