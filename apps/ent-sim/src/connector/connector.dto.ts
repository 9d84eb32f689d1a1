import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { CONTENT_CATEGORIES, ContentCategory, FORMAT_ID_PATTERN, ITEM_ID_PATTERN, MEDIA_TYPE_PATTERN } from '@ent/contract';

/** User ids are the IdP identity claim (default `sub`). */
export const USER_ID_PATTERN = /^[A-Za-z0-9._@:+-]{1,200}$/;
/**
 * Import keys: the gateway's `transferId/itemId` (sent URL-encoded, `%2F`), so
 * one or more segments of `[A-Za-z0-9._:-]` (never `.` or `..`), separated by `/`, 200 characters at most.
 */
export const IMPORT_KEY_PATTERN = /^(?=.{1,200}$)(?!(?:.*\/)?\.{1,2}(?:\/|$))[A-Za-z0-9._:-]+(?:\/[A-Za-z0-9._:-]+)*$/;

const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

export class UserParams {
  @ApiProperty({ description: 'IdP identity of the user (claim `sub`).', example: 'marie.dupont' })
  @Matches(USER_ID_PATTERN)
  userId: string;
}

export class ContentParams extends UserParams {
  @ApiProperty({ example: 'ent-a-marie-cours-univers' })
  @Matches(ITEM_ID_PATTERN)
  contentId: string;
}

export class ImportParams extends UserParams {
  @ApiProperty({ description: 'Gateway import key (`transferId/itemId`, URL-encoded); idempotency key.', example: 't1/i1' })
  @Matches(IMPORT_KEY_PATTERN, { message: 'importKey must match ^[A-Za-z0-9._:-]+(/[A-Za-z0-9._:-]+)*$ (200 characters at most)' })
  importKey: string;
}

export class FormatQuery {
  @ApiProperty({ example: 'imscc-1.3' })
  @Matches(FORMAT_ID_PATTERN)
  format: string;
}

export class MetadataFormatQuery {
  @ApiProperty({ example: 'scolomfr-3.1' })
  @Matches(FORMAT_ID_PATTERN)
  format: string;
}

export class ImportQuery {
  @ApiProperty({ enum: CONTENT_CATEGORIES })
  @IsIn(CONTENT_CATEGORIES)
  category: ContentCategory;

  @ApiProperty({ example: 'binary' })
  @Matches(FORMAT_ID_PATTERN)
  format: string;

  @ApiPropertyOptional({ description: 'Media type of the bytes (required for `binary` when the ENT restricts media types).', example: 'application/pdf' })
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(MEDIA_TYPE_PATTERN)
  mediaType?: string;

  @ApiPropertyOptional({ example: 'Fiche méthode — Rédiger une démarche scientifique' })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @Length(1, 300)
  title?: string;
}
