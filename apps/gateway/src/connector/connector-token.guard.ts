import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The ENT's calls to its gateway (connector events) carry the connector bearer secret, the same
 * one the gateway presents to the ENT. Compared as SHA-256 digests with timingSafeEqual.
 */
@Injectable()
export class ConnectorTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.expected = digest(config.connector.token);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const m = typeof req.headers.authorization === 'string' ? /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(req.headers.authorization) : null;
    if (!m) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="connector events"');
      throw new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Authentication required', 'Send Authorization: Bearer <connector token>.');
    }
    if (!timingSafeEqual(digest(m[1]), this.expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="connector events", error="invalid_token"');
      throw new ProblemError(401, PROBLEM_TYPES.invalidToken, 'Invalid token', 'The connector token is not valid.');
    }
    return true;
  }
}
