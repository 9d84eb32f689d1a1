import { createHash } from 'node:crypto';
import { Client as S3Client } from 'minio';
import { Client as PgClient } from 'pg';
import { s3Client, type TestS3 } from '../s3';

/**
 * "Nothing stored or changed", read straight from what the gateways hold: every row of every
 * table of both gateway databases (except the HTTP session store, which a teacher request may
 * legitimately touch), and the object list of both buckets (name, size, ETag).
 *
 * A snapshot keeps each row as canonical JSON, so a diff says exactly which rows appeared,
 * disappeared or changed (a changed row shows as one removed + one added).
 */
export type Side = 'a' | 'b';

/** Tables left out: the session store is rewritten by any teacher request (rolling cookies). */
const IGNORED_TABLES = new Set(['http_sessions']);

export interface GatewaySnapshot {
  /** table -> canonical JSON rows */
  tables: Record<string, string[]>;
  /** "name size etag" per object */
  objects: string[];
  /** Quick summary, as the issue asks: counts and highest sequence numbers. */
  summary: Record<string, number | null>;
}

export type Snapshot = Record<Side, GatewaySnapshot>;

export interface TableDiff {
  added: any[];
  removed: any[];
}

export interface SideDiff {
  tables: Record<string, TableDiff>;
  objectsAdded: string[];
  objectsRemoved: string[];
}

export type SnapshotDiff = Record<Side, SideDiff>;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export class GatewayStateProbe {
  private constructor(
    private readonly pg: Record<Side, PgClient>,
    private readonly s3: S3Client,
    private readonly buckets: Record<Side, string>,
  ) {}

  static async open(databaseUrls: Record<Side, string>, s3: Pick<TestS3, 'endPoint' | 'accessKey' | 'secretKey' | 'region'>, buckets: Record<Side, string>): Promise<GatewayStateProbe> {
    const pg = { a: new PgClient({ connectionString: databaseUrls.a }), b: new PgClient({ connectionString: databaseUrls.b }) };
    await pg.a.connect();
    await pg.b.connect();
    return new GatewayStateProbe(pg, s3Client(s3), buckets);
  }

  get s3Client(): S3Client {
    return this.s3;
  }

  db(side: Side): PgClient {
    return this.pg[side];
  }

  async close(): Promise<void> {
    await this.pg.a.end().catch(() => undefined);
    await this.pg.b.end().catch(() => undefined);
  }

  async listObjects(side: Side, prefix = ''): Promise<{ name: string; size: number; etag: string }[]> {
    const out: { name: string; size: number; etag: string }[] = [];
    if (!(await this.s3.bucketExists(this.buckets[side]))) return out;
    for await (const o of this.s3.listObjectsV2(this.buckets[side], prefix, true)) {
      if (o.name) out.push({ name: o.name, size: o.size, etag: o.etag });
    }
    return out.sort((x, y) => x.name.localeCompare(y.name));
  }

  private async side(side: Side): Promise<GatewaySnapshot> {
    const db = this.pg[side];
    const names = (
      await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
      )
    ).rows
      .map((r) => r.table_name)
      .filter((t) => !IGNORED_TABLES.has(t));
    const tables: Record<string, string[]> = {};
    for (const name of names) {
      const rows = (await db.query<{ r: unknown }>(`SELECT row_to_json(t) AS r FROM "${name}" t`)).rows;
      tables[name] = rows.map((row) => canonical(row.r)).sort();
    }
    const one = async (sql: string) => {
      const v = (await db.query<{ v: string | number | null }>(sql)).rows[0]?.v;
      return v === null || v === undefined ? null : Number(v);
    };
    const summary: Record<string, number | null> = {
      transfers: await one('SELECT count(*) AS v FROM transfers'),
      transfer_items: await one('SELECT count(*) AS v FROM transfer_items'),
      transfer_events: await one('SELECT count(*) AS v FROM transfer_events'),
      transfer_events_max_seq: await one('SELECT max(seq) AS v FROM transfer_events'),
      jobs: await one('SELECT count(*) AS v FROM jobs'),
      jobs_max_id: await one('SELECT max(id) AS v FROM jobs'),
    };
    const objects = (await this.listObjects(side)).map((o) => `${o.name} ${o.size} ${o.etag}`);
    return { tables, objects, summary };
  }

  async snapshot(): Promise<Snapshot> {
    return { a: await this.side('a'), b: await this.side('b') };
  }
}

export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const side = (x: GatewaySnapshot, y: GatewaySnapshot): SideDiff => {
    const tables: Record<string, TableDiff> = {};
    for (const name of new Set([...Object.keys(x.tables), ...Object.keys(y.tables)])) {
      const was = new Set(x.tables[name] ?? []);
      const now = new Set(y.tables[name] ?? []);
      const added = [...now].filter((r) => !was.has(r)).map((r) => JSON.parse(r));
      const removed = [...was].filter((r) => !now.has(r)).map((r) => JSON.parse(r));
      if (added.length || removed.length) tables[name] = { added, removed };
    }
    const wasObjects = new Set(x.objects);
    const nowObjects = new Set(y.objects);
    return {
      tables,
      objectsAdded: y.objects.filter((o) => !wasObjects.has(o)),
      objectsRemoved: x.objects.filter((o) => !nowObjects.has(o)),
    };
  };
  return { a: side(before.a, after.a), b: side(before.b, after.b) };
}

/** A readable account of a diff for failure messages; '' when nothing changed. */
export function describeDiff(diff: SnapshotDiff): string {
  const lines: string[] = [];
  for (const s of ['a', 'b'] as const) {
    const d = diff[s];
    for (const [table, t] of Object.entries(d.tables)) {
      for (const r of t.added) lines.push(`gateway ${s}: + ${table} ${JSON.stringify(r).slice(0, 300)}`);
      for (const r of t.removed) lines.push(`gateway ${s}: - ${table} ${JSON.stringify(r).slice(0, 300)}`);
    }
    for (const o of d.objectsAdded) lines.push(`gateway ${s}: + object ${o}`);
    for (const o of d.objectsRemoved) lines.push(`gateway ${s}: - object ${o}`);
  }
  return lines.join('\n');
}

export function isEmptyDiff(diff: SnapshotDiff): boolean {
  return describeDiff(diff) === '';
}

export const sha256Hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
