import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONTENT_CATEGORIES, ContentCategory } from './enums';
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
}

export class ConnectorImportResult {
  @ApiProperty({ description: 'Id of the created content in the ENT.' }) localId: string;
  @ApiProperty({ description: 'false when the import key had already been imported (idempotent replay).' })
  created: boolean;
  @ApiProperty() sizeBytes: number;
  @ApiProperty() sha256: string;
}
