import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDocumentPdf } from './minimal-pdf';

function pdftotext(pdf: Buffer, page?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'docpdf-'));
  try {
    writeFileSync(join(dir, 'a.pdf'), pdf);
    const r = spawnSync('pdftotext', ['-enc', 'UTF-8', ...(page ? ['-f', String(page), '-l', String(page)] : []), join(dir, 'a.pdf'), '-'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('writeDocumentPdf (a readable document of any length: attestation de transfert)', () => {
  const title = 'Attestation de transfert — établissement d’arrivée';
  const blocks = [
    { text: 'Qui : Marie Dupont', bold: true },
    { text: 'Élève, œuvre, « guillemets », 12 € — accents : àâäéèêëîïôöùûüç ÀÉÈÇ' },
    ...Array.from({ length: 120 }, (_, i) => ({ text: `Contenu n° ${i + 1} : Importé dans l’ENT d’arrivée` })),
    { text: 'Dernière ligne, après un saut de page.' },
  ];
  const pdf = writeDocumentPdf(title, blocks);

  it('flows onto as many pages as it needs, and pdftotext reads every line with its French accents', () => {
    const text = pdftotext(pdf);
    expect(text).toContain('Attestation de transfert — établissement d’arrivée');
    expect(text).toContain('Élève, œuvre, « guillemets », 12 € — accents : àâäéèêëîïôöùûüç ÀÉÈÇ');
    expect(text).toContain('Contenu n° 120 : Importé dans l’ENT d’arrivée');
    expect(text).toContain('Dernière ligne, après un saut de page.');
    const pages = Number(/\/Type \/Pages \/Kids \[[^\]]*\] \/Count (\d+)/.exec(pdf.toString('latin1'))![1]);
    expect(pages).toBeGreaterThan(2);
    expect(pdftotext(pdf, pages)).toContain('Dernière ligne');
    expect(pdftotext(pdf, 1)).not.toContain('Dernière ligne');
  });

  it('wraps a long line instead of cutting it off the page', () => {
    const long = writeDocumentPdf('t', [{ text: `${'mot '.repeat(60)}fin-de-ligne` }]);
    expect(pdftotext(long).replace(/\s+/g, ' ')).toContain('mot mot fin-de-ligne');
  });

  it('is deterministic', () => {
    expect(writeDocumentPdf(title, blocks).equals(pdf)).toBe(true);
  });
});
