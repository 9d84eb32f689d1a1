/**
 * What the DNMA workers log through. A Nest `Logger` (nestjs-pino) fits as is:
 * `new Logger('Dnma')`. Messages and fields never carry the raw user id, a name or token_auth.
 */
export interface DnmaLogger {
  log(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export const SILENT_LOGGER: DnmaLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** The clock; tests inject a simulated one. All queue times (due, lease, sent) come from it. */
export type DnmaClock = () => Date;

export const systemClock: DnmaClock = () => new Date();

export interface DnmaRuntimeOptions {
  now?: DnmaClock;
  logger?: DnmaLogger;
}
