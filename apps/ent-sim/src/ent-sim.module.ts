import { PortalController } from './portal.controller';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggerParams } from '@ent/common';
import { ENT_SIM_CONFIG, EntSimConfig } from './config';
import { AccountDirectory } from './accounts/account-directory';
import { SimController } from './accounts/sim.controller';
import { ConnectorAuthGuard } from './connector/connector-auth.guard';
import { ConnectorController } from './connector/connector.controller';
import { ConnectorService } from './connector/connector.service';
import { HealthController } from './health.controller';
import { PROFILES } from './profiles';
import { StoreProvider } from './store/store.provider';
import { ENT_PROFILE } from './tokens';

@Module({})
export class EntSimModule {
  static forRoot(config: EntSimConfig): DynamicModule {
    const params = loggerParams('ent-sim');
    const pinoHttp = params.pinoHttp && !Array.isArray(params.pinoHttp) ? params.pinoHttp : {};
    return {
      module: EntSimModule,
      imports: [
        LoggerModule.forRoot({
          ...params,
          pinoHttp: { ...pinoHttp, base: { app: 'ent-sim', profile: config.profile } },
        }),
      ],
      controllers: [HealthController, ConnectorController, SimController, PortalController],
      providers: [
        { provide: ENT_SIM_CONFIG, useValue: config },
        { provide: ENT_PROFILE, useValue: PROFILES[config.profile] },
        StoreProvider,
        ConnectorService,
        ConnectorAuthGuard,
        AccountDirectory,
      ],
    };
  }
}
