import type { RftiService, RftiType } from './rfti';

/**
 * One line of the plan de marquage: which RFTI service (dimension8), module (dimension9) and
 * rubrique (dimension10) a page belongs to, and its page name (action_name). `outil` and `type`
 * override the configured dimension6 / dimension7 for that page (a third-party tool embedded
 * in the service, for instance); absent, the configured ones are used.
 *
 * module and rubrique are mandatory "sauf exception prévue dans le plan de marquage" (§3.2.3):
 * leaving one out here is that exception, and the parameter is then not sent.
 */
export interface DnmaPlanEntry {
  service: RftiService | string;
  module?: string;
  rubrique?: string;
  /** action_name; defaults to the page id. */
  actionName?: string;
  outil?: string;
  type?: RftiType;
}

/** pageId → plan entry. Configuration (DNMA_PLAN / DNMA_PLAN_FILE); see docs/dnma.md. */
export type DnmaPlan = Record<string, DnmaPlanEntry>;

/**
 * The plan de marquage of the gateway's teacher pages (docs/dnma.md explains each choice).
 * Only authenticated pages appear here; public pages (the logged-out home, the login
 * redirect) are not tagged (RFTI §3.1.1).
 */
export const GATEWAY_PLAN_DE_MARQUAGE: Readonly<DnmaPlan> = Object.freeze({
  home: { service: 'PAGE_ENT', module: 'PORTABILITE', rubrique: 'ACCUEIL', actionName: 'Portabilité - Accueil' },
  contents: { service: 'STOCKAGE_PARTAGE', module: 'PORTABILITE', rubrique: 'MES_CONTENUS', actionName: 'Portabilité - Mes contenus' },
  'transfer-new': {
    service: 'STOCKAGE_PARTAGE',
    module: 'PORTABILITE',
    rubrique: 'NOUVEAU_TRANSFERT',
    actionName: 'Portabilité - Nouveau transfert',
  },
  'transfer-analysis': {
    service: 'STOCKAGE_PARTAGE',
    module: 'PORTABILITE',
    rubrique: 'ANALYSE_ARRIVEE',
    actionName: "Portabilité - Réponse de l'ENT d'arrivée",
  },
  'transfer-status': {
    service: 'STOCKAGE_PARTAGE',
    module: 'PORTABILITE',
    rubrique: 'SUIVI_TRANSFERT',
    actionName: 'Portabilité - Suivi du transfert',
  },
  received: { service: 'STOCKAGE_PARTAGE', module: 'PORTABILITE', rubrique: 'CONTENUS_RECUS', actionName: 'Portabilité - Contenus reçus' },
  'received-download': {
    service: 'STOCKAGE_PARTAGE',
    module: 'PORTABILITE',
    rubrique: 'TELECHARGEMENT',
    actionName: 'Portabilité - Téléchargement manuel',
  },
});
