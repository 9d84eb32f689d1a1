import { Plan, Requirement, REQUIREMENTS } from './requirements';

/** One HTTP exchange kept as evidence (secrets redacted, bodies cut). */
export interface Exchange {
  request: string;
  response: string;
}

export type Outcome = 'pass' | 'fail';

/** One observation about one requirement; a requirement holds when it has observations and none failed. */
export interface Observation {
  outcome: Outcome;
  message: string;
  evidence: Exchange[];
}

export type Verdict = 'pass' | 'fail' | 'warn' | 'not-checked';

export interface RequirementResult {
  requirement: Requirement;
  verdict: Verdict;
  observations: Observation[];
}

export type Listener = (id: string, observation: Observation) => void;

/**
 * Collects what the checks observed, per requirement id. A MUST that failed or that the run
 * could not reach fails the run; a SHOULD that failed is a warning.
 */
export class Results {
  private readonly observed = new Map<string, Observation[]>();
  private readonly listeners: Listener[] = [];
  /** Why the run stopped early, when it did. */
  aborted?: string;

  constructor(readonly plan: Plan) {}

  onObservation(listener: Listener) {
    this.listeners.push(listener);
  }

  record(id: string, outcome: Outcome, message: string, evidence: Exchange[] = []) {
    if (!REQUIREMENTS.some((r) => r.id === id)) throw new Error(`unknown requirement ${id}`);
    const observation = { outcome, message, evidence };
    const list = this.observed.get(id) ?? [];
    list.push(observation);
    this.observed.set(id, list);
    for (const l of this.listeners) l(id, observation);
  }

  /** Records a pass when `ok`, a failure otherwise; returns `ok`. */
  check(id: string, ok: boolean, message: string, evidence: Exchange[] = []): boolean {
    this.record(id, ok ? 'pass' : 'fail', message, evidence);
    return ok;
  }

  results(): RequirementResult[] {
    return REQUIREMENTS.filter((r) => r.checkedBy === this.plan || r.role === this.plan).map((requirement) => {
      const observations = this.observed.get(requirement.id) ?? [];
      const failed = observations.some((o) => o.outcome === 'fail');
      let verdict: Verdict;
      if (observations.length === 0) verdict = 'not-checked';
      else if (!failed) verdict = 'pass';
      else verdict = requirement.level === 'MUST' ? 'fail' : 'warn';
      return { requirement, verdict, observations };
    });
  }

  /** Every MUST the kit checks for this plan holds (a MUST it could not reach does not). */
  passed(): boolean {
    return !this.aborted && this.results().every((r) => r.requirement.level !== 'MUST' || r.requirement.checkedBy !== this.plan || r.verdict === 'pass');
  }
}
