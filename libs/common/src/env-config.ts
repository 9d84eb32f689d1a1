import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${path}: ${m}`);
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/**
 * Validates environment variables once, at boot, into a typed object; business
 * code never reads process.env. Property names are the variable names.
 */
export function loadEnvConfig<T extends object>(cls: new () => T, env: NodeJS.ProcessEnv): T {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') raw[k] = v;
  const instance = plainToInstance(cls, raw, { enableImplicitConversion: false, exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: false });
  if (errors.length) throw new ConfigError(flatten(errors));
  return instance;
}

/** Parses a JSON environment variable, naming the variable when it is not JSON. */
export function parseJsonEnv<T>(name: string, value: string | undefined, fallback: T): T {
  if (value === undefined || value === '') return fallback;
  try {
    return JSON.parse(value) as T;
  } catch (err) {
    throw new ConfigError([`${name}: is not valid JSON (${(err as Error).message})`]);
  }
}

/** Prints the configuration problem and stops the process (exit code 1). */
export function exitOnConfigError(err: unknown, app: string): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${app}: ${err.message}\n`);
    process.stderr.write(`${app}: refusing to start; fix the variables above (see README, Configuration).\n`);
  } else {
    process.stderr.write(`${app}: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
}
