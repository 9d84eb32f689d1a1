import { accountClaims, ACCOUNTS, authenticate, SCOPE_CLAIMS } from './accounts';

describe('idp-sim accounts', () => {
  it('seeds exactly the seven demo accounts', () => {
    expect(ACCOUNTS.map((a) => [a.sub, a.password, a.national_profiles, a.uai])).toEqual([
      ['marie.dupont', 'demo-marie', ['National_ens'], ['0750001A']],
      ['paul.martin', 'demo-paul', ['National_ens'], ['0690002B']],
      ['claire.bernard', 'demo-claire', ['National_dir'], ['0750001A']],
      ['lucas.moreau', 'demo-lucas', ['National_ens'], ['0750001A']],
      ['sophie.girard', 'demo-sophie', ['National_evs'], ['0750001A']],
      ['nathalie.petit', 'demo-nathalie', ['National_ens'], ['0690002B']],
      ['henri.lefebvre', 'demo-henri', ['National_dir'], ['0690002B']],
    ]);
  });

  it('carries the school history as a national directory would: the old school and the last day of the attachment', () => {
    const moved = ACCOUNTS.filter((a) => a.uai_history.length > 0).map((a) => [a.sub, a.national_profiles, a.uai, a.uai_history]);
    expect(moved).toEqual([
      ['nathalie.petit', ['National_ens'], ['0690002B'], [{ uai: '0750001A', until: '2026-08-31' }]],
      ['henri.lefebvre', ['National_dir'], ['0690002B'], [{ uai: '0750001A', until: '2026-08-31' }]],
    ]);
    expect(SCOPE_CLAIMS.ent).toContain('uai_history');
    expect(accountClaims(ACCOUNTS[5]).uai_history).toEqual([{ uai: '0750001A', until: '2026-08-31' }]);
  });

  it('authenticates the right password only', () => {
    expect(authenticate('marie.dupont', 'demo-marie')?.sub).toBe('marie.dupont');
    expect(authenticate('marie.dupont', 'demo-paul')).toBeUndefined();
    expect(authenticate('nobody', 'demo-marie')).toBeUndefined();
    expect(authenticate('marie.dupont', '')).toBeUndefined();
    expect(authenticate(undefined, 'demo-marie')).toBeUndefined();
    expect(authenticate(['marie.dupont'], 'demo-marie')).toBeUndefined();
  });

  it('never exposes the password in the claims', () => {
    const claims = accountClaims(ACCOUNTS[2]);
    expect(claims).toEqual({
      sub: 'claire.bernard',
      given_name: 'Claire',
      family_name: 'Bernard',
      email: 'claire.bernard@ac-paris.fr',
      national_profiles: ['National_dir'],
      uai: ['0750001A'],
      uai_history: [],
    });
    expect(claims).not.toHaveProperty('password');
  });
});
