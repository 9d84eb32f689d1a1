/** Namespaces of a ScoLOMFR record (LOM, LOMFR and ScoLOMFR extensions). */
export const SCOLOMFR_NS = {
  lom: 'http://ltsc.ieee.org/xsd/LOM',
  lomfr: 'http://www.lom-fr.fr/xsd/LOMFR',
  scolomfr: 'http://www.lom-fr.fr/xsd/SCOLOMFR',
} as const;

/** `source` written with every vocabulary value of a 3.1 record. */
export const SCOLOMFR_SOURCE = 'SCOLOMFRv3.1';
