import { createHash, randomUUID } from 'node:crypto';

/** A content the kit offers: small, valid for its format, unique per run (so no ENT deduplicates it away). */
export interface SampleItem {
  itemId: string;
  title: string;
  category: string;
  format: string;
  mediaType: string;
  bytes: Buffer;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function pdf(text: string): Buffer {
  const stream = `BT /F1 12 Tf 72 720 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

function ical(run: string): Buffer {
  return Buffer.from([
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//ent-portability//conformance kit//FR', 'BEGIN:VEVENT',
    `UID:${run}@conformance.invalid`, 'DTSTAMP:20260901T080000Z', 'DTSTART:20260901T080000Z', 'DTEND:20260901T090000Z',
    'SUMMARY:Séance de test du kit de conformité', 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n'));
}

function mbox(run: string): Buffer {
  return Buffer.from([
    'From kit@conformance.invalid Mon Sep  1 08:00:00 2026', 'From: Kit de conformité <kit@conformance.invalid>',
    'To: enseignant@conformance.invalid', 'Subject: Message de test', `Message-ID: <${run}@conformance.invalid>`,
    'Date: Mon, 01 Sep 2026 08:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '', 'Message envoyé par le kit de conformité.', '', '',
  ].join('\n'));
}

/** The contents of the kit's main offer: one of each kind an ENT commonly imports, keeps for download, or refuses. */
export function sampleItems(run = randomUUID()): SampleItem[] {
  return [
    { itemId: 'kit-pdf', title: 'Kit de conformité — document PDF', category: 'STOCKAGE_PARTAGE', format: 'binary', mediaType: 'application/pdf', bytes: pdf(`Kit de conformite ${run}`) },
    { itemId: 'kit-ical', title: 'Kit de conformité — cahier de textes', category: 'CAHIER_TEXTES', format: 'ical', mediaType: 'text/calendar', bytes: ical(run) },
    { itemId: 'kit-mail', title: 'Kit de conformité — messagerie', category: 'COURRIER_ELECTRONIQUE', format: 'mbox', mediaType: 'application/mbox', bytes: mbox(run) },
  ];
}
