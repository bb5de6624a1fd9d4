//! Other issuers' credentials: the 1EdTech validator and implementation-guide samples
//! (tests/vectors/1edtech) each get the verdict a conforming verifier must give.

use pathledger_badges::*;
use pathledger_signing::{DidKeyResolver, KeyResolver, PublicKey, ResolveError, ResolvedKey};
use serde_json::Value;
use time::macros::datetime;

/// The 1EdTech samples name keys as `<issuer URL>#<Multikey>`: the key is in the fragment and the
/// part before `#` is its controller. did:key methods resolve offline.
struct FragmentResolver;

impl KeyResolver for FragmentResolver {
    fn resolve(&self, vm: &str) -> Result<ResolvedKey, ResolveError> {
        if vm.starts_with("did:key:") {
            return DidKeyResolver.resolve(vm);
        }
        let (controller, fragment) = vm
            .split_once('#')
            .ok_or_else(|| ResolveError::NotFound(vm.to_owned()))?;
        let public_key = PublicKey::from_multibase(fragment)
            .map_err(|e| ResolveError::NotFound(e.to_string()))?;
        Ok(ResolvedKey {
            public_key,
            controller: controller.to_owned(),
        })
    }
}

macro_rules! sample {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!("../../../tests/vectors/1edtech/", $path)),
        )
    };
}

#[test]
fn one_edtech_samples_get_the_expected_verdicts() {
    let list = include_str!(
        "../../../tests/vectors/1edtech/1edtech-validator/ob30/bit-string-list/testlist"
    );
    let mut fetcher = StaticFetcher::new();
    fetcher.insert(
        "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/main/inspector-vc/src/test/resources/ob30/bit-string-list/testlist",
        serde_json::from_str(list).expect("testlist"),
    );
    let verifier = Verifier {
        resolver: &FragmentResolver,
        fetcher: &fetcher,
        trust: TrustList {
            accept_any: true,
            ..Default::default()
        },
        now: Some(datetime!(2025-06-01 0:00 UTC)),
        check_schema: true,
    };
    let cases = [
        (
            sample!("1edtech-validator/ob30/simple.json"),
            Verdict::Valid,
        ),
        (
            sample!("1edtech-validator/ob30/simple-context-alias.json"),
            Verdict::Valid,
        ),
        (
            sample!("1edtech-validator/ob30/simple-context-version.json"),
            Verdict::Valid,
        ),
        (
            sample!("1edtech-validator/ob30/simple-did-web-method.json"),
            Verdict::Valid,
        ),
        (
            sample!("1edtech-validator/ob30/endorsement-valid.json"),
            Verdict::Valid,
        ),
        (
            sample!("1edtech-validator/clr20/simple.json"),
            Verdict::Valid,
        ),
        (
            sample!("1edtech-impl-guide/obv3p0/signed-credential.json"),
            Verdict::Valid,
        ),
        (
            sample!("1edtech-impl-guide/clrv2p0/signed-credential.json"),
            Verdict::Valid,
        ),
        // Signed by a did:key while the issuer is a urn:uuid: the key is not the issuer's.
        (
            sample!("1edtech-validator/ob30/simple-did-key-method.json"),
            Verdict::UnknownIssuer,
        ),
        (
            sample!("1edtech-validator/ob30/simple-err-expired.json"),
            Verdict::Expired,
        ),
        (
            sample!("1edtech-validator/ob30/simple-err-proof-value.json"),
            Verdict::Tampered,
        ),
        // A proof of an unknown type is never skipped: every proof of a set must verify, and
        // one we cannot check leaves the credential unsupported_format, never valid.
        (
            sample!("1edtech-validator/ob30/simple-multiple-proofs.json"),
            Verdict::UnsupportedFormat,
        ),
        // 1EdTechRevocationList is not a status method we implement: say so, do not guess.
        (
            sample!("1edtech-validator/ob30/complete.json"),
            Verdict::CouldNotCheck,
        ),
        (
            sample!("1edtech-validator/ob30/bit-string-list/credential-status-revoked.json"),
            Verdict::Revoked,
        ),
    ];
    let mut failures = Vec::new();
    for ((path, text), want) in cases {
        let doc: Value = serde_json::from_str(text).expect("sample json");
        let r = verifier.verify(&doc);
        if r.verdict != want {
            failures.push(format!(
                "{path}: got {:?}, want {want:?}: {}",
                r.verdict,
                r.to_json()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
