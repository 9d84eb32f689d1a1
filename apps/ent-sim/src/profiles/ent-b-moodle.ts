import { ENT_B } from './ent-b';
import type { EntProfile } from './profile';

/**
 * ENT B whose courses live in Moodle (what most French académies run): same
 * establishment, teachers and seed, but courses are imported the way Moodle's
 * IMS Common Cartridge import does it — CC 1.0 and 1.1 only (Moodle has no
 * 1.3 importer: "unable_to_find_conversion_path"), and a package the official
 * XSDs of its version refuse is refused whole. A departure that holds CC 1.3
 * courses must therefore convert them to 1.1 (issue 13, defect 8).
 */
export const ENT_B_MOODLE: EntProfile = {
  ...ENT_B,
  establishment: `${ENT_B.establishment} — parcours dans Moodle`,
  categories: ENT_B.categories.map((c) =>
    c.category === 'PARCOURS_PEDAGOGIQUE' ? { category: c.category, imports: [{ format: 'imscc-1.1' }, { format: 'imscc-1.0' }] } : c,
  ),
  courseImport: 'moodle',
};
