import { DEFAULT_PORTABILITY_PROFILES, departureSchool, describeProfiles, mayUseService, parseUaiHistory, ProfileGrant, refusalDetail } from './access-policy';

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

describe('departure school: who may start a transfer from this ENT', () => {
  const served = ['0750001A', '0750002B'];
  const grace = 120 * 86_400_000;
  const policy = { servedUais: served, historyGraceMs: grace };
  const at = (iso: string) => new Date(iso);

  it('takes the current attachment to a served school first', () => {
    expect(departureSchool({ uais: ['0690002B', '0750001A'], uaiHistory: [{ uai: '0750002B', until: '2026-08-31' }] }, policy, at('2026-07-01T10:00:00Z')))
      .toEqual({ uai: '0750001A', basis: 'current' });
  });

  it('admits her from her history once the directory removed the old school, within the grace period', () => {
    const user = { uais: ['0690002B'], uaiHistory: [{ uai: '0750001A', until: '2026-08-31' }] };
    expect(departureSchool(user, policy, at('2026-09-03T08:00:00Z'))).toEqual({ uai: '0750001A', basis: 'history', until: '2026-08-31' });
    // The last day of the grace period still counts (end date + 120 days, end of that day).
    expect(departureSchool(user, policy, at('2026-12-29T23:00:00Z'))).toEqual({ uai: '0750001A', basis: 'history', until: '2026-08-31' });
  });

  it('refuses once the grace period after the end date has passed', () => {
    const user = { uais: ['0690002B'], uaiHistory: [{ uai: '0750001A', until: '2026-08-31' }] };
    expect(departureSchool(user, policy, at('2026-12-30T00:00:01Z'))).toBeUndefined();
    expect(departureSchool(user, { ...policy, historyGraceMs: 0 }, at('2026-09-01T00:00:01Z'))).toBeUndefined();
  });

  it('refuses without any served school, current or in the history', () => {
    expect(departureSchool({ uais: ['0690002B'], uaiHistory: [] }, policy, at('2026-09-03T08:00:00Z'))).toBeUndefined();
    expect(departureSchool({ uais: ['0690002B'] }, policy, at('2026-09-03T08:00:00Z'))).toBeUndefined();
    expect(departureSchool({ uais: ['0690002B'], uaiHistory: [{ uai: '0130003C', until: '2026-08-31' }] }, policy, at('2026-09-03T08:00:00Z'))).toBeUndefined();
  });

  it('takes the most recent served school when the history holds several', () => {
    const user = { uais: [], uaiHistory: [{ uai: '0750002B', until: '2025-08-31' }, { uai: '0750001A', until: '2026-08-31' }] };
    expect(departureSchool(user, { ...policy, historyGraceMs: 400 * 86_400_000 }, at('2026-09-03T08:00:00Z')))
      .toEqual({ uai: '0750001A', basis: 'history', until: '2026-08-31' });
  });

  it('the head teacher (PERDIR) follows the same path: the rule reads attachments, not profiles', () => {
    const head = { profiles: ['National_dir'], uais: ['0690002B'], uaiHistory: [{ uai: '0750001A', until: '2026-08-31' }] };
    expect(mayUseService(head, defaults)).toBe(true);
    expect(departureSchool(head, policy, at('2026-09-10T08:00:00Z'))).toEqual({ uai: '0750001A', basis: 'history', until: '2026-08-31' });
  });

  describe('parseUaiHistory (the uai_history claim)', () => {
    it('keeps well-formed entries', () => {
      expect(parseUaiHistory([{ uai: '0750001A', until: '2026-08-31' }, { uai: '0690002B', since: '2026-09-01' }]))
        .toEqual([{ uai: '0750001A', until: '2026-08-31' }]);
    });
    it.each([
      [undefined], ['0750001A'], [[{ uai: 'x', until: '2026-08-31' }]], [[{ uai: '0750001A', until: '31/08/2026' }]],
      [[{ uai: '0750001A', until: '2026-02-30' }]], [[{ uai: '0750001A' }]], [[null]],
    ])('drops what is not a UAI with an end date: %j', (claim) => {
      expect(parseUaiHistory(claim)).toEqual([]);
    });
    it('is bounded', () => {
      const many = Array.from({ length: 500 }, () => ({ uai: '0750001A', until: '2026-08-31' }));
      expect(parseUaiHistory(many)).toHaveLength(64);
    });
  });
});
