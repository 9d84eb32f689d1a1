import {
  BadRequestException,
  HttpException,
  HttpStatus,
  MethodNotAllowedException,
  NotAcceptableException,
  NotFoundException,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { PROBLEM_TYPES } from '@ent/contract';
import { GENERIC_PROBLEM_TYPE, ProblemError, ProblemFilter } from './problem.filter';

const req = { originalUrl: '/portability/v1/offers?x=1', id: 'req-42' } as any;

function problemOf(err: unknown) {
  const filter = new ProblemFilter();
  (filter as any).logger = { error: jest.fn() };
  return filter.toProblem(err, req);
}

describe('ProblemFilter.toProblem', () => {
  it('keeps a domain ProblemError as it is, with the instance path and request id', () => {
    const p = problemOf(new ProblemError(409, PROBLEM_TYPES.conflict, 'Conflict', 'other body', { errors: [] }));
    expect(p).toEqual({
      type: PROBLEM_TYPES.conflict,
      title: 'Conflict',
      status: 409,
      detail: 'other body',
      instance: '/portability/v1/offers',
      requestId: 'req-42',
      errors: [],
    });
  });

  it.each([
    [new BadRequestException('bad'), 400, PROBLEM_TYPES.validation],
    [new NotFoundException(), 404, PROBLEM_TYPES.notFound],
    [new HttpException('slow down', HttpStatus.TOO_MANY_REQUESTS), 429, PROBLEM_TYPES.rateLimited],
  ])('maps a Nest %p to the contract URN of its status', (err, status, type) => {
    const p = problemOf(err);
    expect(p.status).toBe(status);
    expect(p.type).toBe(type);
  });

  // Statuses the contract has no URN for are RFC 9457 about:blank problems with the status phrase
  // as title, never an internal error (a client error must not read as the gateway's fault).
  it.each([
    [new MethodNotAllowedException(), 405, 'Method not allowed'],
    [new NotAcceptableException(), 406, 'Not acceptable'],
    [new UnsupportedMediaTypeException(), 415, 'Unsupported media type'],
    [new UnprocessableEntityException(), 422, 'Unprocessable entity'],
    [new HttpException('teapot', 418), 418, 'I am a teapot'],
    [new HttpException('gone', 599), 599, 'Server error'],
  ])('maps a bare %p to about:blank with status %i', (err, status, title) => {
    const p = problemOf(err);
    expect(p).toMatchObject({ type: GENERIC_PROBLEM_TYPE, status, title });
    expect(p.type).not.toBe(PROBLEM_TYPES.internal);
  });

  it('joins the class-validator messages of a bare 400 into the detail', () => {
    const p = problemOf(new BadRequestException(['a must be a string', 'b is missing']));
    expect(p.detail).toBe('a must be a string; b is missing');
  });

  it('maps body-parser errors by their type: malformed JSON, too large, unsupported charset', () => {
    const parse = problemOf(Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed', status: 400 }));
    expect(parse).toMatchObject({ type: PROBLEM_TYPES.malformedJson, status: 400 });
    const large = problemOf(Object.assign(new Error('too big'), { type: 'entity.too.large', status: 413 }));
    expect(large).toMatchObject({ type: PROBLEM_TYPES.payloadTooLarge, status: 413 });
    const charset = problemOf(Object.assign(new Error('unsupported charset "KOI8-R"'), { type: 'charset.unsupported', status: 415 }));
    expect(charset).toMatchObject({ type: GENERIC_PROBLEM_TYPE, status: 415, title: 'Unsupported media type' });
  });

  it('turns anything else into a 500 that names the request id and leaks no message', () => {
    const p = problemOf(new Error('password=hunter2 at db.ts:12'));
    expect(p).toMatchObject({ type: PROBLEM_TYPES.internal, status: 500 });
    expect(p.detail).toContain('req-42');
    expect(JSON.stringify(p)).not.toContain('hunter2');
  });
});
