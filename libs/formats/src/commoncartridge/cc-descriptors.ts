import { descendantsNamed, firstChild, XmlElement } from '../xml/safe-xml';
import { parseQti } from './cc-qti';
import { CcResourceDetails, CcResourceKind } from './cc-types';

/** Root element (local name) of each kind's descriptor. */
export const DESCRIPTOR_ROOTS: Partial<Record<CcResourceKind, string>> = {
  weblink: 'webLink',
  discussion: 'topic',
  lti: 'cartridge_basiclti_link',
  assignment: 'assignment',
  assessment: 'questestinterop',
  'question-bank': 'questestinterop',
};

const within = (el: XmlElement | undefined, local: string): XmlElement[] => (el ? descendantsNamed(el, local) : []);

const text = (el: XmlElement | undefined): string | undefined => {
  const t = el?.text.trim();
  return t === undefined || t === '' ? undefined : t;
};

/**
 * What a descriptor says, by kind. Throws only for a root of the wrong kind
 * (the caller turns it into a finding).
 */
export function parseDescriptor(kind: CcResourceKind, root: XmlElement): CcResourceDetails | undefined {
  const expected = DESCRIPTOR_ROOTS[kind];
  if (!expected) return undefined;
  if (root.local !== expected) {
    throw new Error(`descriptor root is <${root.name}>, expected <${expected}>`);
  }
  switch (kind) {
    case 'weblink':
      return { kind, title: text(firstChild(root, 'title')), url: firstChild(root, 'url')?.attrs['href']?.trim() };
    case 'discussion': {
      const t = firstChild(root, 'text');
      return {
        kind,
        title: text(firstChild(root, 'title')),
        text: t?.text,
        textType: t?.attrs['texttype'],
        attachments: within(firstChild(root, 'attachments'), 'attachment')
          .map((a) => a.attrs['href'] ?? '')
          .filter((h) => h !== ''),
      };
    }
    case 'lti': {
      const custom: Record<string, string> = {};
      for (const p of within(firstChild(root, 'custom'), 'property')) {
        if (p.attrs['name']) custom[p.attrs['name']] = p.text.trim();
      }
      const vendor = firstChild(root, 'vendor');
      const code = text(firstChild(vendor, 'code'));
      const name = text(firstChild(vendor, 'name'));
      return {
        kind,
        title: text(firstChild(root, 'title')),
        description: text(firstChild(root, 'description')),
        launchUrl: text(firstChild(root, 'launch_url')),
        secureLaunchUrl: text(firstChild(root, 'secure_launch_url')),
        custom,
        ...(code || name ? { vendor: { code: code ?? '', name: name ?? '' } } : {}),
      };
    }
    case 'assignment': {
      const t = firstChild(root, 'text');
      const gradable = firstChild(root, 'gradable');
      const points = Number(gradable?.attrs['points_possible']);
      return {
        kind,
        title: text(firstChild(root, 'title')),
        text: t?.text,
        textType: t?.attrs['texttype'],
        gradable: gradable ? /^\s*true\s*$/i.test(gradable.text) : undefined,
        pointsPossible: Number.isFinite(points) && gradable?.attrs['points_possible'] ? points : undefined,
        submissionFormats: within(firstChild(root, 'submission_formats'), 'format')
          .map((f) => f.attrs['type'] ?? '')
          .filter((f) => f !== ''),
        attachments: within(firstChild(root, 'attachments'), 'attachment')
          .map((a) => a.attrs['href'] ?? '')
          .filter((h) => h !== ''),
      };
    }
    case 'assessment':
    case 'question-bank': {
      const q = parseQti(root);
      const questionTypes: Record<string, number> = {};
      for (const x of q.questions) questionTypes[x.profile] = (questionTypes[x.profile] ?? 0) + 1;
      return { kind, title: q.title, ident: q.ident, questionTypes, questionCount: q.questions.length };
    }
    default:
      return undefined;
  }
}
