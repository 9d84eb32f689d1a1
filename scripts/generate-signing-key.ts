/* Prints a new private JWKS (one ES256 key) for SIGNING_JWKS / SIGNING_JWKS_FILE.
 * Rotation: prepend the new key to the existing "keys" array; keep the old one published
 * until every document it signed has been verified. */
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

async function main() {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const { d, ...pub } = jwk;
  const kid = await calculateJwkThumbprint(pub);
  process.stdout.write(JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }, null, 2) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
