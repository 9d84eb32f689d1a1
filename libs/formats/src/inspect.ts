/**
 * Format registry for tools: detection + inspection (`detectAndInspect`) and
 * file conversions (`convertFile`), each a plug-in list. A format module adds
 * itself by appending to `INSPECTORS` / `CONVERSIONS` below (or, at run time,
 * with `registerInspector` / `registerConversion`). Used by the
 * `ent-portability` command (src/cli/main.ts); plain TypeScript, no Nest.
 */
import { promises as fs } from 'node:fs';
import { FormatError } from './errors';
import { convertCommonCartridge } from './commoncartridge/cc-convert';
import { openCommonCartridge, outlineItems } from './commoncartridge/cc-read';
import { CcCartridge, CcFinding, CcOrgItem } from './commoncartridge/cc-types';
import { validateOpenedCc13, validateOpenedCcLegacy } from './commoncartridge/cc-validate';
import { openZipSafely } from './zip/safe-zip';

export type InspectSeverity = 'error' | 'warning' | 'info';

export interface InspectFinding {
  severity: InspectSeverity;
  code: string;
  message: string;
  path?: string;
}

export interface InspectReport {
  file: string;
  /** Registry format id (`imscc-1.3`, `thincc-1.3`, `scolomfr-3.1`…). */
  format: string;
  version?: string;
  /** No finding of severity `error`. */
  valid: boolean;
  /** Format-specific summary (titles, counts, tree…). */
  summary: Record<string, unknown>;
  /** What was validated and how (schema checks run or not, and why). */
  validation: Record<string, unknown>;
  findings: InspectFinding[];
  counts: Record<InspectSeverity, number>;
}

export interface InspectOptions {
  /** Skip XSD checks even when xmllint is there. */
  skipXsd?: boolean;
  /** Folder of the CC 1.3 XSDs (else ENT_CC13_XSD_DIR, else ../shared/corpus beside the repository). */
  cc13SchemaDir?: string;
  /** Folders of the CC 1.0 / 1.1 XSDs (else the siblings `ccv1p0`, `ccv1p1` of the 1.3 folder). */
  ccSchemaDirs?: { '1.0'?: string; '1.1'?: string };
}

/** What detectors get: the path, whether it is a folder, and the first bytes of a file. */
export interface DetectInput {
  path: string;
  isDirectory: boolean;
  /** First 4 KiB (empty for a folder). */
  head: Buffer;
}

export interface FormatInspector {
  /** Plug-in name, e.g. `commoncartridge`. */
  name: string;
  /** Format ids it may report. */
  formats: string[];
  detect(input: DetectInput): boolean | Promise<boolean>;
  inspect(path: string, options: InspectOptions): Promise<InspectReport>;
}

export interface ConversionResult {
  from: string;
  to: string;
  output: { path: string; size: number; sha256: string };
  /** What the conversion could not carry, as sentences. */
  losses: string[];
  /** Findings about the source, if the converter reports them. */
  sourceFindings?: InspectFinding[];
}

export interface FormatConversion {
  /** Source format ids accepted. */
  from: string[];
  /** Target format id. */
  to: string;
  description: string;
  convert(input: string, outPath: string): Promise<ConversionResult>;
}

export function countFindings(findings: InspectFinding[]): Record<InspectSeverity, number> {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

// ---------------------------------------------------------------------------
// Common Cartridge plug-in
// ---------------------------------------------------------------------------

interface OutlineNode {
  title: string;
  kind?: string;
  children?: OutlineNode[];
}

function outlineSummary(c: CcCartridge): OutlineNode[] {
  const byId = new Map(c.resources.map((r) => [r.identifier, r]));
  const node = (i: CcOrgItem): OutlineNode => {
    const r = i.identifierref ? byId.get(i.identifierref) : undefined;
    const kind = i.identifierref ? (r ? r.kind : 'missing') : undefined;
    return {
      title: i.title ?? `(${i.identifier})`,
      ...(kind ? { kind } : {}),
      ...(i.children.length ? { children: i.children.map(node) } : {}),
    };
  };
  const roots = c.organization?.items ?? [];
  return (roots.length === 1 ? roots[0].children : roots).map(node);
}

async function zipHasManifest(path: string): Promise<boolean> {
  try {
    const z = await openZipSafely({ path });
    const has = z.entries.some((e) => e.name === 'imsmanifest.xml' || /^[^/]+\/imsmanifest\.xml$/.test(e.name));
    z.close();
    return has;
  } catch {
    // A hostile or broken zip: claimed, so that the reader reports the precise error.
    return true;
  }
}

export const commonCartridgeInspector: FormatInspector = {
  name: 'commoncartridge',
  formats: ['imscc-1.0', 'imscc-1.1', 'imscc-1.2', 'imscc-1.3', 'thincc-1.3'],
  async detect({ path, isDirectory, head }) {
    if (isDirectory) return fs.stat(`${path}/imsmanifest.xml`).then(() => true, () => false);
    if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) return zipHasManifest(path);
    const text = head.toString('latin1');
    return /<(\w+:)?manifest[\s>]/.test(text) && /imsccv1p[0-3]|Common Cartridge|imscp_v1p1|imswl_xmlv1p|imsdt_xmlv1p|imsqti_xmlv1p2\/imscc/.test(text);
  },
  async inspect(path, options) {
    const opened = await openCommonCartridge(path);
    try {
      const c = opened.cartridge;
      const findings: InspectFinding[] = [...c.findings];
      let validation: Record<string, unknown>;
      if (c.version === '1.3' || c.version === 'thin-1.3') {
        const v = await validateOpenedCc13(opened, { skipXsd: options.skipXsd, schemaDir: options.cc13SchemaDir });
        findings.push(...v.findings);
        validation = { profile: 'CC 1.3 (schematron rules of the XSD + structural rules)', xsd: v.xsd };
      } else if (c.version === '1.0' || c.version === '1.1') {
        const v = await validateOpenedCcLegacy(opened, { skipXsd: options.skipXsd, schemaDir: options.ccSchemaDirs?.[c.version] });
        findings.push(...v.findings);
        validation = { profile: `CC ${c.version} (official XSDs of the version: manifest and descriptors)`, xsd: v.xsd };
      } else {
        validation = {
          profile: `reader checks only (CC ${c.version})`,
          xsd: { checked: false, documents: 0, reason: `no CC ${c.version} XSD in the schema set (CC 1.0, 1.1 and 1.3 are validated against XSDs)` },
        };
      }
      const typeCounts: Record<string, number> = {};
      for (const r of c.resources) typeCounts[r.type] = (typeCounts[r.type] ?? 0) + 1;
      return {
        file: path,
        format: c.formatId,
        version: c.version,
        valid: !findings.some((f) => f.severity === 'error'),
        summary: {
          source: c.source,
          title: c.title,
          identifier: c.identifier,
          schema: c.schema,
          ...(c.schemaversion ? { schemaversion: c.schemaversion } : {}),
          namespace: c.namespace,
          stats: c.stats,
          resourceTypes: typeCounts,
          outline: outlineSummary(c),
          outlineItems: outlineItems(c).length,
        },
        validation,
        findings,
        counts: countFindings(findings),
      };
    } finally {
      opened.close();
    }
  },
};

// ---------------------------------------------------------------------------
// Plug-in lists. Other formats: append your inspector / conversions here.
// ---------------------------------------------------------------------------

export const INSPECTORS: FormatInspector[] = [commonCartridgeInspector];

const ccConversion = (to: '1.1' | '1.3'): FormatConversion => ({
  from: ['imscc-1.0', 'imscc-1.1', 'imscc-1.2', 'imscc-1.3', 'thincc-1.3'],
  to: `imscc-${to}`,
  description: `Common Cartridge (any version) → Common Cartridge ${to}`,
  async convert(input, outPath) {
    const r = await convertCommonCartridge(input, { to, outPath });
    return {
      from: r.fromFormat,
      to: r.toFormat,
      output: r.output,
      losses: r.losses,
      sourceFindings: r.sourceFindings.filter((f: CcFinding) => f.severity !== 'info'),
    };
  },
});

export const CONVERSIONS: FormatConversion[] = [ccConversion('1.3'), ccConversion('1.1')];

export function registerInspector(inspector: FormatInspector): void {
  if (!INSPECTORS.some((i) => i.name === inspector.name)) INSPECTORS.push(inspector);
}

export function registerConversion(conversion: FormatConversion): void {
  CONVERSIONS.push(conversion);
}

async function detectInput(path: string): Promise<DetectInput> {
  let st;
  try {
    st = await fs.stat(path);
  } catch (e) {
    throw new FormatError('INVALID_INPUT', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'UNREADABLE');
  }
  if (st.isDirectory()) return { path, isDirectory: true, head: Buffer.alloc(0) };
  if (!st.isFile()) throw new FormatError('INVALID_INPUT', `${path} is neither a file nor a folder`, 'UNREADABLE');
  const fh = await fs.open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return { path, isDirectory: false, head: head.subarray(0, bytesRead) };
  } finally {
    await fh.close();
  }
}

/** The first inspector that recognises the file, or undefined. */
export async function detectFormat(path: string): Promise<FormatInspector | undefined> {
  const input = await detectInput(path);
  for (const i of INSPECTORS) if (await i.detect(input)) return i;
  return undefined;
}

/**
 * Detects the format of a file or folder and inspects it. Throws a
 * `FormatError` when nothing recognises it (`UNKNOWN_FORMAT`) or when it
 * cannot be read at all.
 */
export async function detectAndInspect(path: string, options: InspectOptions = {}): Promise<InspectReport> {
  const inspector = await detectFormat(path);
  if (!inspector) {
    throw new FormatError('INVALID_INPUT', `no inspector recognises ${path} (known: ${INSPECTORS.map((i) => i.name).join(', ')})`, 'UNKNOWN_FORMAT');
  }
  return inspector.inspect(path, options);
}

/** Conversions available from `from` (all when omitted). */
export function conversionsFrom(from?: string): FormatConversion[] {
  return CONVERSIONS.filter((c) => from === undefined || c.from.includes(from));
}

/** Detects the source format and runs the conversion to `to`. */
export async function convertFile(input: string, to: string, outPath: string): Promise<ConversionResult> {
  const report = await detectAndInspect(input, { skipXsd: true });
  const conversion = CONVERSIONS.find((c) => c.to === to && c.from.includes(report.format));
  if (!conversion) {
    const possible = conversionsFrom(report.format).map((c) => c.to);
    throw new FormatError(
      'INVALID_INPUT',
      `no conversion from ${report.format} to ${to}${possible.length ? ` (available: ${possible.join(', ')})` : ''}`,
      'NO_CONVERSION',
    );
  }
  return conversion.convert(input, outPath);
}
