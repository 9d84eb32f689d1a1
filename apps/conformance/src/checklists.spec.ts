import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChecklists } from './checklists';
import { REQUIREMENTS } from './requirements';

describe('requirement table', () => {
  it('has unique ids, numbered per role without gaps', () => {
    const ids = REQUIREMENTS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [prefix, role] of [['ARR', 'arrival'], ['DEP', 'departure'], ['CON', 'connector']] as const) {
      const own = REQUIREMENTS.filter((r) => r.role === role).map((r) => r.id);
      expect(own).toEqual(own.map((_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`));
    }
    // The connector events, both sides under one prefix: the ENT's (sender) first, then the gateway's (endpoint).
    const events = REQUIREMENTS.filter((r) => r.role === 'events' || r.role === 'gateway-events').map((r) => r.id);
    expect(events).toEqual(events.map((_, i) => `EVT-${String(i + 1).padStart(2, '0')}`));
    expect(REQUIREMENTS.filter((r) => r.role === 'events').every((r) => r.checkedBy === 'events')).toBe(true);
  });

  it('names the published document every rule comes from', () => {
    for (const r of REQUIREMENTS) expect(r.source).toMatch(/^docs\/(contract|openapi|adr)\//);
  });

  it('docs/contract/checklists.md is generated from it (run `npm run checklists` when this fails)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'contract', 'checklists.md'), 'utf8');
    expect(committed).toBe(renderChecklists());
  });
});

describe('the kit speaks the contract\'s vocabulary', () => {
  it('every problem type a rule names is one the contract defines', () => {
    // The kit does not import @ent/contract at run time (it pulls Nest in): this keeps the two in step.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PROBLEM_TYPES } = require('@ent/contract') as typeof import('@ent/contract');
    const named = new Set(REQUIREMENTS.flatMap((r) => r.text.match(/urn:ent-portability:problem:[a-z-]+/g) ?? []));
    expect(named.size).toBeGreaterThan(5);
    for (const urn of named) expect(Object.values(PROBLEM_TYPES)).toContain(urn);
  });
});
