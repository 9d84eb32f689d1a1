import type { EntSimProfileName } from '../config';
import { ENT_A } from './ent-a';
import { ENT_B } from './ent-b';
import { ENT_B_MOODLE } from './ent-b-moodle';
import type { EntProfile } from './profile';

export const PROFILES: Record<EntSimProfileName, EntProfile> = { 'ent-a': ENT_A, 'ent-b': ENT_B, 'ent-b-moodle': ENT_B_MOODLE };
export * from './profile';
