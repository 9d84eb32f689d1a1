import { jsonShapeProblem } from './validation';

describe('jsonShapeProblem', () => {
  const nested = (depth: number) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };

  it('accepts ordinary bodies', () => {
    expect(jsonShapeProblem({ offerId: 'x', items: [{ formats: [{ sizeBytes: 1 }] }] })).toBeUndefined();
    expect(jsonShapeProblem(nested(31))).toBeUndefined();
  });

  it('refuses nesting beyond the bound, without recursion (10 000 levels)', () => {
    expect(jsonShapeProblem(nested(33))).toMatch(/nesting deeper than 32 levels/);
    let deep: unknown = [];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(jsonShapeProblem({ x: deep })).toMatch(/^x(\[0\])+: nesting deeper/);
  });

  it('refuses prototype-polluting keys wherever they are', () => {
    expect(jsonShapeProblem(JSON.parse('{"__proto__": {"admin": true}}'))).toBe('__proto__: this key is not allowed');
    expect(jsonShapeProblem(JSON.parse('{"items": [{"constructor": 1}]}'))).toBe('items[0].constructor: this key is not allowed');
  });
});
