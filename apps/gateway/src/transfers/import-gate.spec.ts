import { importGate } from './import-gate';

describe('import gate (ADR 010)', () => {
  const verified = { status: 'VERIFIED', issuer: 'i', identity: 'marie', actor: 'gateway-a', audience: 'b', jti: 'j', issuedAt: '', expiresAt: '', verifiedAt: '' } as const;

  it('imports without asking only what a verified owner proof or her acceptance covers', () => {
    expect(importGate({ owner_proof: verified, owner_accepted_at: null })).toBe('AUTOMATIC');
    expect(importGate({ owner_proof: { status: 'MISSING', verifiedAt: '' }, owner_accepted_at: null })).toBe('OWNER_MUST_ACCEPT');
    expect(importGate({ owner_proof: { status: 'REFUSED', reason: 'EXPIRED', verifiedAt: '' }, owner_accepted_at: null })).toBe('OWNER_MUST_ACCEPT');
    // Received before the proof existed (migration 008): she is asked.
    expect(importGate({ owner_proof: null, owner_accepted_at: null })).toBe('OWNER_MUST_ACCEPT');
    expect(importGate({ owner_proof: { status: 'MISSING', verifiedAt: '' }, owner_accepted_at: new Date() })).toBe('AUTOMATIC');
  });
});
