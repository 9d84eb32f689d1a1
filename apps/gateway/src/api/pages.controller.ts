import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { TrackedPage } from '../infra/dnma-page.interceptor';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * A thin home page so the stack can be tried in a browser; the full transfer
 * UI is a separate piece of work. Everything a teacher reads is in French.
 */
@ApiExcludeController()
@Controller()
export class PagesController {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Get()
  @TrackedPage('home')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'self'; style-src 'unsafe-inline'")
  home(@Req() req: Request) {
    const user = req.session?.user;
    const body = user
      ? `<p>Connecté·e : <strong>${escape(user.displayName)}</strong> (${escape(user.uais.join(', '))})</p>
         <ul>
           <li><a href="/api/contents">Mes contenus (JSON)</a></li>
           <li><a href="/api/transfers">Mes transferts envoyés (JSON)</a></li>
           <li><a href="/api/received">Contenus reçus d'un autre ENT (JSON)</a></li>
         </ul>
         <form method="post" action="/auth/logout"><button>Se déconnecter</button></form>`
      : `<p>Transférez vos contenus (cahier de textes, cours, ressources, courrier) vers l'ENT de votre nouvel établissement.</p>
         <p><a href="/auth/login">Se connecter avec le Guichet Agents</a></p>`;
    return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Portabilité ENT — ${escape(this.config.entId)}</title></head>
<body style="font-family: sans-serif; max-width: 48rem; margin: 2rem auto"><h1>Portabilité des contenus — ${escape(this.config.entId)}</h1>${body}</body></html>`;
  }
}
