/**
 * French sentences for the teacher, one builder per decision reason code.
 * The codes are the contract's `DECISION_REASONS`; clients switch on the code,
 * the message is for display only.
 */
import type { ContentCategory, DecisionReasonCode } from '@ent/contract';
import { formatLabel } from './formats';

/** French names of the content categories (DNMA RFTI §2.2.2 services). */
export const CATEGORY_LABELS: Readonly<Record<ContentCategory, string>> = Object.freeze({
  CAHIER_TEXTES: 'cahier de textes',
  COURRIER_ELECTRONIQUE: 'courrier électronique',
  PARCOURS_PEDAGOGIQUE: 'parcours pédagogique',
  STOCKAGE_PARTAGE: 'stockage et partage de fichiers',
  GESTION_TEMPS: 'agenda',
  PRODUCTION_COLLABORATIVE: 'production collaborative',
  GESTION_COMPETENCES: 'suivi des compétences',
  RESSOURCE_ORIENTATION: 'ressource d\u2019orientation',
  RESSOURCE_PRODUCTION: 'ressource de production',
  RESSOURCE_DOCUMENTAIRE: 'ressource documentaire',
  MANUEL_NUMERIQUE: 'manuel numérique',
  RESSOURCE_MULTIMEDIA: 'ressource multimédia',
});

export function categoryLabel(category: string): string {
  return Object.prototype.hasOwnProperty.call(CATEGORY_LABELS, category)
    ? CATEGORY_LABELS[category as ContentCategory]
    : category;
}

const UNITS = ['Ko', 'Mo', 'Go', 'To'] as const;

export type ByteRounding = 'up' | 'down' | 'nearest';

/**
 * Size in French units, powers of 1024 (the platform's limits are GiB), one
 * decimal at most, comma as decimal separator: `1,5 Go`, `20 Mo`, `512 octets`.
 * `rounding` lets messages never understate an item nor overstate a limit:
 * an item of 1 Go + 1 octet reads `1,1 Go` (up), a limit of 1,99 Go reads `1,9 Go` (down).
 */
export function formatBytesFr(bytes: number, rounding: ByteRounding = 'nearest'): string {
  if (!Number.isFinite(bytes) || bytes < 0) return `${bytes} octets`;
  if (bytes < 1024) {
    const n = Math.round(bytes);
    return n <= 1 ? `${n} octet` : `${n} octets`;
  }
  const round = rounding === 'up' ? Math.ceil : rounding === 'down' ? Math.floor : Math.round;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  let rounded = round(value * 10) / 10;
  if (rounded >= 1024 && unit < UNITS.length - 1) {
    // 1023,95 Ko rounded up is 1 Mo, not « 1024 Ko ».
    rounded = round((rounded / 1024) * 10) / 10;
    unit++;
  }
  const [int, dec] = rounded.toFixed(1).split('.');
  return `${dec === '0' ? int : `${int},${dec}`} ${UNITS[unit]}`;
}

function quote(s: string): string {
  return `« ${s} »`;
}

/** Peer-supplied ids shown in messages are bounded, in case the caller skipped validation. */
function shorten(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export const REASON_MESSAGES = {
  CATEGORY_REFUSED: (category: string): string =>
    `Votre ENT d'arrivée n'accepte pas les contenus de type ${quote(categoryLabel(category))}. Ce contenu ne sera pas transféré.`,

  UNKNOWN_FORMAT: (formats: readonly string[]): string => {
    const ids = [...new Set(formats)].map((f) => quote(shorten(String(f))));
    if (ids.length === 0) return 'Aucun format n\u2019est indiqué pour ce contenu. Le contenu ne peut pas être transféré.';
    return ids.length === 1
      ? `Ce format n'est pas reconnu : ${ids[0]}. Le contenu ne peut pas être transféré.`
      : `Ces formats ne sont pas reconnus : ${ids.join(', ')}. Le contenu ne peut pas être transféré.`;
  },

  ITEM_TOO_LARGE: (smallestBytes: number, maxItemBytes: number): string =>
    `Ce contenu est trop volumineux (${formatBytesFr(smallestBytes, 'up')}) : votre ENT d'arrivée accepte au plus ${formatBytesFr(
      maxItemBytes,
      'down',
    )} par contenu. Il ne sera pas transféré.`,

  NATIVE_IMPORT: (format: string, mediaType?: string): string =>
    `Votre ENT d'arrivée importe directement ce format (${formatLabel(format)}${mediaType ? `, ${shorten(mediaType, 200)}` : ''}).`,

  CONVERSION_AVAILABLE: (sourceFormat: string, targetFormat: string, hasLosses: boolean): string =>
    `Votre ENT d'arrivée n'importe pas directement ce format : le contenu sera converti de ${quote(formatLabel(sourceFormat))} en ${quote(
      formatLabel(targetFormat),
    )}, puis importé. ${
      hasLosses ? 'Certains éléments ne seront pas conservés (voir le détail des pertes).' : 'Aucune perte n\u2019est prévue.'
    }`,

  NO_IMPORTABLE_FORMAT: (sourceFormat: string): string =>
    `Votre ENT d'arrivée ne sait pas importer ce contenu (${formatLabel(sourceFormat)}). Il sera conservé sur votre nouvel ENT et téléchargeable manuellement.`,
} as const satisfies Record<DecisionReasonCode, (...args: never[]) => string>;
