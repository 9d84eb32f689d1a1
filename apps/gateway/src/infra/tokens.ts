/** Nest injection tokens for the adapters that touch the outside world. */
export const DATABASE = Symbol('DATABASE');
export const OBJECT_STORE = Symbol('OBJECT_STORE');
export const JOB_WORKER = Symbol('JOB_WORKER');
export const DNMA = Symbol('DNMA');
