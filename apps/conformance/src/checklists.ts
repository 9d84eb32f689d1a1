import { Requirement, REQUIREMENTS, Role } from './requirements';

const TITLES: Record<Role, string> = {
  arrival: 'The arrival\'s duties (`ARR-…`)',
  departure: 'The departure\'s duties (`DEP-…`)',
  connector: 'The connector\'s duties (`CON-…`)',
  events: 'The ENT\'s connector events (`EVT-01…05`, ENT → gateway)',
  'gateway-events': 'The gateway\'s events endpoint (`EVT-06…09`)',
};

const KIT_RUN: Record<Role, string> = {
  arrival: '`ent-portability-conformance arrival`',
  departure: '`ent-portability-conformance departure`',
  connector: '`ent-portability-conformance connector`',
  events: '`ent-portability-conformance events` (the kit plays the gateway the ENT sends its events to)',
  'gateway-events': '`ent-portability-conformance gateway-events`',
};

const cell = (text: string) => text.replace(/\|/g, '\\|');

/**
 * `docs/contract/checklists.md`, generated from the requirement table (never edited by hand:
 * `npm run checklists`; a test fails when the committed file is stale).
 */
export function renderChecklists(requirements: readonly Requirement[] = REQUIREMENTS): string {
  const lines = [
    '<!-- Generated from apps/conformance/src/requirements.ts by `npm run checklists`: do not edit by hand. -->',
    '# Conformance checklists',
    '',
    'Every MUST and SHOULD of the peer contract (`peer-v1.json`, `peer-contract-intro.md`) and of the connector contract (`connector-v1.json`, `connector-contract-intro.md`), with the stable id the conformance kit `ent-portability-conformance` reports. An implementation conforms when every MUST of its role holds; a SHOULD that fails is reported as a warning.',
    '',
    'Ids are stable: a rule is never renumbered, and an id is never reused for another rule. "Kit" says whether the kit checks the rule by itself; the others are checked by a reviewer.',
    '',
  ];
  for (const role of ['arrival', 'departure', 'connector', 'events', 'gateway-events'] as Role[]) {
    const rows = requirements.filter((r) => r.role === role);
    lines.push(`## ${TITLES[role]}`, '', `Checked by ${KIT_RUN[role]}.`, '', '| id | level | requirement | source | kit |', '| --- | --- | --- | --- | --- |');
    for (const r of rows) lines.push(`| ${r.id} | ${r.level} | ${cell(r.text)} | ${cell(r.source)} | ${r.checkedBy ? 'yes' : 'by hand'} |`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
