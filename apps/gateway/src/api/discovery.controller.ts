import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CONTRACT_VERSION, DiscoveryDocument, OFFER_LIMITS } from '@ent/contract';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { SigningService } from '../peers/signing.service';

@ApiTags('discovery')
@Controller('.well-known/ent-portability')
export class DiscoveryController {
  constructor(
    private readonly signing: SigningService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  // Peers cache it for this long (within their own bounds, ADR 007).
  @Header('Cache-Control', 'public, max-age=600')
  @ApiOperation({ summary: 'Discovery: contract versions, endpoints, token audience, signing keys, limits' })
  @ApiOkResponse({ type: DiscoveryDocument })
  discovery(): DiscoveryDocument {
    const base = this.config.publicUrl;
    return {
      contractVersions: [CONTRACT_VERSION],
      entId: this.config.entId,
      uais: this.config.uais,
      schools: this.config.uais.map((uai) => this.config.publication.schools.find((s) => s.uai === uai) ?? { uai }),
      issuer: this.config.oidc.issuer,
      audience: base,
      jwksUri: `${base}/.well-known/ent-portability/jwks.json`,
      endpoints: {
        capabilities: `${base}/portability/v1/capabilities`,
        offers: `${base}/portability/v1/offers`,
        deliveries: `${base}/portability/v1/offers/{offerId}/deliveries`,
        itemContent: `${base}/portability/v1/transfers/{transferId}/items/{itemId}/content`,
        receipt: `${base}/portability/v1/transfers/{transferId}/receipt`,
        cancellation: `${base}/portability/v1/offers/{offerId}/cancellation`,
      },
      contentOrigins: this.config.publication.contentOrigins,
      // The ENT portal (ENT_RETURN_URL): the departure's « Connectez-vous à votre nouvel ENT » link.
      ...(this.config.embedding.returnUrl ? { portalUrl: this.config.embedding.returnUrl } : {}),
      limits: {
        maxItemsPerOffer: OFFER_LIMITS.maxItems,
        maxBodyBytes: this.config.limits.maxBodyBytes,
        maxItemBytes: this.config.limits.maxItemBytes,
        offerTtlSeconds: this.config.limits.offerTtlSeconds,
      },
    };
  }

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify this gateway\'s delivery manifests and receipts' })
  jwks() {
    return this.signing.publicJwks();
  }
}
