// Signs a DIDAuth presentation with Ed25519Signature2020 the way the Learner Credential Wallet
// does (@digitalcredentials/vc signPresentation), with a fixed seed.
import * as vc from '@digitalcredentials/vc';
import {Ed25519VerificationKey2020} from '@digitalcredentials/ed25519-verification-key-2020';
import {Ed25519Signature2020} from '@digitalcredentials/ed25519-signature-2020';
import {securityLoader} from '@digitalcredentials/security-document-loader';
import fs from 'node:fs';

const seed = new Uint8Array(32).fill(7);
const key = await Ed25519VerificationKey2020.generate({seed});
const did = 'did:key:' + key.fingerprint();
key.controller = did;
key.id = did + '#' + key.fingerprint();
const suite = new Ed25519Signature2020({key, date: '2026-12-07T06:00:00Z'});
const sl = securityLoader(); sl.addStatic('https://www.w3.org/ns/credentials/examples/v2', JSON.parse(fs.readFileSync('/work/main/crates/pathledger-signing/contexts/w3c/credentials-examples-v2.jsonld','utf8'))); const documentLoader = sl.build();
const credential = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const mk = (vcs) => {
  const p = vc.createPresentation({holder: did, verifiableCredential: vcs});
  return p;
};
const out = {};
out.didAuth = await vc.signPresentation({presentation: mk(undefined), suite, challenge: 'c0ae4f1e-pathledger', domain: 'verifier.example', documentLoader});
out.withCredential = await vc.signPresentation({presentation: mk([credential]), suite, challenge: 'c0ae4f1e-pathledger', domain: 'verifier.example', documentLoader});
out.didAuthV1 = await vc.signPresentation({presentation: {'@context': ['https://www.w3.org/2018/credentials/v1', 'https://w3id.org/security/suites/ed25519-2020/v1'], type: ['VerifiablePresentation'], holder: did}, suite, challenge: 'c0ae4f1e-pathledger', domain: 'verifier.example', documentLoader});
out.holder = did;
// Verify with the same library, so the fixture is known good there.
const r = await vc.verify({presentation: out.didAuth, suite: new Ed25519Signature2020(), challenge: 'c0ae4f1e-pathledger', domain: 'verifier.example', documentLoader, unsignedPresentation: false});
if (!r.verified) { console.error(JSON.stringify(r, null, 1)); }
out.didAuthVerifiedByLibrary = r.verified;
console.log(JSON.stringify(out, null, 2));
