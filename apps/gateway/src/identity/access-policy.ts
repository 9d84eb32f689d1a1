import type { SessionUser } from './session-user';

/**
 * Who may use the teacher transfer service.
 *
 * §8.3 names two actors, the teacher and the head teacher (PERDIR), each moving
 * their *own* file. The service is therefore open to a list of national
 * profiles (`PORTABILITY_PROFILES`), and what it lets anybody do is always over
 * the signed-in person's own contents: no profile, the head teacher's included,
 * gives access to anybody else's contents, transfers or received items (those
 * are looked up by owner identity, G3). Nothing is inferred from a profile that
 * is not listed: a vie-scolaire agent, a parent, or an account whose directory
 * sends no profile is refused with 403 before anything is read.
 */

/** The two §8.3 actors plus the documentalist (a teacher in the SDET). */
export const DEFAULT_PORTABILITY_PROFILES: readonly string[] = Object.freeze(['National_ens', 'National_doc', 'National_dir']);

/** French names of the national profiles, for the message shown to someone refused. */
const PROFILE_NAMES_FR: Record<string, string> = {
  national_ens: 'enseignant',
  national_doc: 'professeur documentaliste',
  national_dir: 'personnel de direction',
  national_evs: 'vie scolaire',
  national_eta: "personnel administratif ou technique",
  national_elv: 'élève',
  national_tut: 'responsable légal',
  national_col: 'personnel de collectivité',
  national_aca: 'personnel académique',
};

/** `PORTABILITY_PROFILES`: the profiles admitted, or `*` for any signed-in account (a directory that sends no profile). */
export type ProfileGrant = { anyAccount: true } | { anyAccount: false; profiles: readonly string[] };

export function mayUseService(user: Pick<SessionUser, 'profiles'>, grant: ProfileGrant): boolean {
  if (grant.anyAccount) return true;
  // Compared case-insensitively: directories differ in how they spell them.
  const held = new Set(user.profiles.map((p) => p.toLowerCase()));
  return grant.profiles.some((p) => held.has(p.toLowerCase()));
}

export function describeProfiles(profiles: readonly string[]): string {
  if (profiles.length === 0) return 'aucun profil transmis par le Guichet Agents';
  return profiles.map((p) => PROFILE_NAMES_FR[p.toLowerCase()] ?? p).join(', ');
}

export function refusalDetail(user: Pick<SessionUser, 'profiles'>): string {
  return (
    `Ce service est réservé aux enseignants et aux personnels de direction, pour leurs propres contenus. ` +
    `Votre compte (${describeProfiles(user.profiles)}) n'y donne pas accès. ` +
    `Si c'est une erreur, adressez-vous à l'administrateur de l'ENT de votre établissement.`
  );
}

/** One past attachment as a national directory reports it (`uai_history` claim): the UAI and the last day, `YYYY-MM-DD`. */
export interface PastAttachment {
  uai: string;
  until: string;
}

const UAI = /^\d{7}[A-Z]$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_HISTORY = 64;
const DAY_MS = 86_400_000;

/** Start (UTC) of the day after `until`: the attachment lasted through its last day. */
function endOf(until: string): number | undefined {
  const m = DAY.exec(until);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Rejects 2026-02-30 and the like: the date must read back as written.
  if (new Date(t).toISOString().slice(0, 10) !== until) return undefined;
  return t + DAY_MS;
}

/**
 * Reads the `uai_history` claim: past attachments with an end date. Anything else (an entry with no
 * end date, a malformed UAI or date) is dropped — it cannot prove a past attachment. Bounded.
 */
export function parseUaiHistory(claim: unknown): PastAttachment[] {
  if (!Array.isArray(claim)) return [];
  const out: PastAttachment[] = [];
  for (const entry of claim) {
    if (out.length >= MAX_HISTORY) break;
    if (typeof entry !== 'object' || entry === null) continue;
    const { uai, until } = entry as Record<string, unknown>;
    if (typeof uai !== 'string' || !UAI.test(uai) || typeof until !== 'string' || endOf(until) === undefined) continue;
    out.push({ uai, until });
  }
  return out;
}

export interface DeparturePolicy {
  /** The UAIs this ENT serves (GATEWAY_UAIS). */
  servedUais: readonly string[];
  /** How long after the end of a past attachment she may still start a transfer (DEPARTURE_HISTORY_GRACE_DAYS). */
  historyGraceMs: number;
}

export type DepartureSchool = { uai: string; basis: 'current' } | { uai: string; basis: 'history'; until: string };

/**
 * The school a transfer leaves from, decided by explicit identity facts (README, « Qui peut demander
 * un transfert »; docs/security.md):
 * 1. her current attachment (`uai` claim) to a school this ENT serves; otherwise
 * 2. a past attachment (`uai_history` claim) to a school this ENT serves, whose end date plus the
 *    grace period is not past — the académie removes her from the old school at the end of August,
 *    and she may still carry her contents away in September;
 * otherwise none, and the request is refused. The profile plays no part here: a head teacher
 * (PERDIR) follows the same path as a teacher. Dates are whole days in UTC.
 */
export function departureSchool(
  user: { uais: readonly string[]; uaiHistory?: readonly PastAttachment[] },
  policy: DeparturePolicy,
  now: Date,
): DepartureSchool | undefined {
  const current = user.uais.find((u) => policy.servedUais.includes(u));
  if (current) return { uai: current, basis: 'current' };
  let best: { uai: string; until: string; end: number } | undefined;
  for (const past of user.uaiHistory ?? []) {
    const end = endOf(past.until);
    if (end === undefined || !policy.servedUais.includes(past.uai)) continue;
    if (now.getTime() > end + policy.historyGraceMs) continue;
    if (!best || end > best.end) best = { uai: past.uai, until: past.until, end };
  }
  return best ? { uai: best.uai, basis: 'history', until: best.until } : undefined;
}
