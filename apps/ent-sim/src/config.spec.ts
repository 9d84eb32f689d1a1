import { ConfigError } from '@ent/common';
import { ENT_SIM_DEFAULTS, extraItemsFromEnv, loadEntSimConfig } from './config';

const TOKEN = 'a-connector-token-of-32-characters';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadEntSimConfig(env, '/srv');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('loadEntSimConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadEntSimConfig({ ENT_SIM_PROFILE: 'ent-b', ENT_SIM_CONNECTOR_TOKEN: TOKEN }, '/srv')).toEqual({
      port: 4101,
      host: '127.0.0.1',
      profile: 'ent-b',
      connectorToken: TOKEN,
      dataDir: '/srv/.data/ent-b',
      maxItemBytes: ENT_SIM_DEFAULTS.maxItemBytes,
      latencyMs: 0,
      capabilitiesMaxAge: 60,
      extraItems: 0,
      largeItemBytes: 0,
      exportBytesPerSecond: 0,
      metadataImports: ['scolomfr-3.1'],
    });
    expect(ENT_SIM_DEFAULTS.maxItemBytes).toBe(2 * 1024 ** 3);
  });

  it('reads how long its gateway may reuse its capabilities (0: no-cache), within a day', () => {
    const base = { ENT_SIM_PROFILE: 'ent-b', ENT_SIM_CONNECTOR_TOKEN: TOKEN };
    expect(loadEntSimConfig({ ...base, ENT_SIM_CAPABILITIES_MAX_AGE: '0' }, '/srv').capabilitiesMaxAge).toBe(0);
    expect(loadEntSimConfig({ ...base, ENT_SIM_CAPABILITIES_MAX_AGE: '600' }, '/srv').capabilitiesMaxAge).toBe(600);
    expect(() => loadEntSimConfig({ ...base, ENT_SIM_CAPABILITIES_MAX_AGE: '86401' }, '/srv')).toThrow(/ENT_SIM_CAPABILITIES_MAX_AGE/);
    expect(() => loadEntSimConfig({ ...base, ENT_SIM_CAPABILITIES_MAX_AGE: 'forever' }, '/srv')).toThrow(/ENT_SIM_CAPABILITIES_MAX_AGE/);
  });

  it('reads the metadata formats its connector attaches, among those it knows', () => {
    const base = { ENT_SIM_PROFILE: 'ent-b', ENT_SIM_CONNECTOR_TOKEN: TOKEN };
    expect(loadEntSimConfig({ ...base, ENT_SIM_METADATA_IMPORTS: 'schemaorg-jsonld, scolomfr-3.1' }, '/srv').metadataImports).toEqual(['schemaorg-jsonld', 'scolomfr-3.1']);
    expect(() => loadEntSimConfig({ ...base, ENT_SIM_METADATA_IMPORTS: 'lom' }, '/srv')).toThrow(/ENT_SIM_METADATA_IMPORTS/);
  });

  it('reads every variable', () => {
    expect(
      loadEntSimConfig(
        {
          ENT_SIM_PORT: '0',
          ENT_SIM_HOST: '::1',
          ENT_SIM_PROFILE: 'ent-a',
          ENT_SIM_CONNECTOR_TOKEN: TOKEN,
          ENT_SIM_DATA_DIR: 'var/a',
          ENT_SIM_MAX_ITEM_BYTES: '1048576',
          ENT_SIM_LATENCY_MS: '250',
          ENT_SIM_EXTRA_ITEMS: '20',
          ENT_SIM_LARGE_ITEM_BYTES: '20971520',
          ENT_SIM_EXPORT_BYTES_PER_SECOND: '4194304',
        },
        '/srv',
      ),
    ).toMatchObject({
      port: 0, host: '::1', profile: 'ent-a', dataDir: '/srv/var/a', maxItemBytes: 1048576, maxItemBytesOverridesProfile: true, latencyMs: 250, extraItems: 20,
      largeItemBytes: 20971520, exportBytesPerSecond: 4194304,
    });
  });

  it.each([
    [{ ENT_SIM_PORT: '70000' }, 'ENT_SIM_PORT'],
    [{ ENT_SIM_PORT: '12ab' }, 'ENT_SIM_PORT'],
    [{ ENT_SIM_HOST: 'bad host!' }, 'ENT_SIM_HOST'],
    [{ ENT_SIM_PROFILE: 'ent-c' }, 'ENT_SIM_PROFILE'],
    [{ ENT_SIM_PROFILE: '' }, 'ENT_SIM_PROFILE'],
    [{ ENT_SIM_CONNECTOR_TOKEN: '' }, 'ENT_SIM_CONNECTOR_TOKEN'],
    [{ ENT_SIM_CONNECTOR_TOKEN: 'short' }, 'ENT_SIM_CONNECTOR_TOKEN'],
    [{ ENT_SIM_CONNECTOR_TOKEN: 'has a space in it, so no good' }, 'ENT_SIM_CONNECTOR_TOKEN'],
    [{ ENT_SIM_MAX_ITEM_BYTES: '0' }, 'ENT_SIM_MAX_ITEM_BYTES'],
    [{ ENT_SIM_MAX_ITEM_BYTES: '-5' }, 'ENT_SIM_MAX_ITEM_BYTES'],
    [{ ENT_SIM_EXTRA_ITEMS: '501' }, 'ENT_SIM_EXTRA_ITEMS'],
    [{ ENT_SIM_EXTRA_ITEMS: '-1' }, 'ENT_SIM_EXTRA_ITEMS'],
    [{ ENT_SIM_EXTRA_ITEMS: 'twenty' }, 'ENT_SIM_EXTRA_ITEMS'],
    [{ ENT_SIM_LARGE_ITEM_BYTES: String(4 * 1024 * 1024 * 1024 + 1) }, 'ENT_SIM_LARGE_ITEM_BYTES'],
    [{ ENT_SIM_LARGE_ITEM_OWNERS: 'marie.dupont,bad owner' }, 'ENT_SIM_LARGE_ITEM_OWNERS'],
    [{ ENT_SIM_EXPORT_BYTES_PER_SECOND: 'fast' }, 'ENT_SIM_EXPORT_BYTES_PER_SECOND'],
    [{ ENT_SIM_EXPORT_FORMATS: 'imscc-1.3,,ical' }, 'ENT_SIM_EXPORT_FORMATS'],
    [{ ENT_SIM_EXPORT_FORMATS: 'IMSCC 1.3' }, 'ENT_SIM_EXPORT_FORMATS'],
  ])('names the bad variable (%j)', (patch, variable) => {
    const problems = problemsOf({ ENT_SIM_PROFILE: 'ent-a', ENT_SIM_CONNECTOR_TOKEN: TOKEN, ...patch });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}: `));
  });

  it('reads the Moodle-like profile and ENT_SIM_EXPORT_FORMATS', () => {
    const c = loadEntSimConfig({ ENT_SIM_PROFILE: 'ent-b-moodle', ENT_SIM_CONNECTOR_TOKEN: TOKEN, ENT_SIM_EXPORT_FORMATS: 'imscc-1.3, ical' }, '/srv');
    expect(c).toMatchObject({ profile: 'ent-b-moodle', exportFormats: ['imscc-1.3', 'ical'], dataDir: '/srv/.data/ent-b-moodle' });
    expect(loadEntSimConfig({ ENT_SIM_PROFILE: 'ent-a', ENT_SIM_CONNECTOR_TOKEN: TOKEN }, '/srv').exportFormats).toBeUndefined();
  });

  it('reports every problem at once', () => {
    expect(problemsOf({}).map((p) => p.split(':')[0]).sort()).toEqual(['ENT_SIM_CONNECTOR_TOKEN', 'ENT_SIM_PROFILE']);
  });
});

describe('extraItemsFromEnv', () => {
  it('reads ENT_SIM_EXTRA_ITEMS, 0 when unset or blank', () => {
    expect(extraItemsFromEnv({})).toBe(0);
    expect(extraItemsFromEnv({ ENT_SIM_EXTRA_ITEMS: ' ' })).toBe(0);
    expect(extraItemsFromEnv({ ENT_SIM_EXTRA_ITEMS: '500' })).toBe(500);
  });

  it.each(['501', '-1', '1.5', 'x'])('refuses %j, naming the variable', (raw) => {
    expect(() => extraItemsFromEnv({ ENT_SIM_EXTRA_ITEMS: raw })).toThrow(ConfigError);
    expect(() => extraItemsFromEnv({ ENT_SIM_EXTRA_ITEMS: raw })).toThrow(/ENT_SIM_EXTRA_ITEMS/);
  });
});
