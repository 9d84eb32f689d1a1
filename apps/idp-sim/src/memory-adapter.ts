/**
 * Minimal in-memory storage adapter for oidc-provider (sessions, interactions, codes, grants…).
 * The simulator is single-process and stateless across restarts by design; writing our own
 * adapter (instead of the library's quick-start one) keeps expiry explicit and avoids its
 * development warning.
 */

interface Entry {
  payload: Record<string, unknown>;
  expiresAt?: number;
}

const entries = new Map<string, Entry>();
const grantIndex = new Map<string, Set<string>>();
const uidIndex = new Map<string, string>();
const userCodeIndex = new Map<string, string>();

const now = () => Date.now();

function alive(key: string): Entry | undefined {
  const entry = entries.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= now()) {
    entries.delete(key);
    return undefined;
  }
  return entry;
}

export class MemoryAdapter {
  constructor(private readonly model: string) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    entries.set(key, {
      payload: structuredClone(payload),
      expiresAt: expiresIn ? now() + expiresIn * 1000 : undefined,
    });
    const { grantId, uid, userCode } = payload as { grantId?: string; uid?: string; userCode?: string };
    if (grantId) {
      let keys = grantIndex.get(grantId);
      if (!keys) grantIndex.set(grantId, (keys = new Set()));
      keys.add(key);
    }
    if (uid) uidIndex.set(`${this.model}:${uid}`, id);
    if (userCode) userCodeIndex.set(`${this.model}:${userCode}`, id);
  }

  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const entry = alive(this.key(id));
    return entry ? structuredClone(entry.payload) : undefined;
  }

  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    const id = uidIndex.get(`${this.model}:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    const id = userCodeIndex.get(`${this.model}:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const entry = alive(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const keys = grantIndex.get(grantId);
    if (!keys) return;
    for (const key of keys) entries.delete(key);
    grantIndex.delete(grantId);
  }
}

/** Drops expired entries and dangling index rows; returns how many entries were removed. */
export function sweepExpired(): number {
  let removed = 0;
  const t = now();
  for (const [key, entry] of entries) {
    if (entry.expiresAt !== undefined && entry.expiresAt <= t) {
      entries.delete(key);
      removed += 1;
    }
  }
  for (const [grantId, keys] of grantIndex) {
    for (const key of keys) if (!entries.has(key)) keys.delete(key);
    if (keys.size === 0) grantIndex.delete(grantId);
  }
  for (const index of [uidIndex, userCodeIndex]) {
    for (const [indexKey, id] of index) {
      const model = indexKey.slice(0, indexKey.indexOf(':'));
      if (!entries.has(`${model}:${id}`)) index.delete(indexKey);
    }
  }
  return removed;
}
