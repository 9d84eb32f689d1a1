import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONNECTOR_EVENTS_PATH, EntEvent, EntEventType } from '@ent/contract';
import { ENT_SIM_CONFIG, EntSimConfig } from '../config';

/**
 * The accounts this simulated ENT has (a move spans a summer: the arrival's account appears late
 * August or in September, ADR 011), and the events it sends its gateway when one appears or
 * logs in. Without ENT_SIM_ACCOUNTS every user is known, as before.
 */
@Injectable()
export class AccountDirectory {
  private readonly logger = new Logger('Accounts');
  private readonly file: string;
  private readonly known: Set<string> | undefined;

  constructor(@Inject(ENT_SIM_CONFIG) private readonly config: EntSimConfig) {
    this.file = join(config.dataDir, 'accounts.json');
    if (config.accounts) {
      const created = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as string[]) : [];
      this.known = new Set([...config.accounts, ...created]);
    }
  }

  knows(userId: string): boolean {
    return !this.known || this.known.has(userId);
  }

  /** The directory created her account here; the gateway is told. Idempotent. */
  async create(userId: string, uais: string[]): Promise<{ created: boolean; delivered: boolean }> {
    let created = false;
    if (this.known && !this.known.has(userId)) {
      this.known.add(userId);
      const extra = [...this.known].filter((u) => !this.config.accounts!.includes(u));
      mkdirSync(this.config.dataDir, { recursive: true });
      writeFileSync(`${this.file}.tmp`, JSON.stringify(extra));
      renameSync(`${this.file}.tmp`, this.file);
      created = true;
    }
    const delivered = await this.emit('ACCOUNT_CREATED', userId, uais);
    return { created, delivered };
  }

  /** A (simulated) login into this ENT: the gateway is told, §8.3 imports then. */
  login(userId: string): Promise<boolean> {
    return this.emit('USER_LOGGED_IN', userId);
  }

  private async emit(type: EntEventType, userId: string, uais?: string[]): Promise<boolean> {
    if (!this.config.gatewayUrl) return false;
    const event: EntEvent = { type, userId, occurredAt: new Date().toISOString(), ...(uais?.length ? { uais } : {}) };
    const res = await fetch(`${this.config.gatewayUrl}${CONNECTOR_EVENTS_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.config.connectorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`gateway answered ${res.status} to ${type}: ${text.slice(0, 300)}`);
    this.logger.log(`${type} for ${userId} sent to the gateway: ${text.slice(0, 200)}`);
    return true;
  }
}
