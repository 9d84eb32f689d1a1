import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { mayUseService, refusalDetail } from './access-policy';
import type { SessionUser } from './session-user';

/** Refuses, before anything is read or written, a signed-in account whose profile is not admitted. */
@Injectable()
export class TeacherProfileGuard implements CanActivate {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  canActivate(context: ExecutionContext): boolean {
    return this.check(context.switchToHttp().getRequest<Request>().session?.user);
  }

  check(user: SessionUser | undefined): boolean {
    if (!user) {
      throw new ProblemError(401, PROBLEM_TYPES.unauthenticated, 'Connexion requise', 'Connectez-vous avec votre compte Guichet Agents pour continuer.');
    }
    if (!mayUseService(user, this.config.access)) {
      throw new ProblemError(403, PROBLEM_TYPES.profileNotAllowed, 'Profil non autorisé', refusalDetail(user));
    }
    return true;
  }
}
