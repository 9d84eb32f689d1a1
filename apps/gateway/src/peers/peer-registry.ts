import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';

/** Which ENTs this gateway trusts, how to reach them and which UAIs they serve. */
@Injectable()
export class PeerRegistry {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  all(): PeerEntry[] {
    return this.config.peers;
  }

  byClientId(clientId: string): PeerEntry | undefined {
    return this.config.peers.find((p) => p.clientId === clientId);
  }

  byEntId(entId: string): PeerEntry | undefined {
    return this.config.peers.find((p) => p.entId === entId);
  }

  byUai(uai: string): PeerEntry | undefined {
    return this.config.peers.find((p) => p.uais.includes(uai));
  }

  discoveryUrl(peer: PeerEntry): string {
    return `${peer.baseUrl}/.well-known/ent-portability`;
  }

  jwksUri(peer: PeerEntry): string {
    return `${peer.baseUrl}/.well-known/ent-portability/jwks.json`;
  }
}
