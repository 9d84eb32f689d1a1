/**
 * The requirement table: every MUST and SHOULD of the peer contract (arrival's and departure's
 * duties) and of the connector contract, each with a stable id. It is the single source of
 * `docs/contract/checklists.md` and of the ids the conformance kit reports: an id, once
 * published, is never renumbered nor reused for another rule (a withdrawn rule keeps its id and
 * says so).
 *
 * `source` names the published document and section the rule comes from; `checkedBy` says
 * which run of the kit checks it automatically (absent: a reviewer checks it by hand).
 */
export type Level = 'MUST' | 'SHOULD';
export type Role = 'arrival' | 'departure' | 'connector' | 'events' | 'gateway-events';
export type Plan = 'arrival' | 'departure' | 'connector' | 'events' | 'gateway-events';

export interface Requirement {
  id: string;
  level: Level;
  role: Role;
  text: string;
  source: string;
  checkedBy?: Plan;
}

const PEER_INTRO = 'docs/contract/peer-contract-intro.md';
const PEER_API = 'docs/openapi/peer-v1.json';
const CONNECTOR_INTRO = 'docs/contract/connector-contract-intro.md';
const CONNECTOR_API = 'docs/openapi/connector-v1.json';

const arrival = (id: string, level: Level, text: string, source: string, checked = true): Requirement => ({
  id, level, role: 'arrival', text, source, ...(checked ? { checkedBy: 'arrival' as const } : {}),
});
const departure = (id: string, level: Level, text: string, source: string, checked = true): Requirement => ({
  id, level, role: 'departure', text, source, ...(checked ? { checkedBy: 'departure' as const } : {}),
});
const connector = (id: string, level: Level, text: string, source: string, checked = true): Requirement => ({
  id, level, role: 'connector', text, source, ...(checked ? { checkedBy: 'connector' as const } : {}),
});

const entEvents = (id: string, level: Level, text: string, source: string): Requirement => ({ id, level, role: 'events', text, source, checkedBy: 'events' });
const gatewayEvents = (id: string, level: Level, text: string, source: string): Requirement => ({ id, level, role: 'gateway-events', text, source, checkedBy: 'gateway-events' });
const EVENTS_API = `${CONNECTOR_API} POST /connector/v1/events`;

export const REQUIREMENTS: readonly Requirement[] = [
  // ------------------------------------------------------------ the arrival's duties
  arrival('ARR-01', 'MUST', 'Serves its discovery document at `GET /.well-known/ent-portability` as JSON: `contractVersions` containing "1", `entId`, `uais`, `issuer`, `audience`, `jwksUri` and `endpoints` (`capabilities`, `offers`, `deliveries`).', `${PEER_API} GET /.well-known/ent-portability; ${PEER_INTRO} Flow 1`),
  arrival('ARR-02', 'MUST', 'Publishes at its `jwksUri` a JWKS holding only public keys, each with a `kid`, that verify its receipts.', `${PEER_API} GET /.well-known/ent-portability/jwks.json`),
  arrival('ARR-03', 'MUST', 'Answers a peer call without a bearer token with 401 `urn:ent-portability:problem:unauthenticated`.', `${PEER_INTRO} Authentication`),
  arrival('ARR-04', 'MUST', 'Answers a peer call whose token cannot be verified (bad signature, not a JWT) with 401 `urn:ent-portability:problem:invalid-token`.', `${PEER_INTRO} Authentication`),
  arrival('ARR-05', 'MUST', 'Answers a token issued for another audience than its own `audience` with 403 `urn:ent-portability:problem:wrong-audience`.', `${PEER_INTRO} Authentication`),
  arrival('ARR-06', 'MUST', 'Answers a token without the scope of the operation (`portability:offer` for offers) with 403 `urn:ent-portability:problem:insufficient-scope`.', `${PEER_INTRO} Authentication`),
  arrival('ARR-07', 'MUST', 'Answers `GET {endpoints.capabilities}` (scope `portability:capabilities`) with a capabilities document: `contractVersion`, `entId`, `categories[]`, `refusedCategories[]`, `maxItemBytes`, `converters[]`.', `${PEER_API} GET /portability/v1/capabilities`),
  arrival('ARR-08', 'MUST', 'Answers a valid offer with 200 and an answer naming the `offerId`, its `arrivalEntId` and exactly one decision per offered item (`IMPORT`, `CONVERT`, `MANUAL` or `REFUSED`); a `REFUSED` decision carries at least one reason, a `CONVERT` decision its converters and target format, every other decision the offered `sourceFormat` it wants.', `${PEER_API} POST /portability/v1/offers; ${PEER_INTRO} Flow 2`),
  arrival('ARR-09', 'MUST', 'Is idempotent on `offerId`: the same offer sent again gets the same answer.', `${PEER_INTRO} Flow 2`),
  arrival('ARR-10', 'MUST', 'Answers an `offerId` reused for a different offer with 409 `urn:ent-portability:problem:conflict`.', `${PEER_API} POST /portability/v1/offers (409)`),
  arrival('ARR-11', 'MUST', 'Rejects a request body with an unknown field with 400 `urn:ent-portability:problem:validation-failed` and records nothing.', `${PEER_INTRO} Errors`),
  arrival('ARR-12', 'MUST', 'Rejects an invalid offer with 400 `urn:ent-portability:problem:validation-failed` naming every offending field by its dotted path in `errors[]`.', `${PEER_INTRO} Errors`),
  arrival('ARR-13', 'MUST', 'Answers every error as `application/problem+json` (RFC 9457) with a `type`, a `title` and a `status` equal to the HTTP status.', `${PEER_INTRO} Errors`),
  arrival('ARR-14', 'MUST', 'Answers an offer for a school (UAI) it does not serve with 422 `urn:ent-portability:problem:unknown-arrival`.', `${PEER_API} POST /portability/v1/offers`),
  arrival('ARR-15', 'MUST', 'Verifies the delivery manifest\'s signature against the keys the departure publishes: a manifest altered after signing gets 400 `urn:ent-portability:problem:invalid-signature` and nothing is fetched.', `${PEER_INTRO} Flow 3; docs/adr/004-signed-manifests-and-receipts.md`),
  arrival('ARR-16', 'MUST', 'Refuses a manifest signed with a key the departure does not publish: 400 `urn:ent-portability:problem:invalid-signature`, nothing fetched.', `${PEER_INTRO} Flow 3`),
  arrival('ARR-17', 'MUST', 'Refuses a manifest with `alg: none` (or any algorithm outside ES256, RS256, PS256, EdDSA): 400 `urn:ent-portability:problem:invalid-signature`, nothing fetched.', `${PEER_API} DeliveryRequest.manifest`),
  arrival('ARR-18', 'MUST', 'Refuses a manifest whose protected header `typ` is not `ent-portability-manifest+jws` (e.g. a receipt replayed as a manifest): 400 `urn:ent-portability:problem:invalid-signature`.', `${PEER_INTRO} Flow 3`),
  arrival('ARR-19', 'MUST', 'Refuses a manifest whose claims do not match the offer (`offerId`, `departureEntId` = the caller, `arrivalEntId` = itself) or that lists an item it did not accept: 400 `urn:ent-portability:problem:validation-failed`, nothing fetched.', `${PEER_API} DeliveryManifest`),
  arrival('ARR-20', 'MUST', 'Refuses a manifest whose `contentUrl` is not on the origin of the departure\'s discovered `endpoints.itemContent`: 400 `urn:ent-portability:problem:validation-failed`, and never requests that URL.', `${PEER_INTRO} Flow 1, Flow 3; docs/adr/007-peer-discovery.md`),
  arrival('ARR-21', 'MUST', 'Answers a delivery for an offer it never received from the caller with 404 `urn:ent-portability:problem:not-found`.', `${PEER_API} POST /portability/v1/offers/{offerId}/deliveries (404)`),
  arrival('ARR-22', 'MUST', 'Answers a valid delivery with 202 and then pulls every object of the manifest (contents, metadata and index files) from its `contentUrl`.', `${PEER_INTRO} Flow 3`),
  arrival('ARR-23', 'MUST', 'Calls the departure\'s content URLs with a client-credentials token whose audience is the departure\'s discovery `audience` and whose scope contains `portability:fetch`.', `${PEER_INTRO} Authentication`),
  arrival('ARR-24', 'MUST', 'Follows the content URL\'s redirect without sending its access token to the redirect target (the presigned URL).', `${PEER_API} GET /portability/v1/transfers/{transferId}/items/{itemId}/content`),
  arrival('ARR-25', 'MUST', 'Checks the SHA-256 of every pulled object: an object whose bytes do not match the manifest is never imported (its receipt item is `FAILED` with a `reason`).', `${PEER_INTRO} Flow 3`),
  arrival('ARR-26', 'MUST', 'Checks the size of every pulled object: an object longer or shorter than the manifest says is never imported (its receipt item is `FAILED` with a `reason`).', `${PEER_INTRO} Flow 3`),
  arrival('ARR-27', 'MUST', 'Accepts the same manifest delivered again (a departure resuming after a pause) without error, and answers a different manifest for an already delivered offer with 409 `urn:ent-portability:problem:conflict`.', `${PEER_INTRO} Flow 3; ${PEER_API} (409)`),
  arrival('ARR-28', 'MUST', 'Sends a receipt to the departure\'s receipt endpoint (`endpoints.receipt`, `{transferId}` = the `offerId`) with a token for the departure\'s audience and the scope `portability:receipt`.', `${PEER_INTRO} Flow 4`),
  arrival('ARR-29', 'MUST', 'Signs the receipt as a compact JWS (`typ: ent-portability-receipt+jws`, an accepted `alg`, a `kid` found in its published JWKS) that verifies against its JWKS.', `${PEER_INTRO} Flow 4; docs/adr/004-signed-manifests-and-receipts.md`),
  arrival('ARR-30', 'MUST', 'Receipt payload: `offerId`, `arrivalEntId`, `departureEntId`, `issuedAt` and one entry per offered item with a `status` among `IMPORTED` (with `localId`), `AWAITING_MANUAL_DOWNLOAD`, `REFUSED`, `FAILED` (with `reason`).', `${PEER_API} Receipt`),
  arrival('ARR-31', 'MUST', 'Receipt statuses follow the answer: an `IMPORT`/`CONVERT` item ends `IMPORTED` (or `FAILED` with a reason), a `MANUAL` item `AWAITING_MANUAL_DOWNLOAD`, a `REFUSED` item `REFUSED`.', `${PEER_INTRO} Flow 2, Flow 4`),
  arrival('ARR-32', 'SHOULD', 'Resumes a broken pull: asks the content URL again and continues with `Range: bytes=N-` and `If-Match: <ETag>` rather than starting over.', `${PEER_INTRO} Flow 3`, false),
  arrival('ARR-33', 'MUST', 'When it cannot hold a delivery now, answers 413 `urn:ent-portability:problem:destination-full` and records nothing.', `${PEER_INTRO} Flow 3`, false),
  // Checked by hand until gateways enforce it (the outbound policy of issue #14); then the kit redirects one object off the declared origins.
  arrival('ARR-34', 'MUST', 'Follows a content URL\'s redirect only to the departure\'s own origin or one of the `contentOrigins` its discovery document publishes; an object redirected elsewhere is never fetched (its receipt item is `FAILED`).', 'docs/adr/007-peer-discovery.md Content origins', false),
  arrival('ARR-35', 'MUST', 'Answers an offer whose `departure.uai` is not a school its peer registry lists for the caller with 422 `urn:ent-portability:problem:unknown-departure` and records nothing: a peer speaks for its own schools only (its discovery document\'s `schools` do not extend them).', `${PEER_API} POST /portability/v1/offers`),

  // ------------------------------------------------------------ the departure's duties
  departure('DEP-01', 'MUST', 'Serves its discovery document at `GET /.well-known/ent-portability` (same shape as ARR-01, with `endpoints.itemContent` and `endpoints.receipt`).', `${PEER_API} GET /.well-known/ent-portability`),
  departure('DEP-02', 'MUST', 'Publishes at its `jwksUri` a JWKS holding only public keys, each with a `kid`, that verify its manifests.', `${PEER_API} GET /.well-known/ent-portability/jwks.json`),
  departure('DEP-03', 'MUST', 'Sends its offer to the arrival\'s `endpoints.offers` with a client-credentials token whose audience is the arrival\'s discovery `audience` and whose scope contains `portability:offer`.', `${PEER_INTRO} Authentication`),
  departure('DEP-04', 'MUST', 'The offer is valid: a UUID `offerId`, `contractVersion` "1", `departure` (`entId`, `uai`), `arrival.uai`, `owner` (`identityClaim`, `identity`), a future `expiresAt`, and 1–500 items each with `itemId`, `title`, `category` and at least one format with its media type and size; no unknown field.', `${PEER_API} Offer`),
  departure('DEP-05', 'MUST', 'Delivers only items the arrival accepted, each in the `sourceFormat` of the answer, never a `REFUSED` item.', `${PEER_INTRO} Flow 3`),
  departure('DEP-06', 'MUST', 'Signs the delivery manifest as a compact JWS (`typ: ent-portability-manifest+jws`, `alg` among ES256, RS256, PS256, EdDSA, a `kid` found in its published JWKS) and sends it to `endpoints.deliveries` with the scope `portability:deliver`.', `${PEER_INTRO} Flow 3`),
  departure('DEP-07', 'MUST', 'Manifest payload: `offerId`, `departureEntId`, `arrivalEntId` (= the arrival\'s `entId`), `issuedAt`, `objects[]` each with `itemId`, `role`, `format`, `mediaType`, `sizeBytes`, lower-case hex `sha256` and a `contentUrl` on the origin of its own discovered `endpoints.itemContent`.', `${PEER_API} DeliveryManifest; docs/adr/007-peer-discovery.md`),
  departure('DEP-08', 'MUST', 'Serves every `contentUrl` of the manifest to the arrival\'s token, directly or through a redirect to a short-lived URL on its own origin or one of the `contentOrigins` it publishes, with exactly the bytes of the declared size and SHA-256.', `${PEER_API} GET /portability/v1/transfers/{transferId}/items/{itemId}/content; docs/adr/007-peer-discovery.md`),
  departure('DEP-09', 'MUST', 'Its content serves `Range: bytes=N-` with 206 and a matching `Content-Range`, and carries a strong `ETag`; `If-Match` with another ETag gets 412.', `${PEER_INTRO} Flow 3`),
  departure('DEP-10', 'MUST', 'Its content URLs refuse a call without a token (401 `urn:ent-portability:problem:unauthenticated`) and a token issued for another audience (403 `urn:ent-portability:problem:wrong-audience`).', `${PEER_INTRO} Authentication`),
  departure('DEP-11', 'MUST', 'Accepts a valid signed receipt at `endpoints.receipt` with 200, verifying its signature against the arrival\'s JWKS; a receipt signed by a key the arrival does not publish gets 400 `urn:ent-portability:problem:invalid-signature`.', `${PEER_INTRO} Flow 4`),
  departure('DEP-12', 'MUST', 'Accepts a receipt signed by a key the arrival published after the delivery (key rotation: it reads the JWKS again on an unknown `kid`).', `docs/adr/004-signed-manifests-and-receipts.md`),
  departure('DEP-13', 'MUST', 'On 413 `destination-full` it pauses and does not deliver again by itself; it delivers the same manifest again when its teacher resumes.', `${PEER_INTRO} Flow 3`),
  departure('DEP-14', 'MUST', 'Handles a `CONVERT` decision: delivers the `sourceFormat` the answer names and leaves the conversion to the arrival.', `${PEER_INTRO} Flow 2`),
  departure('DEP-15', 'SHOULD', 'Keeps its content URLs valid through a slow pull: asking the content URL again gives a fresh short-lived URL.', `${PEER_INTRO} Flow 3`),
  departure('DEP-16', 'SHOULD', 'Deletes its staged copies only after the receipt (or at the offer\'s expiry), never before.', `${PEER_INTRO} Flow 4`, false),
  departure('DEP-17', 'MUST', 'Answers every error as `application/problem+json` (RFC 9457) with a `type`, a `title` and a `status` equal to the HTTP status.', `${PEER_INTRO} Errors`),

  // ------------------------------------------------------------ the connector (an ENT to its own gateway)
  connector('CON-01', 'MUST', 'Refuses every call without the connector bearer token (or with a wrong one) with 401 `application/problem+json`.', `${CONNECTOR_INTRO}; ${CONNECTOR_API}`),
  connector('CON-02', 'MUST', '`GET /connector/v1/capabilities` answers the categories it imports natively (`categories[]` of `{category, imports[]}`), the categories it refuses and its `maxItemBytes`.', `${CONNECTOR_API} GET /connector/v1/capabilities`),
  connector('CON-03', 'MUST', '`GET /connector/v1/users/{userId}/contents` lists the user\'s contents, each with an id, a title, a category and its export formats (preferred first) with their exact sizes.', `${CONNECTOR_API} GET /connector/v1/users/{userId}/contents`),
  connector('CON-04', 'MUST', '`GET …/contents/{contentId}/export?format=` streams exactly the listed number of bytes, with a strong `ETag`.', `${CONNECTOR_API} GET …/export`),
  connector('CON-05', 'SHOULD', 'An export resumes: `Range: bytes=N-` with `If-Range: <ETag>` gets 206 from byte N (an ENT that answers the whole content with 200 is correct, only slower).', `${CONNECTOR_INTRO}`),
  connector('CON-06', 'MUST', '`PUT /connector/v1/users/{userId}/imports/{importKey}` imports the body and answers `localId`, `created`, `sizeBytes` and the `sha256` of what it stored.', `${CONNECTOR_API} PUT …/imports/{importKey}`),
  connector('CON-07', 'MUST', 'Imports are idempotent on `importKey`: the same key again answers the same `localId` with `created: false`, never a duplicate.', `${CONNECTOR_INTRO}`),
  connector('CON-08', 'MUST', 'An unknown content or an unsupported export format is answered with a 4xx `application/problem+json`.', `${CONNECTOR_API}`),
  // ------------------------------------------------------------ the connector events: the ENT's side (sender)
  entEvents('EVT-01', 'MUST', 'Sends each event as `POST {gateway}/connector/v1/events` with `Authorization: Bearer <connector token>` (the secret shared with its gateway) and a JSON body (`Content-Type: application/json`).', `${EVENTS_API}; ${CONNECTOR_INTRO}`),
  entEvents('EVT-02', 'MUST', 'Every event is valid against `EntEvent`: `type` one of `USER_LOGGED_IN`, `ACCOUNT_CREATED`, `ACCOUNT_SCHOOLS_CHANGED`; `userId` the identity claim\'s value; `occurredAt` an RFC 3339 date-time; `uais` UAIs; no other field.', `${CONNECTOR_API} EntEvent`),
  entEvents('EVT-03', 'MUST', 'Sends `USER_LOGGED_IN` with her `userId` when the user logs into the ENT (§8.3: the import happens at her login to the arrival ENT).', `${EVENTS_API}`),
  entEvents('EVT-04', 'MUST', 'Sends `ACCOUNT_CREATED` (or `ACCOUNT_SCHOOLS_CHANGED`) with her `userId` and her `uais` when her account is created (or her schools change), so that an import waiting for her account runs.', `${EVENTS_API}`),
  entEvents('EVT-05', 'SHOULD', '`occurredAt` is when it happened: within five minutes of the moment the gateway receives the event.', `${CONNECTOR_API} EntEvent.occurredAt`),
  // ------------------------------------------------------------ the connector events: the gateway's side (endpoint)
  gatewayEvents('EVT-06', 'MUST', 'Refuses an event without the connector token, or with another one, with 401 `application/problem+json`, and acts on nothing.', `${EVENTS_API} (401)`),
  gatewayEvents('EVT-07', 'MUST', 'Refuses a malformed event (unknown `type`, missing `userId`, `occurredAt` not a date-time, a field the contract does not define) with 400 `urn:ent-portability:problem:validation-failed`, and a body that is not JSON with 400 `urn:ent-portability:problem:malformed-json` (`application/problem+json`), acting on nothing.', `${EVENTS_API} (400)`),
  gatewayEvents('EVT-08', 'MUST', 'Accepts a valid `USER_LOGGED_IN` and a valid `ACCOUNT_CREATED` with 200 and an `EntEventAccepted` body echoing the event\'s `type` and counting `importsStarted` (0 when nothing waited for her).', `${EVENTS_API} (200)`),
  gatewayEvents('EVT-09', 'MUST', 'Is idempotent: the same event sent again (an ENT resends one whose answer was lost) is answered 200 and starts nothing (`importsStarted: 0`).', `${EVENTS_API}; ${CONNECTOR_INTRO}`),
];

export function requirement(id: string): Requirement {
  const r = REQUIREMENTS.find((x) => x.id === id);
  if (!r) throw new Error(`unknown requirement ${id}`);
  return r;
}
