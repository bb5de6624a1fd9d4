// A wallet claiming a credential the way the Learner Credential Wallet does, with the libraries
// LCW itself uses (Digital Credentials Consortium): it follows the deep link (a `request=`
// message, an Interaction URL, or the legacy `vc_request_url` link), POSTs `{}` to the VC-API
// exchange, reads the DIDAuthentication request, signs a presentation with a did:key
// (`Ed25519Signature2020`, the request's challenge and domain), POSTs it, and verifies the
// credential it gets back with the same libraries (Data Integrity eddsa-rdfc-2022 or
// eddsa-jcs-2022).
//
// Usage: node wallet.mjs '<JSON options>'; prints one JSON line:
//   {"did", "vcapi", "request", "status", "body", "verified", "verifyErrors"}
// Options: link (the deep link), seed (64 hex: the wallet key's seed, for a known DID),
//   challenge / domain (sign with these instead of the request's: a wrong answer),
//   tamper (change the presentation after signing), noHolder (leave `holder` out),
//   base (the server's http origin: did:web documents are read from it over plain http).

import { Ed25519VerificationKey2020 } from '@digitalcredentials/ed25519-verification-key-2020';
import { Ed25519Signature2020 } from '@digitalcredentials/ed25519-signature-2020';
import * as didKey from '@digitalcredentials/did-method-key';
import * as vc from '@digitalcredentials/vc';
import { securityLoader } from '@digitalcredentials/security-document-loader';
import { DataIntegrityProof } from '@digitalcredentials/data-integrity';
import { cryptosuite as rdfcSuite } from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import { createVerifyCryptosuite as jcsVerifySuite } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';

const opts = JSON.parse(process.argv[2] ?? '{}');
const out = {};

function fail(message) {
  out.error = message;
  console.log(JSON.stringify(out));
  process.exit(2);
}

// The wallet's DID, as LCW mints it: an Ed25519 key and its did:key.
const didKeyDriver = didKey.driver();
didKeyDriver.use({ multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519VerificationKey2020.from });
const seed = opts.seed ? Uint8Array.from(Buffer.from(opts.seed, 'hex')) : undefined;
const verificationKeyPair = await Ed25519VerificationKey2020.generate(seed ? { seed } : {});
const { didDocument, methodFor } = await didKeyDriver.fromKeyPair({ verificationKeyPair });
const did = didDocument.id;
out.did = did;
// The key pair with its private half, named as the DID document names it.
const key = verificationKeyPair;
const method = methodFor({ purpose: 'authentication' });
key.id = method.id;
key.controller = did;

// LCW's loader, plus our server's did:web documents read over plain http (a test server on
// loopback has no https); nothing else is fetched.
const base = securityLoader().build();
async function didWeb(url) {
  const [didPart, fragment] = url.split('#');
  const parts = didPart.slice('did:web:'.length).split(':').map(decodeURIComponent);
  const host = parts.shift();
  const path = parts.length ? `/${parts.join('/')}/did.json` : '/.well-known/did.json';
  const origin = new URL(opts.base);
  if (host !== origin.host) throw new Error(`did:web host ${host} is not the test server`);
  const doc = await (await fetch(`${origin.origin}${path}`)).json();
  if (!fragment) return doc;
  const vm = (doc.verificationMethod ?? []).find(m => m.id === url || m.id === `#${fragment}`);
  if (!vm) throw new Error(`no verification method ${url}`);
  return { '@context': doc['@context'], ...vm };
}
const documentLoader = async url => {
  if (url.startsWith('did:web:')) {
    return { contextUrl: null, documentUrl: url, document: await didWeb(url) };
  }
  return base(url);
};

async function postJson(url, body) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: r.status, body: json };
}

async function signedPresentation(challenge, domain) {
  const presentation = vc.createPresentation(opts.noHolder ? {} : { holder: did });
  const suite = new Ed25519Signature2020({ key });
  const vp = await vc.signPresentation({
    presentation, suite, documentLoader,
    challenge: opts.challenge ?? challenge,
    domain: opts.domain ?? domain,
  });
  if (opts.tamper) vp.id = 'urn:uuid:00000000-0000-4000-8000-000000000000';
  return vp;
}

async function verifyIssued(credential) {
  const suite = [
    new DataIntegrityProof({ cryptosuite: rdfcSuite }),
    new DataIntegrityProof({ cryptosuite: jcsVerifySuite() }),
  ];
  // Status is our own verifier's part (the Rust test asks /credentials/verify); the DCC
  // libraries insist on a function when a credential has a status entry.
  const result = await vc.verifyCredential({
    credential, suite, documentLoader,
    checkStatus: async () => ({ verified: true }),
  });
  out.verified = result.verified;
  if (!result.verified) {
    out.verifyErrors = (result.results ?? []).map(r => String(r.error?.message ?? r.error))
      .concat(result.error ? [String(result.error.message ?? result.error)] : []);
  }
}

const link = new URL(opts.link);
if (link.searchParams.has('vc_request_url')) {
  // LCW's legacy link: the bare signed presentation (challenge from the link, no domain).
  if (link.searchParams.get('auth_type') !== 'bearer') fail('LCW accepts only auth_type=bearer');
  const vp = await signedPresentation(link.searchParams.get('challenge'), undefined);
  const r = await postJson(link.searchParams.get('vc_request_url'), vp);
  out.status = r.status;
  out.body = r.body;
  const issued = r.body?.verifiableCredential
    ? [].concat(r.body.verifiableCredential)[0]
    : (r.body?.credentialSubject ? r.body : undefined);
  if (issued) await verifyIssued(issued);
  console.log(JSON.stringify(out));
  process.exit(0);
}

let vcapi;
if (link.searchParams.has('request')) {
  const request = JSON.parse(link.searchParams.get('request'));
  out.request = request;
  vcapi = request?.protocols?.vcapi;
} else if (link.searchParams.has('iuv')) {
  const r = await fetch(link, { headers: { accept: 'application/json' } });
  const j = await r.json();
  out.request = j;
  vcapi = j?.protocols?.vcapi;
}
if (!vcapi) fail('the link offers no vcapi exchange');
out.vcapi = vcapi;

// (1) Start the exchange; (2) read the request.
const start = await postJson(vcapi, {});
out.startStatus = start.status;
const vpr = start.body?.verifiablePresentationRequest;
out.vpr = vpr;
if (!vpr) { out.status = start.status; out.body = start.body; console.log(JSON.stringify(out)); process.exit(0); }
const queries = [].concat(vpr.query ?? []);
const didAuth = queries.filter(q => q.type === 'DIDAuthentication');
if (didAuth.length !== 1) fail('LCW needs exactly one DIDAuthentication query');
if (!vpr.challenge || !vpr.domain) fail('LCW needs a challenge and a domain');

// (3) Answer it; (4) send the presentation to the same URL.
const vp = await signedPresentation(vpr.challenge, vpr.domain);
out.presentation = vp;
const r = await postJson(vcapi, { verifiablePresentation: vp });
out.status = r.status;
out.body = r.body;

// (5) The credentials it sent back.
const issued = r.body?.verifiablePresentation?.verifiableCredential;
if (Array.isArray(issued) && issued.length) await verifyIssued(issued[0]);
console.log(JSON.stringify(out));
