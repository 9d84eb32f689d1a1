/**
 * Where the official schemas and vocabularies live. They are NOT shipped with
 * the library (licences, size): validators read them from the shared corpus
 * checked out next to the repository (`<repo>/../shared/corpus`), or from the
 * directory named by `ENT_FORMATS_CORPUS_DIR`, or from an explicit option.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

let cached: string | undefined;

/** `<repo root>/../shared/corpus`, found by walking up from this file (works from `src/` and from `dist/`). */
export function defaultCorpusDir(): string {
  const fromEnv = process.env.ENT_FORMATS_CORPUS_DIR;
  if (fromEnv) return resolve(fromEnv);
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 10; i++) {
    const candidate = resolve(dir, '..', 'shared', 'corpus');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return (cached = candidate);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Not found: the conventional location relative to the source tree (callers report it missing).
  return (cached = resolve(__dirname, '../../../../..', 'shared', 'corpus'));
}

export interface CorpusOptions {
  /** Directory holding `schemas/`, `scolomfr/`… (default: {@link defaultCorpusDir}). */
  corpusDir?: string;
}

export const CORPUS_PATHS = {
  scolomfrXsd: 'schemas/scolomfr-3.1/scolomfr.xsd',
  scolomfrVocabXsdDir: 'schemas/scolomfr-3.1/scolomfr/vocab',
  scolomfrVocabularies: 'scolomfr/vocabularies-3.1',
  scolomfrMigrationTables: 'scolomfr/migration-tables-3.1',
  lheo22Xsd: 'schemas/lheo/lheo-2.2.regenerated.xsd',
  lheo23Xsd: 'schemas/lheo/lheo-2.3.xsd',
} as const;

export function corpusPath(which: keyof typeof CORPUS_PATHS, opts: CorpusOptions = {}): string {
  return join(opts.corpusDir ?? defaultCorpusDir(), CORPUS_PATHS[which]);
}
