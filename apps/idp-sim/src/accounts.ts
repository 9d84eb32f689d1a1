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
  },
  {
    sub: 'paul.martin',
    password: 'demo-paul',
    given_name: 'Paul',
    family_name: 'Martin',
    email: 'paul.martin@ac-lyon.fr',
    national_profiles: ['National_ens'],
    uai: ['0690002B'],
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
  },
  {
    sub: 'lucas.moreau',
    password: 'demo-lucas',
    given_name: 'Lucas',
    family_name: 'Moreau',
    email: 'lucas.moreau@ac-paris.fr',
    national_profiles: ['National_ens'],
    uai: ['0750001A'],
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
  },
].map((a) => Object.freeze({ ...a, national_profiles: [...a.national_profiles], uai: [...a.uai] })));

/** Which claims each scope releases (oidc-provider `claims` configuration). */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['given_name', 'family_name'],
  email: ['email'],
  ent: ['national_profiles', 'uai'],
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
  return { ...claims, national_profiles: [...claims.national_profiles], uai: [...claims.uai] };
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
