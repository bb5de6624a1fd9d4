// Makes the VC-JWT and Open Badges 2.0 vectors with Node's own crypto (no npm packages), so
// the Rust verifier is checked against signatures it did not make. Run: node make.mjs
// Keys are fresh on each run; the committed files are one run's output.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const here = path.dirname(new URL(import.meta.url).pathname);
const ob2dir = path.join(here, '..', 'ob2');
const b64u = (b) => Buffer.from(b).toString('base64url');
const enc = (o) => b64u(JSON.stringify(o));

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let s = '';
  while (n > 0n) { s = B58[Number(n % 58n)] + s; n /= 58n; }
  for (const b of bytes) { if (b === 0) s = '1' + s; else break; }
  return s;
}

function sign(alg, key, header, payload) {
  const input = `${enc(header)}.${enc(payload)}`;
  let sig;
  if (alg === 'EdDSA') sig = crypto.sign(null, Buffer.from(input), key);
  else if (alg === 'ES256') sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'ES384') sig = crypto.sign('sha384', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'RS256') sig = crypto.sign('sha256', Buffer.from(input), key);
  return `${input}.${b64u(sig)}`;
}

function credential(issuer, { id = 'urn:uuid:6b7bd6b4-4bd7-4a4e-9d9c-1b8d7c3f2a01', validFrom = '2026-01-15T10:00:00Z', validUntil } = {}) {
  const c = {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    id,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: { id: issuer, type: ['Profile'], name: 'Riverside Teacher Residency' },
    validFrom,
    name: 'Blended Learning Foundations',
    credentialSubject: {
      id: 'did:example:career-switcher-1',
      type: ['AchievementSubject'],
      achievement: {
        id: 'https://riverside.example/achievements/blended-foundations',
        type: ['Achievement'],
        name: 'Blended Learning Foundations',
        description: 'Plans and runs a station-rotation lesson.',
        criteria: { narrative: 'A lesson plan and an observed lesson, reviewed by a mentor.' },
      },
    },
  };
  if (validUntil) c.validUntil = validUntil;
  return c;
}
const secs = (iso) => Math.floor(Date.parse(iso) / 1000);
function claims(c) {
  const p = { ...c, iss: c.issuer.id, jti: c.id, sub: c.credentialSubject.id, nbf: secs(c.validFrom) };
  if (c.validUntil) p.exp = secs(c.validUntil);
  return p;
}
const out = {};
const files = {};

// 1. EdDSA, key in the header, issuer did:key of that key.
{
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const did = 'did:key:z' + base58(Buffer.concat([Buffer.from([0xed, 0x01]), Buffer.from(jwk.x, 'base64url')]));
  const c = credential(did);
  out['eddsa-jwk-did-key'] = { token: sign('EdDSA', privateKey, { alg: 'EdDSA', typ: 'JWT', jwk }, claims(c)), verdict: 'valid' };
  // the same key by kid (did:key URL)
  const vm = `${did}#${did.slice('did:key:'.length)}`;
  out['eddsa-kid-did-key'] = { token: sign('EdDSA', privateKey, { alg: 'EdDSA', kid: vm }, claims(c)), verdict: 'valid' };
  // tampered: payload changed after signing
  const [h, , s] = out['eddsa-jwk-did-key'].token.split('.');
  const changed = claims(c); changed.credentialSubject.achievement.name = 'Master Mentor';
  out['eddsa-tampered'] = { token: `${h}.${enc(changed)}.${s}`, verdict: 'tampered' };
  // iss that is not the credential's issuer (validly signed): malformed
  const bad = claims(c); bad.iss = 'did:example:someone-else';
  out['eddsa-iss-mismatch'] = { token: sign('EdDSA', privateKey, { alg: 'EdDSA', jwk }, bad), verdict: 'malformed' };
  // expired through exp alone (no validUntil in the credential)
  const exp = claims(c); exp.exp = secs('2026-02-01T00:00:00Z');
  out['eddsa-exp-only-expired'] = { token: sign('EdDSA', privateKey, { alg: 'EdDSA', jwk }, exp), verdict: 'expired' };
  // VCDM 1.1 legacy: credential in the vc claim
  const v1 = {
    '@context': ['https://www.w3.org/2018/credentials/v1', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: { id: did, type: ['Profile'], name: 'Riverside Teacher Residency' },
    issuanceDate: '2026-01-15T10:00:00Z',
    name: 'Blended Learning Foundations',
    credentialSubject: c.credentialSubject,
  };
  out['eddsa-vc11-vc-claim'] = {
    token: sign('EdDSA', privateKey, { alg: 'EdDSA', jwk }, { vc: v1, iss: did, jti: c.id, sub: c.credentialSubject.id, nbf: secs('2026-01-15T10:00:00Z') }),
    verdict: 'valid',
  };
  // a key in the header that is not the issuer's: genuine signature, wrong owner
  const other = crypto.generateKeyPairSync('ed25519');
  out['eddsa-jwk-not-issuers'] = { token: sign('EdDSA', other.privateKey, { alg: 'EdDSA', jwk: other.publicKey.export({ format: 'jwk' }) }, claims(c)), verdict: 'unknown_issuer' };
}

// 2. ES256, issuer did:jwk, kid did:jwk#0.
{
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const did = 'did:jwk:' + enc({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  const c = credential(did, { validUntil: '2030-01-01T00:00:00Z' });
  out['es256-kid-did-jwk'] = { token: sign('ES256', privateKey, { alg: 'ES256', typ: 'JWT', kid: `${did}#0` }, claims(c)), verdict: 'valid' };
  // alg says EdDSA over an ES256 key: not accepted
  out['es256-alg-mismatch'] = { token: sign('ES256', privateKey, { alg: 'EdDSA', kid: `${did}#0` }, claims(c)), verdict: 'tampered' };
}

// 3. ES384: an algorithm we do not verify.
{
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const c = credential('https://issuer.example/issuers/1');
  out['es384-unsupported'] = { token: sign('ES384', privateKey, { alg: 'ES384', jwk: publicKey.export({ format: 'jwk' }) }, claims(c)), verdict: 'unsupported_format' };
}

// 4. RS256 (the OB minimum), issuer https://issuer.example: kid URL on the issuer's host, and a
//    key in the header that the issuer publishes in /.well-known/jwks.json.
{
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'key-1' };
  files['https://issuer.example/keys/1'] = jwk;
  files['https://issuer.example/.well-known/jwks.json'] = { keys: [jwk] };
  const c = credential('https://issuer.example/issuers/1');
  out['rs256-kid-url'] = { token: sign('RS256', privateKey, { alg: 'RS256', kid: 'https://issuer.example/keys/1' }, claims(c)), verdict: 'valid' };
  out['rs256-jwk-in-jwks'] = { token: sign('RS256', privateKey, { alg: 'RS256', jwk: publicKey.export({ format: 'jwk' }) }, claims(c)), verdict: 'valid' };
  // a key hosted elsewhere than the issuer's host
  files['https://elsewhere.example/keys/1'] = jwk;
  out['rs256-kid-other-host'] = { token: sign('RS256', privateKey, { alg: 'RS256', kid: 'https://elsewhere.example/keys/1' }, claims(c)), verdict: 'unknown_issuer' };

  // Open Badges 2.0, signed with the same RSA key (PEM), and hosted.
  const pem = publicKey.export({ format: 'pem', type: 'spki' });
  const ob2 = {};
  ob2['https://issuer.example/ob2/issuer'] = {
    '@context': 'https://w3id.org/openbadges/v2', type: 'Issuer', id: 'https://issuer.example/ob2/issuer',
    name: 'Riverside Teacher Residency', url: 'https://issuer.example', email: 'badges@issuer.example',
    publicKey: 'https://issuer.example/ob2/key', revocationList: 'https://issuer.example/ob2/revocations',
  };
  ob2['https://issuer.example/ob2/key'] = {
    '@context': 'https://w3id.org/openbadges/v2', type: 'CryptographicKey', id: 'https://issuer.example/ob2/key',
    owner: 'https://issuer.example/ob2/issuer', publicKeyPem: pem,
  };
  ob2['https://issuer.example/ob2/badges/mentor'] = {
    '@context': 'https://w3id.org/openbadges/v2', type: 'BadgeClass', id: 'https://issuer.example/ob2/badges/mentor',
    name: 'Mentor Readiness', description: 'Completed the mentor preparation seminar.', image: 'https://issuer.example/ob2/badges/mentor.png',
    criteria: { narrative: 'Attend the seminar and coach one resident.' }, issuer: 'https://issuer.example/ob2/issuer',
  };
  ob2['https://issuer.example/ob2/revocations'] = {
    '@context': 'https://w3id.org/openbadges/v2', type: 'RevocationList', id: 'https://issuer.example/ob2/revocations',
    issuer: 'https://issuer.example/ob2/issuer',
    revokedAssertions: [{ id: 'urn:uuid:0f0e0d0c-0000-4000-8000-000000000002', revocationReason: 'Issued in error' }],
  };
  const salt = 'deadsea';
  const identity = 'sha256$' + crypto.createHash('sha256').update('resident@district.example' + salt).digest('hex');
  const assertion = (id, verification, extra = {}) => ({
    '@context': 'https://w3id.org/openbadges/v2', type: 'Assertion', id,
    recipient: { type: 'email', hashed: true, salt, identity },
    badge: 'https://issuer.example/ob2/badges/mentor', issuedOn: '2025-06-01T12:00:00Z', verification, ...extra,
  });
  const signedVer = { type: 'SignedBadge', creator: 'https://issuer.example/ob2/key' };
  const rs = (a) => sign('RS256', privateKey, { alg: 'RS256' }, a);
  out['ob2-signed'] = { token: rs(assertion('urn:uuid:0f0e0d0c-0000-4000-8000-000000000001', signedVer)), verdict: 'valid' };
  out['ob2-signed-revoked'] = { token: rs(assertion('urn:uuid:0f0e0d0c-0000-4000-8000-000000000002', signedVer)), verdict: 'revoked' };
  out['ob2-signed-expired'] = { token: rs(assertion('urn:uuid:0f0e0d0c-0000-4000-8000-000000000003', signedVer, { expires: '2025-12-31T00:00:00Z' })), verdict: 'expired' };
  {
    const [h, , s] = out['ob2-signed'].token.split('.');
    const a = assertion('urn:uuid:0f0e0d0c-0000-4000-8000-000000000001', signedVer, { badge: 'https://issuer.example/ob2/badges/mentor', issuedOn: '2025-06-02T12:00:00Z' });
    out['ob2-signed-tampered'] = { token: `${h}.${enc(a)}.${s}`, verdict: 'tampered' };
  }
  const hostedVer = { type: 'HostedBadge' };
  ob2['https://issuer.example/ob2/assertions/1'] = assertion('https://issuer.example/ob2/assertions/1', hostedVer);
  ob2['https://issuer.example/ob2/assertions/2'] = assertion('https://issuer.example/ob2/assertions/2', hostedVer, { revoked: true, revocationReason: 'Left the program' });
  ob2['https://elsewhere.example/ob2/assertions/9'] = assertion('https://elsewhere.example/ob2/assertions/9', hostedVer);
  out['ob2-hosted'] = { token: 'https://issuer.example/ob2/assertions/1', verdict: 'valid' };
  out['ob2-hosted-revoked'] = { token: 'https://issuer.example/ob2/assertions/2', verdict: 'revoked' };
  out['ob2-hosted-wrong-host'] = { token: 'https://elsewhere.example/ob2/assertions/9', verdict: 'tampered' };
  fs.writeFileSync(path.join(ob2dir, 'documents.json'), JSON.stringify(ob2, null, 2) + '\n');

  // Baked by this script (independent of our baker): OB 2.0 PNG (iTXt `openbadges`, the JWS)
  // and an OB 3.0 SVG (verify attribute).
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc32 = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(1, 0); ihdr.writeUInt32BE(1, 4); ihdr[8] = 8; ihdr[9] = 6;
  const idat = zlib.deflateSync(Buffer.from([0, 0x1f, 0x6f, 0xb5, 0xff]));
  const itxt = Buffer.concat([Buffer.from('openbadges\0\0\0\0\0', 'latin1'), Buffer.from(out['ob2-signed'].token, 'utf8')]);
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('iTXt', itxt), chunk('IEND', Buffer.alloc(0))]);
  fs.writeFileSync(path.join(ob2dir, 'signed-baked.png'), png);
}
{
  const tok = out['es256-kid-did-jwk'].token;
  const svg = `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" width="64" height="64"><openbadges:credential verify="${tok}"/><circle cx="32" cy="32" r="30" fill="#2a6"/></svg>\n`;
  fs.writeFileSync(path.join(here, 'es256-baked.svg'), svg);
}
fs.writeFileSync(path.join(here, 'tokens.json'), JSON.stringify(out, null, 2) + '\n');
fs.writeFileSync(path.join(here, 'documents.json'), JSON.stringify(files, null, 2) + '\n');
console.log(Object.keys(out).length, 'tokens');
