import { createReadStream, promises as fs } from 'node:fs';
import { Controller, Get, HttpCode, Inject, Logger, Param, Put, Query, Req, Res, StreamableFile, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ProblemError } from '@ent/common';
import {
  CONNECTOR_BASE,
  ConnectorCapabilities,
  ConnectorContentList,
  ConnectorImportResult,
  PROBLEM_TYPES,
} from '@ent/contract';
import { createThrottle } from '@ent/storage';
import { ENT_SIM_CONFIG, EntSimConfig } from '../config';
import { ProblemResponse } from '../problems';
import { ConnectorAuthGuard } from './connector-auth.guard';
import { ContentParams, FormatQuery, ImportParams, ImportQuery, MetadataFormatQuery, UserParams } from './connector.dto';
import { BlobToSend, ConnectorService, MAX_METADATA_BYTES } from './connector.service';

/** An RFC 9457 answer, documented with its real media type. */
const problem = (status: number, description: string) =>
  ApiResponse({
    status,
    description,
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemResponse) } } },
  });
const unauthorized = problem(401, 'Missing or invalid connector token.');
const badRequest = problem(400, 'Invalid path or query parameter (unknown parameters are refused).');

@ApiTags('connector')
@ApiExtraModels(ProblemResponse)
@ApiBearerAuth()
@UseGuards(ConnectorAuthGuard)
@Controller(CONNECTOR_BASE.replace(/^\//, ''))
export class ConnectorController {
  private readonly logger = new Logger('Connector');

  constructor(
    private readonly connector: ConnectorService,
    @Inject(ENT_SIM_CONFIG) private readonly config: EntSimConfig,
  ) {}

  @Get('capabilities')
  @ApiOperation({ summary: 'What this ENT imports natively, per content category.' })
  @ApiResponse({
    status: 200,
    type: ConnectorCapabilities,
    headers: { 'Cache-Control': { description: '`max-age=N`: the gateway may reuse this answer for N seconds (it keeps it 300 s at most); without it, or with `no-cache`, it asks for every offer', schema: { type: 'string' } } },
  })
  @unauthorized
  capabilities(@Res({ passthrough: true }) res: Response): ConnectorCapabilities {
    res.setHeader('Cache-Control', this.config.capabilitiesMaxAge > 0 ? `max-age=${this.config.capabilitiesMaxAge}` : 'no-cache');
    return this.connector.capabilities();
  }

  @Get('users/:userId/contents')
  @ApiOperation({
    summary: "A user's contents with their export formats and exact sizes.",
    description: 'Only the contents this user owns, including those created by imports (with `importKey`). An unknown user has none.',
  })
  @ApiResponse({ status: 200, type: ConnectorContentList })
  @badRequest
  @unauthorized
  list(@Param() p: UserParams): ConnectorContentList {
    return this.connector.list(p.userId);
  }

  @Get('users/:userId/contents/:contentId/export')
  @ApiOperation({
    summary: 'Streams a content in one of its export formats.',
    description:
      'Content-Length equals the `sizeBytes` announced in the list; `Repr-Digest` carries its SHA-256 and `ETag` (strong) ' +
      'identifies these bytes. A broken export resumes: `Range: bytes=N-` (one range) with `If-Range: <ETag>` answers 206 ' +
      'from byte N when the content is unchanged, the whole content (200) when it changed since.',
  })
  @ApiProduces('application/octet-stream')
  @ApiResponse({ status: 200, description: 'The bytes, with Content-Type = the format media type.', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 206, description: 'The bytes from the start of the range (Content-Range: bytes N-M/size).', schema: { type: 'string', format: 'binary' } })
  @badRequest
  @unauthorized
  @problem(404, 'Unknown content (or not this user\'s).')
  @problem(406, 'The content is not offered in this format.')
  @problem(416, 'The range starts at or past the end of the content.')
  async export(@Param() p: ContentParams, @Query() q: FormatQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    await this.connector.simulatedLatency();
    const blob = this.connector.exportBlob(p.userId, p.contentId, q.format);
    return this.send(blob, res, true, this.rangeOf(req, res, blob, p.contentId));
  }

  /**
   * The single byte range asked for, when it may be served (RFC 9110 §14): only for an
   * unchanged content (If-Range equal to the strong ETag, or absent), else the whole content.
   */
  private rangeOf(req: Request, res: Response, blob: BlobToSend, contentId: string): { start: number; end: number } | undefined {
    const header = req.headers.range;
    if (!header) return undefined;
    const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
    if (!m) return undefined; // several ranges or another unit: the whole content, as RFC 9110 allows
    const ifRange = req.headers['if-range'];
    if (ifRange !== undefined && ifRange !== `"${blob.sha256}"`) {
      this.logger.log(`export of ${contentId} from byte ${m[1]} asked for another version: sending it whole`);
      return undefined;
    }
    const start = Number(m[1]);
    const end = m[2] === '' ? blob.sizeBytes - 1 : Math.min(Number(m[2]), blob.sizeBytes - 1);
    if (!Number.isSafeInteger(start) || start >= blob.sizeBytes || end < start) {
      res.setHeader('Content-Range', `bytes */${blob.sizeBytes}`);
      throw new ProblemError(416, PROBLEM_TYPES.validation, 'Range not satisfiable', `The content has ${blob.sizeBytes} bytes; the range ${header} is outside it.`);
    }
    this.logger.log(`export of ${contentId} resumed: bytes ${start}-${end}/${blob.sizeBytes}`);
    return { start, end };
  }

  @Get('users/:userId/contents/:contentId/metadata')
  @ApiOperation({ summary: 'The metadata record of a content (ScoLOMFR 3.1).' })
  @ApiProduces('application/xml')
  @ApiResponse({ status: 200, description: 'The record.', schema: { type: 'string' } })
  @badRequest
  @unauthorized
  @problem(404, 'Unknown content, or no record in this format.')
  async metadata(
    @Param() p: ContentParams,
    @Query() q: MetadataFormatQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    return this.send(this.connector.metadataBlob(p.userId, p.contentId, q.format), res, false);
  }

  @Put('users/:userId/imports/:importKey')
  @ApiOperation({
    summary: 'Imports the request body as a new content of the user (idempotent on importKey).',
    description:
      'The raw bytes are the body (streamed to disk, never buffered). The first call answers 201; any later call with the same ' +
      'importKey answers 200 with the same localId and created=false, and stores nothing. 415/422 when this ENT does not import ' +
      'that format for that category (see capabilities) or the bytes do not match the format.',
  })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 201, description: 'Imported.', type: ConnectorImportResult })
  @ApiResponse({ status: 200, description: 'Already imported under this key (replay).', type: ConnectorImportResult })
  @badRequest
  @unauthorized
  @problem(404, 'unknown-user: the ENT has no account for this user (yet). The gateway keeps the content and imports it when the ENT sends ACCOUNT_CREATED or USER_LOGGED_IN; never answer this for a user who exists.')
  @problem(413, 'Larger than maxItemBytes.')
  @problem(415, 'Format or media type not imported for this category.')
  @problem(422, 'Category not imported, or bytes that do not match the format.')
  async import(
    @Param() p: ImportParams,
    @Query() q: ImportQuery,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConnectorImportResult> {
    try {
      const result = await this.connector.importContent(p.userId, p.importKey, q, req);
      res.status(result.created ? 201 : 200);
      return result;
    } catch (err) {
      // The body may not have been read to the end: do not keep the connection.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw err;
    }
  }

  @Put('users/:userId/imports/:importKey/metadata')
  @HttpCode(204)
  @ApiOperation({ summary: `Attaches a metadata record (XML, at most ${MAX_METADATA_BYTES} bytes) to an imported content.` })
  @ApiConsumes('application/xml')
  @ApiBody({ schema: { type: 'string' } })
  @ApiResponse({ status: 204, description: 'Attached (replaces an earlier record in the same format).' })
  @badRequest
  @unauthorized
  @problem(404, 'No import under this key for this user.')
  @problem(413, 'Record too large.')
  @problem(415, 'Metadata format not taken.')
  @problem(422, 'Not well-formed, DTD present, or not a LOM record.')
  async importMetadata(
    @Param() p: ImportParams,
    @Query() q: MetadataFormatQuery,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    try {
      await this.connector.importMetadata(p.userId, p.importKey, q.format, req);
    } catch (err) {
      if (!req.complete) res.setHeader('Connection', 'close');
      throw err;
    }
  }

  private async send(blob: BlobToSend, res: Response, attachment = true, range?: { start: number; end: number }): Promise<StreamableFile> {
    let size: number;
    try {
      size = (await fs.stat(blob.path)).size;
    } catch {
      size = -1;
    }
    if (size !== blob.sizeBytes) {
      throw new ProblemError(500, PROBLEM_TYPES.internal, 'Stored object damaged', 'the stored bytes do not match the catalogue');
    }
    res.setHeader('ETag', `"${blob.sha256}"`);
    res.setHeader('Repr-Digest', `sha-256=:${Buffer.from(blob.sha256, 'hex').toString('base64')}:`);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Accept-Ranges', 'bytes');
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.sizeBytes}`);
    }
    const file = createReadStream(blob.path, range ? { start: range.start, end: range.end } : {});
    const rate = this.config.exportBytesPerSecond;
    const body = rate > 0 ? file.pipe(createThrottle(rate)) : file;
    if (body !== file) file.once('error', (err) => body.destroy(err));
    return new StreamableFile(body, {
      type: blob.mediaType,
      length: range ? range.end - range.start + 1 : blob.sizeBytes,
      disposition: attachment ? `attachment; filename="${blob.fileName}"` : undefined,
    });
  }
}

