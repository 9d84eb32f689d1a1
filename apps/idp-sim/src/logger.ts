/** JSON-lines logger on stdout: one object per line with time, level, msg (+ reqId when known). */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export type LogFields = Record<string, unknown>;

function serialiseError(err: unknown): LogFields {
  if (err instanceof Error) {
    const e = err as Error & { error?: unknown; error_description?: unknown; status?: unknown };
    return {
      err: {
        name: e.name,
        message: e.message,
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.error_description !== undefined ? { error_description: e.error_description } : {}),
        ...(e.status !== undefined ? { status: e.status } : {}),
        stack: e.stack,
      },
    };
  }
  return { err: String(err) };
}

export function log(level: LogLevel, msg: string, fields: LogFields = {}): void {
  const { err, time: _t, level: _l, msg: _m, ...rest } = fields;
  const line = {
    time: new Date().toISOString(),
    level,
    msg,
    ...rest,
    ...(err !== undefined ? serialiseError(err) : {}),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export const logger = {
  debug: (msg: string, fields?: LogFields) => log('debug', msg, fields),
  info: (msg: string, fields?: LogFields) => log('info', msg, fields),
  warn: (msg: string, fields?: LogFields) => log('warn', msg, fields),
  error: (msg: string, fields?: LogFields) => log('error', msg, fields),
  fatal: (msg: string, fields?: LogFields) => log('fatal', msg, fields),
};

/**
 * oidc-provider prints its notices with console.info / console.warn as plain text;
 * route them (and anything else using console) into the JSON stream.
 */
export function routeConsoleToJson(): void {
  const format = (args: unknown[]) =>
    args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(' ');
  console.log = (...args: unknown[]) => log('info', format(args), { source: 'console' });
  console.info = (...args: unknown[]) => log('info', format(args), { source: 'console' });
  console.warn = (...args: unknown[]) => log('warn', format(args), { source: 'console' });
  console.error = (...args: unknown[]) => log('error', format(args), { source: 'console' });
}
