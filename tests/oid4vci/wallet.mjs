// A wallet claiming one credential from Pathledger by OpenID4VCI, with Sphereon's client
// (@sphereon/oid4vci-client, pinned by package-lock.json) doing the protocol: it resolves the
// credential offer URI of the deep link, reads the issuer and authorization server metadata,
// exchanges the pre-authorized code and transaction code for an access token, gets a c_nonce
// and sends the credential request with a `jwt` key proof it builds. Only the signing is ours:
// a fresh Ed25519 key of Node's crypto, named as a did:key (or given as a jwk with --jwk).
//
//   node wallet.mjs '<openid-credential-offer://…>' <tx_code> [--jwk]
//
// Prints one JSON line: {"did", "credential", "token", "nonce_endpoint"} (token: the access
// token, for the Rust test's own further checks).
import { generateKeyPairSync, sign } from 'node:crypto';
import { OpenID4VCIClientV1_0_15 } from '@sphereon/oid4vci-client';

const [uri, txCode, mode] = process.argv.slice(2);
if (!uri || !txCode) {
  console.error('usage: node wallet.mjs <offer deep link> <tx_code> [--jwk]');
  process.exit(2);
}

// did:key of an Ed25519 public key: multibase base58btc of 0xed01 ‖ key.
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let out = '';
  while (n > 0n) { out = ALPHABET[Number(n % 58n)] + out; n /= 58n; }
  for (const b of bytes) { if (b === 0) out = '1' + out; else break; }
  return out;
}
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const jwk = publicKey.export({ format: 'jwk' });
const raw = Buffer.from(jwk.x, 'base64url');
const mb = 'z' + base58(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
const did = `did:key:${mb}`;
const kid = `${did}#${mb}`;
const useJwk = mode === '--jwk';

const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
const signCallback = async (args) => {
  const header = { ...args.header };
  const input = `${b64(header)}.${b64(args.payload)}`;
  const sig = sign(null, Buffer.from(input), privateKey).toString('base64url');
  return `${input}.${sig}`;
};

const client = await OpenID4VCIClientV1_0_15.fromURI({
  uri,
  ...(useJwk ? {} : { kid }),
  alg: 'EdDSA',
  retrieveServerMetadata: true,
});
const token = await client.acquireAccessToken({ pin: txCode });
const response = await client.acquireCredentials({
  credentialConfigurationId: client.getCredentialOfferConfigurationIds()[0],
  proofCallbacks: { signCallback },
  format: 'ldp_vc',
  alg: 'EdDSA',
  ...(useJwk ? { jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } } : { kid }),
});
const credential = response.credentials?.[0]?.credential ?? response.credential;
console.log(JSON.stringify({ did, credential, token: token.access_token, nonce_endpoint: client.getNonceEndpoint() }));
