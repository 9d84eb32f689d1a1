import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, SetMetadata, UseInterceptors, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Observable, tap } from 'rxjs';
import type { Dnma } from '@ent/dnma';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { DNMA } from './tokens';

const PAGE_KEY = 'dnma-page';

/**
 * Tags an authenticated page of the transfer UI for the national audience
 * measurement (DNMA RFTI §3): one hit per successful view, queued in Postgres,
 * never slowing or breaking the page. Public pages carry no tag.
 */
export const TrackedPage = (pageId: string) => applyDecorators(SetMetadata(PAGE_KEY, pageId), UseInterceptors(DnmaPageInterceptor));

@Injectable()
export class DnmaPageInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(DNMA) private readonly dnma: Dnma | null,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const pageId = this.reflector.get<string>(PAGE_KEY, context.getHandler());
    const req = context.switchToHttp().getRequest<Request>();
    return next.handle().pipe(
      tap(() => {
        const user = req.session?.user;
        if (!this.dnma || !pageId || !user) return;
        void this.dnma.track({
          pageId,
          url: `${this.config.publicUrl}${req.originalUrl}`,
          referrer: req.get('referer'),
          userAgent: req.get('user-agent') ?? '',
          user: { id: user.identity, profiles: user.profiles, uais: user.uais, email: user.email, displayName: user.displayName },
          at: new Date(),
        });
      }),
    );
  }
}
