import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../errors';
import { writeDeterministicZip } from '../zip/deterministic-zip';
import { classifyResourceType } from './cc-resource-types';
import { normalizeHref, readCommonCartridge } from './cc-read';
import { CcCartridge } from './cc-types';

const NS = (v: string) => `http://www.imsglobal.org/xsd/imscc${v}/imscp_v1p1`;

function manifest(opts: { ns?: string; schema?: string; schemaversion?: string; body?: string; base?: string }): string {
  const meta =
    opts.schema === undefined && opts.schemaversion === undefined
      ? ''
      : `<metadata>${opts.schema !== undefined ? `<schema>${opts.schema}</schema>` : ''}${opts.schemaversion !== undefined ? `<schemaversion>${opts.schemaversion}</schemaversion>` : ''}
         <lomimscc:lom xmlns:lomimscc="http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"><lomimscc:general><lomimscc:title><lomimscc:string>Cours de test</lomimscc:string></lomimscc:title><lomimscc:language>fr</lomimscc:language></lomimscc:general></lomimscc:lom></metadata>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="MAN" xmlns="${opts.ns ?? NS('v1p3')}"${opts.base ? ` xml:base="${opts.base}"` : ''}>
  ${meta}
  ${opts.body ?? '<organizations/><resources/>'}
</manifest>`;
}

const read = (xml: string) => readCommonCartridge(Buffer.from(xml));
const codes = (c: CcCartridge) => c.findings.map((f) => f.code);

describe('readCommonCartridge: version detection', () => {
  it.each([
    ['v1p1', 'IMS Common Cartridge', '1.1.0', '1.1', 'imscc-1.1'],
    ['v1p2', 'IMS Common Cartridge', '1.2.0', '1.2', 'imscc-1.2'],
    ['v1p3', 'IMS Common Cartridge', '1.3.0', '1.3', 'imscc-1.3'],
    ['v1p3', 'IMS Thin Common Cartridge', '1.3.0', 'thin-1.3', 'thincc-1.3'],
  ])('namespace imscc%s + schema %s + %s → %s', async (v, schema, sv, version, formatId) => {
    const c = await read(manifest({ ns: NS(v), schema, schemaversion: sv }));
    expect(c).toMatchObject({ version, formatId, schema, schemaversion: sv, source: 'manifest', title: 'Cours de test', language: 'fr' });
    expect(c.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('CC 1.0: plain IMS CP namespace with schemaversion 1.0.0', async () => {
    const c = await read(manifest({ ns: 'http://www.imsglobal.org/xsd/imscp_v1p1', schema: 'IMS Common Cartridge', schemaversion: '1.0.0' }));
    expect(c.version).toBe('1.0');
  });

  it('CC 1.0 without metadata: inferred from the resource types, with a warning', async () => {
    const c = await read(
      manifest({ ns: 'http://www.imsglobal.org/xsd/imscp_v1p1', body: '<organizations/><resources><resource identifier="R" type="imsdt_xmlv1p0"/></resources>' }),
    );
    expect(c.version).toBe('1.0');
    expect(codes(c)).toContain('CC_NO_SCHEMAVERSION');
  });

  it('the namespace wins over a contradicting schemaversion, with a warning', async () => {
    const c = await read(manifest({ ns: NS('v1p3'), schema: 'IMS Common Cartridge', schemaversion: '1.1.0' }));
    expect(c.version).toBe('1.3');
    expect(codes(c)).toContain('CC_VERSION_MISMATCH');
  });

  it('refuses a plain IMS content package (SCORM-like) and unknown namespaces with precise reasons', async () => {
    await expect(read(manifest({ ns: 'http://www.imsglobal.org/xsd/imscp_v1p1', body: '<organizations/><resources><resource identifier="R" type="webcontent"/></resources>' }))).rejects.toMatchObject({
      code: 'CC_INVALID_MANIFEST',
      reason: 'NOT_A_CARTRIDGE',
    });
    await expect(read(manifest({ ns: 'http://www.imsproject.org/xsd/imscp_rootv1p1p2' }))).rejects.toMatchObject({ code: 'CC_INVALID_MANIFEST', reason: 'UNKNOWN_VERSION' });
    await expect(read('<notamanifest/>')).rejects.toMatchObject({ code: 'CC_INVALID_MANIFEST', reason: 'NOT_A_MANIFEST' });
  });
});

describe('resource types, matched by pattern across versions', () => {
  it.each([
    ['webcontent', 'webcontent', undefined],
    ['imswl_xmlv1p1', 'weblink', '1.1'],
    ['imswl_xmlv1p3', 'weblink', '1.3'],
    ['imsdt_xmlv1p0', 'discussion', '1.0'],
    ['imsdt_xmlv1p1', 'discussion', '1.1'],
    ['imsqti_xmlv1p2/imscc_xmlv1p1/assessment', 'assessment', '1.1'],
    ['imsqti_xmlv1p2/imscc_xmlv1p3/question-bank', 'question-bank', '1.3'],
    ['imsbasiclti_xmlv1p0', 'lti', undefined],
    ['imsbasiclti_xmlv1p3', 'lti', '1.3'],
    ['associatedcontent/imscc_xmlv1p1/learning-application-resource', 'associated-content', '1.1'],
    ['assignment_xmlv1p0', 'assignment', '1.3'],
    ['imsunknwn_xmlv1p3', 'unknown', undefined],
    ['idpfepub_epubv3p0', 'unknown', undefined],
  ])('%s → %s', (type, kind, typeVersion) => {
    expect(classifyResourceType(type)).toMatchObject({ kind, typeVersion, exact: true });
  });

  it('tolerates case and spaces, saying so', async () => {
    expect(classifyResourceType(' IMSDT_xmlv1p1 ')).toMatchObject({ kind: 'discussion', exact: false });
    const c = await read(manifest({ schema: 'IMS Common Cartridge', schemaversion: '1.3.0', body: '<organizations/><resources><resource identifier="R" type="IMSDT_xmlv1p3"/></resources>' }));
    expect(c.resources[0].kind).toBe('discussion');
    expect(codes(c)).toContain('CC_RESOURCE_TYPE_SPELLING');
  });

  it('reports mixed versions (Canvas: 1.1 strings in a 1.3 manifest) once per type, and unknown types instead of failing', async () => {
    const c = await read(
      manifest({
        schema: 'IMS Common Cartridge',
        schemaversion: '1.3.0',
        body: `<organizations/><resources>
          <resource identifier="A" type="imsdt_xmlv1p1"/><resource identifier="B" type="imsdt_xmlv1p1"/>
          <resource identifier="C" type="imsbasiclti_xmlv1p0"/><resource identifier="D" type="x-vendor/thing"/>
          <resource identifier="E" type="idpfepub_epubv3p0"/></resources>`,
      }),
    );
    expect(c.resources.map((r) => r.kind)).toEqual(['discussion', 'discussion', 'lti', 'unknown', 'unknown']);
    expect(c.findings.filter((f) => f.code === 'CC_TYPE_VERSION_MIXED')).toHaveLength(2);
    expect(c.findings.find((f) => f.code === 'CC_RESOURCE_TYPE_UNKNOWN')).toMatchObject({ severity: 'warning', path: 'resource:D' });
    expect(c.findings.find((f) => f.code === 'CC_RESOURCE_TYPE_UNSUPPORTED')).toMatchObject({ severity: 'info', path: 'resource:E' });
  });
});

describe('organization, resources and findings', () => {
  const body = `
  <organizations>
    <organization identifier="O" structure="rooted-hierarchy">
      <item identifier="ROOT">
        <item identifier="S1"><title>Séquence 1</title>
          <item identifier="I1" identifierref="R1"><title>Page</title></item>
          <item identifier="I2" identifierref="NOPE"><title>Cassé</title></item>
          <item identifier="I3"/>
        </item>
      </item>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="R1" type="webcontent" href="a%20b.html" xml:base="pages/">
      <file href="a%20b.html"/><file href="img/x.png"/><file href="../../../outside.txt"/>
      <dependency identifierref="R2"/><dependency identifierref="GONE"/>
    </resource>
    <resource identifier="R2" type="webcontent"><file href="missing.pdf"/></resource>
    <resource identifier="WL" type="imswl_xmlv1p3">
      <webLink xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3"><title>Lien</title><url href="https://example.org/?a=1&amp;b=2"/></webLink>
    </resource>
    <resource identifier="V" type="webcontent"><variant xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_extensionv1p2" identifierref="R1"/><file href="v.html"/></resource>
  </resources>`;

  it('reads the tree, xml:base, decoded hrefs, inline descriptors, variants; reports every defect', async () => {
    const zip = await writeDeterministicZip([
      { name: 'imsmanifest.xml', data: manifest({ schema: 'IMS Common Cartridge', schemaversion: '1.3.0', body }) },
      { name: 'content/pages/a b.html', data: '<p>a</p>' },
      { name: 'content/pages/img/x.png', data: 'png' },
      { name: 'content/v.html', data: 'v' },
      { name: 'stray.txt', data: 'not listed' },
    ]);
    const c = await readCommonCartridge(zip);
    expect(c.source).toBe('package');
    expect(c.organization).toMatchObject({ identifier: 'O', structure: 'rooted-hierarchy' });
    expect(c.organization!.items[0].children[0]).toMatchObject({
      identifier: 'S1',
      title: 'Séquence 1',
      children: [
        { identifier: 'I1', identifierref: 'R1', title: 'Page', children: [] },
        { identifier: 'I2', identifierref: 'NOPE', title: 'Cassé' },
        { identifier: 'I3', children: [] },
      ],
    });
    expect(c.stats).toMatchObject({ items: 4, learningObjects: 2, folders: 2, resources: 4, files: 5 });
    const r1 = c.resources[0];
    expect(r1).toMatchObject({ href: 'content/pages/a b.html', files: ['content/pages/a b.html', 'content/pages/img/x.png'], dependencies: ['R2', 'GONE'], kind: 'webcontent', inline: false });
    expect(c.resources[2]).toMatchObject({ kind: 'weblink', inline: true, details: { kind: 'weblink', title: 'Lien', url: 'https://example.org/?a=1&b=2' } });
    expect(c.resources[3]).toMatchObject({ variantOf: 'R1', inline: false });
    const f = (code: string) => c.findings.filter((x) => x.code === code);
    expect(f('CC_HREF_OUTSIDE_PACKAGE')).toHaveLength(1);
    expect(f('CC_MISSING_FILE').map((x) => x.path)).toEqual(['content/missing.pdf']);
    expect(f('CC_DANGLING_DEPENDENCY').map((x) => x.message)).toEqual([expect.stringContaining('GONE')]);
    expect(f('CC_DANGLING_IDENTIFIERREF').map((x) => x.path)).toEqual(['item:I2']);
    expect(f('CC_ITEM_WITHOUT_TITLE').map((x) => x.path)).toEqual(['item:I3']);
    expect(f('CC_UNLISTED_FILES')[0].message).toContain('stray.txt');
  });

  it('reads an extracted folder without following symbolic links', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-dir-'));
    try {
      writeFileSync(join(dir, 'imsmanifest.xml'), manifest({ schema: 'IMS Common Cartridge', schemaversion: '1.3.0', body: '<organizations/><resources><resource identifier="R" type="webcontent" href="secret"><file href="secret"/></resource></resources>' }));
      symlinkSync('/etc/passwd', join(dir, 'secret'));
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'ok.txt'), 'ok');
      const c = await readCommonCartridge(dir);
      expect(c.source).toBe('directory');
      expect(c.files).toEqual(['imsmanifest.xml', 'sub/ok.txt']);
      expect(codes(c)).toEqual(expect.arrayContaining(['CC_SYMLINK_IGNORED', 'CC_MISSING_FILE']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts a folder zipped with its parent (manifest one level down), with a warning', async () => {
    const zip = await writeDeterministicZip([
      { name: 'course/imsmanifest.xml', data: manifest({ schema: 'IMS Common Cartridge', schemaversion: '1.3.0', body: '<organizations/><resources><resource identifier="R" type="webcontent" href="a.html"><file href="a.html"/></resource></resources>' }) },
      { name: 'course/a.html', data: '<p/>' },
    ]);
    const c = await readCommonCartridge(zip);
    expect(codes(c)).toContain('CC_MANIFEST_NOT_AT_ROOT');
    expect(codes(c)).not.toContain('CC_MISSING_FILE');
  });

  it('reads ISO-8859-1 descriptors (IMS test data) by their declaration', async () => {
    const qti = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2"><assessment ident="A" title="Contr\u00f4le"><section ident="S"/></assessment></questestinterop>',
      'latin1',
    );
    const zip = await writeDeterministicZip([
      { name: 'imsmanifest.xml', data: manifest({ schema: 'IMS Common Cartridge', schemaversion: '1.3.0', body: '<organizations/><resources><resource identifier="Q" type="imsqti_xmlv1p2/imscc_xmlv1p3/assessment"><file href="q.xml"/></resource></resources>' }) },
      { name: 'q.xml', data: qti },
    ]);
    const c = await readCommonCartridge(zip);
    expect(c.resources[0].details).toMatchObject({ kind: 'assessment', title: 'Contrôle', questionCount: 0 });
  });

  it('reports a malformed descriptor as a finding, not a failure', async () => {
    const zip = await writeDeterministicZip([
      { name: 'imsmanifest.xml', data: manifest({ schema: 'IMS Common Cartridge', schemaversion: '1.3.0', body: '<organizations/><resources><resource identifier="W" type="imswl_xmlv1p3"><file href="w.xml"/></resource></resources>' }) },
      { name: 'w.xml', data: '<webLink><title>x</webLink>' },
    ]);
    const c = await readCommonCartridge(zip);
    expect(c.findings.find((f) => f.code === 'CC_DESCRIPTOR_UNREADABLE')).toMatchObject({ severity: 'error', path: 'w.xml' });
  });

  it('fails with a typed error when there is nothing to read', async () => {
    await expect(readCommonCartridge('/nonexistent/path')).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'UNREADABLE' });
    await expect(readCommonCartridge(await writeDeterministicZip([{ name: 'a.txt', data: 'a' }]))).rejects.toMatchObject({ code: 'CC_INVALID_MANIFEST', reason: 'NO_MANIFEST' });
    await expect(read('<manifest')).rejects.toBeInstanceOf(FormatError);
  });
});

describe('normalizeHref', () => {
  it.each([
    ['./a/../b.html', { kind: 'path', path: 'b.html' }],
    ['a//b', { kind: 'path', path: 'a/b' }],
    ['../x', { kind: 'outside', raw: '../x' }],
    ['/etc/passwd', { kind: 'outside', raw: '/etc/passwd' }],
    ['C:\\x', { kind: 'outside', raw: 'C:\\x' }],
    ['https://example.org/a', { kind: 'external', url: 'https://example.org/a' }],
  ])('%s', (raw, expected) => {
    expect(normalizeHref(raw)).toEqual(expected);
  });
});
