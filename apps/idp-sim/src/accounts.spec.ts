import { accountClaims, ACCOUNTS, authenticate } from './accounts';

describe('idp-sim accounts', () => {
  it('seeds exactly the five demo accounts', () => {
    expect(ACCOUNTS.map((a) => [a.sub, a.password, a.national_profiles, a.uai])).toEqual([
      ['marie.dupont', 'demo-marie', ['National_ens'], ['0750001A']],
      ['paul.martin', 'demo-paul', ['National_ens'], ['0690002B']],
      ['claire.bernard', 'demo-claire', ['National_dir'], ['0750001A']],
      ['lucas.moreau', 'demo-lucas', ['National_ens'], ['0750001A']],
      ['sophie.girard', 'demo-sophie', ['National_evs'], ['0750001A']],
    ]);
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
    });
    expect(claims).not.toHaveProperty('password');
  });
});
