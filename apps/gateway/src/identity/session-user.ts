import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';

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
  loggedInAt: string;
}

declare module 'express-session' {
  interface SessionData {
    user?: SessionUser;
    returnTo?: string;
  }
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): SessionUser => {
  const req = ctx.switchToHttp().getRequest<Request>();
  const user = req.session?.user;
  if (!user) {
    throw new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Connexion requise', 'Connectez-vous avec votre compte Guichet Agents pour continuer.');
  }
  return user;
});
