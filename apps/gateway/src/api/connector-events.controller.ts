import { Body, Controller, HttpCode, Logger, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { CONNECTOR_EVENTS_PATH, EntEvent, EntEventAccepted, Problem } from '@ent/contract';
import { ConnectorTokenGuard } from '../connector/connector-token.guard';
import { ArrivalService } from '../transfers/arrival.service';

const problem = (status: number, description: string) => ({
  status,
  description,
  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(Problem) } } },
});

/**
 * Connector contract, ENT → gateway: the ENT says who logged in and whose account appeared.
 * §8.3: "lorsque l'enseignant se connecte à l'ENT d'arrivée", the compatible items are imported.
 */
@ApiTags('connector-events')
@ApiExtraModels(Problem)
@ApiBearerAuth()
@UseGuards(ConnectorTokenGuard)
@Controller(CONNECTOR_EVENTS_PATH.replace(/^\//, ''))
export class ConnectorEventsController {
  private readonly logger = new Logger('ConnectorEvents');

  constructor(private readonly arrival: ArrivalService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'The ENT tells its gateway that a user logged in, or that her account was created or changed schools.',
    description:
      'Sent by the ENT to its own gateway, with the connector bearer secret. USER_LOGGED_IN starts the import of what was ' +
      'received for her (§8.3: at her login to the arrival ENT); ACCOUNT_CREATED and ACCOUNT_SCHOOLS_CHANGED retry an import ' +
      'that waited for her account. Idempotent: a repeated event imports nothing twice. Answer 200 even when nothing waited for her.',
  })
  @ApiOkResponse({ type: EntEventAccepted })
  @ApiResponse(problem(400, 'Invalid event (each offending field is named in `errors`; unknown fields are refused)'))
  @ApiResponse(problem(401, 'Missing or invalid connector token'))
  async event(@Body() event: EntEvent): Promise<EntEventAccepted> {
    const importsStarted = await this.arrival.onOwnerEvent(event.userId, event.type === 'USER_LOGGED_IN' ? 'ENT_LOGIN' : 'ENT_ACCOUNT');
    this.logger.log({ type: event.type, importsStarted }, 'connector event');
    return { type: event.type, importsStarted };
  }
}
