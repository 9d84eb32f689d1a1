import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ENT_SIM_CONFIG, EntSimConfig } from '../config';
import { EntProfile } from '../profiles/profile';
import { ENT_PROFILE } from '../tokens';
import { ContentStore } from './content-store';

/**
 * Opens (and on first start seeds) the disk store when the application
 * initialises, not when it is merely built: building the app to generate the
 * OpenAPI document touches no data directory.
 */
@Injectable()
export class StoreProvider implements OnModuleInit {
  private readonly logger = new Logger('ContentStore');
  private opened?: ContentStore;

  constructor(
    @Inject(ENT_SIM_CONFIG) private readonly config: EntSimConfig,
    @Inject(ENT_PROFILE) private readonly profile: EntProfile,
  ) {}

  async onModuleInit(): Promise<void> {
    const keep = this.config.exportFormats;
    const seed = async () => {
      const contents = await this.profile.seed({
        extraItems: this.config.extraItems,
        largeItemBytes: this.config.largeItemBytes,
        ...(this.config.largeItemOwners ? { largeItemOwners: this.config.largeItemOwners } : {}),
      });
      if (!keep) return contents;
      // ENT_SIM_EXPORT_FORMATS: only these formats are offered; a content left without any is not seeded.
      return contents.map((c) => ({ ...c, exports: c.exports.filter((e) => keep.includes(e.format)) })).filter((c) => c.exports.length > 0);
    };
    this.opened = await ContentStore.open(this.config.dataDir, this.profile.entId, seed, this.logger);
  }

  get store(): ContentStore {
    if (!this.opened) throw new Error('the content store is not open yet (application not initialised)');
    return this.opened;
  }
}
