import { CONTENT_CATEGORIES, DECISION_REASONS } from '@ent/contract';
import { CATEGORY_LABELS, categoryLabel, formatBytesFr, REASON_MESSAGES } from './messages';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

describe('formatBytesFr', () => {
  it.each([
    [0, 'nearest', '0 octet'],
    [1, 'nearest', '1 octet'],
    [512, 'nearest', '512 octets'],
    [KiB, 'nearest', '1 Ko'],
    [1.5 * KiB, 'nearest', '1,5 Ko'],
    [20 * MiB, 'nearest', '20 Mo'],
    [1.5 * GiB, 'nearest', '1,5 Go'],
    [GiB + 1, 'nearest', '1 Go'],
    [GiB + 1, 'up', '1,1 Go'],
    [2 * GiB - 1, 'down', '1,9 Go'],
    [2 * GiB - 1, 'nearest', '2 Go'],
    [1023.95 * KiB, 'up', '1 Mo'],
    [50 * GiB, 'nearest', '50 Go'],
    [5 * TiB, 'nearest', '5 To'],
    [3000 * TiB, 'nearest', '3000 To'],
  ] as const)('%d bytes (%s) → %s', (bytes, rounding, expected) => {
    expect(formatBytesFr(bytes, rounding)).toBe(expected);
  });
});

describe('labels and messages', () => {
  it('names every content category of the contract in French', () => {
    expect(Object.keys(CATEGORY_LABELS).sort()).toEqual([...CONTENT_CATEGORIES].sort());
    expect(categoryLabel('CAHIER_TEXTES')).toBe('cahier de textes');
    expect(categoryLabel('NOT_A_CATEGORY')).toBe('NOT_A_CATEGORY');
    expect(categoryLabel('toString')).toBe('toString');
  });

  it('has exactly one message builder per decision reason code', () => {
    expect(Object.keys(REASON_MESSAGES).sort()).toEqual([...DECISION_REASONS].sort());
  });

  it('bounds peer-supplied ids quoted in messages', () => {
    const message = REASON_MESSAGES.UNKNOWN_FORMAT(['x'.repeat(5000)]);
    expect(message.length).toBeLessThan(200);
    expect(message).toContain('…');
  });

  it('lists several unknown formats once each', () => {
    expect(REASON_MESSAGES.UNKNOWN_FORMAT(['a', 'b', 'a'])).toBe(
      'Ces formats ne sont pas reconnus : « a », « b ». Le contenu ne peut pas être transféré.',
    );
  });
});
