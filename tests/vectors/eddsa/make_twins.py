#!/usr/bin/env python3
"""Writes the tampered twins of each good signed vector and verify.json (expected verdicts).

Run from tests/vectors/eddsa/: `python3 make_twins.py`. Twins are plain data files so that any
verifier (ours, or a third party's) can be run over them. Each twin changes one thing:
  changed-field      a leaf value (`name`) edited            -> invalid (PROOF_VERIFICATION_ERROR)
  changed-date       `validFrom`/`issuanceDate` moved 1 year  -> invalid
  swapped-proofValue proofValue taken from another vector    -> invalid
  wrong-key          verificationMethod names another key    -> invalid
  truncated-proofValue  not 64 bytes                         -> invalid
  unknown-suite      cryptosuite renamed                      -> malformed (UNKNOWN_CRYPTOSUITE)
  no-proof           proof removed                            -> malformed (NO_PROOF)
"""
import copy, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OTHER_KEY = "z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"  # did:key vector for seed 00..01

# (file relative to tests/vectors, resolver the verifier needs)
BASES = [
    ("w3c-vc-di-eddsa/signedJCS.json", "did:key"),
    ("w3c-vc-di-eddsa/signedDataInt.json", "did:key"),
    ("eddsa/project-ob-jcs.json", "did:key"),
    ("eddsa/project-ob-rdfc.json", "did:key"),
    ("eddsa/status-list-jcs.json", "did:key"),
    ("eddsa/w3c-proof-set.json", "did:key"),
    ("1edtech/1edtech-impl-guide/obv3p0/signed-credential.json", "fragment"),
    ("1edtech/1edtech-impl-guide/clrv2p0/signed-credential.json", "fragment"),
    ("1edtech/1edtech-validator/ob30/simple.json", "fragment"),
    ("1edtech/1edtech-validator/ob30/simple-did-key-method.json", "did:key"),
]
SWAP_SOURCE = "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
SWAP_SOURCE_ALT = "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme"


def first_proof(doc):
    p = doc["proof"]
    return p[0] if isinstance(p, list) else p


def wrong_key(vm):
    base, _, frag = vm.partition("#")
    if vm.startswith("did:key:"):
        return f"did:key:{OTHER_KEY}#{OTHER_KEY}"
    return f"{base}#{OTHER_KEY}"


def twins(doc):
    out = {}
    d = copy.deepcopy(doc)
    d["name"] = d.get("name", "") + " (edited)"
    out["changed-field"] = (d, "invalid", "PROOF_VERIFICATION_ERROR")
    for k in ("validFrom", "issuanceDate"):
        if k in doc:
            d = copy.deepcopy(doc)
            d[k] = str(int(d[k][:4]) + 1) + d[k][4:]
            out["changed-date"] = (d, "invalid", "PROOF_VERIFICATION_ERROR")
            break
    d = copy.deepcopy(doc)
    p = first_proof(d)
    p["proofValue"] = SWAP_SOURCE if p["proofValue"] != SWAP_SOURCE else SWAP_SOURCE_ALT
    out["swapped-proofValue"] = (d, "invalid", "PROOF_VERIFICATION_ERROR")
    d = copy.deepcopy(doc)
    p = first_proof(d)
    p["verificationMethod"] = wrong_key(p["verificationMethod"])
    out["wrong-key"] = (d, "invalid", "PROOF_VERIFICATION_ERROR")
    d = copy.deepcopy(doc)
    p = first_proof(d)
    p["proofValue"] = p["proofValue"][:-3]
    out["truncated-proofValue"] = (d, "invalid", "PROOF_VERIFICATION_ERROR")
    d = copy.deepcopy(doc)
    first_proof(d)["cryptosuite"] = "eddsa-2099"
    out["unknown-suite"] = (d, "malformed", "UNKNOWN_CRYPTOSUITE")
    d = copy.deepcopy(doc)
    del d["proof"]
    out["no-proof"] = (d, "malformed", "NO_PROOF")
    return out


def main():
    cases = []
    os.makedirs(os.path.join(HERE, "twins"), exist_ok=True)
    for rel, resolver in BASES:
        with open(os.path.join(ROOT, rel)) as f:
            doc = json.load(f)
        cases.append({"file": rel, "resolver": resolver, "expect": "verified"})
        stem = rel.replace("/", "__").rsplit(".", 1)[0]
        for kind, (d, verdict, code) in twins(doc).items():
            name = f"eddsa/twins/{stem}--{kind}.json"
            with open(os.path.join(ROOT, name), "w") as f:
                json.dump(d, f, indent=2, ensure_ascii=False)
                f.write("\n")
            cases.append({"file": name, "resolver": resolver, "expect": verdict, "code": code})
    # Project rdfc vector with extensions.json removed from @context: safe mode must refuse it.
    with open(os.path.join(HERE, "project-ob-rdfc.json")) as f:
        doc = json.load(f)
    doc["@context"] = doc["@context"][:2]
    name = "eddsa/twins/project-ob-rdfc--no-extensions-context.json"
    with open(os.path.join(ROOT, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    cases.append({"file": name, "resolver": "did:key", "expect": "malformed", "code": "DATA_LOSS_DETECTION_ERROR",
                  "note": "1EdTechJsonSchemaValidator2019 is only defined by extensions.json (STANDARDS §1.1)"})
    with open(os.path.join(HERE, "project-ob-jcs.json")) as f:
        doc = json.load(f)
    doc["@context"] = doc["@context"][:2]
    name = "eddsa/twins/project-ob-jcs--no-extensions-context.json"
    with open(os.path.join(ROOT, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    cases.append({"file": name, "resolver": "did:key", "expect": "invalid", "code": "PROOF_VERIFICATION_ERROR",
                  "note": "jcs ignores JSON-LD, but the document (and the proof's @context prefix) changed"})
    # Proof set where one of two proofs is tampered: the set fails.
    with open(os.path.join(HERE, "w3c-proof-set.json")) as f:
        doc = json.load(f)
    doc["proof"][1]["proofValue"] = SWAP_SOURCE_ALT[:-1] + ("a" if SWAP_SOURCE_ALT[-1] != "a" else "b")
    name = "eddsa/twins/w3c-proof-set--second-proof-bad.json"
    with open(os.path.join(ROOT, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    cases.append({"file": name, "resolver": "did:key", "expect": "invalid", "code": "PROOF_VERIFICATION_ERROR",
                  "note": "every proof of a set must verify"})

    # 1EdTech validator samples (STANDARDS SOURCES.md §3), verdicts on the proof alone.
    v = "1edtech/1edtech-validator/"
    samples = [
        ("ob30/simple-context-alias.json", "fragment", "verified", None, None),
        ("ob30/simple-context-version.json", "fragment", "verified", None, "OB context 3.0.2"),
        ("ob30/simple-did-web-method.json", "fragment", "verified", None,
         "its verificationMethod is an https URL with the key in the fragment, despite the name"),
        ("ob30/complete.json", "fragment", "verified", None, "1EdTech fails it only for a 404 schema URL"),
        ("ob30/endorsement-valid.json", "fragment", "verified", None, None),
        ("ob30/simple-err-expired.json", "fragment", "verified", None, "expired, but the proof is fine"),
        ("ob30/simple-err-proof-value.json", "fragment", "invalid", "PROOF_VERIFICATION_ERROR", "intended negative case"),
        ("ob30/simple-multiple-proofs.json", "fragment", "malformed", "UNKNOWN_CRYPTOSUITE",
         "second proof has type SomeProofType: a proof set with an unknown proof fails"),
        ("ob30/bit-string-list/credential-status-revoked.json", "fragment", "verified", None, "revoked, but the proof is fine"),
        ("ob30/bit-string-list/testlist", "fragment", "verified", None, None),
        ("clr20/simple.json", "fragment", "verified", None, None),
        ("ob30/simple.json", "did:key", "could_not_check", "KEY_RESOLUTION_ERROR",
         "an https verification method cannot be resolved offline without a resolver for it"),
    ]
    for rel, resolver, verdict, code, note in samples:
        c = {"file": v + rel, "resolver": resolver, "expect": verdict}
        if code:
            c["code"] = code
        if note:
            c["note"] = note
        cases.append(c)
    manifest = {
        "about": "Expected verify_document verdicts. resolver: `did:key` = DidKeyResolver only; `fragment` = "
                 "did:key plus a test resolver reading the Multikey from an https URL's fragment (stands in for "
                 "fetching the issuer profile). Generated by make_twins.py.",
        "cases": cases,
    }
    with open(os.path.join(HERE, "verify.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
