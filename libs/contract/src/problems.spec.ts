import { PROBLEM_CATALOGUE, PROBLEM_TYPES } from './problems';

describe('problem catalogue', () => {
  it('describes every problem type exactly once, with a status, a meaning and a reaction', () => {
    const described = PROBLEM_CATALOGUE.map((p) => p.type);
    expect([...described].sort()).toEqual(Object.values(PROBLEM_TYPES).sort());
    for (const p of PROBLEM_CATALOGUE) {
      expect(p.statuses.length).toBeGreaterThan(0);
      expect(p.statuses.every((s) => s >= 400 && s < 600)).toBe(true);
      expect(p.meaning.length).toBeGreaterThan(10);
      expect(p.callerAction.length).toBeGreaterThan(3);
    }
  });

  it('tells the departure to pause on destination-full and to retry on peer-unavailable, never the reverse', () => {
    const reaction = (type: string) => PROBLEM_CATALOGUE.find((p) => p.type === type)!.reaction;
    expect(reaction(PROBLEM_TYPES.destinationFull)).toBe('pause');
    expect(reaction(PROBLEM_TYPES.peerUnavailable)).toBe('retry-with-backoff');
    expect(reaction(PROBLEM_TYPES.invalidSignature)).toBe('final');
    expect(reaction(PROBLEM_TYPES.rateLimited)).toBe('retry-after');
  });
});
