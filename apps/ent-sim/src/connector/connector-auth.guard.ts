import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ENT_SIM_CONFIG, EntSimConfig } from '../config';
import { problems } from '../problems';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * `Authorization: Bearer <ENT_SIM_CONNECTOR_TOKEN>` on every connector route.
 * The comparison is on SHA-256 digests with timingSafeEqual, so it takes the
 * same time whatever the length or content of the presented token.
 */
@Injectable()
export class ConnectorAuthGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(ENT_SIM_CONFIG) config: EntSimConfig) {
    this.expected = digest(config.connectorToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header) : null;
    if (!m) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="ent-sim connector"');
      throw problems.unauthenticated('send Authorization: Bearer <connector token>');
    }
    if (!timingSafeEqual(digest(m[1]), this.expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="ent-sim connector", error="invalid_token"');
      throw problems.invalidToken('the connector token is not valid');
    }
    return true;
  }
}
