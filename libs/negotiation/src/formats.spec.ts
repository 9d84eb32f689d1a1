import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { FORMAT_ID_PATTERN, MEDIA_TYPE_PATTERN } from '@ent/contract';
import { FORMAT_REGISTRY, formatLabel, getFormat, isKnownFormat, KNOWN_FORMAT_IDS, normalizeMediaType } from './formats';

const REQUIRED = [
  'imscc-1.0',
  'imscc-1.1',
  'imscc-1.2',
  'imscc-1.3',
  'thincc-1.3',
  'moodle-mbz',
  'qti-2.1',
  'h5p',
  'scorm-1.2',
  'scorm-2004',
  'scolomfr-3.1',
  'lom',
  'schemaorg-jsonld',
  'ical',
  'vcard',
  'eml',
  'mbox',
  'lheo-2.2',
  'lheo-2.3',
  'binary',
];

describe('FORMAT_REGISTRY', () => {
  it.each(REQUIRED)('registers %s', (id) => {
    expect(isKnownFormat(id)).toBe(true);
    expect(getFormat(id)?.id).toBe(id);
  });

  it('has unique ids that the contract accepts, valid media types and French labels', () => {
    expect(new Set(KNOWN_FORMAT_IDS).size).toBe(FORMAT_REGISTRY.length);
    for (const f of FORMAT_REGISTRY) {
      expect(f.id).toMatch(FORMAT_ID_PATTERN);
      expect(f.mediaTypes.length).toBeGreaterThan(0);
      for (const m of f.mediaTypes) expect(m).toMatch(MEDIA_TYPE_PATTERN);
      expect(f.label.trim().length).toBeGreaterThan(2);
      expect(f.family).toBeTruthy();
    }
  });

  it('marks only binary as accepting any media type, and SCORM as end of life', () => {
    expect(FORMAT_REGISTRY.filter((f) => f.anyMediaType).map((f) => f.id)).toEqual(['binary']);
    expect(FORMAT_REGISTRY.filter((f) => f.endOfLife).map((f) => f.id)).toEqual(['scorm-1.2', 'scorm-2004']);
  });

  it.each(['', 'IMSCC-1.3', 'imscc-1.4', 'constructor', '__proto__', 'toString', ' binary'])('does not know %p', (id) => {
    expect(isKnownFormat(id)).toBe(false);
    expect(getFormat(id)).toBeUndefined();
  });

  it('does not know non-strings', () => {
    expect(isKnownFormat(undefined)).toBe(false);
    expect(isKnownFormat(13)).toBe(false);
  });

  it('is frozen', () => {
    expect(() => (FORMAT_REGISTRY as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      (getFormat('h5p') as { label: string }).label = 'x';
    }).toThrow(TypeError);
  });

  it('labels formats for messages, falling back to the raw id', () => {
    expect(formatLabel('imscc-1.3')).toBe('Common Cartridge 1.3');
    expect(formatLabel('xyz')).toBe('xyz');
  });

  it.each([
    ['application/PDF', 'application/pdf'],
    ['text/plain; charset=utf-8', 'text/plain'],
    [' image/png ', 'image/png'],
    [undefined, ''],
  ])('normalizes media type %p to %p', (input, expected) => {
    expect(normalizeMediaType(input)).toBe(expected);
  });
});

describe('libs/negotiation stays plain TypeScript (ARCHITECTURE §9)', () => {
  const dir = __dirname;
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

  it.each(sources)('%s imports only sibling modules at runtime (contract: types only)', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const imports = [...text.matchAll(/^\s*import\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)].map((m) => ({
      typeOnly: Boolean(m[1]),
      from: m[2],
    }));
    const requires = [...text.matchAll(/\brequire\s*\(/g)];
    expect(requires).toHaveLength(0);
    for (const i of imports) {
      if (i.typeOnly) expect(i.from).toBe('@ent/contract');
      else expect(i.from).toMatch(/^\.\//);
    }
  });
});
