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
