import type { AnalysisView, ItemView, TransferView } from '../transfers/views';
import { ARRIVAL_STATE_FR, DEPARTURE_STATE_FR, ITEM_STATE_FR, label, sizeFr } from './labels.fr';

/** What `…/progression` answers (ADR 016): the counters, and the same words the page shows. */
export interface ProgressionDocument {
  id: string;
  state: string;
  stateLabel: string;
  terminal: boolean;
  items: { done: number; total: number };
  bytes: { done: number; total: number | null };
  percent: number;
  etaSeconds: number | null;
  /** One sentence: « 1 contenu sur 2 · 60 Mo sur 100 Mo · 60 % · environ 20 secondes restantes ». */
  summary: string;
  analysis?: AnalysisView & { message: string };
  notice?: string;
  rows: { itemId: string; state: string; stateLabel: string; bytesDone: number; bytesTotal: number | null; percent: number | null; bytesLabel: string; percentLabel: string }[];
}

export function etaFr(seconds: number | null): string | undefined {
  if (seconds === null) return undefined;
  if (seconds < 60) return 'moins d’une minute restante';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `environ ${minutes} minute${minutes > 1 ? 's' : ''} restante${minutes > 1 ? 's' : ''}`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `environ ${hours} h${rest ? ` ${String(rest).padStart(2, '0')}` : ''} restantes`;
}

export function itemBytesFr(done: number, total: number | null): string {
  return total === null ? sizeFr(done) : `${sizeFr(done)} sur ${sizeFr(total)}`;
}

/** The overall line of the status pages and of the live region's reading of them. */
export function progressSummaryFr(p: Pick<ProgressionDocument, 'items' | 'bytes' | 'percent' | 'etaSeconds' | 'terminal'>): string {
  const parts = [`${p.items.done} contenu${p.items.done > 1 ? 's' : ''} sur ${p.items.total}`];
  if (p.bytes.total !== null) parts.push(itemBytesFr(p.bytes.done, p.bytes.total));
  parts.push(`${p.percent} %`);
  const eta = p.terminal ? undefined : etaFr(p.etaSeconds);
  if (eta) parts.push(eta);
  return parts.join(' · ');
}

export const ANSWERED_FR = "L'ENT d'arrivée a répondu : vérifiez sa réponse, puis confirmez l'envoi.";

/** Where the question to the arrival stands, in her words (ADR 016). */
export function analysisFr(a: AnalysisView, arrival: string): string {
  if (a.state === 'ASKING') return `Nous interrogeons l’établissement d’arrivée (${arrival})…`;
  if (a.state === 'RETRYING') {
    return `L’établissement d’arrivée (${arrival}) ne répond pas pour le moment. Nous l’interrogeons de nouveau automatiquement : vous n’avez rien à faire, sa réponse s’affichera ici.`;
  }
  return a.reason === 'ARRIVAL_REFUSED'
    ? `L’établissement d’arrivée (${arrival}) a refusé d’analyser cette demande. Vérifiez l’établissement choisi, puis demandez de nouveau l’analyse ou supprimez ce brouillon.`
    : a.reason === 'INVALID_ANSWER'
      ? `La réponse de l’établissement d’arrivée (${arrival}) ne correspond pas à la demande : rien n’a été envoyé. Demandez de nouveau l’analyse plus tard, ou signalez-le à l’administrateur de l’ENT.`
      : `L’établissement d’arrivée (${arrival}) n’a pas répondu malgré plusieurs essais. Rien n’a été envoyé. Demandez de nouveau l’analyse plus tard.`;
}

export type ProgressRow = ProgressionDocument['rows'][number];

export function progressRowOf(i: ItemView): ProgressRow {
  return {
    itemId: i.itemId,
    state: i.state,
    stateLabel: label(ITEM_STATE_FR, i.state),
    bytesDone: i.bytesDone ?? 0,
    bytesTotal: i.bytesTotal ?? i.sizeBytes ?? null,
    percent: i.percent ?? null,
    bytesLabel: itemBytesFr(i.bytesDone ?? 0, i.bytesTotal ?? i.sizeBytes ?? null),
    percentLabel: i.percent === null || i.percent === undefined ? '—' : `${i.percent} %`,
  };
}

export function progressionOf(view: TransferView): ProgressionDocument {
  const p = view.progress ?? { state: view.state, terminal: false, items: { done: 0, total: view.items.length }, bytes: { done: 0, total: null }, percent: 0, etaSeconds: null };
  const states = view.role === 'DEPARTURE' ? DEPARTURE_STATE_FR : ARRIVAL_STATE_FR;
  const arrival = view.role === 'DEPARTURE' ? view.arrivalEntId : view.departureEntId;
  return {
    id: view.id,
    state: view.state,
    stateLabel: label(states, view.state),
    terminal: p.terminal,
    items: p.items,
    bytes: p.bytes,
    percent: p.percent,
    etaSeconds: p.etaSeconds,
    summary: progressSummaryFr(p),
    ...(view.analysis ? { analysis: { ...view.analysis, message: analysisFr(view.analysis, arrival) } } : {}),
    ...(view.notice ? { notice: view.notice } : {}),
    rows: view.items.map(progressRowOf),
  };
}
