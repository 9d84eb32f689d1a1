/**
 * Serialising and building the element trees of `parseXmlSafely`, for the
 * converters that rewrite a document (ScoLOMFR upgrade, LHÉO up/downgrade).
 * Comments and processing instructions are not kept by the parser; text
 * around child elements is treated as indentation.
 */
import { escapeXmlAttr, escapeXmlText } from '../xml/xml-escape';
import type { XmlElement } from '../xml/safe-xml';

export function element(name: string, attrs: Record<string, string> = {}, content: XmlElement[] | string = []): XmlElement {
  const colon = name.indexOf(':');
  return {
    name,
    local: colon >= 0 ? name.slice(colon + 1) : name,
    ns: '',
    attrs: { ...attrs },
    children: typeof content === 'string' ? [] : content,
    text: typeof content === 'string' ? content : '',
  };
}

export function cloneElement(el: XmlElement): XmlElement {
  return { ...el, attrs: { ...el.attrs }, children: el.children.map(cloneElement) };
}

export interface SerializeOptions {
  /** Indentation unit (default two spaces); '' writes everything on one line. */
  indent?: string;
  declaration?: boolean;
}

/** Deterministic XML for an element tree (attributes in their stored order). */
export function serializeXml(root: XmlElement, opts: SerializeOptions = {}): string {
  const indent = opts.indent ?? '  ';
  const out: string[] = [];
  if (opts.declaration !== false) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  const nl = indent === '' ? '' : '\n';
  const write = (el: XmlElement, depth: number) => {
    const pad = indent.repeat(depth);
    const attrs = Object.entries(el.attrs)
      .map(([k, v]) => ` ${k}="${escapeXmlAttr(v)}"`)
      .join('');
    const text = el.children.length > 0 ? el.text.trim() : el.text;
    if (el.children.length === 0) {
      out.push(text === '' ? `${pad}<${el.name}${attrs}/>` : `${pad}<${el.name}${attrs}>${escapeXmlText(text)}</${el.name}>`);
      return;
    }
    out.push(`${pad}<${el.name}${attrs}>${text === '' ? '' : escapeXmlText(text)}`);
    for (const c of el.children) write(c, depth + 1);
    out.push(`${pad}</${el.name}>`);
  };
  write(root, 0);
  return out.join(nl) + nl;
}
