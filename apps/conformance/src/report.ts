import { Plan } from './requirements';
import { Observation, RequirementResult, Results, Verdict } from './results';

const MARK: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', 'not-checked': 'SKIP' };

export function progressLine(id: string, o: Observation): string {
  return `  ${o.outcome === 'pass' ? '✔' : '✘'} ${id} ${o.message}`;
}

export interface Summary {
  plan: Plan;
  target: string;
  startedAt: Date;
  finishedAt: Date;
  passed: boolean;
  aborted?: string;
  results: RequirementResult[];
}

export function summarise(results: Results, target: string, startedAt: Date): Summary {
  return { plan: results.plan, target, startedAt, finishedAt: new Date(), passed: results.passed(), aborted: results.aborted, results: results.results() };
}

export function terminalSummary(s: Summary): string {
  const lines = ['', `Conformance of ${s.target} as ${s.plan}:`];
  for (const r of s.results) {
    const first = r.observations.find((o) => o.outcome === 'fail') ?? r.observations[0];
    lines.push(`  ${MARK[r.verdict]} ${r.requirement.id} ${r.requirement.level}${first ? ` — ${first.message}` : r.requirement.checkedBy ? ' — not reached' : ' — checked by hand'}`);
  }
  const count = (v: Verdict) => s.results.filter((r) => r.verdict === v).length;
  if (s.aborted) lines.push('', `Run stopped early: ${s.aborted}`);
  lines.push('', `${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warnings, ${count('not-checked')} not checked: ${s.passed ? 'CONFORMANT (every MUST holds)' : 'NOT CONFORMANT'}`);
  return lines.join('\n');
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
const html = xml;

function evidenceText(o: Observation): string {
  return [`[${o.outcome}] ${o.message}`, ...o.evidence.map((e) => `--- request\n${e.request}\n--- response\n${e.response}`)].join('\n');
}

/** JUnit XML: one test case per requirement (a SHOULD that fails is reported as skipped with its message, not as a failure). */
export function junit(s: Summary): string {
  const failures = s.results.filter((r) => r.verdict === 'fail').length;
  const skipped = s.results.filter((r) => r.verdict === 'not-checked' || r.verdict === 'warn').length;
  const seconds = ((s.finishedAt.getTime() - s.startedAt.getTime()) / 1000).toFixed(3);
  const cases = s.results.map((r) => {
    const name = `${r.requirement.id} ${r.requirement.level}: ${r.requirement.text}`;
    const out = r.observations.map(evidenceText).join('\n\n');
    let inner = '';
    if (r.verdict === 'fail') {
      const first = r.observations.find((o) => o.outcome === 'fail');
      inner = `<failure message="${xml(first?.message ?? 'not reached')}" type="${r.requirement.level}">${xml(out || 'The run did not reach this check.')}</failure>`;
    } else if (r.verdict === 'warn') {
      inner = `<skipped message="${xml(`SHOULD not met: ${r.observations.find((o) => o.outcome === 'fail')!.message}`)}"/>`;
    } else if (r.verdict === 'not-checked') {
      inner = `<skipped message="${xml(r.requirement.checkedBy ? 'not reached' : 'checked by hand')}"/>`;
    }
    return `    <testcase classname="ent-portability.${s.plan}" name="${xml(name)}">${inner}${out ? `<system-out>${xml(out)}</system-out>` : ''}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ent-portability-conformance" tests="${s.results.length}" failures="${failures}" skipped="${skipped}" time="${seconds}">`,
    `  <testsuite name="${xml(`${s.plan}: ${s.target}`)}" tests="${s.results.length}" failures="${failures}" skipped="${skipped}" time="${seconds}" timestamp="${s.startedAt.toISOString()}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** A self-contained page (no script, no external resource) a vendor can publish. */
export function htmlReport(s: Summary): string {
  const count = (v: Verdict) => s.results.filter((r) => r.verdict === v).length;
  const rows = s.results.map((r) => {
    const obs = r.observations.map((o) => `<details${o.outcome === 'fail' ? ' open' : ''}><summary class="${o.outcome}">${html(o.message)}</summary>${o.evidence.map((e) => `<pre>${html(e.request)}</pre><pre>${html(e.response)}</pre>`).join('')}</details>`).join('');
    return `<tr id="${r.requirement.id}"><td><strong>${r.requirement.id}</strong><br>${r.requirement.level}</td><td class="${r.verdict}">${MARK[r.verdict]}</td><td>${html(r.requirement.text)}<br><small>${html(r.requirement.source)}</small>${obs || `<p><em>${r.requirement.checkedBy ? 'Not reached by this run.' : 'Checked by hand, not by the kit.'}</em></p>`}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ENT portability conformance — ${html(s.plan)} — ${html(s.target)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse;width:100%}td{border:1px solid #ccc;padding:.4rem;vertical-align:top}
.pass{color:#18753c}.fail{color:#ce0500;font-weight:bold}.warn{color:#b34000}.not-checked{color:#666}pre{background:#f6f6f6;padding:.4rem;white-space:pre-wrap;word-break:break-all;font-size:.8rem}
.verdict{font-size:1.3rem}</style></head><body>
<h1>ENT portability conformance report</h1>
<p>Target <code>${html(s.target)}</code> tested as <strong>${html(s.plan)}</strong>, ${s.startedAt.toISOString()} – ${s.finishedAt.toISOString()}, by <code>ent-portability-conformance</code>.</p>
<p class="verdict ${s.passed ? 'pass' : 'fail'}">${s.passed ? 'Conformant: every MUST holds.' : 'Not conformant.'} ${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warnings, ${count('not-checked')} not checked.</p>
${s.aborted ? `<p class="fail">The run stopped early: ${html(s.aborted)}</p>` : ''}
<table><thead><tr><td>id</td><td>result</td><td>requirement and evidence</td></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}
