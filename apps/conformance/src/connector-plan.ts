import { randomUUID } from 'node:crypto';
import { PublishedContract } from './contract';
import { http, HttpResult } from './http';
import { Results } from './results';
import { sampleItems, sha256Hex } from './samples';

export interface ConnectorPlanOptions {
  /** The ENT's connector base URL (the paths under /connector/v1 are the contract's). */
  target: string;
  /** The bearer secret shared by the ENT and its gateway. */
  token: string;
  /** A test user whose contents are listed and exported, and into whose space the kit imports. */
  user: string;
  log: (line: string) => void;
}

interface Content {
  id: string;
  title: string;
  category: string;
  formats: { format: string; mediaType: string; sizeBytes: number }[];
}

const MAX_EXPORTS = 5;

/**
 * The connector contract (an ENT to its own gateway): capabilities, the user's contents, exports
 * with their exact sizes and `Range`, idempotent imports, errors — as the gateway relies on them.
 */
export class ConnectorPlan {
  private readonly contract = new PublishedContract();
  private readonly base: string;

  constructor(
    private readonly o: ConnectorPlanOptions,
    private readonly results: Results,
  ) {
    this.base = `${o.target.replace(/\/+$/, '')}/connector/v1`;
  }

  private get(path: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return http(`${this.base}${path}`, { headers: { authorization: `Bearer ${this.o.token}`, ...headers }, timeoutMs: 120_000 });
  }

  async run(): Promise<void> {
    this.o.log('Authentication');
    for (const [what, headers] of [['without a token', {}], ['with a wrong token', { authorization: `Bearer conformance-kit-${randomUUID()}` }]] as const) {
      const res = await http(`${this.base}/capabilities`, { headers });
      this.problem('CON-01', res, (s) => s === 401, `capabilities ${what}`, '401');
    }

    this.o.log('Capabilities and contents');
    const caps = await this.get('/capabilities');
    const capProblems = caps.status !== 200 ? [`answered ${caps.status}`] : [
      ...this.contract.validate('connector', 'ConnectorCapabilities', caps.json),
      ...(Array.isArray(caps.json?.categories) ? [] : ['categories is not an array']),
    ];
    this.results.check('CON-02', capProblems.length === 0, capProblems.length ? `capabilities: ${capProblems.join('; ')}` : `capabilities: ${caps.json.categories.length} categories imported natively`, [caps.exchange]);

    const list = await this.get(`/users/${encodeURIComponent(this.o.user)}/contents`);
    const contents: Content[] = Array.isArray(list.json?.items) ? list.json.items : [];
    const listProblems = list.status !== 200 ? [`answered ${list.status}`] : [
      ...this.contract.validate('connector', 'ConnectorContentList', list.json),
      ...(contents.length ? [] : [`no content for ${this.o.user}: give --user a test account that holds some`]),
      ...contents.filter((c) => !Array.isArray(c.formats) || !c.formats.length || c.formats.some((f) => !Number.isSafeInteger(f.sizeBytes))).map((c) => `${c.id}: formats without exact sizes`),
    ];
    this.results.check('CON-03', listProblems.length === 0, listProblems.length ? `contents of ${this.o.user}: ${listProblems.join('; ')}` : `contents of ${this.o.user}: ${contents.length}, each with its formats and sizes`, [list.exchange]);

    this.o.log('Exports');
    let importable: { category: string; format: string; mediaType: string; bytes: Buffer } | undefined;
    const accepted = (category: string, format: string, mediaType: string) =>
      Array.isArray(caps.json?.categories) && caps.json.categories.some((c: any) => c.category === category && c.imports?.some((i: any) => i.format === format && (!i.mediaTypes || i.mediaTypes.includes(mediaType))));
    for (const c of contents.slice(0, MAX_EXPORTS)) {
      const f = c.formats?.[0];
      if (!f) continue;
      const path = `/users/${encodeURIComponent(this.o.user)}/contents/${encodeURIComponent(c.id)}/export?format=${encodeURIComponent(f.format)}`;
      const res = await this.get(path);
      const etag = res.headers.get('etag');
      const problems = [
        ...(res.status === 200 ? [] : [`answered ${res.status}`]),
        ...(res.status === 200 && res.bytes.length !== f.sizeBytes ? [`${res.bytes.length} bytes, the list says ${f.sizeBytes}`] : []),
        ...(etag && !etag.startsWith('W/') ? [] : [`no strong ETag (${etag ?? 'none'})`]),
      ];
      this.results.check('CON-04', problems.length === 0, problems.length ? `export of ${c.id} as ${f.format}: ${problems.join('; ')}` : `export of ${c.id} as ${f.format}: exactly ${f.sizeBytes} bytes, ETag ${etag}`, [res.exchange]);
      if (res.status === 200 && f.sizeBytes > 1 && etag) {
        const half = Math.floor(f.sizeBytes / 2);
        const ranged = await this.get(path, { range: `bytes=${half}-`, 'if-range': etag });
        const ok = ranged.status === 206 && ranged.bytes.equals(res.bytes.subarray(half));
        this.results.check('CON-05', ok, ok ? `export of ${c.id}: Range from byte ${half} with If-Range answered 206 with the rest` : `export of ${c.id}: Range from byte ${half} with If-Range answered ${ranged.status}${ranged.status === 206 ? ' with other bytes' : ''} (a whole 200 is correct, only slower to resume)`, [ranged.exchange]);
      }
      if (!importable && res.status === 200 && accepted(c.category, f.format, f.mediaType)) importable = { category: c.category, format: f.format, mediaType: f.mediaType, bytes: res.bytes };
    }

    this.o.log('Errors');
    const unknown = await this.get(`/users/${encodeURIComponent(this.o.user)}/contents/conformance-kit-${randomUUID()}/export?format=binary`);
    this.problem('CON-08', unknown, (s) => s >= 400 && s < 500, 'export of a content that does not exist', '4xx');
    if (contents[0]) {
      const badFormat = await this.get(`/users/${encodeURIComponent(this.o.user)}/contents/${encodeURIComponent(contents[0].id)}/export?format=conformance-kit-unknown`);
      this.problem('CON-08', badFormat, (s) => s >= 400 && s < 500, 'export in a format the content does not offer', '4xx');
    }

    this.o.log('Imports');
    if (!importable) {
      const pdf = sampleItems()[0];
      importable = { category: pdf.category, format: pdf.format, mediaType: pdf.mediaType, bytes: pdf.bytes };
    }
    const key = `conformance-kit/${randomUUID()}`;
    const put = () => http(`${this.base}/users/${encodeURIComponent(this.o.user)}/imports/${encodeURIComponent(key)}?${new URLSearchParams({
      category: importable!.category, format: importable!.format, mediaType: importable!.mediaType, title: 'Kit de conformité — import',
    })}`, { method: 'PUT', headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/octet-stream' }, body: importable!.bytes, timeoutMs: 120_000 });
    const first = await put();
    const r = first.json;
    const problems = ![200, 201].includes(first.status) ? [`answered ${first.status}`] : [
      ...this.contract.validate('connector', 'ConnectorImportResult', r),
      ...(typeof r?.localId === 'string' && r.localId ? [] : ['no localId']),
      ...(r?.created === true ? [] : [`created is ${String(r?.created)} for a new import key`]),
      ...(r?.sizeBytes === importable.bytes.length ? [] : [`sizeBytes ${String(r?.sizeBytes)}, ${importable.bytes.length} were sent`]),
      ...(r?.sha256 === sha256Hex(importable.bytes) ? [] : ['sha256 is not the SHA-256 of the bytes sent']),
    ];
    this.results.check('CON-06', problems.length === 0, problems.length ? `import of ${importable.bytes.length} bytes (${importable.category}, ${importable.format}): ${problems.join('; ')}` : `import of ${importable.bytes.length} bytes (${importable.category}, ${importable.format}): localId ${r.localId}`, [first.exchange]);
    const again = await put();
    const same = [200, 201].includes(again.status) && again.json?.localId === r?.localId && again.json?.created === false;
    this.results.check('CON-07', same, same ? `the same import key again: the same localId ${r.localId}, created false` : `the same import key again answered ${again.status} with localId ${String(again.json?.localId)} and created ${String(again.json?.created)}`, [again.exchange]);
  }

  private problem(id: string, res: HttpResult, statusOk: (s: number) => boolean, what: string, expected: string) {
    const contentType = res.headers.get('content-type') ?? '';
    const ok = statusOk(res.status) && contentType.startsWith('application/problem+json') && typeof res.json?.type === 'string' && res.json?.status === res.status;
    this.results.check(id, ok, ok ? `${what}: ${res.status} problem+json` : `${what}: expected ${expected} application/problem+json, got ${res.status} ${contentType || '(no content type)'}`, [res.exchange]);
  }
}
