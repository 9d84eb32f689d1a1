import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMinimalPdf } from './minimal-pdf';

const hasPdftotext = spawnSync('pdftotext', ['-v']).status === 0;

describe('writeMinimalPdf', () => {
  const title = 'Fiche méthode — Rédiger une démarche scientifique';
  const lines = ['1. Problématique : formuler la question (précise).', 'Caractères spéciaux : \\ ( ) œ € « »', 'x'.repeat(200)];
  const pdf = writeMinimalPdf(title, lines);
  const text = pdf.toString('latin1');

  it('is a PDF 1.4 with a correct cross-reference table', () => {
    expect(text.startsWith('%PDF-1.4\n')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const [, first, count] = /^xref\n(\d+) (\d+)\n/.exec(text.slice(startxref))!.map(Number);
    expect(first).toBe(0);
    const entries = text.slice(startxref).split('\n').slice(2, 2 + count);
    expect(entries[0]).toBe('0000000000 65535 f\r');
    for (let i = 1; i < count; i++) {
      expect(entries[i]).toMatch(/^\d{10} 00000 n\r$/);
      const offset = Number(entries[i].slice(0, 10));
      expect(text.slice(offset, offset + `${i} 0 obj`.length)).toBe(`${i} 0 obj`);
    }
    expect(text).toMatch(new RegExp(`/Size ${count} `));
  });

  it('declares the exact stream length', () => {
    const m = /<< \/Length (\d+) >>\nstream\n/.exec(text)!;
    const start = m.index + m[0].length;
    const end = text.indexOf('\nendstream', start);
    expect(end - start).toBe(Number(m[1]));
  });

  it('escapes PDF string delimiters and encodes accents in WinAnsi', () => {
    expect(text).toContain('(Caract\xe8res sp\xe9ciaux : \\\\ \\( \\) \x9c \x80 \xab \xbb) Tj');
    expect(text).toContain('/Title <FEFF');
  });

  it('is deterministic and refuses text that does not fit on one page', () => {
    expect(writeMinimalPdf(title, lines).equals(pdf)).toBe(true);
    expect(() => writeMinimalPdf(title, Array.from({ length: 80 }, () => 'ligne'))).toThrow(/one page/);
  });

  (hasPdftotext ? it : it.skip)('is readable by poppler (pdftotext)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdf-'));
    const file = join(dir, 'a.pdf');
    writeFileSync(file, pdf);
    const r = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(title);
    expect(r.stdout).toContain('Caractères spéciaux : \\ ( ) œ € « »');
  });
});
