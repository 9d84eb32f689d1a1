/** What the teacher reads: states, decisions and categories in French. */

export const CATEGORY_FR: Record<string, string> = {
  CAHIER_TEXTES: 'Cahier de textes',
  COURRIER_ELECTRONIQUE: 'Messagerie',
  PARCOURS_PEDAGOGIQUE: 'Parcours pédagogique (cours)',
  STOCKAGE_PARTAGE: 'Document',
  GESTION_TEMPS: 'Agenda',
  PRODUCTION_COLLABORATIVE: 'Production collaborative',
  GESTION_COMPETENCES: 'Compétences',
  RESSOURCE_ORIENTATION: "Ressource d'orientation",
  RESSOURCE_PRODUCTION: 'Outil de production',
  RESSOURCE_DOCUMENTAIRE: 'Ressource documentaire',
  MANUEL_NUMERIQUE: 'Manuel numérique',
  RESSOURCE_MULTIMEDIA: 'Ressource multimédia',
};

export const DEPARTURE_STATE_FR: Record<string, string> = {
  DRAFT: 'Brouillon : la demande n’a pas encore été envoyée',
  OFFERED: 'Demande envoyée, en attente de la réponse de l’établissement d’arrivée',
  ANSWERED: 'Réponse reçue : vérifiez-la puis confirmez l’envoi',
  STAGING: 'Envoi en cours : préparation des contenus',
  PAUSED: 'En pause : l’ENT d’arrivée manque de place',
  DELIVERED: 'Livré : vos contenus vous attendent dans votre nouvel ENT',
  RECEIPTED: 'Reçu par votre nouvel ENT',
  CLEANED: 'Terminé : votre nouvel ENT a bien reçu vos contenus',
  CANCELLED: 'Annulé',
  EXPIRED: 'Expiré',
  FAILED: 'Échec',
};

export const ARRIVAL_STATE_FR: Record<string, string> = {
  OFFER_RECEIVED: 'Demande reçue',
  ANSWERED: 'Demande acceptée, en attente des contenus',
  FETCHING: 'Réception des contenus en cours',
  AWAITING_ACCEPTANCE: 'Contenus reçus : ils attendent votre accord',
  AWAITING_OWNER: 'Contenus reçus : ils seront importés à votre connexion',
  IMPORTING: 'Import en cours',
  PAUSED: 'En pause : votre espace est plein',
  AWAITING_ACCOUNT: 'Contenus reçus : ils attendent la création de votre compte',
  DONE: 'Terminé',
  PARTIAL: 'Terminé avec des contenus non importés',
  REFUSED_BY_OWNER: 'Refusés par vous : rien n’a été importé',
  FAILED: 'Échec',
  CANCELLED: 'Annulé par l’ENT de départ',
  EXPIRED: 'Délai d’attente dépassé',
  ERASED: 'Effacé à votre demande',
};

/** The arrival's answer before she confirms and before the import: what *will* happen (never « importé » yet). */
export const DECISION_FR: Record<string, string> = {
  IMPORT: 'Sera importé automatiquement',
  CONVERT: 'Sera converti puis importé automatiquement',
  MANUAL: 'Sera à télécharger dans votre nouvel ENT',
  REFUSED: 'Refusé par l’établissement d’arrivée',
};

/** The same once her new ENT has imported it (the receipt said so). */
export const DECISION_DONE_FR: Record<string, string> = {
  IMPORT: 'Importé automatiquement',
  CONVERT: 'Converti puis importé automatiquement',
  MANUAL: 'À télécharger dans votre nouvel ENT',
  REFUSED: 'Refusé par l’établissement d’arrivée',
};

export const ITEM_STATE_FR: Record<string, string> = {
  SELECTED: 'Choisi',
  TO_STAGE: 'En préparation',
  STAGED: 'Prêt à partir',
  DELIVERED: 'Envoyé',
  CLEANED: 'Reçu par votre nouvel ENT',
  OFFERED: 'Annoncé',
  TO_FETCH: 'À recevoir',
  FETCHED: 'Reçu',
  IMPORTING: 'Import en cours',
  IMPORTED: 'Importé dans l’ENT',
  AWAITING_MANUAL_DOWNLOAD: 'À télécharger',
  REFUSED: 'Refusé',
  FAILED: 'Échec',
};

/** Formats as a teacher names them (never `imscc-1.3`, `ical`, `binary`). */
const FORMAT_FR: Record<string, string> = {
  'imscc-1.0': 'cours Common Cartridge (Moodle et autres)',
  'imscc-1.1': 'cours Common Cartridge (Moodle et autres)',
  'imscc-1.2': 'cours Common Cartridge (Moodle et autres)',
  'imscc-1.3': 'cours Common Cartridge (Moodle et autres)',
  ical: 'agenda iCalendar',
  mbox: 'courriels (fichier mbox)',
  eml: 'courriel (fichier EML)',
  h5p: 'activité interactive H5P',
  'lheo-2.2': 'fiche de formation LHEO',
  'scolomfr-3.1': 'fiche ScoLOMFR',
  'schemaorg-jsonld': 'fiche schema.org',
  lom: 'fiche LOM',
};

const MEDIA_FR: Record<string, string> = {
  'application/pdf': 'document PDF',
  'application/vnd.oasis.opendocument.text': 'texte OpenDocument',
  'application/vnd.oasis.opendocument.presentation': 'présentation OpenDocument',
  'application/vnd.oasis.opendocument.spreadsheet': 'classeur OpenDocument',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'document Word',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'présentation PowerPoint',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'classeur Excel',
  'application/zip': 'archive ZIP',
  'text/plain': 'texte',
  'text/html': 'page web',
  'image/png': 'image PNG',
  'image/jpeg': 'image JPEG',
  'video/mp4': 'vidéo MP4',
  'audio/mpeg': 'son MP3',
};

/** « cours Common Cartridge (Moodle et autres) », « document PDF », « fichier d’origine ». */
export function formatFr(format: string | null | undefined, mediaType?: string | null): string {
  if (format && format !== 'binary' && FORMAT_FR[format]) return FORMAT_FR[format];
  if (mediaType && MEDIA_FR[mediaType.split(';')[0].trim()]) return MEDIA_FR[mediaType.split(';')[0].trim()];
  if (mediaType?.startsWith('image/')) return 'image';
  return 'fichier d’origine';
}

/** Capitalised first letter, for a format at the start of a cell. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A school as she knows it: « Lycée Ampère, Lyon »; its UAI only when nobody published its name. */
export function schoolFr(school: { uai: string; name?: string; town?: string } | undefined, uai: string): string {
  if (!school?.name) return `Établissement ${uai}`;
  return school.town ? `${school.name}, ${school.town}` : school.name;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function joinFr(parts: string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} et ${parts[parts.length - 1]}`;
}

/** The answer summed up before she confirms: « 3 seront importés automatiquement et 1 sera à télécharger ». */
export function decisionSummaryFr(decisions: (string | null)[]): string {
  const n = (d: string) => decisions.filter((x) => x === d).length;
  const parts = [
    n('IMPORT') && count(n('IMPORT'), 'sera importé automatiquement', 'seront importés automatiquement'),
    n('CONVERT') && count(n('CONVERT'), 'sera converti puis importé', 'seront convertis puis importés'),
    n('MANUAL') && count(n('MANUAL'), 'sera à télécharger dans votre nouvel ENT', 'seront à télécharger dans votre nouvel ENT'),
    n('REFUSED') && count(n('REFUSED'), 'est refusé', 'sont refusés'),
  ].filter((p): p is string => typeof p === 'string');
  return `${joinFr(parts)}.`.replace(/^./, (c) => c.toUpperCase());
}

/** The arrival summed up: « 2 importés et 1 à télécharger ». */
export function arrivalSummaryFr(states: string[]): string {
  const n = (s: string) => states.filter((x) => x === s).length;
  const parts = [
    n('IMPORTED') && count(n('IMPORTED'), 'contenu importé dans votre ENT', 'contenus importés dans votre ENT'),
    n('AWAITING_MANUAL_DOWNLOAD') && count(n('AWAITING_MANUAL_DOWNLOAD'), 'à télécharger ci-dessous', 'à télécharger ci-dessous'),
    n('FAILED') && count(n('FAILED'), 'en échec', 'en échec'),
    n('REFUSED') && count(n('REFUSED'), 'refusé', 'refusés'),
  ].filter((p): p is string => typeof p === 'string');
  return parts.length ? `${joinFr(parts)}.` : '';
}

/** The departure journey, as the stepper says it (« Étape 2 sur 4 : Réponse de l’établissement d’arrivée »). */
export const DEPARTURE_STEPS = ['Choix des contenus', 'Réponse de l’établissement d’arrivée', 'Envoi', 'Livraison et import'];

/** fr-badge colour of a state: done, needs her, went wrong; anything else is information. */
export const BADGE_KIND: Record<string, 'success' | 'warning' | 'error' | 'info'> = {
  CLEANED: 'success', RECEIPTED: 'success', DONE: 'success', IMPORTED: 'success', DELIVERED: 'success',
  PAUSED: 'warning', PARTIAL: 'warning', AWAITING_ACCEPTANCE: 'warning', AWAITING_MANUAL_DOWNLOAD: 'warning',
  FAILED: 'error', REFUSED: 'error', REFUSED_BY_OWNER: 'error', EXPIRED: 'error',
};

/** States after which nothing changes without the teacher: the status page stops refreshing itself. */
export const SETTLED_STATES = new Set(['DRAFT', 'ANSWERED', 'PAUSED', 'CLEANED', 'CANCELLED', 'EXPIRED', 'FAILED', 'DONE', 'PARTIAL', 'AWAITING_ACCEPTANCE', 'REFUSED_BY_OWNER', 'AWAITING_OWNER', 'AWAITING_ACCOUNT', 'ERASED']);

export function label(table: Record<string, string>, key: string | null | undefined): string {
  if (!key) return '—';
  return table[key] ?? key;
}

/** "1,2 Mo": decimal units, as a teacher's file manager shows them. */
export function sizeFr(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1000) return `${bytes} octets`;
  const units = ['ko', 'Mo', 'Go', 'To'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toLocaleString('fr-FR', { maximumFractionDigits: value < 10 ? 1 : 0 })} ${units[unit]}`;
}

const DATE_FR = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' });

export function dateFr(iso: string): string {
  return DATE_FR.format(new Date(iso));
}

const DAY_FR = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });

/** « 31 octobre 2026 »: a deadline, as a day in Paris time. */
export function dayFr(iso: string): string {
  return DAY_FR.format(new Date(iso));
}

/** What she is told about lifetimes (ADR 011, RGPD): every sentence with its date. */
export const RETENTION_FR = {
  departureKeeps: (day: string) => `Votre ENT actuel garde une copie de vos contenus jusqu’à l’accusé de réception de l’ENT d’arrivée, au plus tard jusqu’au ${day}.`,
  arrivalWaits: (day: string) => `Dans l’ENT d’arrivée, vos contenus vous attendront jusqu’au ${day} : ils y seront importés à votre première connexion.`,
  arrivalKeepsCopies: (days: number) => `Une fois importés, l’ENT d’arrivée garde ses copies (téléchargements, index) ${days} jours, puis les supprime. Vous pouvez les effacer avant.`,
  receivedWaits: (day: string) => `Vos contenus vous attendront jusqu’au ${day}.`,
  receivedKept: (day: string) => `Les copies reçues (téléchargements, index) sont conservées jusqu’au ${day}, puis supprimées.`,
  crossing: (n: number, arrivalSchool: string) =>
    `${count(n, 'contenu sera envoyé', 'contenus seront envoyés')} à l’ENT de votre nouvel établissement (${arrivalSchool}), avec leur titre, leur taille, leur fiche descriptive et votre identifiant.`,
  originalsKept: 'Vos contenus d’origine restent dans votre ENT actuel : seules les copies préparées pour l’envoi sont supprimées.',
  cancelHint: 'Vous pouvez annuler ce transfert tant qu’il n’a pas été livré : aucune copie n’en restera, ni ici ni dans l’ENT d’arrivée.',
  eraseHint: 'Vous pouvez effacer les copies reçues (téléchargements, index) : les contenus déjà importés dans votre ENT y restent.',
  cancelButton: 'Annuler ce transfert',
  eraseButton: 'Effacer les contenus reçus',
  cancelled: 'Transfert annulé : aucune copie n’en reste.',
  erased: 'Contenus reçus effacés.',
};

/** The stable failure codes of receipts and views (contract ITEM_FAILURE_REASONS), for the teacher. */
export const FAILURE_REASON_FR: Record<string, string> = {
  CONTENT_ORIGIN_NOT_ALLOWED: 'L’ENT de départ a indiqué une adresse de téléchargement non autorisée : ce contenu a été refusé par sécurité.',
  CONTENT_UNAVAILABLE: 'L’ENT de départ n’a pas pu fournir ce contenu, malgré plusieurs essais.',
  CONTENT_TOO_SLOW: 'L’ENT de départ envoie ce contenu trop lentement : le téléchargement a été interrompu et sera retenté plus tard.',
  CONTENT_INTEGRITY_MISMATCH: 'Le contenu reçu ne correspond pas à celui annoncé (taille ou empreinte) : il a été écarté.',
  CONTENT_TOO_LARGE: 'Ce contenu dépasse la taille acceptée par cet ENT.',
  NOT_DELIVERED: 'L’ENT de départ n’a pas envoyé ce contenu.',
  OFFER_EXPIRED: 'Le délai du transfert a expiré avant l’arrivée de ce contenu.',
  IMPORT_FAILED: 'Votre ENT n’a pas pu importer ce contenu ; vous pouvez le télécharger.',
  EXPORT_FAILED: 'Votre ENT n’a pas pu exporter ce contenu.',
  OWNER_REFUSED: 'Refusé par son propriétaire à l’arrivée.',
  UNSPECIFIED: 'Ce contenu n’a pas pu être transféré.',
};

/** Said on a received transfer while its departure ENT is slowed down (issue 14, finding 3). */
export function peerSlowedFr(until: Date): string {
  const time = until.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' });
  return `L’ENT de départ répond trop lentement ou échoue : ses envois sont ralentis, les téléchargements reprendront automatiquement vers ${time}.`;
}
