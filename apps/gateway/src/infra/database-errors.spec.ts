import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { DatabaseUnavailableError } from '@ent/persistence';
import { databaseErrorReporter, databaseUnavailableProblem } from './database-errors';

describe('database errors (ADR 018)', () => {
  it('turns an unreachable database into a 503 problem with a French detail, and nothing else', () => {
    const p = databaseUnavailableProblem(new DatabaseUnavailableError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' })));
    expect(p).toBeInstanceOf(ProblemError);
    expect(p).toMatchObject({ status: 503, type: PROBLEM_TYPES.serviceUnavailable });
    expect(p!.detail).toMatch(/momentanément indisponible/);
    expect(JSON.stringify(p)).not.toMatch(/ECONNREFUSED|10\.0\.0\.5/);
    expect(databaseUnavailableProblem(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBeUndefined();
    expect(databaseUnavailableProblem(new ProblemError(404, PROBLEM_TYPES.notFound, 'x'))).toBeUndefined();
  });

  it('counts every connection error but logs a burst once per window', () => {
    const counted: string[] = [];
    const report = databaseErrorReporter((s) => counted.push(s), 60_000);
    for (let i = 0; i < 5; i++) report(new Error('Connection terminated unexpectedly'), 'idle-connection');
    expect(counted).toHaveLength(5);
  });
});
