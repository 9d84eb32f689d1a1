import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiBody,
  ApiExtraModels,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import {
  CapabilitiesDocument,
  DeliveryAccepted,
  DeliveryManifest,
  DeliveryRequest,
  ManifestJwsHeader,
  Receipt,
  ReceiptJwsHeader,
  ITEM_ID_PATTERN,
  Offer,
  OfferAnswer,
  OfferCancelled,
  PEER_SCOPES,
  Problem,
  PROBLEM_TYPES,
  ReceiptAccepted,
  ReceiptRequest,
} from '@ent/contract';
import { ProblemError } from '@ent/common';
import { PeerAuthGuard, PeerRequest, RequiresPeerScope } from '../peers/peer-auth.guard';
import { OfferBody } from './offer-body';
import { ArrivalService } from '../transfers/arrival.service';
import { DepartureService } from '../transfers/departure.service';

const problem = (status: number, description: string) => ({
  status,
  description,
  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(Problem) } } },
});
const PROBLEMS = [
  problem(400, 'Invalid body: each offending field is named in `errors` (unknown fields are rejected)'),
  problem(401, 'unauthenticated / invalid-token: missing, unverifiable or expired token'),
  problem(403, 'wrong-audience / insufficient-scope / unknown-peer: token for another audience, without the scope of the operation, or from an unknown peer'),
];
const RATE_LIMITED = problem(429, 'rate-limited: come back after Retry-After (not a failed attempt)');
const ENT_UNAVAILABLE = problem(503, 'peer-unavailable: the ENT this gateway imports into did not answer; nothing was recorded, send the same request again later (backoff). An offer already answered is answered again from what was stored');
const KEYS_UNAVAILABLE = problem(503, 'peer-unavailable: the signer\'s discovery document or JWKS could not be read; nothing was recorded, send the same document again later (backoff)');
/** The path parameter of the content, metadata, index and receipt operations: the offer id. */
const TRANSFER_ID = { name: 'transferId', format: 'uuid', description: 'The `offerId` of the offer (one id names the offer and the transfer on both sides).' } as const;

function itemIdParam(value: string): string {
  if (!ITEM_ID_PATTERN.test(value)) throw new ProblemError(400, PROBLEM_TYPES.validation, 'Invalid item id', 'itemId has an invalid form.');
  return value;
}

/** Peer contract v1 (gateway ↔ gateway), the "contrat d'interface unique" of §8.3. */
@ApiTags('peer')
// The payloads of the signed manifest and receipt are documented too: their fields (the receipt's
// stable reason codes among them) are the contract as much as the request bodies are.
@ApiExtraModels(Problem, DeliveryManifest, Receipt, ManifestJwsHeader, ReceiptJwsHeader)
@ApiBearerAuth()
@UseGuards(PeerAuthGuard)
@Controller('portability/v1')
export class PeerController {
  constructor(
    private readonly arrival: ArrivalService,
    private readonly departure: DepartureService,
  ) {}

  @Get('capabilities')
  @RequiresPeerScope(PEER_SCOPES.capabilities)
  @ApiOperation({ summary: 'What this ENT imports, per content category, and the conversions it runs' })
  @ApiOkResponse({ type: CapabilitiesDocument })
  @ApiResponse(PROBLEMS[1]) @ApiResponse(PROBLEMS[2]) @ApiResponse(RATE_LIMITED) @ApiResponse(ENT_UNAVAILABLE)
  capabilities(): Promise<CapabilitiesDocument> {
    return this.arrival.capabilities();
  }

  @Post('offers')
  @HttpCode(200)
  @RequiresPeerScope(PEER_SCOPES.offer)
  @ApiOperation({ summary: '§8.3 flows 2→3: the list of contents with their formats in, the item-by-item answer out. Idempotent on offerId.' })
  @ApiOkResponse({ type: OfferAnswer })
  @ApiResponse(PROBLEMS[0]) @ApiResponse(PROBLEMS[1]) @ApiResponse(PROBLEMS[2])
  @ApiResponse(problem(409, 'conflict: the offer id was already used for a different offer (the same offer again gets the same answer)'))
  @ApiResponse(problem(413, 'payload-too-large: body over the published limits.maxBodyBytes'))
  @ApiResponse(problem(422, 'unknown-arrival: arrival.uai is not served by this gateway; unknown-departure: departure.uai is not a school registered for the caller'))
  @ApiResponse(RATE_LIMITED) @ApiResponse(ENT_UNAVAILABLE)
  // Validated by the offer's compiled schema, not by the global pipe (see OfferBody).
  @ApiBody({ type: Offer })
  offer(@Req() req: PeerRequest, @OfferBody() offer: Offer): Promise<OfferAnswer> {
    return this.arrival.receiveOffer(req.peer, offer);
  }

  @Post('offers/:offerId/cancellation')
  @HttpCode(200)
  @RequiresPeerScope(PEER_SCOPES.offer)
  @ApiOperation({ summary: 'The teacher cancelled before delivery: the arrival forgets the offer (RGPD). Idempotent.' })
  @ApiParam({ name: 'offerId', format: 'uuid' })
  @ApiOkResponse({ type: OfferCancelled })
  @ApiResponse(PROBLEMS[1]) @ApiResponse(PROBLEMS[2])
  @ApiResponse(problem(404, 'No offer with this id was received from the caller'))
  @ApiResponse(problem(409, 'The delivery manifest was already received: too late to withdraw'))
  cancellation(@Req() req: PeerRequest, @Param('offerId', new ParseUUIDPipe()) offerId: string): Promise<OfferCancelled> {
    return this.arrival.cancelOffer(req.peer, offerId);
  }

  @Post('offers/:offerId/deliveries')
  @HttpCode(202)
  @RequiresPeerScope(PEER_SCOPES.deliver)
  @ApiOperation({ summary: '§8.3 flow 4: the signed delivery manifest; the arrival pulls every object' })
  @ApiParam({ name: 'offerId', format: 'uuid' })
  @ApiAcceptedResponse({ type: DeliveryAccepted })
  @ApiResponse(PROBLEMS[0]) @ApiResponse(PROBLEMS[1]) @ApiResponse(PROBLEMS[2])
  @ApiResponse(problem(400, 'invalid-signature: the manifest does not verify against the departure\'s published keys; validation-failed: it does not match the answer (each problem in `errors`)'))
  @ApiResponse(problem(404, 'No offer with this id was received from the caller'))
  @ApiResponse(problem(409, 'conflict: a different manifest was already received; invalid-state: the offer is not expecting one (expired)'))
  @ApiResponse(problem(413, 'destination-full: the arrival cannot hold this delivery now; nothing was recorded. The departure pauses (no automatic retry) and delivers again when its teacher resumes'))
  @ApiResponse(KEYS_UNAVAILABLE) @ApiResponse(RATE_LIMITED)
  deliveries(@Req() req: PeerRequest, @Param('offerId', new ParseUUIDPipe()) offerId: string, @Body() body: DeliveryRequest): Promise<DeliveryAccepted> {
    return this.arrival.receiveDelivery(req.peer, offerId, body.manifest);
  }

  @Get('transfers/:transferId/items/:itemId/content')
  @RequiresPeerScope(PEER_SCOPES.fetch)
  @ApiOperation({
    summary: 'The bytes of one staged item: a redirect to a short-lived URL that serves Range requests',
    description: 'The Location is on the departure gateway\'s origin or one of its discovered `contentOrigins`; the arrival follows it without the bearer token. To resume, ask this URL again (the Location is new), then GET it with `Range: bytes=N-` and `If-Match` with the ETag of the first response; 412 means the object changed: fetch it whole.',
  })
  @ApiParam(TRANSFER_ID)
  @ApiFoundResponse({ description: 'Location: presigned URL, valid for a short time, for this object only' })
  @ApiResponse(PROBLEMS[1]) @ApiResponse(PROBLEMS[2])
  @ApiResponse(problem(404, 'No such transfer addressed to the caller, or no such object'))
  @ApiResponse(problem(409, 'invalid-state: the transfer is not (or no longer) delivered'))
  @ApiResponse(RATE_LIMITED)
  async content(@Req() req: PeerRequest, @Param('transferId', new ParseUUIDPipe()) transferId: string, @Param('itemId') itemId: string, @Res() res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, await this.departure.objectUrl(req.peer, transferId, itemIdParam(itemId), 'content'));
  }

  @Get('transfers/:transferId/items/:itemId/metadata')
  @RequiresPeerScope(PEER_SCOPES.fetch)
  @ApiOperation({ summary: 'The metadata record that travels with an item (in the answer\'s `metadata.format`: ScoLOMFR or schema.org JSON-LD), as a redirect like content' })
  @ApiParam(TRANSFER_ID)
  @ApiFoundResponse({ description: 'Location: presigned URL of the metadata record' })
  @ApiResponse(PROBLEMS[1]) @ApiResponse(PROBLEMS[2])
  @ApiResponse(problem(404, 'No such transfer addressed to the caller, or no metadata record for this item'))
  @ApiResponse(problem(409, 'invalid-state: the transfer is not (or no longer) delivered'))
  @ApiResponse(RATE_LIMITED)
  async metadata(@Req() req: PeerRequest, @Param('transferId', new ParseUUIDPipe()) transferId: string, @Param('itemId') itemId: string, @Res() res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, await this.departure.objectUrl(req.peer, transferId, itemIdParam(itemId), 'metadata'));
  }

  @Get('transfers/:transferId/index/:name')
  @RequiresPeerScope(PEER_SCOPES.fetch)
  @ApiOperation({ summary: 'One file of the delivery index (ScoLOMFR XML, schema.org JSON-LD, index.html), as a redirect like content' })
  @ApiParam(TRANSFER_ID)
  @ApiParam({ name: 'name', enum: ['index.scolomfr.xml', 'index.jsonld', 'index.html'] })
  @ApiFoundResponse({ description: 'Location: presigned URL of the index file' })
  @ApiResponse(PROBLEMS[1]) @ApiResponse(PROBLEMS[2])
  @ApiResponse(problem(404, 'No such transfer addressed to the caller, or no such index file'))
  @ApiResponse(problem(409, 'invalid-state: the transfer is not (or no longer) delivered'))
  @ApiResponse(RATE_LIMITED)
  async index(@Req() req: PeerRequest, @Param('transferId', new ParseUUIDPipe()) transferId: string, @Param('name') name: string, @Res() res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, await this.departure.indexUrl(req.peer, transferId, name));
  }

  @Post('transfers/:transferId/receipt')
  @HttpCode(200)
  @RequiresPeerScope(PEER_SCOPES.receipt)
  @ApiOperation({ summary: 'The arrival\'s signed receipt, item by item; after it the departure deletes its staged copies' })
  @ApiParam(TRANSFER_ID)
  @ApiOkResponse({ type: ReceiptAccepted })
  @ApiResponse(PROBLEMS[0]) @ApiResponse(PROBLEMS[1]) @ApiResponse(PROBLEMS[2])
  @ApiResponse(problem(404, 'No such transfer addressed to the caller'))
  @ApiResponse(problem(400, 'invalid-signature: the receipt does not verify against the arrival\'s published keys; validation-failed: it names another transfer, party or unknown items'))
  @ApiResponse(problem(409, 'conflict: a different receipt was already recorded; invalid-state: the transfer was never delivered. A receipt after the departure\'s deadline is accepted: the content arrived'))
  @ApiResponse(KEYS_UNAVAILABLE) @ApiResponse(RATE_LIMITED)
  receipt(@Req() req: PeerRequest, @Param('transferId', new ParseUUIDPipe()) transferId: string, @Body() body: ReceiptRequest): Promise<ReceiptAccepted> {
    return this.departure.receiveReceipt(req.peer, transferId, body.receipt);
  }
}
