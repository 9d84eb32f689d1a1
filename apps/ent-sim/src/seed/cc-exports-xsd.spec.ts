/**
 * Every Common Cartridge the simulated ENTs export (ENT A's and ENT B's
 * courses, in each version they offer) validates against the official XSDs
 * of its own version — the check a real Moodle runs before importing.
 */
import { validateCommonCartridge } from '@ent/formats';
import { PROFILES } from '../profiles';
import { seedExportBytes } from '../profiles/profile';

jest.setTimeout(180_000);

describe('ENT courses validate against the XSDs of their version', () => {
  it.each(Object.keys(PROFILES) as (keyof typeof PROFILES)[])('%s: every imscc export', async (name) => {
    const contents = await PROFILES[name].seed({ extraItems: 0 });
    const exports = contents.flatMap((c) => c.exports.filter((e) => e.format.startsWith('imscc-')).map((e) => ({ id: c.id, ...e })));
    expect(exports.length).toBeGreaterThan(0);
    for (const e of exports) {
      const v = await validateCommonCartridge(seedExportBytes(e));
      expect({ id: e.id, format: e.format, version: `imscc-${v.version}`, checked: v.xsd.checked, errors: v.findings.filter((f) => f.severity === 'error') }).toEqual({
        id: e.id,
        format: e.format,
        version: e.format,
        checked: true,
        errors: [],
      });
    }
  });
});
