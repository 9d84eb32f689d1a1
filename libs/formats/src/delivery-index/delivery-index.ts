/**
 * The delivery index (§8.3 flow 4, « listes d'indexes ScoLOMFR/Schema.org »):
 * for one delivery, every item described three ways —
 *
 * - `index.scolomfr.xml`: a wrapper `<index>` (namespace
 *   `urn:ent-portability:delivery-index:1`) holding, per item, its transport
 *   facts (id, category, format, media type, size, SHA-256) and a ScoLOMFR
 *   `<lom>` record: the item's own record when the departure ENT has one
 *   (parsed safely, embedded as it is), else one written from the item's
 *   facts (identifier, title, format, size). Each `<lom>` validates against
 *   the ScoLOMFR 3.1 XSD on its own.
 * - `index.jsonld`: a schema.org `ItemList` (JSON-LD) whose elements are the
 *   items' schema.org descriptions (the crosswalk of their ScoLOMFR record,
 *   or a `MediaObject`), with `encodingFormat`, `contentSize` and `sha256`.
 * - `index.html`: the same list for a person, in French, every value escaped.
 *
 * Deterministic: the same items and meta give the same bytes.
 */
import { FormatError } from '../errors';
import { parseXmlSafely } from '../xml/safe-xml';
import { escapeXmlAttr, escapeXmlText } from '../xml/xml-escape';
import { readScolomfrTree } from '../scolomfr/reader';
import { emptyScolomfrRecord, firstLangString, ScolomfrRecord } from '../scolomfr/record';
import { SCOLOMFR_NS, SCOLOMFR_SOURCE } from '../scolomfr/ns';
import { writeScolomfrRecord } from '../scolomfr/scolomfr';
import { serializeXml } from '../scolomfr/xml-tree';
import { crosswalkScolomfrToSchemaOrg, JsonLd, SCHEMA_ORG_CONTEXT } from '../schemaorg/to-schemaorg';

export interface DeliveryIndexItem {
  itemId: string;
  title: string;
  /** Content category (DNMA service label: `CAHIER_TEXTES`, `COURRIER_ELECTRONIQUE`…). */
  category: string;
  /** Format id (`imscc-1.3`, `mbox`, `scolomfr-3.1`…). */
  format: string;
  mediaType: string;
  sizeBytes: number;
  /** Lowercase hex SHA-256 of the delivered bytes. */
  sha256: string;
  /** The item's ScoLOMFR record (XML), when the departure ENT has one. */
  scolomfr?: string;
}

export type DeliveryParty = string | { id: string; name?: string; uai?: string | string[] };

export interface DeliveryIndexMeta {
  offerId: string;
  departure: DeliveryParty;
  arrival: DeliveryParty;
  issuedAt: Date | string;
}

export interface DeliveryIndex {
  'index.scolomfr.xml': string;
  'index.jsonld': string;
  'index.html': string;
}

export const DELIVERY_INDEX_NS = 'urn:ent-portability:delivery-index:1';
export const DELIVERY_INDEX_FILES = {
  'index.scolomfr.xml': 'application/xml',
  'index.jsonld': 'application/ld+json',
  'index.html': 'text/html; charset=utf-8',
} as const;

/** French labels of the content categories (DNMA RFTI service labels). */
export const CATEGORY_LABELS: Record<string, string> = {
  CAHIER_TEXTES: 'Cahier de textes',
  COURRIER_ELECTRONIQUE: 'Courrier électronique',
  PARCOURS_PEDAGOGIQUE: 'Parcours pédagogique',
  STOCKAGE_PARTAGE: 'Stockage et partage de fichiers',
  GESTION_TEMPS: 'Gestion du temps (agenda)',
  PRODUCTION_COLLABORATIVE: 'Production collaborative',
  GESTION_COMPETENCES: 'Gestion des compétences',
  RESSOURCE_ORIENTATION: "Ressource d'orientation",
};

interface PreparedItem {
  item: DeliveryIndexItem;
  record: ScolomfrRecord;
  /** The `<lom>` element to embed, serialised. */
  lomXml: string;
  source: 'departure' | 'generated';
  note?: string;
}

function partyId(p: DeliveryParty): string {
  return typeof p === 'string' ? p : p.id;
}

function partyLabel(p: DeliveryParty): string {
  if (typeof p === 'string') return p;
  const uai = p.uai === undefined ? [] : Array.isArray(p.uai) ? p.uai : [p.uai];
  return `${p.name ? `${p.name} (${p.id})` : p.id}${uai.length > 0 ? ` — UAI ${uai.join(', ')}` : ''}`;
}

function isoInstant(v: Date | string): string {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) throw new FormatError('INVALID_INPUT', `issuedAt is not a date: ${String(v)}`);
  return d.toISOString();
}

function check(items: DeliveryIndexItem[], meta: DeliveryIndexMeta): void {
  if (!meta || typeof meta.offerId !== 'string' || meta.offerId.trim() === '') throw new FormatError('INVALID_INPUT', 'meta.offerId is required');
  for (const [k, p] of [['departure', meta.departure], ['arrival', meta.arrival]] as const) {
    if (!p || partyId(p).trim() === '') throw new FormatError('INVALID_INPUT', `meta.${k} is required`);
  }
  const ids = new Set<string>();
  items.forEach((it, i) => {
    const where = `items[${i}]`;
    if (typeof it.itemId !== 'string' || it.itemId.trim() === '') throw new FormatError('INVALID_INPUT', `${where}.itemId is required`);
    if (ids.has(it.itemId)) throw new FormatError('INVALID_INPUT', `${where}.itemId is not unique: ${it.itemId}`);
    ids.add(it.itemId);
    if (!Number.isSafeInteger(it.sizeBytes) || it.sizeBytes < 0) throw new FormatError('INVALID_INPUT', `${where}.sizeBytes must be a non-negative integer`);
    if (!/^[0-9a-f]{64}$/.test(it.sha256)) throw new FormatError('INVALID_INPUT', `${where}.sha256 must be 64 lowercase hex digits`);
    for (const k of ['title', 'category', 'format', 'mediaType'] as const) {
      if (typeof it[k] !== 'string') throw new FormatError('INVALID_INPUT', `${where}.${k} is required`);
    }
  });
}

export function itemUrn(offerId: string, itemId: string): string {
  return `urn:ent-portability:${encodeURIComponent(offerId)}:${encodeURIComponent(itemId)}`;
}

/** A small ScoLOMFR record from the transport facts of an item. */
function generatedRecord(item: DeliveryIndexItem, meta: DeliveryIndexMeta): ScolomfrRecord {
  const rec = emptyScolomfrRecord();
  rec.general.identifiers.push({ catalog: 'URN', entry: itemUrn(meta.offerId, item.itemId) });
  rec.general.title = [{ language: 'http://id.loc.gov/vocabulary/iso639-2/fre', value: item.title || item.itemId }];
  rec.metaMetadata.metadataSchemas.push('LOMv1.0', 'LOMFRv1.0', SCOLOMFR_SOURCE);
  rec.metaMetadata.language = 'http://id.loc.gov/vocabulary/iso639-2/fre';
  rec.technical.formats.push(item.mediaType);
  rec.technical.size = String(item.sizeBytes);
  return rec;
}

function prepare(item: DeliveryIndexItem, meta: DeliveryIndexMeta): PreparedItem {
  if (item.scolomfr !== undefined) {
    try {
      const root = parseXmlSafely(item.scolomfr);
      if (root.local === 'lom' && root.ns === SCOLOMFR_NS.lom) {
        const { record } = readScolomfrTree(root);
        return { item, record, lomXml: serializeXml(root, { declaration: false }), source: 'departure' };
      }
      const generated = generatedRecord(item, meta);
      return { item, record: generated, lomXml: stripDeclaration(writeScolomfrRecord(generated)), source: 'generated', note: `notice fournie illisible : racine <${root.name}>` };
    } catch (e) {
      const generated = generatedRecord(item, meta);
      return { item, record: generated, lomXml: stripDeclaration(writeScolomfrRecord(generated)), source: 'generated', note: `notice fournie illisible : ${(e as Error).message}` };
    }
  }
  const generated = generatedRecord(item, meta);
  return { item, record: generated, lomXml: stripDeclaration(writeScolomfrRecord(generated)), source: 'generated' };
}

function stripDeclaration(xml: string): string {
  return xml.replace(/^<\?xml[^>]*\?>\s*/, '');
}

function indent(xml: string, pad: string): string {
  return xml
    .trimEnd()
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}

function scolomfrIndex(prepared: PreparedItem[], meta: DeliveryIndexMeta, issuedAt: string): string {
  const a = (k: string, v: string | number) => ` ${k}="${escapeXmlAttr(String(v))}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<index xmlns="${DELIVERY_INDEX_NS}"${a('offerId', meta.offerId)}${a('departure', partyId(meta.departure))}${a('arrival', partyId(meta.arrival))}${a('issuedAt', issuedAt)}${a('items', prepared.length)}>`,
  ];
  for (const p of prepared) {
    const it = p.item;
    lines.push(
      `  <item${a('itemId', it.itemId)}${a('category', it.category)}${a('format', it.format)}${a('mediaType', it.mediaType)}${a('sizeBytes', it.sizeBytes)}${a('sha256', it.sha256)}${a('metadata', p.source)}${p.note ? a('note', p.note) : ''}>`,
      indent(p.lomXml, '    '),
      '  </item>',
    );
  }
  lines.push('</index>');
  return lines.join('\n') + '\n';
}

function jsonLdIndex(prepared: PreparedItem[], meta: DeliveryIndexMeta, issuedAt: string): string {
  const party = (p: DeliveryParty): JsonLd =>
    typeof p === 'string' ? { '@type': 'Organization', identifier: p } : { '@type': 'Organization', identifier: p.id, ...(p.name ? { name: p.name } : {}) };
  const list: JsonLd = {
    '@context': SCHEMA_ORG_CONTEXT,
    '@type': 'ItemList',
    '@id': `urn:ent-portability:${encodeURIComponent(meta.offerId)}`,
    name: `Livraison ${meta.offerId}`,
    dateCreated: issuedAt,
    sourceOrganization: party(meta.departure),
    recipient: party(meta.arrival),
    numberOfItems: prepared.length,
    itemListElement: prepared.map((p, i) => {
      const it = p.item;
      const base: JsonLd =
        p.source === 'departure'
          ? { ...crosswalkScolomfrToSchemaOrg(p.record).jsonld }
          : { '@type': 'MediaObject', '@id': itemUrn(meta.offerId, it.itemId), name: it.title || it.itemId };
      delete base['@context'];
      return {
        '@type': 'ListItem',
        position: i + 1,
        item: {
          ...base,
          identifier: [
            ...(base.identifier ? (Array.isArray(base.identifier) ? base.identifier : [base.identifier]) : []),
            { '@type': 'PropertyValue', propertyID: 'itemId', value: it.itemId },
          ],
          genre: it.category,
          encodingFormat: it.mediaType,
          contentSize: `${it.sizeBytes} octets`,
          sha256: it.sha256,
          additionalProperty: { '@type': 'PropertyValue', propertyID: 'format', value: it.format },
        },
      };
    }),
  };
  return `${JSON.stringify(list, null, 2)}\n`;
}

const h = (s: string) => escapeXmlText(s).replace(/"/g, '&quot;');

/** « 1,2 Mo » */
export function frenchSize(bytes: number): string {
  const units = ['octets', 'ko', 'Mo', 'Go', 'To'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  const n = u === 0 ? String(v) : new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 }).format(v);
  return `${n} ${units[u]}`;
}

function htmlIndex(prepared: PreparedItem[], meta: DeliveryIndexMeta, issuedAt: string): string {
  const when = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'full', timeStyle: 'short' }).format(new Date(issuedAt));
  const total = prepared.reduce((s, p) => s + p.item.sizeBytes, 0);
  const rows = prepared.map((p, i) => {
    const it = p.item;
    const level = p.record.classifications.find((c) => /educational_level/.test(c.purpose?.value ?? ''))?.taxonPaths[0]?.taxons.slice(-1)[0];
    const lrt = p.record.educational.flatMap((e) => e.learningResourceTypes).map((v) => v.label ?? v.value);
    const desc = firstLangString(p.record.general.descriptions[0]);
    const meta2 = [
      p.source === 'departure' ? 'notice ScoLOMFR de l’ENT de départ' : 'notice ScoLOMFR minimale (établie à partir des informations de transfert)',
      lrt.length > 0 ? `type : ${lrt.join(', ')}` : '',
      level ? `niveau : ${firstLangString(level.entry) ?? level.id ?? ''}` : '',
      p.note ?? '',
    ].filter(Boolean);
    return [
      '      <tr>',
      `        <td>${i + 1}</td>`,
      `        <td><strong>${h(it.title || it.itemId)}</strong>${desc ? `<br/><span class="desc">${h(desc.length > 300 ? `${desc.slice(0, 297)}…` : desc)}</span>` : ''}<br/><span class="id">${h(it.itemId)}</span></td>`,
      `        <td>${h(CATEGORY_LABELS[it.category] ?? it.category)}</td>`,
      `        <td>${h(it.format)}<br/><span class="id">${h(it.mediaType)}</span></td>`,
      `        <td class="num">${h(frenchSize(it.sizeBytes))}</td>`,
      `        <td><code>${h(it.sha256)}</code></td>`,
      `        <td>${meta2.map(h).join('<br/>')}</td>`,
      '      </tr>',
    ].join('\n');
  });
  return `<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8"/>
  <meta name="viewport" content="width=device-width, initial-scale=1"/>
  <title>${h(`Index de la livraison ${meta.offerId}`)}</title>
  <style>
    body { font-family: system-ui, sans-serif; margin: 2rem; color: #1e1e1e; }
    table { border-collapse: collapse; width: 100%; }
    th, td { border: 1px solid #ccc; padding: .4rem .6rem; text-align: left; vertical-align: top; }
    th { background: #f0f0f5; }
    .num { text-align: right; white-space: nowrap; }
    .id, .desc { color: #555; font-size: .85em; }
    code { font-size: .75em; word-break: break-all; }
  </style>
</head>
<body>
  <h1>${h(`Index de la livraison ${meta.offerId}`)}</h1>
  <dl>
    <dt>ENT de départ</dt><dd>${h(partyLabel(meta.departure))}</dd>
    <dt>ENT d’arrivée</dt><dd>${h(partyLabel(meta.arrival))}</dd>
    <dt>Émis le</dt><dd><time datetime="${h(issuedAt)}">${h(when)}</time></dd>
    <dt>Contenus</dt><dd>${prepared.length} élément(s), ${h(frenchSize(total))} au total</dd>
  </dl>
  <p>Les mêmes informations, pour les logiciels : <a href="index.scolomfr.xml">index ScoLOMFR (XML)</a> et <a href="index.jsonld">index schema.org (JSON-LD)</a>. L’empreinte SHA-256 permet de vérifier que chaque fichier reçu est bien celui qui a été envoyé.</p>
  <table>
    <thead>
      <tr><th>N°</th><th>Titre</th><th>Catégorie</th><th>Format</th><th>Taille</th><th>Empreinte SHA-256</th><th>Description pédagogique</th></tr>
    </thead>
    <tbody>
${rows.join('\n')}
    </tbody>
  </table>
</body>
</html>
`;
}

export function buildDeliveryIndex(items: DeliveryIndexItem[], meta: DeliveryIndexMeta): DeliveryIndex {
  if (!Array.isArray(items)) throw new FormatError('INVALID_INPUT', 'items must be an array');
  check(items, meta);
  const issuedAt = isoInstant(meta.issuedAt);
  const prepared = items.map((it) => prepare(it, meta));
  return {
    'index.scolomfr.xml': scolomfrIndex(prepared, meta, issuedAt),
    'index.jsonld': jsonLdIndex(prepared, meta, issuedAt),
    'index.html': htmlIndex(prepared, meta, issuedAt),
  };
}
