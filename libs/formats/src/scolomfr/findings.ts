/**
 * Findings reported by the metadata readers, validators and converters
 * (ScoLOMFR, LHÉO, schema.org / LRMI). `code` is stable (tests and callers
 * switch on it); `message` is for humans; `path` is an element path such as
 * `lom/classification[2]/purpose/value` (1-based indexes, as in XPath).
 */
export type FindingSeverity = 'error' | 'warning' | 'info';

export interface Finding {
  code: string;
  severity: FindingSeverity;
  message: string;
  path?: string;
  value?: string;
  /** Line in the source document, when known (XSD errors). */
  line?: number;
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** Distinct codes of the findings of a given severity (all severities by default), sorted. */
export function findingCodes(findings: readonly Finding[], severity?: FindingSeverity): string[] {
  return [...new Set(findings.filter((f) => !severity || f.severity === severity).map((f) => f.code))].sort();
}
