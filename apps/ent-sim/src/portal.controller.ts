import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { StoreProvider } from './store/store.provider';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** Path of a content's page in the simulated ENT's portal: what an import answers as `location`. */
export function contentPagePath(userId: string, contentId: string): string {
  return `/espace/${encodeURIComponent(userId)}/contenus/${encodeURIComponent(contentId)}`;
}

/**
 * The simulated ENT's page of one content (tests and demo only): where the arrival page's
 * « Ouvrir … dans votre ENT » link leads. No session: the simulated portal has no login.
 */
@ApiExcludeController()
@Controller('espace')
export class PortalController {
  constructor(private readonly stores: StoreProvider) {}

  @Get(':userId/contenus/:contentId')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'none'")
  page(@Param('userId') userId: string, @Param('contentId') contentId: string): string {
    const content = this.stores.store.get(userId, contentId);
    if (!content) throw new NotFoundException();
    return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${escape(content.title)} — ENT simulé</title></head>`
      + `<body><main><h1>${escape(content.title)}</h1><p>Contenu de votre espace (${escape(content.category)}).</p></main></body></html>`;
  }
}
