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
    exceptionFactory: (errors) => {
      const fields = collect(errors, '', []);
      const problem: ProblemDetails = {
        type: PROBLEM_TYPES.validation,
        title: 'Request validation failed',
        status: 400,
        detail: fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; '),
        errors: fields,
      };
      return new BadRequestException({ problem });
    },
  });
}
