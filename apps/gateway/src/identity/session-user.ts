import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import type { PastAttachment } from './access-policy';

/** The logged-in teacher as kept in the (Postgres-backed) session. */
export interface SessionUser {
  /** Value of the configured identity claim (default `sub`): binds the teacher across ENTs. */
  identity: string;
  sub: string;
  displayName: string;
  email?: string;
  /** National profiles from the directory (National_ens, National_dir, …). */
  profiles: string[];
  uais: string[];
  /** Past attachments with their end dates (`uai_history` claim): who may still leave from here (access-policy.ts). */
  uaiHistory?: PastAttachment[];
  loggedInAt: string;
}

/**
 * The access token of the teacher's own login at the IdP, kept in the server-side session only
 * (never sent to the browser, never in /api/me): the departure exchanges it for an owner proof
 * when it offers her contents to another ENT (ADR 010).
 */
export interface LoginGrant {
  accessToken: string;
  /** epoch ms */
  expiresAt: number;
}

declare module 'express-session' {
  interface SessionData {
    user?: SessionUser;
    returnTo?: string;
    login?: LoginGrant;
  }
}

/** The session's login grant, if any (a handler that may obtain an owner proof). */
export const CurrentLogin = createParamDecorator((_: unknown, ctx: ExecutionContext): LoginGrant | undefined => {
  return ctx.switchToHttp().getRequest<Request>().session?.login;
});

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): SessionUser => {
  const req = ctx.switchToHttp().getRequest<Request>();
  const user = req.session?.user;
  if (!user) {
    throw new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Connexion requise', 'Connectez-vous avec votre compte Guichet Agents pour continuer.');
  }
  return user;
});
