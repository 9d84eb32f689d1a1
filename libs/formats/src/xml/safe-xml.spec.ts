import { FormatError } from '../errors';
import { escapeXmlAttr, escapeXmlText, XmlWriter } from './xml-escape';
import { childrenNamed, descendantsNamed, firstChild, parseXmlSafely } from './safe-xml';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof FormatError ? e.code : `not a FormatError: ${String(e)}`;
  }
  return undefined;
};

describe('parseXmlSafely', () => {
  it('resolves namespaces, decodes predefined entities and character references', () => {
    const root = parseXmlSafely(
      '<?xml version="1.0"?><m xmlns="urn:a" xmlns:b="urn:b"><b:t x="1 &amp; 2">caf&#233; &lt;ok&gt; &#x1F600;</b:t><u><![CDATA[<raw & text>]]></u></m>',
    );
    expect(root).toMatchObject({ local: 'm', ns: 'urn:a' });
    const t = firstChild(root, 't', 'urn:b')!;
    expect(t.attrs.x).toBe('1 & 2');
    expect(t.text).toBe('café <ok> 😀');
    expect(firstChild(root, 'u', 'urn:a')!.text).toBe('<raw & text>');
    expect(childrenNamed(root, 't', 'urn:a')).toHaveLength(0);
    expect(descendantsNamed(root, 'u')).toHaveLength(1);
  });

  it('refuses a DOCTYPE with an external entity (XXE)', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(code(() => parseXmlSafely(xxe))).toBe('XML_FORBIDDEN_CONSTRUCT');
  });

  it('refuses entity expansion (billion laughs)', () => {
    const lol =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(code(() => parseXmlSafely(lol))).toBe('XML_FORBIDDEN_CONSTRUCT');
  });

  it('refuses undeclared entities (even HTML ones)', () => {
    expect(code(() => parseXmlSafely('<r>&nbsp;</r>'))).toBe('XML_FORBIDDEN_CONSTRUCT');
  });

  it('accepts the text "<!DOCTYPE html>" inside CDATA', () => {
    expect(parseXmlSafely('<r><![CDATA[<!DOCTYPE html><p>x</p>]]></r>').text).toBe('<!DOCTYPE html><p>x</p>');
  });

  it('rejects malformed and oversized documents', () => {
    expect(code(() => parseXmlSafely('<r><a></r>'))).toBe('XML_MALFORMED');
    expect(code(() => parseXmlSafely('<r>x & y</r>'))).toBe('XML_MALFORMED');
    expect(code(() => parseXmlSafely(`<r>${'x'.repeat(2000)}</r>`, { maxBytes: 1000 }))).toBe('XML_TOO_LARGE');
  });
});

describe('XML escaping', () => {
  it('round-trips hostile text and attributes through the writer and the parser', () => {
    const hostile = `a < b && c > d "quoted" 'single' ]]> tab\tnew\nline`;
    const w = new XmlWriter();
    w.open('r', { a: hostile });
    w.leaf('t', hostile);
    w.close('r');
    const root = parseXmlSafely(w.toString());
    expect(root.attrs.a).toBe(hostile);
    expect(firstChild(root, 't')!.text).toBe(hostile);
    expect(escapeXmlText(']]>')).not.toContain(']]>');
    expect(escapeXmlAttr('"')).toBe('&quot;');
  });

  it('refuses characters XML cannot carry', () => {
    expect(code(() => escapeXmlText('bell\u0007'))).toBe('INVALID_INPUT');
    expect(code(() => escapeXmlAttr('\uD800'))).toBe('INVALID_INPUT');
  });
});
