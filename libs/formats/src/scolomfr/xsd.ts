/**
 * XSD validation with libxml2's `xmllint` (Debian package `libxml2-utils`),
 * run as a child process: `--nonet`, so a schema or document can never make
 * it fetch anything. The document goes through a private temporary file that
 * is removed afterwards.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface XsdError {
  line?: number;
  /** Local name of the element xmllint complains about, when it says. */
  element?: string;
  message: string;
}

export interface XsdResult {
  /** False when xmllint or the schema is missing: nothing was checked. */
  checked: boolean;
  valid: boolean;
  errors: XsdError[];
  /** Why nothing was checked. */
  unavailable?: string;
}

let available: boolean | undefined;

export function xmllintAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/** `file.xml:12: element value: Schemas validity error : Element '{ns}value': … ` */
const LINE = /^.*?:(\d+): (?:element ([^:]+): )?(?:Schemas validity error|parser error|Schemas parser error|validity error)\s*:\s*(.*)$/;

export function parseXmllintOutput(output: string): XsdError[] {
  const errors: XsdError[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || / validates$/.test(line) || / fails to validate$/.test(line)) continue;
    const m = LINE.exec(line);
    if (m) errors.push({ line: Number(m[1]), element: m[2]?.trim(), message: m[3].trim() });
    else if (errors.length > 0 && /^\s/.test(raw)) errors[errors.length - 1].message += ` ${line.trim()}`;
    else if (!/^\s*\^?\s*$/.test(line)) errors.push({ message: line.trim() });
  }
  return errors;
}

/** Validates `xml` against the XSD at `schemaPath`. Never throws for an invalid document. */
export async function validateXmlWithXsd(xml: string | Buffer, schemaPath: string, timeoutMs = 60_000): Promise<XsdResult> {
  if (!existsSync(schemaPath)) return { checked: false, valid: false, errors: [], unavailable: `schema not found: ${schemaPath}` };
  if (!xmllintAvailable()) return { checked: false, valid: false, errors: [], unavailable: 'xmllint is not installed (Debian package libxml2-utils)' };
  const dir = await mkdtemp(join(tmpdir(), 'ent-xsd-'));
  const file = join(dir, 'document.xml');
  try {
    await writeFile(file, xml);
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        'xmllint',
        ['--noout', '--nonet', '--schema', schemaPath, file],
        { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const c = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
          resolve({ code: c, output: `${stdout ?? ''}${stderr ?? ''}` });
        },
      );
    });
    const errors = parseXmllintOutput(output.split(file).join('document.xml'));
    if (code === 0) return { checked: true, valid: true, errors: [] };
    if (errors.length === 0) errors.push({ message: `xmllint exited with status ${code}` });
    return { checked: true, valid: false, errors };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
