import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { PROBLEM_TYPES, ProblemDetails } from '@ent/contract';

function collect(errors: ValidationError[], prefix: string, out: { field: string; messages: string[] }[]) {
  for (const e of errors) {
    const field = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    if (e.constraints) out.push({ field, messages: Object.values(e.constraints) });
    if (e.children?.length) collect(e.children, field, out);
  }
  return out;
}

/**
 * The one global pipe: strips nothing silently — unknown fields are an error —
 * and reports every offending field by its dotted path.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => validationFailed(collect(errors, '', [])),
  });
}

/** The 400 problem of a refused body, each offending field with its messages (also the offer's compiled validator's). */
export function validationFailed(fields: { field: string; messages: string[] }[]): BadRequestException {
  const problem: ProblemDetails = {
    type: PROBLEM_TYPES.validation,
    title: 'Request validation failed',
    status: 400,
    detail: fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; '),
    errors: fields,
  };
  return new BadRequestException({ problem });
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks a parsed JSON body before any recursive code sees it: bounded depth
 * (deep nesting would otherwise exhaust the stack of the validators) and no
 * prototype-polluting keys (which the validation pipe would strip silently
 * instead of refusing). Iterative on purpose.
 */
export function jsonShapeProblem(body: unknown, maxDepth = 32): string | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: body, depth: 0, path: '' }];
  while (stack.length) {
    const { value, depth, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return `${path || 'body'}: nesting deeper than ${maxDepth} levels`;
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, depth: depth + 1, path: `${path}[${i}]` }));
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return `${path ? path + '.' : ''}${key}: this key is not allowed`;
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: path ? `${path}.${key}` : key });
    }
  }
  return undefined;
}
