import { DELIVERY_CATEGORY_LABELS, frenchSize } from '@ent/formats';
import type { ConnectorContent } from '@ent/contract';
import { html, Html, raw } from '../ui/html';

/**
 * Layout of « une copie de mes données » (ADR 017): one folder per kind of content, an
 * `index.html` at the root that opens offline (relative links only, no script, nothing fetched),
 * the ScoLOMFR / schema.org index under `metadonnees/`.
 */
export const ROOT_INDEX = 'index.html';
export const METADATA_DIR = 'metadonnees';

const FOLDERS: Record<string, string> = {
  PARCOURS_PEDAGOGIQUE: 'cours',
  CAHIER_TEXTES: 'cahier-de-textes',
  COURRIER_ELECTRONIQUE: 'messagerie',
  STOCKAGE_PARTAGE: 'fichiers',
};

const EXTENSIONS: Record<string, string> = {
  'imscc-1.3': '.imscc', 'imscc-1.2': '.imscc', 'imscc-1.1': '.imscc', 'imscc-1.0': '.imscc', 'thincc-1.3': '.imscc',
  mbox: '.mbox', eml: '.eml', ical: '.ics', vcard: '.vcf', 'scolomfr-3.1': '.xml', h5p: '.h5p', 'moodle-mbz': '.mbz',
};
const MEDIA_EXTENSIONS: Record<string, string> = {
  'application/pdf': '.pdf', 'image/png': '.png', 'image/jpeg': '.jpg', 'text/plain': '.txt', 'application/zip': '.zip',
  'application/vnd.oasis.opendocument.text': '.odt', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
};

/** Which export the copy takes: courses as the ENT's Common Cartridge, the cahier as iCalendar, mail as mbox, files as they are. */
const PREFERRED: Record<string, (f: string) => boolean> = {
  PARCOURS_PEDAGOGIQUE: (f) => f.startsWith('imscc-'),
  CAHIER_TEXTES: (f) => f === 'ical',
  COURRIER_ELECTRONIQUE: (f) => f === 'mbox',
};

export function exportFormatFor(content: ConnectorContent): ConnectorContent['formats'][number] | undefined {
  const preferred = PREFERRED[content.category];
  return (preferred && content.formats.find((f) => preferred(f.format))) ?? content.formats[0];
}

/** A file name from a title someone else typed: no path or control characters, no bidi tricks, no quotes. */
export function safeFileName(title: string, fallback = 'contenu'): string {
  return title.normalize('NFKC').replace(/[\\/:*?"<>|\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200e\u200f]+/g, '_').replace(/\s+/g, ' ').replace(/^[.\s]+|[.\s]+$/g, '').slice(0, 120) || fallback;
}

export function extensionFor(format: string, mediaType?: string): string {
  return EXTENSIONS[format] ?? (mediaType ? MEDIA_EXTENSIONS[mediaType.split(';')[0].trim()] : undefined) ?? '';
}

/** Hands out archive paths, never the same twice (two contents may share a title). */
export class ArchivePaths {
  private readonly used = new Set<string>();

  /** `cours/Mon cours.imscc`, then `cours/Mon cours (2).imscc`. */
  forContent(category: string, title: string, extension: string): string {
    const folder = FOLDERS[category] ?? 'autres';
    const base = safeFileName(title);
    for (let n = 1; ; n++) {
      const path = `${folder}/${n === 1 ? base : `${base} (${n})`}${extension}`;
      if (!this.used.has(path.toLowerCase())) {
        this.used.add(path.toLowerCase());
        return path;
      }
    }
  }
}

/** A relative link to an archive path, every segment percent-encoded (spaces, accents, `#`, `?`). */
export function relativeHref(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** One file of the copy as the root index lists it. */
export interface CopyFile {
  path: string;
  label: string;
  sizeBytes: number;
}

/** What became of one content in the copy. */
export interface CopyItemOutcome {
  contentId: string;
  title: string;
  category: string;
  format?: string;
  /** Bytes of the content's own export (the main file). */
  sizeBytes?: number;
  sha256?: string;
  files: CopyFile[];
  /** French, when the content could not be copied (the copy says so instead of leaving it out). */
  missing?: string;
  /** French, when part of it is missing (e.g. no readable page). */
  note?: string;
}

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:1rem 1.5rem;color:#1e1e1e;line-height:1.45}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #ddd;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f6f6}
.num{text-align:right;white-space:nowrap}
.muted{color:#555;font-size:.9em}
ul{margin:0;padding-left:1.1rem}
a{color:#000091}
`;

/**
 * The root `index.html` of the copy: every content with its files and their sizes, and the
 * indexes. Self-contained (inline style), relative links only, no script: it opens from the
 * unzipped folder on any computer without network.
 */
export function renderCopyIndex(meta: { ownerName: string; entId: string; createdAt: Date }, items: CopyItemOutcome[], indexes: CopyFile[]): string {
  const when = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(meta.createdAt);
  const link = (f: CopyFile) => html`<li><a href="${relativeHref(f.path)}">${f.label}</a> <span class="muted">(${frenchSize(f.sizeBytes)})</span></li>`;
  const rows = items.map((it) => html`<tr>
<td><strong>${it.title}</strong></td>
<td>${DELIVERY_CATEGORY_LABELS[it.category] ?? it.category}</td>
<td class="num">${it.sizeBytes !== undefined ? frenchSize(it.sizeBytes) : '—'}</td>
<td>${it.missing ? html`<strong>Non copié :</strong> ${it.missing}` : html`<ul>${it.files.map(link)}</ul>`}${it.note ? html`<p class="muted">${it.note}</p>` : ''}</td>
</tr>`);
  const total = items.reduce((s, it) => s + it.files.reduce((t, f) => t + f.sizeBytes, 0), 0);
  const copied = items.filter((it) => !it.missing).length;
  const page: Html = html`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Copie de mes données — ${meta.ownerName}</title><style>${raw(STYLE)}</style></head>
<body><main>
<h1>Copie de mes données</h1>
<p>${meta.ownerName} — copie préparée le ${when} par l’ENT ${meta.entId}. ${copied} contenu(s) sur ${items.length}, ${frenchSize(total)} au total.</p>
<p class="muted">Les cours sont au format Common Cartridge (à importer dans un ENT ou Moodle), le cahier de textes au format iCalendar (agenda) avec une page lisible, la messagerie au format mbox et un fichier .eml par message, les fichiers tels quels.</p>
<h2>Contenus</h2>
<table><thead><tr><th scope="col">Contenu</th><th scope="col">Catégorie</th><th scope="col">Taille</th><th scope="col">Fichiers</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2>Descriptions (métadonnées)</h2>
<ul>${indexes.map(link)}</ul>
</main></body></html>
`;
  return page.value;
}

/** A page listing files of one folder (the messages of a mailbox), linked relatively, back to the root index. */
export function renderFileList(title: string, files: CopyFile[]): string {
  return html`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${raw(STYLE)}</style></head>
<body><main>
<p><a href="../index.html">Retour à la copie de mes données</a></p>
<h1>${title}</h1>
<ul>${files.map((f) => html`<li><a href="${relativeHref(f.path)}">${f.label}</a> <span class="muted">(${frenchSize(f.sizeBytes)})</span></li>`)}</ul>
</main></body></html>
`.value;
}
