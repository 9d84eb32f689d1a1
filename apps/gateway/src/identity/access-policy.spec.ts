import { DEFAULT_PORTABILITY_PROFILES, describeProfiles, mayUseService, ProfileGrant, refusalDetail } from './access-policy';

const defaults: ProfileGrant = { anyAccount: false, profiles: DEFAULT_PORTABILITY_PROFILES };

describe('access policy of the teacher service', () => {
  it.each([
    [['National_ens'], true],
    [['National_doc'], true],
    // §8.3 names the head teacher as an actor: admitted, for her own contents.
    [['National_dir'], true],
    [['national_DIR'], true],
    [['National_evs'], false],
    [['National_elv'], false],
    [['National_tut'], false],
    [['National_eta'], false],
    [[], false],
    [['National_tut', 'National_ens'], true],
    [['National_ens_stagiaire'], false],
  ])('profiles %j → admitted %s with the default list', (profiles, expected) => {
    expect(mayUseService({ profiles }, defaults)).toBe(expected);
  });

  it('admits exactly the configured profiles', () => {
    const onlyHeads: ProfileGrant = { anyAccount: false, profiles: ['National_dir'] };
    expect(mayUseService({ profiles: ['National_dir'] }, onlyHeads)).toBe(true);
    expect(mayUseService({ profiles: ['National_ens'] }, onlyHeads)).toBe(false);
  });

  it('admits any signed-in account with *, even one whose directory sends no profile', () => {
    expect(mayUseService({ profiles: [] }, { anyAccount: true })).toBe(true);
  });

  it('tells a refused person, in French, which profile was seen and whom to ask', () => {
    expect(describeProfiles(['National_evs', 'X_local'])).toBe('vie scolaire, X_local');
    expect(describeProfiles([])).toBe('aucun profil transmis par le Guichet Agents');
    const detail = refusalDetail({ profiles: ['National_elv'] });
    expect(detail).toContain('(élève)');
    expect(detail).toMatch(/réservé aux enseignants et aux personnels de direction/);
    expect(detail).toMatch(/administrateur de l'ENT/);
  });
});
