import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { CONTENT_CATEGORIES, ContentCategory, UAI_PATTERN } from './enums';
import { AcceptedFormat } from './peer.dto';

/**
 * Connector contract v1: what a gateway asks of its own ENT. A real ENT
 * implements these few endpoints once; the simulated ENT implements them for
 * tests. Authentication: `Authorization: Bearer <connector token>` shared by
 * the ENT and its gateway. User ids are the IdP identity claim (default `sub`).
 */
export const CONNECTOR_BASE = '/connector/v1';

export class ConnectorFormat {
  @ApiProperty({ example: 'imscc-1.3' }) format: string;
  @ApiProperty({ example: 'application/vnd.ims.imsccv1p3' }) mediaType: string;
  @ApiProperty({ description: 'Exact size of the export in this format.' }) sizeBytes: number;
}

export class ConnectorContent {
  @ApiProperty({ description: 'Stable id of the content in the ENT.' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty({ enum: CONTENT_CATEGORIES }) category: ContentCategory;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: [ConnectorFormat], description: 'Export formats, preferred first.' }) formats: ConnectorFormat[];
  @ApiProperty({ description: 'Metadata record formats available for this content.', example: ['scolomfr-3.1'] })
  metadataFormats: string[];
  @ApiPropertyOptional({ description: 'Set on contents created by an import: the gateway import key.' })
  importKey?: string;
}

export class ConnectorContentList {
  @ApiProperty({ type: [ConnectorContent] }) items: ConnectorContent[];
}

export class ConnectorCategoryImport {
  @ApiProperty({ enum: CONTENT_CATEGORIES }) category: ContentCategory;
  @ApiProperty({ type: [AcceptedFormat] }) imports: AcceptedFormat[];
}

export class ConnectorCapabilities {
  @ApiProperty() entId: string;
  @ApiProperty({ type: [ConnectorCategoryImport] }) categories: ConnectorCategoryImport[];
  @ApiProperty({ enum: CONTENT_CATEGORIES, isArray: true }) refusedCategories: ContentCategory[];
  @ApiProperty() maxItemBytes: number;
  @ApiPropertyOptional({
    type: [String],
    example: ['scolomfr-3.1'],
    description: 'Metadata record formats `PUT …/imports/{importKey}/metadata` takes, most preferred first. Absent: `scolomfr-3.1` only (connector contract 1.0).',
  })
  metadataImports?: string[];
}

export class ConnectorImportResult {
  @ApiProperty({ description: 'Id of the created content in the ENT.' }) localId: string;
  @ApiProperty({ description: 'false when the import key had already been imported (idempotent replay).' })
  created: boolean;
  @ApiProperty() sizeBytes: number;
  @ApiProperty() sha256: string;
  @ApiPropertyOptional({
    format: 'uri',
    example: 'https://ent.example.fr/cahier-de-textes/seance/42',
    description: 'Where the teacher finds the imported content in the ENT (connector contract 1.1, optional): an http(s) URL on the ENT\'s own origin '
      + '(its connector\'s, or its portal\'s). The gateway shows it as a link on the arrival page; anything else is ignored.',
  })
  location?: string;
}

// ---------------------------------------------------------------- events (ENT → its gateway)

/** Where the ENT sends its events, on its gateway. */
export const CONNECTOR_EVENTS_PATH = '/connector/v1/events';

/**
 * What an ENT tells its gateway (ARCHITECTURE §2: §8.3 imports when the teacher logs into the
 * arrival *ENT*): she logged in, her account was created, or the schools she is attached to
 * changed. Authenticated with the connector bearer secret, the same one in both directions.
 */
export const ENT_EVENT_TYPES = ['USER_LOGGED_IN', 'ACCOUNT_CREATED', 'ACCOUNT_SCHOOLS_CHANGED'] as const;
export type EntEventType = (typeof ENT_EVENT_TYPES)[number];

export class EntEvent {
  @ApiProperty({ enum: ENT_EVENT_TYPES, description: 'USER_LOGGED_IN: she logged into the ENT; ACCOUNT_CREATED: the ENT now has an account for her; ACCOUNT_SCHOOLS_CHANGED: her schools (UAIs) changed.' })
  @IsIn(ENT_EVENT_TYPES as unknown as string[])
  type: EntEventType;

  @ApiProperty({ description: 'The user, by the identity claim of the shared IdP (default `sub`), as in every connector path.', example: 'marie.dupont' })
  @IsString() @Length(1, 256) @Matches(/^[^\u0000-\u001f]+$/, { message: 'userId must not contain control characters' })
  userId: string;

  @ApiPropertyOptional({ description: 'For ACCOUNT_CREATED and ACCOUNT_SCHOOLS_CHANGED: the UAIs she is now attached to.', example: ['0690002B'] })
  @IsOptional() @IsArray() @ArrayMaxSize(50) @Matches(UAI_PATTERN, { each: true, message: 'uais must be UAIs such as 0690002B' })
  uais?: string[];

  @ApiProperty({ format: 'date-time', description: 'When it happened in the ENT.' })
  @IsISO8601({ strict: true })
  occurredAt: string;
}

export class EntEventAccepted {
  @ApiProperty({ enum: ENT_EVENT_TYPES }) type: EntEventType;
  @ApiProperty({ description: 'Received transfers whose import this event started (0 when there was nothing waiting for her).' })
  importsStarted: number;
}
