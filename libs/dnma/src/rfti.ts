/**
 * Reference values of the DNMA RFTI v2.01 (DNE-MEN, 02/12/2024), kept verbatim.
 * Section numbers refer to that document (../../../../shared/spec/002_…txt).
 */

/** §2.2.2 — the national list of service labels (dimension8). */
export const RFTI_SERVICES = [
  'ACCUEIL',
  'ACTUALITES',
  'CAHIER_TEXTES',
  'CAHIER_LIAISON',
  'COURRIER_ELECTRONIQUE',
  'MESSAGERIE_INSTANTANEE',
  'VISIOCONFERENCE',
  'STOCKAGE_PARTAGE',
  'PRODUCTION_COLLABORATIVE',
  'DOCUMENTATION_CDI',
  'PARCOURS_PEDAGOGIQUE',
  'RESERVATION_SALLES_MATERIELS',
  'SERVICE_COLLECTIVITE',
  'SERVICES_VIE_SCOLAIRE',
  'GESTION_TEMPS',
  'ABSENCES',
  'GESTION_COMPETENCES',
  'NOTES',
  'MANUEL_NUMERIQUE',
  'RESSOURCE_MULTIMEDIA',
  'RESSOURCE_ORIENTATION',
  'RESSOURCE_PRODUCTION',
  'RESSOURCE_ACCOMPAGNEMENT_ENTRAINEMENT',
  // Spelled so in the §2.2.2 table…
  'RESSOURCE_REFERENCER_DICIONNAIRE',
  // …and so in the §2.2.2 GAR table (code DIC). The RFTI uses both spellings; both are accepted
  // as written rather than "corrected" into a third value that is in neither table.
  'RESSOURCE_REFERENCIE_DICTIONNAIRE',
  'RESSOURCE_DOCUMENTAIRE',
  'PAGE_ENT',
] as const;
export type RftiService = (typeof RFTI_SERVICES)[number];

/** §2.2.5 — the DNMA profile labels (dimension2). */
export const RFTI_PROFILES = ['ELEVE', 'ENSEIGNANT', 'PARENT', 'ADMIN_VIE_SCOL_TECH', 'PERSONNEL_COLLECTIVITE', 'AUTRE'] as const;
export type RftiProfile = (typeof RFTI_PROFILES)[number];

/**
 * §2.2.5 — national profile (SDET, `National_xxx`) → DNMA profile. Anything else
 * (National_aca, local accounts, an unknown value) is AUTRE. Matched case-insensitively.
 */
export const NATIONAL_PROFILE_MAP: Readonly<Record<string, RftiProfile>> = Object.freeze({
  national_elv: 'ELEVE',
  national_ens: 'ENSEIGNANT',
  national_doc: 'ENSEIGNANT',
  national_tut: 'PARENT',
  national_dir: 'ADMIN_VIE_SCOL_TECH',
  national_evs: 'ADMIN_VIE_SCOL_TECH',
  national_eta: 'ADMIN_VIE_SCOL_TECH',
  national_col: 'PERSONNEL_COLLECTIVITE',
  national_aca: 'AUTRE',
});

/**
 * The RFTI gives no rule for a person holding several national profiles. Ours: the first of
 * this order that the person holds. The transfer UI is a teachers' service, so ENSEIGNANT
 * comes first; then the staff profiles, then the others. Configurable (`profilePrecedence`).
 */
export const DEFAULT_PROFILE_PRECEDENCE: readonly RftiProfile[] = Object.freeze([
  'ENSEIGNANT',
  'ADMIN_VIE_SCOL_TECH',
  'PERSONNEL_COLLECTIVITE',
  'PARENT',
  'ELEVE',
  'AUTRE',
]);

/** §2.2.3 — dimension7. */
export const RFTI_TYPES = ['NATIF', 'TIERS'] as const;
export type RftiType = (typeof RFTI_TYPES)[number];

/** §3.2.2 — dimension11 (the text of that row; the column headers spell them WEB_PWA / APP_NATIVE). */
export const RFTI_TECHNOLOGIES = ['WEB-PWA', 'APPLI_NATIVE'] as const;
export type RftiTechnology = (typeof RFTI_TECHNOLOGIES)[number];

/** §3.2.1–3.2.3 — maximum lengths, in characters. */
export const RFTI_LIMITS = Object.freeze({
  dimension: 255,
  actionName: 255,
  url: 1024,
  urlRef: 1024,
  uid: 200,
  visitorId: 16,
  rand: 8,
  /** Not an RFTI limit (N/A there): our own cap, so that a forged User-Agent cannot bloat the queue. */
  userAgent: 1024,
});

/** §3.2.3 — recommended: values shorter than 50 characters. Checked on the plan de marquage (warning only). */
export const RFTI_RECOMMENDED_MAX = 50;

/** UAI (code of an establishment): 7 digits and a letter; dimension1 is upper case (§3.2.3). */
export const UAI_REGEX = /^[0-9]{7}[A-Z]$/;

/** The Matomo parameters the RFTI makes mandatory for WEB-PWA (§3.2.1–3.2.3). */
export const RFTI_MANDATORY_PARAMS = [
  'idsite',
  'rec',
  'apiv',
  'rand',
  'cdt',
  'ua',
  'uid',
  'dimension1',
  'dimension2',
  'dimension3',
  'dimension4',
  'dimension6',
  'dimension7',
  'dimension8',
  'dimension11',
  'action_name',
] as const;

export function isRftiService(value: string): value is RftiService {
  return (RFTI_SERVICES as readonly string[]).includes(value);
}

/** Length in characters (code points), as the RFTI counts them — not UTF-16 units or bytes. */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}
