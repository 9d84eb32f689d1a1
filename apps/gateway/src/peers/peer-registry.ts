import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig, PeerEntry } from '../config';

/**
 * Which ENTs this gateway trusts and which UAIs they serve (PEERS). How to reach them is in each
 * peer's discovery document (PeerDiscovery).
 */
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
}
