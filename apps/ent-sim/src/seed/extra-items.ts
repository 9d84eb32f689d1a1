import { writeMinimalPdf, type CcSection, type MboxMessage } from '@ent/formats';
import { ENT_SIM_EXTRA_ITEMS_MAX, extraItemsFromEnv } from '../config';
import type { SeedContent, SeedOptions } from '../profiles/profile';
import { courseContent, mailContent, pdfContent } from './builders';

/**
 * ENT_SIM_EXTRA_ITEMS: N synthetic contents per seeded teacher, so that load
 * tests have enough items to move (a teacher of the demo seed owns at most
 * four). The mix repeats every five items: PDF, Common Cartridge course, PDF,
 * course, mbox — so N = 20 gives 8 PDFs (STOCKAGE_PARTAGE, binary), 8 courses
 * (PARCOURS_PEDAGOGIQUE, imscc-1.3 + imscc-1.1) and 4 mailboxes
 * (COURRIER_ELECTRONIQUE, mbox).
 *
 * Everything is derived from (entId, owner, index) through a seeded PRNG, with
 * fixed dates: the same seed always gives the same bytes, hence the same sizes
 * and SHA-256 (no clock, no Math.random).
 */
export const EXTRA_ITEMS_MAX = ENT_SIM_EXTRA_ITEMS_MAX;

export type ExtraKind = 'pdf' | 'course' | 'mbox';
const PATTERN: readonly ExtraKind[] = ['pdf', 'course', 'pdf', 'course', 'mbox'];

export function extraKind(index: number): ExtraKind {
  return PATTERN[index % PATTERN.length];
}

/** Content id of the index-th (0-based) extra item of an owner: `<entId>-<owner>-extra-001`. */
export function extraItemId(entId: string, ownerId: string, index: number): string {
  return `${entId}-${ownerId.replace(/[^A-Za-z0-9._:-]/g, '-')}-extra-${String(index + 1).padStart(3, '0')}`;
}

/** FNV-1a 32-bit: a stable seed from a string. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(text, 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a tiny deterministic PRNG (not for anything secret). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = ['Physique-Chimie', 'Mathématiques', 'SVT', 'Histoire-Géographie', 'Français', 'Anglais', 'Technologie', 'EMC'];
const TOPICS = [
  'les ordres de grandeur', 'la lumière et les spectres', 'les fonctions affines', 'la cellule', 'la Révolution française',
  'le roman au XIXe siècle', 'les circuits électriques', 'la démarche de projet', 'la laïcité', 'les statistiques',
  'les réactions chimiques', 'le climat et ses variations', 'la poésie engagée', 'les proportions', 'la photosynthèse',
];
const SENTENCES = [
  'Relire la consigne et souligner les mots importants.',
  'Présenter les calculs avec les unités et le bon nombre de chiffres significatifs.',
  'Chaque étape du raisonnement est justifiée par une propriété du cours.',
  'Le schéma est légendé, titré et tracé à la règle.',
  'Comparer le résultat obtenu à l\'ordre de grandeur attendu.',
  'Rédiger une conclusion qui répond à la question posée.',
  'Les documents 1 et 2 sont à confronter avant de répondre.',
  'Travail en binôme : répartir les rôles, puis mettre en commun.',
  'Vérifier l\'orthographe et la ponctuation avant de rendre la copie.',
  'Exercice d\'approfondissement facultatif pour les volontaires.',
  'Noter les questions restées sans réponse pour la séance suivante.',
  'Réviser le vocabulaire du chapitre : définitions et exemples.',
];
const COLLEAGUES = ['Élodie Girard', 'Lucas Moreau', 'Thomas Lefèvre', 'Inès Haddad', 'Sophie Laurent', 'Karim Benali'];

const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
const between = (rnd: () => number, min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
const sentences = (rnd: () => number, n: number) => Array.from({ length: n }, () => pick(rnd, SENTENCES));
const email = (name: string, domain: string) =>
  `${name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]+/g, '.')}@${domain}`;

/** 2025-09-01T08:00Z plus `index` hours and some minutes: fixed dates, distinct per item. */
function dateOf(index: number, minutes: number): Date {
  return new Date(Date.UTC(2025, 8, 1, 8, 0, 0) + index * 3_600_000 + minutes * 60_000);
}

/** One synthetic content; deterministic in (entId, ownerId, index). */
export async function extraContent(entId: string, ownerId: string, index: number): Promise<SeedContent> {
  const rnd = prng(fnv1a(`${entId}/${ownerId}/${index}`));
  const id = extraItemId(entId, ownerId, index);
  const n = String(index + 1).padStart(3, '0');
  const subject = pick(rnd, SUBJECTS);
  const topic = pick(rnd, TOPICS);
  const updatedAt = dateOf(index, between(rnd, 0, 59));
  const kind = extraKind(index);

  if (kind === 'pdf') {
    const title = `Fiche ${n} — ${subject} : ${topic}`;
    return pdfContent(entId, {
      id,
      ownerId,
      title,
      updatedAt: updatedAt.toISOString(),
      lines: [`${subject} — ${topic}`, '', ...sentences(rnd, between(rnd, 4, 40))],
    });
  }

  if (kind === 'course') {
    const sections: CcSection[] = Array.from({ length: between(rnd, 1, 3) }, (_, s) => ({
      title: `Partie ${s + 1} — ${pick(rnd, TOPICS)}`,
      items: [
        {
          kind: 'page' as const,
          title: `Cours ${s + 1}`,
          html: sentences(rnd, between(rnd, 2, 12)).map((p) => `<p>${p}</p>`).join('\n'),
        },
        ...(rnd() < 0.5
          ? [{
              kind: 'file' as const,
              title: `Document ${s + 1}`,
              fileName: `document-${s + 1}.pdf`,
              mediaType: 'application/pdf',
              data: writeMinimalPdf(`Document ${s + 1} — ${topic}`, sentences(rnd, between(rnd, 2, 10))),
            }]
          : []),
        { kind: 'link' as const, title: 'Éduscol', url: 'https://eduscol.education.fr/' },
      ],
    }));
    return courseContent(entId, id, ownerId, {
      title: `Séquence ${n} — ${subject} : ${topic}`,
      language: 'fr',
      description: `Séquence synthétique de démonstration (${subject}).`,
      keywords: [subject, topic],
      updatedAt,
      sections,
    });
  }

  const domain = 'ent-sim.invalid';
  const messages: MboxMessage[] = Array.from({ length: between(rnd, 2, 8) }, (_, m) => {
    const from = pick(rnd, COLLEAGUES);
    return {
      from: `${from} <${email(from, domain)}>`,
      to: [ownerId.includes('@') ? ownerId : `${ownerId}@${domain}`],
      subject: `${subject} — ${pick(rnd, TOPICS)} (${m + 1})`,
      date: dateOf(index, m * 7),
      messageId: `${id}-${m + 1}@${entId}.ent-sim.invalid`,
      text: `Bonjour,\n\n${sentences(rnd, between(rnd, 1, 6)).join('\n')}\n\nBien cordialement,\n${from}`,
    };
  });
  return mailContent(id, ownerId, `Courrier ${n} — ${subject}`, messages);
}

/**
 * `count` extra contents for every owner of `base` (the profile's own seed),
 * in owner order of first appearance. `count` 0 gives none.
 */
export async function extraContents(entId: string, base: SeedContent[], count: number): Promise<SeedContent[]> {
  if (!Number.isSafeInteger(count) || count < 0 || count > EXTRA_ITEMS_MAX) {
    throw new RangeError(`extra items must be an integer between 0 and ${EXTRA_ITEMS_MAX}, got ${count}`);
  }
  const owners = [...new Set(base.map((c) => c.ownerId))];
  const out: SeedContent[] = [];
  for (const owner of owners) for (let i = 0; i < count; i++) out.push(await extraContent(entId, owner, i));
  return out;
}

/** Content id of an owner's large PDF (ENT_SIM_LARGE_ITEM_BYTES): `<entId>-<owner>-large`. */
export function largeItemId(entId: string, ownerId: string): string {
  return `${entId}-${ownerId.replace(/[^A-Za-z0-9._:-]/g, '-')}-large`;
}

/**
 * A PDF of exactly `size` bytes: a one-page document whose page carries a scanned image (an
 * XObject of deterministic pseudo-random bytes), as a class trip's scans would. Large enough to
 * travel as a multipart upload; the same (entId, owner, size) always gives the same bytes.
 * Produced chunk by chunk (1 MiB at most held), so a 2 GiB item is seeded in flat memory.
 */
export function* largePdfChunks(entId: string, ownerId: string, size: number): Generator<Buffer> {
  const head = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const objects = [
    '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n',
    '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n',
    '3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> >>\nendobj\n',
  ];
  const tail = (xrefAt: number, offsets: number[]) =>
    `xref\n0 5\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}` +
    `trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  // The image's length is what is left once the fixed parts are counted (found by iterating:
  // the digits of the lengths and offsets depend on it).
  let imageBytes = Math.max(0, size - 600);
  for (let i = 0; i < 8; i++) {
    const imgHead = `4 0 obj\n<< /Type /XObject /Subtype /Image /Width 1 /Height ${imageBytes} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${imageBytes} >>\nstream\n`;
    const fixed = Buffer.byteLength(head, 'latin1') + objects.reduce((n, o) => n + o.length, 0) + imgHead.length + '\nendstream\nendobj\n'.length;
    const guess = tail(fixed + imageBytes, [0, 0, 0, 0]).length;
    const next = size - fixed - guess;
    if (next === imageBytes) break;
    imageBytes = Math.max(0, next);
  }
  const headBytes = Buffer.from(head, 'latin1');
  let at = headBytes.length;
  const offsets: number[] = [];
  const front: Buffer[] = [headBytes];
  for (const o of objects) {
    offsets.push(at);
    front.push(Buffer.from(o, 'latin1'));
    at += o.length;
  }
  offsets.push(at);
  const imgHead = Buffer.from(`4 0 obj\n<< /Type /XObject /Subtype /Image /Width 1 /Height ${imageBytes} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${imageBytes} >>\nstream\n`, 'latin1');
  front.push(imgHead);
  at += imgHead.length;
  yield Buffer.concat(front);
  const random = prng(fnv1a(`${entId}/${ownerId}/large/${size}`));
  const CHUNK = 1024 * 1024; // a multiple of 4: the PRNG's words never straddle two chunks
  for (let done = 0; done < imageBytes; done += CHUNK) {
    const n = Math.min(CHUNK, imageBytes - done);
    const chunk = Buffer.allocUnsafe(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) chunk.writeUInt32LE(Math.floor(random() * 4294967296), i);
    for (; i < n; i++) chunk[i] = Math.floor(random() * 256);
    yield chunk;
  }
  at += imageBytes;
  const imgTail = Buffer.from('\nendstream\nendobj\n', 'latin1');
  at += imgTail.length;
  const end = Buffer.from(tail(at, offsets), 'latin1');
  if (at + end.length !== size) throw new RangeError(`ENT_SIM_LARGE_ITEM_BYTES: cannot build a PDF of exactly ${size} bytes (got ${at + end.length})`);
  yield Buffer.concat([imgTail, end]);
}

/**
 * A profile's seed function with ENT_SIM_EXTRA_ITEMS and ENT_SIM_LARGE_ITEM_BYTES applied:
 * the options when the caller gives them, else the environment (validated at boot).
 */
export function withExtraItems(entId: string, base: () => Promise<SeedContent[]>): (options?: SeedOptions) => Promise<SeedContent[]> {
  return async (options: SeedOptions = {}) => {
    const seeded = await base();
    const count = options.extraItems ?? extraItemsFromEnv();
    const out = count > 0 ? [...seeded, ...(await extraContents(entId, seeded, count))] : [...seeded];
    const large = options.largeItemBytes ?? 0;
    if (large > 0) {
      const owners = [...new Set(seeded.map((c) => c.ownerId))].filter((o) => !options.largeItemOwners || options.largeItemOwners.includes(o));
      for (const owner of owners) {
        out.push({
          id: largeItemId(entId, owner),
          ownerId: owner,
          title: 'Sortie au planétarium — numérisations',
          category: 'STOCKAGE_PARTAGE',
          updatedAt: '2026-06-12T14:00:00.000Z',
          exports: [{ format: 'binary', mediaType: 'application/pdf', chunks: () => largePdfChunks(entId, owner, large) }],
        });
      }
    }
    return out;
  };
}
