import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDeterministicZip, ZipInputEntry } from '../zip/deterministic-zip';
import { validateCommonCartridge13 } from './cc-validate';
import { writeCommonCartridge } from './cc-writer';
import { xmllintStatus } from './cc-xsd';

jest.setTimeout(60_000);

const hasXmllint = xmllintStatus().ok;
const T = {
  web: 'webcontent',
  wl: 'imswl_xmlv1p3',
  dt: 'imsdt_xmlv1p3',
  qti: 'imsqti_xmlv1p2/imscc_xmlv1p3/assessment',
  bank: 'imsqti_xmlv1p2/imscc_xmlv1p3/question-bank',
  lti: 'imsbasiclti_xmlv1p3',
  assoc: 'associatedcontent/imscc_xmlv1p3/learning-application-resource',
};

const WL = '<webLink xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3"><title>t</title><url href="https://e.org"/></webLink>';
const DT = '<topic xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3"><title>t</title><text texttype="text/plain">x</text></topic>';

function cartridge(org: string, resources: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="M" xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
  xmlns:lomimscc="http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest">
  <metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion>
    <lomimscc:lom><lomimscc:general><lomimscc:title><lomimscc:string>T</lomimscc:string></lomimscc:title></lomimscc:general></lomimscc:lom></metadata>
  <organizations><organization identifier="O" structure="rooted-hierarchy">${org}</organization></organizations>
  <resources>${resources}</resources>
</manifest>`;
}

const ok = (body = '') => `<item identifier="ROOT"><item identifier="S"><title>S</title>${body}</item></item>`;

async function validate(org: string, resources: string, files: ZipInputEntry[] = []) {
  const zip = await writeDeterministicZip([{ name: 'imsmanifest.xml', data: cartridge(org, resources) }, ...files]);
  return validateCommonCartridge13(zip, { skipXsd: true });
}

const baseFiles: ZipInputEntry[] = [
  { name: 'a.html', data: '<p/>' },
  { name: 'b.html', data: '<p/>' },
  { name: 'wl.xml', data: WL },
  { name: 'dt.xml', data: DT },
];

describe('validateCommonCartridge13: profile rules (the schematron of the CC 1.3 XSD + structure)', () => {
  it('a correct minimal cartridge passes', async () => {
    const v = await validate(ok('<item identifier="I" identifierref="A"><title>A</title></item>'), `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/></resource>`, baseFiles);
    expect(v.findings).toEqual([]);
    expect(v.valid).toBe(true);
  });

  it.each([
    ['CC13_SINGLE_ROOT_ITEM', '<item identifier="R1"/><item identifier="R2"/>', ''],
    ['CC13_ROOT_ITEM_TITLE', '<item identifier="ROOT"><title>no</title></item>', ''],
    ['CC13_ITEM_TITLE', ok('<item identifier="I" identifierref="A"/>'), `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/></resource>`],
    ['CC13_IDENTIFIERREF', ok('<item identifier="I" identifierref="NOPE"><title>x</title></item>'), ''],
    ['CC13_RULE_8A', ok('<item identifier="I" identifierref="Q"><title>x</title></item>'), `<resource identifier="Q" type="${T.bank}"><file href="q.xml"/></resource>`],
    [
      'CC13_RULE_8B',
      ok('<item identifier="I" identifierref="A"><title>x</title><item identifier="J"><title>y</title></item></item>'),
      `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/></resource>`,
    ],
    ['CC13_RULE_1B', ok(), `<resource identifier="D" type="${T.dt}"><file href="dt.xml"/><file href="a.html"/></resource>`],
    ['CC13_RULE_1C', ok(), `<resource identifier="D" type="${T.dt}" href="dt.xml"><file href="dt.xml"/></resource>`],
    ['CC13_RULE_1E', ok(), `<resource identifier="D" type="${T.dt}"><file href="dt.xml"/><dependency identifierref="W"/></resource><resource identifier="W" type="${T.wl}"><file href="wl.xml"/></resource>`],
    ['CC13_RULE_2B', ok(), `<resource identifier="W" type="${T.wl}"><file href="wl.xml"/><file href="a.html"/></resource>`],
    ['CC13_RULE_2C', ok(), `<resource identifier="W" type="${T.wl}" href="wl.xml"><file href="wl.xml"/></resource>`],
    ['CC13_RULE_2D', ok(), `<resource identifier="W" type="${T.wl}"><file href="wl.xml"/><dependency identifierref="A"/></resource><resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/></resource>`],
    ['CC13_RULE_3C', ok(), `<resource identifier="Q" type="${T.qti}" href="q.xml"><file href="q.xml"/></resource>`],
    ['CC13_RULE_5A', ok(), `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/><dependency identifierref="D"/></resource><resource identifier="D" type="${T.dt}"><file href="dt.xml"/></resource>`],
    ['CC13_RULE_5E', ok(), `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/><dependency identifierref="X"/></resource><resource identifier="X" type="${T.assoc}"><file href="b.html"/></resource>`],
    ['CC13_RULE_11E', ok(), `<resource identifier="L" type="${T.lti}"><file href="l.xml"/><dependency identifierref="A"/></resource><resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/></resource>`],
    ['CC13_RULE_7A', ok(), `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/><dependency identifierref="A"/></resource>`],
    [
      'CC13_RULE_7B',
      ok(),
      `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/><dependency identifierref="B"/><dependency identifierref="B"/></resource><resource identifier="B" type="${T.web}" href="b.html"><file href="b.html"/></resource>`,
    ],
    ['CC13_RULE_9A', ok(), `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/><file href="a.html"/></resource>`],
    ['CC13_RULE_10A', ok(), `<resource identifier="A" type="${T.web}" href="a.html"/>`],
    ['CC13_RULE_10B', ok(), `<resource identifier="A" type="${T.web}" href="b.html"><file href="a.html"/></resource>`],
    ['CC13_DEPENDENCY_REF', ok(), `<resource identifier="A" type="${T.web}" href="a.html"><file href="a.html"/><dependency identifierref="GONE"/></resource>`],
    ['CC13_FILE_MISSING', ok(), `<resource identifier="A" type="${T.web}" href="gone.html"><file href="gone.html"/></resource>`],
    ['CC13_RESOURCE_TYPE', ok(), `<resource identifier="A" type="imsdt_xmlv1p1"><file href="dt.xml"/></resource><resource identifier="U" type="vendor/x"/>`],
    ['CC13_DESCRIPTOR_ROOT', ok(), `<resource identifier="W" type="${T.wl}"><file href="dt.xml"/></resource>`],
  ])('%s', async (code, org, resources) => {
    const v = await validate(org, resources, [...baseFiles, { name: 'q.xml', data: '<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2"><objectbank ident="B"/></questestinterop>' }, { name: 'l.xml', data: '<cartridge_basiclti_link/>' }]);
    expect(v.valid).toBe(false);
    expect(v.findings.map((f) => f.code)).toContain(code);
  });

  it('checks QTI descriptors against the CC QTI profile', async () => {
    const qti = `<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2"><assessment ident="A" title="q">
      <qtimetadata><qtimetadatafield><fieldlabel>cc_profile</fieldlabel><fieldentry>cc.exam.v0p1</fieldentry></qtimetadatafield>
      <qtimetadatafield><fieldlabel>cc_maxattempts</fieldlabel><fieldentry>9</fieldentry></qtimetadatafield></qtimetadata>
      <section ident="S"><item ident="I"><itemmetadata><qtimetadata><qtimetadatafield><fieldlabel>cc_profile</fieldlabel><fieldentry>cc.strange.v0p1</fieldentry></qtimetadatafield></qtimetadata></itemmetadata></item></section>
    </assessment></questestinterop>`;
    const v = await validate(ok('<item identifier="I" identifierref="Q"><title>x</title></item>'), `<resource identifier="Q" type="${T.qti}"><file href="q.xml"/></resource>`, [{ name: 'q.xml', data: qti }]);
    expect(v.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['CC13_QTI_RULE_1I', 'CC13_QTI_RULE_2B']));
  });

  it('a CC 1.1 cartridge is not a 1.3 one', async () => {
    const v = await validateCommonCartridge13(await writeCommonCartridge({ identifier: 'x', title: 't', language: 'fr', sections: [] }, { version: '1.1' }));
    expect(v).toMatchObject({ valid: false, version: '1.1', xsd: { checked: false } });
    expect(v.findings.map((f) => f.code)).toEqual(['CC13_NOT_1_3']);
  });

  it('says when the XSD part cannot run (schemas not found)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'noxsd-'));
    try {
      const zip = await writeCommonCartridge({ identifier: 'x', title: 't', language: 'fr', sections: [] }, { version: '1.3' });
      const v = await validateCommonCartridge13(zip, { schemaDir: empty });
      expect(v.xsd).toMatchObject({ checked: false, reason: expect.stringMatching(/XSDs were not found|xmllint is not installed/) });
      expect(v.findings).toEqual([expect.objectContaining({ severity: 'warning', code: 'XSD_UNAVAILABLE' })]);
      expect(v.valid).toBe(true);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  (hasXmllint ? it : it.skip)('reports XSD errors with their line', async () => {
    const xml = cartridge('<item identifier="ROOT"/>', `<resource identifier="A" type="imsdt_xmlv1p1"><file href="dt.xml"/></resource>`).replace('structure="rooted-hierarchy"', 'structure="flat"');
    const zip = await writeDeterministicZip([{ name: 'imsmanifest.xml', data: xml }, { name: 'dt.xml', data: DT }]);
    const v = await validateCommonCartridge13(zip);
    const xsd = v.findings.filter((f) => f.code === 'XSD_INVALID');
    expect(xsd.map((f) => f.path)).toEqual(expect.arrayContaining([expect.stringMatching(/^imsmanifest\.xml:\d+$/)]));
    expect(xsd.map((f) => f.message).join('\n')).toMatch(/structure|imsdt_xmlv1p1/);
    expect(v.xsd).toMatchObject({ checked: true });
  });
});
