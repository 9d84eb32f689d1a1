import { htmlReport, junit, summarise } from './report';
import { Results } from './results';

describe('kit results and reports', () => {
  const run = () => {
    const r = new Results('arrival');
    r.record('ARR-01', 'pass', 'discovery conforms', [{ request: 'GET /.well-known/ent-portability', response: 'HTTP 200' }]);
    r.record('ARR-15', 'pass', 'first look fine');
    r.record('ARR-15', 'fail', 'tampered manifest accepted <script>', [{ request: 'POST /deliveries\nauthorization: Bearer [redacted]', response: 'HTTP 202' }]);
    return r;
  };

  it('a requirement with one failed observation fails, a MUST not reached fails the run', () => {
    const r = run();
    const byId = new Map(r.results().map((x) => [x.requirement.id, x.verdict]));
    expect(byId.get('ARR-01')).toBe('pass');
    expect(byId.get('ARR-15')).toBe('fail');
    expect(byId.get('ARR-02')).toBe('not-checked');
    expect(byId.get('ARR-33')).toBe('not-checked'); // checked by hand: never fails the run
    expect(r.passed()).toBe(false);
  });

  it('a failed SHOULD is a warning, not a failure', () => {
    const r = new Results('arrival');
    for (const x of r.results()) if (x.requirement.checkedBy === 'arrival') r.record(x.requirement.id, x.requirement.level === 'SHOULD' ? 'fail' : 'pass', 'seen');
    expect(r.results().filter((x) => x.verdict === 'fail')).toEqual([]);
    expect(r.passed()).toBe(true);
    r.aborted = 'IdP refused';
    expect(r.passed()).toBe(false);
  });

  it('JUnit lists one test case per requirement with failures and escaped evidence; HTML is self-contained', () => {
    const s = summarise(run(), 'http://gw.example/x?a=1&b=2', new Date('2026-12-06T10:00:00Z'));
    const xml = junit(s);
    expect(xml.match(/<testcase /g)).toHaveLength(s.results.length);
    expect(xml).toMatch(/<testcase classname="ent-portability.arrival" name="ARR-15 MUST: [^"]*"><failure message="tampered manifest accepted &lt;script&gt;" type="MUST">/);
    expect(xml).toContain('<testsuite name="arrival: http://gw.example/x?a=1&amp;b=2"');
    const page = htmlReport(s);
    expect(page).not.toMatch(/<script|<link|src=/);
    expect(page).toContain('tampered manifest accepted &lt;script&gt;');
    expect(page).toContain('Bearer [redacted]');
    expect(page).toContain('Not conformant.');
  });
});
