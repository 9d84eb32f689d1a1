import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FormatError, parseXmlSafely, SCOLOMFR_NS } from '@ent/formats';
import type {
  AcceptedFormat,
  ConnectorCapabilities,
  ConnectorContent,
  ConnectorContentList,
  ConnectorImportResult,
} from '@ent/contract';
import { AccountDirectory } from '../accounts/account-directory';
import { ENT_SIM_CONFIG, EntSimConfig } from '../config';
import { ENT_PROFILE } from '../tokens';
import { EntProfile, MEDIA_TYPE_OF_FORMAT, METADATA_FORMATS } from '../profiles/profile';
import { problems } from '../problems';
import { StoreProvider } from '../store/store.provider';
import { StoredBlobRef, StoredContent } from '../store/content-store';
import { readSmallBody, receiveBodyToFile } from './body';
import { checkImportedContent } from './content-check';
import { ImportQuery } from './connector.dto';
import { contentPagePath } from '../portal.controller';

export const MAX_METADATA_BYTES = 1024 * 1024;

export interface BlobToSend extends StoredBlobRef {
  path: string;
  mediaType: string;
  fileName: string;
}

function toContract(c: StoredContent): ConnectorContent {
  return {
    id: c.id,
    title: c.title,
    category: c.category,
    updatedAt: c.updatedAt,
    formats: c.formats.map((f) => ({ format: f.format, mediaType: f.mediaType, sizeBytes: f.sizeBytes })),
    metadataFormats: Object.keys(c.metadata),
    ...(c.importKey !== undefined ? { importKey: c.importKey } : {}),
  };
}

const EXTENSIONS: Record<string, string> = {
  'imscc-1.3': 'imscc',
  'imscc-1.1': 'imscc',
  ical: 'ics',
  mbox: 'mbox',
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
};

@Injectable()
export class ConnectorService {
  private readonly logger = new Logger(ConnectorService.name);
  /** Imports in progress, by owner + key: a concurrent replay waits for the first one. */
  private readonly inFlight = new Map<string, Promise<ConnectorImportResult>>();

  constructor(
    @Inject(ENT_SIM_CONFIG) private readonly config: EntSimConfig,
    @Inject(ENT_PROFILE) private readonly profile: EntProfile,
    private readonly stores: StoreProvider,
    private readonly accounts: AccountDirectory,
  ) {}

  /** Where the imported content lives in this ENT (connector contract 1.1 `location`): its portal page. */
  private location(userId: string, contentId: string): string {
    return `http://${this.config.host}:${this.config.port}${contentPagePath(userId, contentId)}`;
  }

  /** ENT_SIM_LATENCY_MS: a slow ENT, for fault-injection tests. */
  simulatedLatency(): Promise<void> {
    return this.config.latencyMs > 0 ? new Promise((r) => setTimeout(r, this.config.latencyMs)) : Promise.resolve();
  }

  /** The item size limit: ENT_SIM_MAX_ITEM_BYTES when set, else the ENT's own bounded by the 2 GiB default. */
  get maxItemBytes(): number {
    if (this.config.maxItemBytesOverridesProfile) return this.config.maxItemBytes;
    return Math.min(this.profile.maxItemBytes ?? Number.MAX_SAFE_INTEGER, this.config.maxItemBytes);
  }

  /** Native import abilities: the profile's, unless ENT_SIM_CATEGORIES replaces them. */
  private get categories() {
    return this.config.categoriesOverride ?? this.profile.categories;
  }

  capabilities(): ConnectorCapabilities {
    return {
      entId: this.profile.entId,
      categories: this.categories.map((c) => ({ category: c.category, imports: c.imports.map((i) => ({ ...i })) })),
      refusedCategories: [...this.profile.refusedCategories],
      maxItemBytes: this.maxItemBytes,
      metadataImports: [...this.config.metadataImports],
    };
  }

  list(userId: string): ConnectorContentList {
    return { items: this.stores.store.list(userId).map(toContract) };
  }

  exportBlob(userId: string, contentId: string, format: string): BlobToSend {
    const content = this.stores.store.get(userId, contentId);
    if (!content) throw problems.notFound(`no content ${contentId} for user ${userId}`);
    const f = content.formats.find((x) => x.format === format);
    if (!f) {
      throw problems.formatNotOffered(
        `content ${contentId} is offered in ${content.formats.map((x) => x.format).join(', ')}, not in ${format}`,
      );
    }
    const ext = EXTENSIONS[f.format] ?? EXTENSIONS[f.mediaType] ?? 'bin';
    return { ...f, path: this.stores.store.blobPath(f.sha256), fileName: `${content.id}.${ext}` };
  }

  metadataBlob(userId: string, contentId: string, format: string): BlobToSend {
    const content = this.stores.store.get(userId, contentId);
    if (!content) throw problems.notFound(`no content ${contentId} for user ${userId}`);
    const m = content.metadata[format];
    if (!m) throw problems.notFound(`content ${contentId} has no ${format} metadata record`);
    return { ...m, path: this.stores.store.blobPath(m.sha256), fileName: `${content.id}.${format}.xml` };
  }

  /** Checks the import against the capabilities; returns the media type to record. */
  private admissible(q: ImportQuery): string {
    if (this.profile.refusedCategories.includes(q.category)) {
      throw problems.categoryNotImportable(`${this.profile.entId} refuses the category ${q.category}`);
    }
    const cat = this.categories.find((c) => c.category === q.category);
    if (!cat || cat.imports.length === 0) {
      throw problems.categoryNotImportable(`${this.profile.entId} does not import contents of category ${q.category}`);
    }
    const accepted: AcceptedFormat | undefined = cat.imports.find((i) => i.format === q.format);
    if (!accepted) {
      throw problems.unsupportedFormat(
        `${this.profile.entId} imports ${q.category} as ${cat.imports.map((i) => i.format).join(', ')}, not ${q.format}`,
      );
    }
    if (q.format === 'binary') {
      if (accepted.mediaTypes && accepted.mediaTypes.length > 0) {
        if (!q.mediaType) throw problems.unsupportedFormat(`mediaType is required: ${this.profile.entId} imports ${accepted.mediaTypes.join(', ')}`);
        if (!accepted.mediaTypes.includes(q.mediaType)) {
          throw problems.unsupportedFormat(`${this.profile.entId} imports ${q.category} files of type ${accepted.mediaTypes.join(', ')}, not ${q.mediaType}`);
        }
      }
      return q.mediaType ?? 'application/octet-stream';
    }
    const known = MEDIA_TYPE_OF_FORMAT[q.format];
    if (known && q.mediaType && q.mediaType !== known) {
      throw problems.unsupportedFormat(`format ${q.format} has media type ${known}, not ${q.mediaType}`);
    }
    return known ?? q.mediaType ?? 'application/octet-stream';
  }

  /**
   * Imports the request body for `userId` under `importKey`. Idempotent: the
   * same key answers the same content with created=false and stores nothing.
   */
  async importContent(userId: string, importKey: string, q: ImportQuery, req: IncomingMessage): Promise<ConnectorImportResult> {
    if (!this.accounts.knows(userId)) {
      req.resume();
      throw problems.unknownUser(`this ENT has no account for ${userId} yet`);
    }
    const mediaType = this.admissible(q);
    const existing = await this.existingImport(userId, importKey);
    if (existing) {
      req.resume(); // the bytes are not needed: drain them so the connection can be reused
      this.logger.log(`import replayed ${existing.localId} for ${userId} (key ${importKey}, nothing stored)`);
      return existing;
    }

    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxItemBytes) {
      throw problems.tooLarge(`the body (${declared} bytes) exceeds the ${this.maxItemBytes}-byte limit of this ENT`);
    }
    const key = `${userId}\u0000${importKey}`;
    const work = this.doImport(userId, importKey, q, mediaType, req);
    this.inFlight.set(key, work);
    try {
      return await work;
    } finally {
      if (this.inFlight.get(key) === work) this.inFlight.delete(key);
    }
  }

  private async existingImport(userId: string, importKey: string): Promise<ConnectorImportResult | undefined> {
    const pending = this.inFlight.get(`${userId}\u0000${importKey}`);
    if (pending) {
      try {
        const first = await pending;
        return { ...first, created: false };
      } catch {
        // the first attempt failed: this one proceeds
      }
    }
    const found = this.stores.store.findImport(userId, importKey);
    if (!found) return undefined;
    const f = found.formats[0];
    return { localId: found.id, created: false, sizeBytes: f.sizeBytes, sha256: f.sha256, location: this.location(userId, found.id) };
  }

  private async doImport(
    userId: string,
    importKey: string,
    q: ImportQuery,
    mediaType: string,
    req: IncomingMessage,
  ): Promise<ConnectorImportResult> {
    const store = this.stores.store;
    const tmp = store.tempPath('upload');
    try {
      const { sizeBytes, sha256 } = await receiveBodyToFile(req, tmp, this.maxItemBytes);
      await checkImportedContent(tmp, sizeBytes, q.format, mediaType, this.profile.courseImport);
      await this.simulatedLatency();
      await store.commitBlob(tmp, sha256);
      const localId = `imp-${createHash('sha256').update(`${userId}\u0000${importKey}`).digest('hex').slice(0, 24)}`;
      const result = await store.mutate((index) => {
        const again = index.contents.find((c) => c.ownerId === userId && c.importKey === importKey);
        if (again) {
          return { localId: again.id, created: false, sizeBytes: again.formats[0].sizeBytes, sha256: again.formats[0].sha256, location: this.location(userId, again.id) };
        }
        index.contents.push({
          id: localId,
          ownerId: userId,
          title: q.title ?? `Import ${importKey}`,
          category: q.category,
          updatedAt: new Date().toISOString(),
          formats: [{ format: q.format, mediaType, sizeBytes, sha256 }],
          metadata: {},
          importKey,
          origin: 'import',
        });
        return { localId, created: true, sizeBytes, sha256, location: this.location(userId, localId) };
      });
      this.logger.log(
        `import ${result.created ? 'created' : 'replayed'} ${result.localId} for ${userId} (key ${importKey}, ${q.category}/${q.format}, ${sizeBytes} bytes)`,
      );
      return result;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /** Attaches a metadata record (a format of ENT_SIM_METADATA_IMPORTS: ScoLOMFR 3.1 by default) to an imported content. */
  async importMetadata(userId: string, importKey: string, format: string, req: IncomingMessage): Promise<void> {
    if (!this.config.metadataImports.includes(format)) {
      throw problems.unsupportedFormat(`${this.profile.entId} takes metadata records in ${this.config.metadataImports.join(', ')} only`);
    }
    const content = this.stores.store.findImport(userId, importKey);
    if (!content) throw problems.notFound(`no import ${importKey} for user ${userId}`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_METADATA_BYTES) {
      throw problems.tooLarge(`a metadata record is limited to ${MAX_METADATA_BYTES} bytes`);
    }
    const body = await readSmallBody(req, MAX_METADATA_BYTES);
    if (format === METADATA_FORMATS.schemaorg.format) {
      let doc: unknown;
      try {
        doc = JSON.parse(body.toString('utf8'));
      } catch {
        throw problems.invalidContent('a schema.org record must be JSON-LD');
      }
      if (typeof doc !== 'object' || doc === null) throw problems.invalidContent('a schema.org record must be a JSON-LD object or array');
    } else {
      try {
        const root = parseXmlSafely(body, { maxBytes: MAX_METADATA_BYTES });
        if (root.local !== 'lom' || root.ns !== SCOLOMFR_NS.lom) {
          throw problems.invalidContent(`a ScoLOMFR record has the root {${SCOLOMFR_NS.lom}}lom, not {${root.ns}}${root.local}`);
        }
      } catch (err) {
        if (err instanceof FormatError) throw problems.invalidContent(`not an acceptable XML record: ${err.message}`);
        throw err;
      }
    }
    const ref = await this.stores.store.putBlob(body);
    await this.stores.store.mutate((index) => {
      const at = index.contents.findIndex((x) => x.id === content.id);
      if (at < 0) return;
      const c = index.contents[at];
      const record = { mediaType: format === METADATA_FORMATS.schemaorg.format ? METADATA_FORMATS.schemaorg.mediaType : METADATA_FORMATS.scolomfr31.mediaType, ...ref };
      index.contents[at] = { ...c, metadata: { ...c.metadata, [format]: record } };
    });
  }
}
