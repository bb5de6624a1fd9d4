//! Claiming a credential into a wallet by the VC-API exchange, end to end with the Learner
//! Credential Wallet's own libraries: `tests/lcw/wallet.mjs` (Digital Credentials Consortium
//! `@digitalcredentials/vc`, `ed25519-signature-2020`, `did-method-key`, `data-integrity`,
//! `eddsa-rdfc-2022-cryptosuite`, and Digital Bazaar's `eddsa-jcs-2022-cryptosuite`; installed by
//! `npm ci --prefix tests/lcw`) follows the claim page's deep link against our server on
//! loopback, signs its DIDAuth presentation as LCW does and verifies the credential it gets.
//! Then every boundary from the wrong side: other people, signed out, wrong challenge, wrong
//! domain, tampered or holderless presentations, expired, unknown and used exchanges.
//! `PATHLEDGER_REQUIRE_LCW=1` (set by `.ci/run`) turns missing node or libraries into a failure.

mod common;

use std::path::PathBuf;

use axum::http::{header, Method, StatusCode};
use common::*;
use pathledger_signing::{sign_document, Cryptosuite, ProofOptions, SigningKey};
use serde_json::{json, Value};

fn lcw_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lcw")
}

/// Whether node and the wallet's libraries are installed; with `PATHLEDGER_REQUIRE_LCW=1` their
/// absence fails the test instead of skipping it.
fn lcw_available() -> bool {
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let modules = lcw_dir()
        .join("node_modules/@digitalcredentials/vc/package.json")
        .exists()
        && lcw_dir()
            .join("node_modules/@digitalbazaar/eddsa-jcs-2022-cryptosuite/package.json")
            .exists();
    if node && modules {
        return true;
    }
    let what = if node {
        "the wallet's libraries are not installed (npm ci --prefix tests/lcw)"
    } else {
        "node is not installed"
    };
    assert!(
        std::env::var("PATHLEDGER_REQUIRE_LCW").as_deref() != Ok("1"),
        "PATHLEDGER_REQUIRE_LCW=1 but {what}"
    );
    eprintln!("skipping the Learner Credential Wallet test: {what}");
    false
}

/// Runs the wallet script with `opts`; its one JSON line.
async fn wallet(opts: Value) -> Value {
    let out = tokio::process::Command::new("node")
        .current_dir(lcw_dir())
        .arg("wallet.mjs")
        .arg(opts.to_string())
        .output()
        .await
        .expect("run node wallet.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "wallet.mjs printed no JSON ({e}): status {:?}\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const SEED_A: &str = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const SEED_B: &str = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";

/// A credential Jordan holds that is valid now.
async fn jordans_credential(env: &TestEnv) -> String {
    let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    env.app
        .store()
        .credentials_for_educator(&env.educator_id(JORDAN))
        .await
        .expect("credentials")
        .into_iter()
        .find(|c| {
            c.status == pathledger_store::CredentialStatus::Active
                && c.valid_until_ms.is_none_or(|u| u > now + 3_600_000)
        })
        .expect("Jordan holds a valid credential")
        .id
}

/// The `href` of the element with `id`, HTML entities undone.
fn href_of(html: &str, id: &str) -> String {
    let tag = html
        .split(&format!("id=\"{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let tag = &tag[..tag.find('>').expect("tag end")];
    tag.split("href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("#{id} has no href"))
        .replace("&amp;", "&")
}

/// Opens the claim page as `session`: the page, its deep link and its exchange id.
async fn claim_page(env: &TestEnv, session: &Session, id: &str) -> (String, String, String) {
    let r = env
        .call(session.get(&format!("/credentials/{id}/claim")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.headers.get(header::CACHE_CONTROL).unwrap(),
        "private, no-store"
    );
    let html = r.text();
    let link = href_of(&html, "open-lcw");
    let request = link
        .strip_prefix("https://lcw.app/request?request=")
        .expect("an LCW request= link");
    let request: Value = serde_json::from_str(&percent_decode(request)).expect("request JSON");
    let vcapi = request["protocols"]["vcapi"].as_str().expect("vcapi URL");
    let exchange = vcapi.rsplit('/').next().expect("exchange id").to_owned();
    (html, link, exchange)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// A POST of JSON to the exchange, anonymous, through the router.
async fn post_exchange(env: &TestEnv, exchange: &str, body: &Value) -> Resp {
    env.call(json_req(
        Method::POST,
        &format!("/workflows/claim/exchanges/{exchange}"),
        None,
        body,
    ))
    .await
}

/// A DIDAuth presentation made with our own signer (for the refusals that need no wallet).
fn our_vp(key: &SigningKey, challenge: &str, domain: &str) -> Value {
    let did = key.public_key().did_key();
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did,
    });
    let mut opts = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        key.public_key().did_key_verification_method(),
    );
    opts.proof_purpose = "authentication".into();
    opts.challenge = Some(challenge.into());
    opts.domain = Some(domain.into());
    sign_document(&vp, key, &opts).expect("sign")
}

async fn verify_copy(env: &TestEnv, credential: &Value) -> Value {
    let r = env
        .call(json_req(
            Method::POST,
            "/credentials/verify",
            None,
            &json!({"verifiableCredential": credential}),
        ))
        .await;
    r.json()
}

async fn claim_end_to_end(postgres: bool) {
    if !lcw_available() {
        return;
    }
    let Some((env, addr, server)) = start_server(postgres).await else {
        return;
    };
    let base = format!("http://{addr}");
    let original = jordans_credential(&env).await;
    let jordan = sign_in(&env, JORDAN).await;

    // The dashboard and the credential's own page offer it to its holder.
    let dash = env.call(jordan.get("/dashboard")).await.text();
    assert!(
        dash.contains(&format!("href=\"/credentials/{original}/claim\"")),
        "dashboard: {dash}"
    );
    let page = env
        .call(jordan.get(&format!("/credentials/{original}")))
        .await
        .text();
    assert_eq!(
        href_of(&page, "add-to-wallet"),
        format!("/credentials/{original}/claim")
    );
    // Not to anyone else, signed in or not.
    for html in [
        env.call(get(&format!("/credentials/{original}")))
            .await
            .text(),
        env.call(
            sign_in(&env, ADMIN)
                .await
                .get(&format!("/credentials/{original}")),
        )
        .await
        .text(),
    ] {
        assert!(!html.contains("id=\"add-to-wallet\""));
    }

    // The claim page: QR code, button, expiry, single use, the other wallets' page.
    let (html, link, exchange) = claim_page(&env, &jordan, &original).await;
    assert!(html.contains("class=\"qr\""), "a QR code: {html}");
    assert!(html.contains("This link works once"));
    assert!(html.contains("(15 minutes)"));
    assert_eq!(
        href_of(&html, "oid4vci"),
        format!("/credentials/{original}/claim/oid4vci")
    );
    assert!(html.contains("No wallet has taken a copy yet."));
    let request: Value = serde_json::from_str(&percent_decode(
        link.strip_prefix("https://lcw.app/request?request=")
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(
        request,
        json!({"credentialRequestOrigin": base,
               "protocols": {"vcapi": format!("{base}/workflows/claim/exchanges/{exchange}")}})
    );
    assert!(
        exchange.len() >= 43,
        "an unguessable exchange id: {exchange}"
    );

    // A wrong challenge, a wrong domain, a tampered or holderless presentation: refused, and
    // the claim stays unspent.
    for (opts, field) in [
        (
            json!({"challenge": "a-challenge-of-my-own"}),
            "/verifiablePresentation/proof/challenge",
        ),
        (
            json!({"domain": "evil.example"}),
            "/verifiablePresentation/proof/domain",
        ),
        (json!({"tamper": true}), "/verifiablePresentation/proof"),
        (json!({"noHolder": true}), "/verifiablePresentation/holder"),
    ] {
        let mut o = opts.clone();
        o["link"] = json!(link);
        o["base"] = json!(base);
        o["seed"] = json!(SEED_B);
        let out = wallet(o).await;
        assert_eq!(out["status"], 422, "{opts}: {out}");
        assert_eq!(out["body"]["code"], "invalid_input", "{out}");
        assert_eq!(out["body"]["field"], field, "{opts}: {out}");
    }

    // The wallet claims it: the credential it gets is made out to its DID and verifies with
    // the wallet's own libraries.
    let out = wallet(json!({"link": link, "base": base, "seed": SEED_A})).await;
    assert_eq!(out["status"], 200, "{out}");
    let did = out["did"].as_str().expect("wallet DID").to_owned();
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    assert_eq!(out["vpr"]["query"][0]["type"], "DIDAuthentication");
    assert_eq!(out["vpr"]["domain"], addr.to_string());
    assert_eq!(
        out["presentation"]["proof"]["type"], "Ed25519Signature2020",
        "LCW signs with Ed25519Signature2020"
    );
    let vp = &out["body"]["verifiablePresentation"];
    assert_eq!(vp["type"], json!(["VerifiablePresentation"]));
    let copy = vp["verifiableCredential"][0].clone();
    assert_eq!(copy["credentialSubject"]["id"], did.as_str(), "{copy}");
    assert_ne!(copy["id"], original.as_str(), "a copy of its own");
    assert_eq!(
        out["verified"], true,
        "the DCC libraries verify the copy: {out}"
    );
    let copy_id = copy["id"].as_str().unwrap().to_owned();
    // Our verifier agrees.
    let v = verify_copy(&env, &copy).await;
    assert_eq!(v["verified"], true, "{v}");

    // Used: another wallet is refused; the same wallet retrying gets the same credential.
    let other = wallet(json!({"link": link, "base": base, "seed": SEED_B})).await;
    assert_eq!(other["status"], 409, "{other}");
    assert_eq!(other["body"]["code"], "conflict");
    let again = wallet(json!({"link": link, "base": base, "seed": SEED_A})).await;
    assert_eq!(again["status"], 200, "{again}");
    assert_eq!(
        again["body"]["verifiablePresentation"]["verifiableCredential"][0]["id"],
        copy_id.as_str()
    );

    // The claim page shows it used, by which wallet, with its copy.
    let (html, _, fresh) = claim_page(&env, &jordan, &original).await;
    assert_ne!(fresh, exchange, "every visit makes a fresh claim");
    let wallets = html.split("id=\"wallets\"").nth(1).expect("wallets table");
    assert!(wallets.contains(&did), "{wallets}");
    assert!(wallets.contains("Used: a wallet took its copy"));
    assert!(wallets.contains(&format!("href=\"/credentials/{copy_id}\"")));

    // The Interaction URL form of the fresh claim works the same way.
    let iu = html
        .split("id=\"interaction-url\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("interaction URL")
        .replace("&amp;", "&");
    assert!(iu.ends_with("?iuv=1"), "{iu}");
    let out = wallet(json!({"link": iu, "base": base, "seed": SEED_B})).await;
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(
        out["request"],
        json!({"protocols": {"vcapi": format!("{base}/workflows/claim/exchanges/{fresh}")}})
    );
    assert_eq!(out["verified"], true, "{out}");

    // LCW's older link on a third claim: the bare presentation, the link's challenge.
    let (html, _, _) = claim_page(&env, &jordan, &original).await;
    let legacy = href_of(&html, "legacy-link");
    assert!(legacy.starts_with("https://lcw.app/request.html?issuer="));
    let out = wallet(json!({"link": legacy, "base": base, "seed": SEED_A})).await;
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["verified"], true, "{out}");
    assert_eq!(
        out["body"]["verifiableCredential"][0]["credentialSubject"]["id"],
        did.as_str()
    );

    // Revoking the original revokes the wallet's copy.
    let r = env
        .call(json_req(
            Method::POST,
            &format!("/api/v1/credentials/{original}/revoke"),
            Some(&env.token(ISSUER)),
            &json!({"reason": "issued in error"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = verify_copy(&env, &copy).await;
    assert_eq!(v["verified"], false, "{v}");
    assert!(v.to_string().contains("REVOKED"), "{v}");
    // And a revoked credential makes no more claims.
    let r = env
        .call(jordan.get(&format!("/credentials/{original}/claim")))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    server.abort();
}

#[tokio::test]
async fn a_wallet_claims_a_credential_by_vc_api_sqlite() {
    claim_end_to_end(false).await;
}

#[tokio::test]
async fn a_wallet_claims_a_credential_by_vc_api_postgres() {
    claim_end_to_end(true).await;
}

#[tokio::test]
async fn only_the_holder_gets_a_claim_page() {
    let env = sqlite_env().await;
    let original = jordans_credential(&env).await;
    // Signed out: to the sign-in page.
    let r = env
        .call(get(&format!("/credentials/{original}/claim")))
        .await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/login");
    // Anyone else, even the organization's admin and issuer: the same 404 as a missing one.
    let missing = env
        .call(
            sign_in(&env, AVERY)
                .await
                .get("/credentials/urn:uuid:00000000-0000-4000-8000-000000000000/claim"),
        )
        .await;
    let missing = missing.problem(StatusCode::NOT_FOUND);
    for who in [AVERY, CASEY, ADMIN, ISSUER, HILLCREST_ADMIN] {
        let s = sign_in(&env, who).await;
        let r = env
            .call(s.get(&format!("/credentials/{original}/claim")))
            .await;
        let p = r.problem(StatusCode::NOT_FOUND);
        assert_eq!(p["detail"], missing["detail"], "{who}");
    }
    // A browser is shown the refusal as a page.
    let s = sign_in(&env, AVERY).await;
    let mut req = s.get(&format!("/credentials/{original}/claim"));
    req.headers_mut()
        .insert(header::ACCEPT, "text/html".parse().unwrap());
    let r = env.call(req).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("<h1>"), "{}", r.text());
    // Nobody but Jordan made a claim: the holder's page lists none.
    let jordan = sign_in(&env, JORDAN).await;
    let (html, _, _) = claim_page(&env, &jordan, &original).await;
    assert!(!html.contains("id=\"unused-links\""), "{html}");
}

#[tokio::test]
async fn exchanges_refuse_what_they_should() {
    let env = sqlite_env().await;
    let original = jordans_credential(&env).await;
    let jordan = sign_in(&env, JORDAN).await;
    let domain = "pathledger.test";
    let key = SigningKey::from_seed([7; 32]);

    // Unknown exchange ids, whatever their shape.
    for id in [
        "nope",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &"x".repeat(500),
    ] {
        let r = post_exchange(&env, id, &json!({})).await;
        r.problem(StatusCode::NOT_FOUND);
    }

    let (_, _, exchange) = claim_page(&env, &jordan, &original).await;
    let r = post_exchange(&env, &exchange, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let vpr = r.json()["verifiablePresentationRequest"].clone();
    assert_eq!(
        vpr["query"],
        json!([{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}],
                "acceptedCryptosuites": [{"cryptosuite": "Ed25519Signature2020"},
                                         {"cryptosuite": "eddsa-rdfc-2022"}]}])
    );
    assert_eq!(vpr["domain"], domain);
    let challenge = vpr["challenge"].as_str().unwrap().to_owned();
    assert!(challenge.len() >= 43);
    assert!(!challenge.contains(&exchange));
    // The same exchange asks the same challenge; another exchange another one.
    let again = post_exchange(&env, &exchange, &json!({})).await.json();
    assert_eq!(
        again["verifiablePresentationRequest"]["challenge"],
        challenge
    );
    let (_, _, second) = claim_page(&env, &jordan, &original).await;
    let other = post_exchange(&env, &second, &json!({})).await.json();
    assert_ne!(
        other["verifiablePresentationRequest"]["challenge"],
        challenge
    );

    // A presentation answering the other exchange's challenge is refused here.
    let vp = our_vp(
        &key,
        other["verifiablePresentationRequest"]["challenge"]
            .as_str()
            .unwrap(),
        domain,
    );
    let p = post_exchange(&env, &exchange, &json!({"verifiablePresentation": vp}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "/verifiablePresentation/proof/challenge");
    // Bodies that are neither step.
    for (body, field) in [
        (json!({"presentation": {}}), "/verifiablePresentation"),
        (json!([]), "/"),
        (
            json!({"verifiablePresentation": "a string"}),
            "/verifiablePresentation",
        ),
        (
            json!({"verifiablePresentation": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"], "holder": key.public_key().did_key()}}),
            "/verifiablePresentation/proof",
        ),
        (
            json!({"verifiablePresentation": {"holder": "https://not-a-did.example"}}),
            "/verifiablePresentation/holder",
        ),
    ] {
        let p = post_exchange(&env, &exchange, &body)
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    // Not JSON, not declared JSON, too large.
    let r = env
        .call(raw_json_req(
            Method::POST,
            &format!("/workflows/claim/exchanges/{exchange}"),
            None,
            "{not json",
        ))
        .await;
    r.problem(StatusCode::BAD_REQUEST);
    let big = json!({"verifiablePresentation": {"padding": "x".repeat(70 * 1024)}});
    post_exchange(&env, &exchange, &big)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
    // A signed-in browser's cookie lends the exchange nothing and is not needed.
    let mut req = jordan.json(
        Method::POST,
        &format!("/workflows/claim/exchanges/{exchange}"),
        &json!({}),
    );
    req.headers_mut().remove("x-csrf-token");
    assert_eq!(env.call(req).await.status, StatusCode::OK);

    // Our own eddsa-rdfc-2022 presentation with the right challenge and domain spends it.
    let vp = our_vp(&key, &challenge, domain);
    let r = post_exchange(&env, &exchange, &json!({"verifiablePresentation": vp})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let copy = &r.json()["verifiablePresentation"]["verifiableCredential"][0];
    assert_eq!(copy["credentialSubject"]["id"], key.public_key().did_key());

    // Expired: a claim whose expiry has passed (made through the store with that expiry).
    let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let (_, expired) = env
        .app
        .store()
        .create_wallet_claim(&original, "vcapi", now - 1)
        .await
        .expect("claim");
    let p = post_exchange(&env, &expired, &json!({}))
        .await
        .problem(StatusCode::GONE);
    assert_eq!(p["code"], "exchange_expired");
    let vp = our_vp(
        &key,
        &pathledger_app::wallet_exchange::exchange_challenge(&expired),
        domain,
    );
    let p = post_exchange(&env, &expired, &json!({"verifiablePresentation": vp}))
        .await
        .problem(StatusCode::GONE);
    assert_eq!(p["code"], "exchange_expired");
    // The Interaction URL of an expired claim is refused too.
    let r = env
        .call(get(&format!(
            "/workflows/claim/interactions/{expired}?iuv=1"
        )))
        .await;
    assert_eq!(r.status, StatusCode::GONE);

    // An OpenID4VCI claim is no VC-API exchange.
    let (_, oid) = env
        .app
        .store()
        .create_wallet_claim(&original, "oid4vci", now + 600_000)
        .await
        .expect("claim");
    post_exchange(&env, &oid, &json!({}))
        .await
        .problem(StatusCode::NOT_FOUND);
}
