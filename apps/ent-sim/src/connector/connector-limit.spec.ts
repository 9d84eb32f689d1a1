import { loadEntSimConfig } from '../config';
import { ENT_B } from '../profiles/ent-b';
import { ConnectorService } from './connector.service';

const TOKEN = 'connector-token-b-0123456789';
const limitOf = (env: Record<string, string>) =>
  new ConnectorService(loadEntSimConfig({ ENT_SIM_PROFILE: 'ent-b', ENT_SIM_CONNECTOR_TOKEN: TOKEN, ...env }, '/srv'), ENT_B, undefined as never, undefined as never).maxItemBytes;

describe('ent-sim item size limit', () => {
  it("is the profile's own (ent-b: 1 GiB) when ENT_SIM_MAX_ITEM_BYTES is not set", () => {
    expect(limitOf({})).toBe(1024 ** 3);
  });

  it('is ENT_SIM_MAX_ITEM_BYTES when set, lower or higher than the profile (a 2 GiB benchmark row)', () => {
    expect(limitOf({ ENT_SIM_MAX_ITEM_BYTES: '3000' })).toBe(3000);
    expect(limitOf({ ENT_SIM_MAX_ITEM_BYTES: String(4 * 1024 ** 3) })).toBe(4 * 1024 ** 3);
  });
});
