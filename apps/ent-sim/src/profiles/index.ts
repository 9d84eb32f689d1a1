import type { EntSimProfileName } from '../config';
import { ENT_A } from './ent-a';
import { ENT_B } from './ent-b';
import type { EntProfile } from './profile';

export const PROFILES: Record<EntSimProfileName, EntProfile> = { 'ent-a': ENT_A, 'ent-b': ENT_B };
export * from './profile';
