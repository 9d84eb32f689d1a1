import { Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { PROBLEM_TYPES } from '@ent/contract';
import { ProblemError } from '@ent/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { csrfMatches, csrfToken } from '../identity/csrf';
import { mayUseService } from '../identity/access-policy';
import { OidcGuard } from '../identity/oidc.guard';
import type { VerifiedLogin } from '../identity/oidc.strategy';
import { CurrentUser, SessionUser } from '../identity/session-user';
import { ArrivalService } from '../transfers/arrival.service';

@ApiExcludeController()
@Controller()
export class AuthController {
  constructor(
    private readonly arrival: ArrivalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Starts the authorization code flow (redirect to the Guichet Agents). */
  @Get('auth/login')
  @UseGuards(OidcGuard)
  login() {
    // The guard answers with the redirect.
  }

  @Get('auth/callback')
  @UseGuards(OidcGuard)
  async callback(@Req() req: Request & { user?: VerifiedLogin }, @Res() res: Response) {
    const { user, login } = req.user!;
    // A fresh session id after login: no session fixation. The ENT's return link (already checked
    // against the allowed origins) survives it.
    const entReturn = req.session.entReturn;
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.user = user;
    if (entReturn) req.session.entReturn = entReturn;
    // Server-side only: exchanged for owner proofs when she offers contents (ADR 010).
    if (login) req.session.login = login;
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
    // §8.3 arrival: logging in is what triggers the automatic import, for an admitted profile only.
    if (mayUseService(user, this.config.access)) await this.arrival.onOwnerLogin(user);
    res.redirect(303, '/');
  }

  /**
   * Ends the session. With a signed-in session it needs the session's anti-CSRF token in
   * `X-CSRF-Token` (read from `GET /api/me`), so that no other page can log the teacher out
   * (finding 8); without a session there is nothing to end.
   */
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res() res: Response) {
    if (req.session?.user && !csrfMatches(req, req.get('x-csrf-token'))) {
      throw new ProblemError(403, PROBLEM_TYPES.forbidden, 'Anti-CSRF token required', 'Send the session\'s token (csrfToken of GET /api/me) in the X-CSRF-Token header.');
    }
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie(this.config.session.cookieName);
    res.status(204).end();
  }

  @Get('api/me')
  me(@CurrentUser() user: SessionUser, @Req() req: Request) {
    // mayTransfer: whether this account's profile is admitted to the transfer service;
    // csrfToken: what POST /auth/logout wants in X-CSRF-Token.
    return { ...user, mayTransfer: mayUseService(user, this.config.access), csrfToken: csrfToken(req) };
  }
}
