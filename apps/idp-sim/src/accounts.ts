import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Seeded accounts of the simulated national directory ("Guichet Agents").
 * Claims follow the SDET vocabulary: national profile(s) and UAIs of attachment.
 * Exported so that tests and the README can use them.
 */
export interface SeedAccount {
  sub: string;
  password: string;
  given_name: string;
  family_name: string;
  email: string;
  national_profiles: string[];
  uai: string[];
  /**
   * Past attachments as a national directory reports them (an SDET-like history): each UAI she was
   * attached to, with the last day of that attachment. The gateway's departure admits a teacher whose
   * history shows a school it serves, within DEPARTURE_HISTORY_GRACE_DAYS of that date.
   */
  uai_history: { uai: string; until: string }[];
}

export const ACCOUNTS: readonly SeedAccount[] = Object.freeze([
  {
    // Teacher moving from ENT A to ENT B.
    sub: 'marie.dupont',
    password: 'demo-marie',
    given_name: 'Marie',
    family_name: 'Dupont',
    email: 'marie.dupont@ac-paris.fr',
    national_profiles: ['National_ens'],
    uai: ['0750001A'],
    uai_history: [],
  },
  {
    sub: 'paul.martin',
    password: 'demo-paul',
    given_name: 'Paul',
    family_name: 'Martin',
    email: 'paul.martin@ac-lyon.fr',
    national_profiles: ['National_ens'],
    uai: ['0690002B'],
    uai_history: [],
  },
  {
    // Head teacher (PERDIR).
    sub: 'claire.bernard',
    password: 'demo-claire',
    given_name: 'Claire',
    family_name: 'Bernard',
    email: 'claire.bernard@ac-paris.fr',
    national_profiles: ['National_dir'],
    uai: ['0750001A'],
    uai_history: [],
  },
  {
    sub: 'lucas.moreau',
    password: 'demo-lucas',
    given_name: 'Lucas',
    family_name: 'Moreau',
    email: 'lucas.moreau@ac-paris.fr',
    national_profiles: ['National_ens'],
    uai: ['0750001A'],
    uai_history: [],
  },
  {
    // A vie-scolaire agent (CPE): an agent of the directory whom §8.3 does not name,
    // so the transfer service refuses her (PORTABILITY_PROFILES).
    sub: 'sophie.girard',
    password: 'demo-sophie',
    given_name: 'Sophie',
    family_name: 'Girard',
    email: 'sophie.girard@ac-paris.fr',
    national_profiles: ['National_evs'],
    uai: ['0750001A'],
    uai_history: [],
  },
  {
    // A teacher who moved over the summer: the académie removed her from 0750001A (ENT A) on
    // 31 August and attached her to 0690002B (ENT B); her history still shows the old school.
    sub: 'nathalie.petit',
    password: 'demo-nathalie',
    given_name: 'Nathalie',
    family_name: 'Petit',
    email: 'nathalie.petit@ac-lyon.fr',
    national_profiles: ['National_ens'],
    uai: ['0690002B'],
    uai_history: [{ uai: '0750001A', until: '2026-08-31' }],
  },
  {
    // A head teacher (PERDIR) who moved the same way: same path as a teacher.
    sub: 'henri.lefebvre',
    password: 'demo-henri',
    given_name: 'Henri',
    family_name: 'Lefebvre',
    email: 'henri.lefebvre@ac-lyon.fr',
    national_profiles: ['National_dir'],
    uai: ['0690002B'],
    uai_history: [{ uai: '0750001A', until: '2026-08-31' }],
  },
].map((a) => Object.freeze({ ...a, national_profiles: [...a.national_profiles], uai: [...a.uai], uai_history: a.uai_history.map((h) => ({ ...h })) })));

/** Which claims each scope releases (oidc-provider `claims` configuration). */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['given_name', 'family_name'],
  email: ['email'],
  ent: ['national_profiles', 'uai', 'uai_history'],
} as const;

export type AccountClaims = Omit<SeedAccount, 'password'>;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

// Only hashes are kept for the comparison; both sides have the same length (32 bytes),
// so timingSafeEqual never throws and the comparison time does not depend on the input.
const PASSWORD_HASHES = new Map(ACCOUNTS.map((a) => [a.sub, digest(a.password)]));
const UNKNOWN_USER_HASH = digest(`unknown-user-${Math.random()}`);

export function findAccount(sub: string): SeedAccount | undefined {
  return ACCOUNTS.find((a) => a.sub === sub);
}

export function accountClaims(account: SeedAccount): AccountClaims {
  const { password: _password, ...claims } = account;
  return { ...claims, national_profiles: [...claims.national_profiles], uai: [...claims.uai], uai_history: claims.uai_history.map((h) => ({ ...h })) };
}

/**
 * Checks a login/password pair. The password comparison is constant time and an unknown
 * login goes through the same comparison, so timing does not reveal which logins exist.
 */
export function authenticate(login: unknown, password: unknown): SeedAccount | undefined {
  if (typeof login !== 'string' || typeof password !== 'string') return undefined;
  if (login.length > 256 || password.length > 1024) return undefined;
  const expected = PASSWORD_HASHES.get(login.trim()) ?? UNKNOWN_USER_HASH;
  const ok = timingSafeEqual(digest(password), expected);
  if (!ok || expected === UNKNOWN_USER_HASH) return undefined;
  return findAccount(login.trim());
}
