import { Inject, Injectable } from '@nestjs/common';
import { UAI_PATTERN } from '@ent/contract';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { PeerDiscovery } from './peer-discovery';
import { PeerRegistry } from './peer-registry';

/** A school as a teacher knows it: its name and town when its ENT publishes them, else its UAI only. */
export interface School {
  uai: string;
  name?: string;
  town?: string;
  /** The ENT's portal, when its gateway publishes one (discovery `portalUrl`): « Connectez-vous à votre nouvel ENT ». */
  portalUrl?: string;
}

/** Most results a search shows: she refines rather than scrolls. */
export const MAX_SEARCH_RESULTS = 20;
/** A page is not held up by a peer whose discovery document is slow to come: its schools show as UAIs. */
const DISCOVERY_WAIT_MS = 1500;

/** « 0690002b », « 0690 002 B » → « 0690002B »; anything that is not a UAI then → undefined. */
export function normaliseUai(input: string): string | undefined {
  const compact = input.replace(/\s+/g, '').toUpperCase();
  return UAI_PATTERN.test(compact) ? compact : undefined;
}

/** Case, accents, hyphens and apostrophes do not matter in a search (« lycee ampere » finds « Lycée Ampère »). */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * Schools whose name, town or UAI hold every word of the query, best first: an exact UAI, then
 * names starting with the query, then alphabetical. Bounded to MAX_SEARCH_RESULTS.
 */
export function searchSchools(schools: readonly School[], query: string): School[] {
  const uai = normaliseUai(query);
  if (uai) return schools.filter((s) => s.uai === uai);
  const words = foldText(query).split(' ').filter(Boolean);
  if (!words.length) return [];
  const scored = schools
    .map((s) => ({ s, text: foldText(`${s.name ?? ''} ${s.town ?? ''} ${s.uai}`), name: foldText(s.name ?? '') }))
    .filter(({ text }) => words.every((w) => text.split(' ').some((t) => t.startsWith(w))))
    .sort((a, b) => Number(b.name.startsWith(words[0])) - Number(a.name.startsWith(words[0])) || a.name.localeCompare(b.name, 'fr') || a.s.uai.localeCompare(b.s.uai));
  return scored.slice(0, MAX_SEARCH_RESULTS).map(({ s }) => s);
}

/**
 * The schools a teacher may name (issue 16): those this gateway serves (GATEWAY_SCHOOLS) and
 * those its partners serve, named from each partner's discovery document (`schools`, `portalUrl`).
 * A partner names only the UAIs PEERS routes to it; one whose document cannot be read keeps its
 * UAIs, unnamed.
 */
@Injectable()
export class SchoolDirectory {
  constructor(
    private readonly peers: PeerRegistry,
    private readonly discovery: PeerDiscovery,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Every arrival school this gateway can send to. */
  async arrivals(): Promise<School[]> {
    const perPeer = await Promise.all(this.peers.all().map(async (peer) => {
      const doc = await Promise.race([
        this.discovery.get(peer).catch(() => undefined),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), DISCOVERY_WAIT_MS).unref()),
      ]);
      const published = new Map((doc?.schools ?? []).map((s) => [s.uai, s]));
      return peer.uais.map((uai): School => ({ ...published.get(uai), uai, ...(doc?.portalUrl ? { portalUrl: doc.portalUrl } : {}) }));
    }));
    return perPeer.flat();
  }

  /** The schools this gateway serves, as it publishes them. */
  own(): School[] {
    return this.config.uais.map((uai) => ({ ...this.config.publication.schools.find((s) => s.uai === uai), uai }));
  }

  /** Name and town of each UAI that is known; the others are left out (the page shows the UAI). */
  async describe(uais: Iterable<string>): Promise<Record<string, School>> {
    const wanted = new Set(uais);
    const out: Record<string, School> = {};
    const known = [...this.own(), ...(wanted.size ? await this.arrivals() : [])];
    for (const s of known) if (wanted.has(s.uai) && !out[s.uai]) out[s.uai] = s;
    return out;
  }

  async search(query: string): Promise<School[]> {
    return searchSchools(await this.arrivals(), query);
  }
}
