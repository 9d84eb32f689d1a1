import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import {
  buildDeliveryIndex, cahierToCcWebContent, DELIVERY_INDEX_FILES, DeliveryIndexItem, emlFileName, splitMboxStream,
} from '@ent/formats';
import { ConnectorContent, ITEM_ID_PATTERN, OFFER_LIMITS, PROBLEM_TYPES } from '@ent/contract';
import { Clock, CLOCK, ProblemError } from '@ent/common';
import { enqueueJob, JobRow } from '@ent/persistence';
import { ObjectStore } from '@ent/storage';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { ConnectorClient, ConnectorError } from '../connector/connector.client';
import type { SessionUser } from '../identity/session-user';
import { OBJECT_STORE } from '../infra/tokens';
import { escapeHtml } from '../ui/html';
import { readStream } from '../transfers/departure.service';
import { JobWake } from '../transfers/job-wake';
import { JOB_KINDS } from '../transfers/states';
import {
  ArchivePaths, CopyFile, CopyItemOutcome, exportFormatFor, extensionFor, METADATA_DIR, renderCopyIndex, renderFileList, ROOT_INDEX,
} from './archive-layout';
import { DataCopyRepository, DataCopyRow } from './data-copy.repository';

/** A cahier de textes is read whole to write its readable page; past this, the .ics alone goes. */
const MAX_READABLE_CAHIER_BYTES = 16 * 1024 * 1024;
const MAX_METADATA_RECORD_BYTES = 16 * 1024 * 1024;

/** Counts and hashes the bytes flowing through it (the size and SHA-256 the index lists). */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  /** The first bytes, kept when asked (a cahier de textes to render), up to `keep`. */
  kept: Buffer[] = [];
  overflow = false;
  constructor(private readonly keep = 0) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.keep > 0 && !this.overflow) {
      if (this.bytes > this.keep) {
        this.overflow = true;
        this.kept = [];
      } else {
        this.kept.push(chunk);
      }
    }
    done(null, chunk);
  }
}

/**
 * Writes the archive entry by entry, one source open at a time: each entry's bytes go through the
 * zip into the S3 multipart upload with back-pressure all the way, so memory stays flat whatever
 * the size (yazl switches to ZIP64 past 4 GiB by itself).
 */
class ArchiveWriter {
  readonly zip = new ZipFile();
  readonly output: PassThrough = new PassThrough();
  private readonly mtime: Date;

  constructor(createdAt: Date) {
    this.mtime = createdAt;
    (this.zip.outputStream as Readable).pipe(this.output);
  }

  /** Adds one entry from a stream; resolves once yazl has read all of it. */
  async add(path: string, source: Readable, options: { compress: boolean; keep?: number }): Promise<Meter> {
    const meter = new Meter(options.keep);
    const consumed = once(meter, 'end');
    this.zip.addReadStream(meter, path, { mtime: this.mtime, mode: 0o100644, compress: options.compress });
    await Promise.all([pipeline(source, meter), consumed]);
    return meter;
  }

  addText(path: string, text: string): Promise<Meter> {
    return this.add(path, Readable.from([Buffer.from(text, 'utf8')]), { compress: true });
  }

  fail(err: Error): void {
    this.output.destroy(err);
  }

  end(): void {
    this.zip.end();
  }
}

/** Formats already compressed (zip containers, PDF, images) are stored as they are: deflating them again only costs CPU. */
function worthCompressing(format: string, mediaType: string): boolean {
  return ['ical', 'mbox', 'eml', 'vcard', 'scolomfr-3.1'].includes(format) || /^text\/|xml|json/.test(mediaType);
}

/**
 * « Télécharger une copie de mes données » (RGPD art. 20, ADR 017): the teacher's selection, or
 * everything, exported by her ENT (connector contract) into one ZIP built by a job straight into
 * S3, then served to her only, resumable, until its retention ends.
 */
@Injectable()
export class DataCopyService {
  private readonly logger = new Logger(DataCopyService.name);

  constructor(
    private readonly repo: DataCopyRepository,
    private readonly connector: ConnectorClient,
    private readonly wake: JobWake,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * She asks for a copy: everything (`itemIds` null) or the contents she picked, all of them hers
   * (checked against her ENT's list). A copy already being prepared is answered instead of a second.
   */
  async request(user: SessionUser, itemIds: string[] | null): Promise<DataCopyRow> {
    if (itemIds !== null) {
      const unique = [...new Set(itemIds)];
      if (unique.length === 0) {
        throw new ProblemError(400, PROBLEM_TYPES.validation, 'Aucun contenu choisi', 'Choisissez au moins un contenu, ou « Tous mes contenus ».');
      }
      if (unique.length > OFFER_LIMITS.maxItems || unique.some((id) => !ITEM_ID_PATTERN.test(id))) {
        throw new ProblemError(400, PROBLEM_TYPES.validation, 'Choix invalide', 'La sélection contient un identifiant de contenu invalide.');
      }
      const hers = new Set((await this.connector.listContents(user.identity)).map((c) => c.id));
      if (unique.some((id) => !hers.has(id))) {
        throw new ProblemError(422, PROBLEM_TYPES.validation, 'Contenu inconnu', "Un des contenus choisis n'existe plus dans votre ENT. Rechargez la page et recommencez.");
      }
      itemIds = unique;
    }
    const id = randomUUID();
    const { row, created } = await this.repo.db.transaction(async (tx) => {
      const r = await this.repo.createOrCurrent(tx, id, user.identity, itemIds);
      if (r.created) await enqueueJob(tx, JOB_KINDS.buildDataCopy, { copyId: id, ownerName: user.displayName }, { key: `copy:${id}` });
      return r;
    });
    if (created) this.wake.wake();
    return row;
  }

  list(user: SessionUser): Promise<DataCopyRow[]> {
    return this.repo.listFor(user.identity);
  }

  /** Hers, or 404 — the same answer whether it exists for somebody else or not at all. */
  async owned(user: SessionUser, id: string): Promise<DataCopyRow> {
    const row = /^[0-9a-f-]{36}$/.test(id) ? await this.repo.get(this.repo.db, id) : undefined;
    if (!row || row.owner_id !== user.identity) {
      throw new ProblemError(404, PROBLEM_TYPES.notFound, 'Copie introuvable', "Cette copie n'existe pas.");
    }
    return row;
  }

  /** The archive of a ready copy, for its owner: size, strong validator, and a reader of any byte range. */
  async archive(user: SessionUser, id: string): Promise<{ row: DataCopyRow; size: number; etag: string; open: (range?: { start: number; end: number }) => Promise<Readable> }> {
    const row = await this.owned(user, id);
    if (row.state === 'EXPIRED') {
      throw new ProblemError(410, PROBLEM_TYPES.notFound, 'Copie supprimée', 'Cette copie a été supprimée à la fin de sa durée de conservation. Vous pouvez en demander une nouvelle.');
    }
    if (row.state !== 'READY' || !row.object_key || row.size_bytes === null || !row.sha256) {
      throw new ProblemError(409, PROBLEM_TYPES.invalidState, 'Copie pas encore prête', "Cette copie n'est pas encore prête : revenez dans quelques minutes.");
    }
    const key = row.object_key;
    return {
      row,
      size: row.size_bytes,
      // The SHA-256 of the archive: a strong validator that changes with any byte (RFC 9110 §8.8.3).
      etag: `"${row.sha256}"`,
      open: (range) => this.store.getStream(key, range),
    };
  }

  /** Job: builds the archive into S3. A crash or an ENT outage retries the whole build (a copy is rebuilt, never half-served). */
  async build(job: JobRow<{ copyId: string; ownerName?: string }>): Promise<void> {
    const copy = await this.repo.get(this.repo.db, job.payload.copyId);
    if (!copy || copy.state !== 'PREPARING') return;
    const all = await this.connector.listContents(copy.owner_id);
    const chosen = copy.scope === null ? all : all.filter((c) => copy.scope!.includes(c.id));
    const objectKey = `copies/${copy.id}.zip`;
    const writer = new ArchiveWriter(new Date(copy.created_at));
    const upload = this.store.putStream(objectKey, writer.output, { contentType: 'application/zip' });
    // putStream owns the output: if it fails (S3 down), stop feeding it.
    upload.catch((err: Error) => writer.fail(err));
    let items: CopyItemOutcome[];
    try {
      items = await this.writeEntries(writer, copy, chosen, job.payload.ownerName ?? copy.owner_id);
      writer.end();
    } catch (err) {
      writer.fail(err as Error);
      await upload.catch(() => undefined);
      throw err;
    }
    const put = await upload;
    const readyAt = this.clock.now();
    const expiresAt = new Date(readyAt.getTime() + this.config.dataCopy.retentionSeconds * 1000);
    await this.repo.db.transaction(async (tx) => {
      if (await this.repo.markReady(tx, copy.id, { objectKey, sizeBytes: put.sizeBytes, sha256: put.sha256, items, readyAt, expiresAt })) {
        await enqueueJob(tx, JOB_KINDS.expireDataCopy, { copyId: copy.id }, { key: `copy-expire:${copy.id}`, runAt: expiresAt });
      }
    });
    this.logger.log({ copyId: copy.id, bytes: put.sizeBytes, items: items.length }, 'data copy ready');
  }

  async buildGaveUp(job: JobRow<{ copyId: string }>, error: string): Promise<void> {
    await this.repo.markFailed(job.payload.copyId, error);
    await this.store.remove(`copies/${job.payload.copyId}.zip`).catch(() => undefined);
  }

  /** Job, at the end of the retention: the archive goes; the row stays as a trace, without the titles. */
  async expire(job: JobRow<{ copyId: string }>): Promise<void> {
    const copy = await this.repo.get(this.repo.db, job.payload.copyId);
    if (!copy || copy.state === 'EXPIRED') return;
    await this.store.remove(copy.object_key ?? `copies/${copy.id}.zip`);
    await this.repo.markExpired(copy.id);
  }

  private async writeEntries(writer: ArchiveWriter, copy: DataCopyRow, chosen: ConnectorContent[], ownerName: string): Promise<CopyItemOutcome[]> {
    const paths = new ArchivePaths();
    const items: CopyItemOutcome[] = [];
    const described: DeliveryIndexItem[] = [];
    for (const content of chosen) {
      const outcome = await this.writeContent(writer, copy.owner_id, content, paths);
      items.push(outcome);
      if (outcome.missing || outcome.sizeBytes === undefined || !outcome.sha256) continue;
      described.push({
        itemId: content.id, title: content.title, category: content.category, format: outcome.format!,
        mediaType: exportFormatFor(content)?.mediaType ?? 'application/octet-stream', sizeBytes: outcome.sizeBytes, sha256: outcome.sha256,
        ...(await this.scolomfrRecord(copy.owner_id, content)),
      });
    }
    // The ScoLOMFR / schema.org index, as a delivery carries it (§8.3 flow 4), here for her.
    const index = buildDeliveryIndex(described, {
      offerId: copy.id,
      departure: { id: this.config.entId, uai: this.config.uais },
      arrival: { id: 'copie-personnelle', name: 'Copie de mes données' },
      issuedAt: new Date(copy.created_at),
    });
    const indexes: CopyFile[] = [];
    const labels: Record<keyof typeof DELIVERY_INDEX_FILES, string> = {
      'index.html': 'Index lisible (page web)', 'index.jsonld': 'Index schema.org (JSON-LD)', 'index.scolomfr.xml': 'Notices ScoLOMFR (XML)',
    };
    for (const name of Object.keys(DELIVERY_INDEX_FILES) as (keyof typeof DELIVERY_INDEX_FILES)[]) {
      const path = `${METADATA_DIR}/${name}`;
      const m = await writer.addText(path, index[name]);
      indexes.push({ path, label: labels[name], sizeBytes: m.bytes });
    }
    await writer.addText(ROOT_INDEX, renderCopyIndex({ ownerName, entId: this.config.entId, createdAt: new Date(copy.created_at) }, items, indexes));
    return items;
  }

  /** One content: its export as the ENT gives it, plus what makes it usable (readable page, one EML per message). */
  private async writeContent(writer: ArchiveWriter, ownerId: string, content: ConnectorContent, paths: ArchivePaths): Promise<CopyItemOutcome> {
    const base = { contentId: content.id, title: content.title, category: content.category };
    const format = exportFormatFor(content);
    if (!format) return { ...base, files: [], missing: "votre ENT ne propose aucun format d'export pour ce contenu." };
    const source = this.connector.exportSource(ownerId, content.id, format.format);
    let opened;
    try {
      opened = await source({ offset: 0 });
    } catch (err) {
      // Gone or refused by the ENT: said in the copy. A transient failure retries the whole build.
      if (err instanceof ConnectorError && !err.retryable) return { ...base, format: format.format, files: [], missing: "votre ENT n'a pas pu l'exporter." };
      throw err;
    }
    const mediaType = format.mediaType ?? opened.contentType ?? 'application/octet-stream';
    const path = paths.forContent(content.category, content.title, extensionFor(format.format, mediaType));
    const isCahier = format.format === 'ical';
    const meter = await writer.add(path, opened.stream, { compress: worthCompressing(format.format, mediaType), keep: isCahier ? MAX_READABLE_CAHIER_BYTES : 0 });
    const outcome: CopyItemOutcome = {
      ...base, format: format.format, sizeBytes: meter.bytes, sha256: meter.hash.digest('hex'),
      files: [{ path, label: `${content.title} (${format.format === 'binary' ? 'fichier' : format.format})`, sizeBytes: meter.bytes }],
    };
    if (isCahier) await this.writeReadableCahier(writer, meter, path, outcome);
    if (format.format === 'mbox') await this.writeEmls(writer, source, path, outcome);
    return outcome;
  }

  /** The cahier de textes as a page she can read anywhere: the same pages the iCalendar → CC conversion writes. */
  private async writeReadableCahier(writer: ArchiveWriter, meter: Meter, icsPath: string, outcome: CopyItemOutcome): Promise<void> {
    if (meter.overflow) {
      outcome.note = 'Cahier de textes trop volumineux pour une page lisible : ouvrez le fichier .ics dans un agenda.';
      return;
    }
    let page: string;
    try {
      const { course } = cahierToCcWebContent(Buffer.concat(meter.kept));
      const sections = course.sections.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>${s.items.map((i) => `<article>${i.kind === 'page' ? i.html : ''}</article>`).join('\n')}</section>`);
      page = `<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(course.title)}</title>`
        + '<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:0 auto;padding:1rem;line-height:1.45}article{border-bottom:1px solid #ddd;padding:.5rem 0}h1{font-size:1.2rem}.date{color:#555}</style>'
        + `</head><body><main><p><a href="../index.html">Retour à la copie de mes données</a></p><h1>${escapeHtml(course.title)}</h1>${sections.join('\n')}</main></body></html>\n`;
    } catch {
      outcome.note = "Le cahier de textes n'a pas pu être mis en page : ouvrez le fichier .ics dans un agenda.";
      return;
    }
    const htmlPath = icsPath.replace(/\.ics$/, '.html');
    const m = await writer.addText(htmlPath, page);
    outcome.files.push({ path: htmlPath, label: 'Page lisible du cahier de textes', sizeBytes: m.bytes });
  }

  /**
   * One .eml per message, from a second export of the mbox read message by message (never whole),
   * and a page listing them (relative links), so that the root index stays short.
   */
  private async writeEmls(writer: ArchiveWriter, source: ReturnType<ConnectorClient['exportSource']>, mboxPath: string, outcome: CopyItemOutcome): Promise<void> {
    const folder = mboxPath.replace(/\.mbox$/, '');
    const again = await source({ offset: 0 });
    const listed: CopyFile[] = [];
    for await (const message of splitMboxStream(again.stream)) {
      const name = emlFileName(listed.length, message.raw);
      const m = await writer.add(`${folder}/${name}`, Readable.from([message.raw]), { compress: true });
      listed.push({ path: name, label: name, sizeBytes: m.bytes });
    }
    if (listed.length === 0) return;
    const listPath = `${folder}/messages.html`;
    const m = await writer.addText(listPath, renderFileList(`${outcome.title} — ${listed.length} message(s)`, listed));
    outcome.files.push({ path: listPath, label: `${listed.length} message(s) au format .eml`, sizeBytes: listed.reduce((s, f) => s + f.sizeBytes, 0) + m.bytes });
  }

  private async scolomfrRecord(ownerId: string, content: ConnectorContent): Promise<{ scolomfr?: string }> {
    if (!content.metadataFormats?.includes('scolomfr-3.1')) return {};
    try {
      const { stream } = await this.connector.exportMetadata(ownerId, content.id, 'scolomfr-3.1');
      return { scolomfr: (await readStream(stream, MAX_METADATA_RECORD_BYTES)).toString('utf8') };
    } catch (err) {
      this.logger.warn({ contentId: content.id, err: (err as Error).message }, 'no ScoLOMFR record for the copy: a minimal one is written');
      return {};
    }
  }
}

