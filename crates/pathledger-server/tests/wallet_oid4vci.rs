//! Claiming a credential into a wallet by OpenID for Verifiable Credential Issuance 1.0
//! (pre-authorized code flow), against a real server on 127.0.0.1:
//!
//! - end to end with an independent wallet client, Sphereon's `@sphereon/oid4vci-client`
//!   under Node (`tests/oid4vci/wallet.mjs`, installed by `npm ci --prefix tests/oid4vci`):
//!   it reads the offer of the holder's page, the metadata, exchanges the code and the
//!   transaction code, gets a nonce and proves its own Ed25519 key (as a did:key `kid`, and
//!   as a `jwk`); the credential it receives is made out to its DID and verifies;
//! - the rules, with a client written here from the specification's messages (§6, §7, §8,
//!   App. F.1): single-use codes, spent nonces, wrong audiences, expired claims, 5 wrong
//!   transaction codes, tokens that fetch only their own claim, who may open the offer page.
//!
//! `PATHLEDGER_REQUIRE_OID4VCI_WALLET=1` (set by `.ci/run`) turns a missing node or client
//! into a failure. Screenshots of the offer page: `test-artifacts/journey-oid4vci-*.png`.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use pathledger_signing::SigningKey;
use serde_json::{json, Value};

const PRE_AUTH: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

fn wallet_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oid4vci")
}

/// Whether the independent wallet can run; `false` (with a message) when node or its modules
/// are missing and not required.
fn wallet_available() -> bool {
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let modules = wallet_dir()
        .join("node_modules/@sphereon/oid4vci-client/package.json")
        .exists();
    if node && modules {
        return true;
    }
    let what = if node {
        "the wallet client is not installed (npm ci --prefix tests/oid4vci)"
    } else {
        "node is not installed"
    };
    assert!(
        std::env::var("PATHLEDGER_REQUIRE_OID4VCI_WALLET").as_deref() != Ok("1"),
        "PATHLEDGER_REQUIRE_OID4VCI_WALLET=1 but {what}"
    );
    eprintln!("skipping the independent OID4VCI wallet (Sphereon): {what}");
    false
}

/// Runs the independent wallet on a deep link and transaction code; its JSON answer.
async fn independent_wallet(deep_link: &str, tx_code: &str, jwk: bool) -> Value {
    let (link, tx) = (deep_link.to_owned(), tx_code.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new("node");
        cmd.current_dir(wallet_dir())
            .arg("wallet.mjs")
            .arg(link)
            .arg(tx);
        if jwk {
            cmd.arg("--jwk");
        }
        cmd.output().expect("run node wallet.mjs")
    })
    .await
    .expect("wallet task");
    assert!(
        out.status.success(),
        "the wallet failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().expect("the wallet's answer");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("wallet answer {line}: {e}"))
}

/// What the holder's offer page shows: the deep link and the transaction code.
struct Shown {
    deep_link: String,
    tx_code: String,
    offer_uri: String,
}

fn between<'a>(html: &'a str, after: &str, start: &str, end: &str) -> &'a str {
    let rest = &html[html
        .find(after)
        .unwrap_or_else(|| panic!("{after} in {html}"))..];
    let rest = &rest[rest.find(start).expect(start) + start.len()..];
    &rest[..rest.find(end).expect(end)]
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
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

async fn open_offer_page(env: &TestEnv, session: &Session, credential: &str) -> Shown {
    let r = env
        .call(session.get(&format!("/credentials/{credential}/claim/oid4vci")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers["cache-control"], "no-store");
    let html = r.text();
    let deep_link = between(&html, "id=\"offer-link\"", "href=\"", "\"").to_owned();
    let tx_code = between(&html, "id=\"tx-code\"", ">", "<").to_owned();
    assert!(
        deep_link.starts_with("openid-credential-offer://?credential_offer_uri="),
        "{deep_link}"
    );
    assert!(
        tx_code.len() == 6 && tx_code.bytes().all(|b| b.is_ascii_digit()),
        "{tx_code}"
    );
    assert!(html.contains("works once"), "single-use wording");
    assert!(html.contains("UTC"), "expiry shown");
    assert!(html.contains("<svg class=\"qr\""), "QR code");
    let offer_uri = percent_decode(deep_link.split_once('=').expect("query").1);
    Shown {
        deep_link,
        tx_code,
        offer_uri,
    }
}

/// A wallet written from the specification: its own Ed25519 key and HTTP client.
struct SpecWallet {
    key: SigningKey,
    http: reqwest::Client,
    base: String,
}

impl SpecWallet {
    fn new(base: &str) -> Self {
        Self {
            key: SigningKey::generate().expect("key"),
            http: reqwest::Client::new(),
            base: base.to_owned(),
        }
    }

    fn did(&self) -> String {
        self.key.public_key().did_key()
    }

    /// A key proof JWT (App. F.1) with a did:key `kid`.
    fn proof(&self, aud: &str, nonce: &str) -> String {
        let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA",
            "kid": self.key.public_key().did_key_verification_method()});
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({"aud": aud, "iat": now, "nonce": nonce});
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(claims.to_string());
        let sig = self.key.sign_raw(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    async fn get(&self, url: &str) -> (StatusCode, Value) {
        let r = self.http.get(url).send().await.expect("GET");
        let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The token request with `form` pairs; status, headers' Cache-Control and body.
    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, String, Value) {
        let r = self
            .http
            .post(format!("{}/oid4vci/token", self.base))
            .form(form)
            .send()
            .await
            .expect("token");
        let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
        let cc = r
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, cc, r.json().await.expect("token answer is JSON"))
    }

    async fn exchange(&self, code: &str, tx_code: &str) -> (StatusCode, Value) {
        let (s, _, v) = self
            .token(&[
                ("grant_type", PRE_AUTH),
                ("pre-authorized_code", code),
                ("tx_code", tx_code),
            ])
            .await;
        (s, v)
    }

    async fn nonce(&self) -> String {
        let r = self
            .http
            .post(format!("{}/oid4vci/nonce", self.base))
            .send()
            .await
            .expect("nonce");
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let v: Value = r.json().await.expect("nonce JSON");
        v["c_nonce"].as_str().expect("c_nonce").to_owned()
    }

    /// The credential request; status, WWW-Authenticate and body.
    async fn credential(&self, token: Option<&str>, body: &Value) -> (StatusCode, String, Value) {
        let mut req = self
            .http
            .post(format!("{}/oid4vci/credential", self.base))
            .json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("credential");
        let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
        let www = r
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, www, r.json().await.unwrap_or(Value::Null))
    }

    fn request(jwt: &str) -> Value {
        json!({"credential_configuration_id": "OpenBadgeCredential", "proofs": {"jwt": [jwt]}})
    }
}

/// The pre-authorized code of an offer (what a wallet reads from the offer URI).
async fn offered_code(w: &SpecWallet, shown: &Shown) -> String {
    let (s, offer) = w.get(&shown.offer_uri).await;
    assert_eq!(s, StatusCode::OK, "{offer}");
    offer["grants"][PRE_AUTH]["pre-authorized_code"]
        .as_str()
        .expect("code")
        .to_owned()
}

/// Issues a fresh credential of `achievement` to `who`; its id.
async fn credential_of(env: &TestEnv, achievement: &str, who: &str) -> String {
    let v = issue_via_api(env, achievement, who).await;
    v["credential"]["id"]
        .as_str()
        .or_else(|| v["id"].as_str())
        .unwrap_or_else(|| panic!("credential id in {v}"))
        .to_owned()
}

/// Verifies `credential` through our VC-API verifier.
async fn verifies(env: &TestEnv, credential: &Value) -> Value {
    let r = env
        .call(json_req(
            axum::http::Method::POST,
            "/credentials/verify",
            None,
            &json!({"verifiableCredential": credential}),
        ))
        .await;
    r.json()
}

async fn expire_claims(env: &TestEnv) {
    use sqlx::Connection as _;
    let sql = "UPDATE wallet_claims SET expires_ms = 1 WHERE redeemed_ms IS NULL; UPDATE oid4vci_offers SET expires_ms = 1 WHERE code_used_ms IS NULL";
    if let Some(url) = env.postgres_url() {
        let mut c = sqlx::PgConnection::connect(url).await.expect("pg");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("expire");
    } else {
        let path = env.sqlite_path().expect("sqlite");
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("sqlite");
        sqlx::raw_sql(sql).execute(&mut c).await.expect("expire");
    }
}

async fn claim_into_wallets(postgres: bool) {
    let Some((env, addr, server)) = start_server(postgres).await else {
        return;
    };
    let base = format!("http://{addr}");
    let spec = SpecWallet::new(&base);

    // Metadata: the issuer is the public URL and its own authorization server.
    let (s, meta) = spec
        .get(&format!("{base}/.well-known/openid-credential-issuer"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(meta["credential_issuer"], base.as_str());
    assert_eq!(
        meta["credential_endpoint"],
        format!("{base}/oid4vci/credential")
    );
    assert_eq!(meta["nonce_endpoint"], format!("{base}/oid4vci/nonce"));
    let conf = &meta["credential_configurations_supported"]["OpenBadgeCredential"];
    assert_eq!(conf["format"], "ldp_vc");
    assert_eq!(
        conf["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"],
        json!(["EdDSA"])
    );
    let (s, asm) = spec
        .get(&format!("{base}/.well-known/oauth-authorization-server"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(asm["issuer"], base.as_str());
    assert_eq!(asm["token_endpoint"], format!("{base}/oid4vci/token"));
    assert_eq!(asm["pre-authorized_grant_anonymous_access_supported"], true);

    let jordan = sign_in(&env, JORDAN).await;
    let mine = credential_of(&env, "mc-tools-1", JORDAN).await;

    // 1. The independent wallet (Sphereon), did:key kid, then jwk.
    if wallet_available() {
        for jwk in [false, true] {
            let shown = open_offer_page(&env, &jordan, &mine).await;
            let code = offered_code(&spec, &shown).await;
            let got = independent_wallet(&shown.deep_link, &shown.tx_code, jwk).await;
            let did = got["did"].as_str().expect("did");
            let cred = &got["credential"];
            assert_eq!(cred["credentialSubject"]["id"], did, "jwk={jwk}: {cred}");
            assert_ne!(cred["id"], mine.as_str(), "a copy with its own id");
            let report = verifies(&env, cred).await;
            assert_eq!(report["verified"], true, "{report}");
            // The code was single use; the offer is gone.
            let (s, e) = spec.exchange(&code, &shown.tx_code).await;
            assert_eq!(
                (s, e["error"].as_str()),
                (StatusCode::BAD_REQUEST, Some("invalid_grant"))
            );
            let (s, _) = spec.get(&shown.offer_uri).await;
            assert_eq!(s, StatusCode::NOT_FOUND);
        }
    }

    // 2. The spec's own client: the Final `proofs` form, nonce replay, wrong audience.
    let shown = open_offer_page(&env, &jordan, &mine).await;
    let code = offered_code(&spec, &shown).await;
    let (s, cc, t) = spec
        .token(&[
            ("grant_type", PRE_AUTH),
            ("pre-authorized_code", code.as_str()),
            ("tx_code", shown.tx_code.as_str()),
        ])
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(cc, "no-store");
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 300);
    let token2 = t["access_token"].as_str().expect("token").to_owned();
    let (s, _, t) = spec
        .token(&[
            ("grant_type", PRE_AUTH),
            ("pre-authorized_code", code.as_str()),
            ("tx_code", shown.tx_code.as_str()),
        ])
        .await;
    assert_eq!(
        (s, t["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "single use"
    );

    let nonce = spec.nonce().await;
    // Wrong audience: invalid_proof (and the nonce is not spent by it).
    let bad = spec.proof("https://someone-else.example", &nonce);
    let (s, _, e) = spec
        .credential(Some(&token2), &SpecWallet::request(&bad))
        .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_proof")),
        "{e}"
    );
    let jwt = spec.proof(&base, &nonce);
    let (s, _, ok) = spec
        .credential(Some(&token2), &SpecWallet::request(&jwt))
        .await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    let copy2 = &ok["credentials"][0]["credential"];
    assert_eq!(copy2["credentialSubject"]["id"], spec.did().as_str());
    assert_eq!(verifies(&env, copy2).await["verified"], true);
    // The same proof again: its nonce was spent.
    let (s, _, e) = spec
        .credential(Some(&token2), &SpecWallet::request(&jwt))
        .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_nonce")),
        "{e}"
    );
    // A made-up nonce, and one from another deployment's form, are refused the same way.
    let jwt = spec.proof(&base, "not-a-nonce");
    let (_, _, e) = spec
        .credential(Some(&token2), &SpecWallet::request(&jwt))
        .await;
    assert_eq!(e["error"], "invalid_nonce");

    // Without a token, or with a made-up one: 401 with WWW-Authenticate (RFC 6750).
    let jwt = spec.proof(&base, &spec.nonce().await);
    let api_token = env.token(JORDAN);
    for token in [None, Some("made-up"), Some(api_token.as_str())] {
        let (s, www, e) = spec.credential(token, &SpecWallet::request(&jwt)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(www.starts_with("Bearer error=\"invalid_token\""), "{www}");
        assert_eq!(e["error"], "invalid_token");
    }
    // Request errors of §8.3.1.2.
    let jwt = spec.proof(&base, &spec.nonce().await);
    let (_, _, e) = spec
        .credential(
            Some(&token2),
            &json!({"credential_configuration_id": "UniversityDegree", "proofs": {"jwt": [jwt]}}),
        )
        .await;
    assert_eq!(e["error"], "unknown_credential_configuration");
    let (_, _, e) = spec
        .credential(
            Some(&token2),
            &json!({"credential_configuration_id": "OpenBadgeCredential"}),
        )
        .await;
    assert_eq!(e["error"], "invalid_credential_request");

    // 3. A token fetches only its own claim: Avery's claim, redeemed by another wallet, is not
    //    reachable with Jordan's token, and Jordan's claim (spent by this wallet) is refused to it.
    let avery = sign_in(&env, AVERY).await;
    let averys = credential_of(&env, "mc-tools-1", AVERY).await;
    let shown3 = open_offer_page(&env, &avery, &averys).await;
    let code3 = offered_code(&spec, &shown3).await;
    let (s, t3) = spec.exchange(&code3, &shown3.tx_code).await;
    assert_eq!(s, StatusCode::OK, "{t3}");
    let token3 = t3["access_token"].as_str().expect("token").to_owned();
    let other = SpecWallet::new(&base);
    let jwt = other.proof(&base, &other.nonce().await);
    let (s, _, e) = other
        .credential(Some(&token2), &SpecWallet::request(&jwt))
        .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("credential_request_denied")),
        "{e}"
    );
    let jwt = other.proof(&base, &other.nonce().await);
    let (s, _, ok) = other
        .credential(Some(&token3), &SpecWallet::request(&jwt))
        .await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    let copy3 = &ok["credentials"][0]["credential"];
    assert_eq!(copy3["credentialSubject"]["id"], other.did().as_str());
    assert_ne!(copy3["id"], copy2["id"]);
    let original3 = env.credential_json(&averys).await;
    assert_eq!(
        copy3["credentialSubject"]["achievement"]["id"],
        original3["credentialSubject"]["achievement"]["id"]
    );
    // Jordan's wallet retrying with its token gets its own copy back, never Avery's.
    let jwt = spec.proof(&base, &spec.nonce().await);
    let (s, _, again) = spec
        .credential(Some(&token2), &SpecWallet::request(&jwt))
        .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["credentials"][0]["credential"]["id"], copy2["id"]);

    // 4. Transaction codes: missing is invalid_request; 5 wrong ones kill the claim.
    let shown4 = open_offer_page(&env, &jordan, &mine).await;
    let code4 = offered_code(&spec, &shown4).await;
    let (s, _, e) = spec
        .token(&[
            ("grant_type", PRE_AUTH),
            ("pre-authorized_code", code4.as_str()),
        ])
        .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (_, _, e) = spec
        .token(&[("grant_type", "authorization_code"), ("code", "x")])
        .await;
    assert_eq!(e["error"], "unsupported_grant_type");
    let wrong = if shown4.tx_code == "000000" {
        "000001"
    } else {
        "000000"
    };
    for i in 1..=5 {
        let (s, e) = spec.exchange(&code4, wrong).await;
        assert_eq!(
            (s, e["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{i}: {e}"
        );
    }
    let (_, e) = spec.exchange(&code4, &shown4.tx_code).await;
    assert_eq!(e["error"], "invalid_grant", "dead after 5 wrong codes: {e}");
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("too many"),
        "{e}"
    );
    assert_eq!(spec.get(&shown4.offer_uri).await.0, StatusCode::NOT_FOUND);

    // 5. An expired claim: invalid_grant.
    let shown5 = open_offer_page(&env, &jordan, &mine).await;
    let code5 = offered_code(&spec, &shown5).await;
    expire_claims(&env).await;
    let (s, e) = spec.exchange(&code5, &shown5.tx_code).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{e}"
    );
    assert!(
        e["error_description"].as_str().unwrap().contains("expired"),
        "{e}"
    );

    // 6. Only the holder opens the offer page: another educator, an admin and a signed-out
    //    visitor get the very 404 of a credential that does not exist.
    let missing = env
        .call(
            jordan.get("/credentials/urn:uuid:00000000-0000-4000-8000-00000000dead/claim/oid4vci"),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let admin = sign_in(&env, ADMIN).await;
    for (who, r) in [
        (
            "another educator",
            env.call(avery.get(&format!("/credentials/{mine}/claim/oid4vci")))
                .await,
        ),
        (
            "an admin",
            env.call(admin.get(&format!("/credentials/{mine}/claim/oid4vci")))
                .await,
        ),
        (
            "signed out",
            env.call(get(&format!("/credentials/{mine}/claim/oid4vci")))
                .await,
        ),
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(r.body, missing.body, "{who}");
    }

    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_into_wallets_sqlite() {
    claim_into_wallets(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_into_wallets_postgres() {
    claim_into_wallets(true).await;
}

/// The offer page at 1280 and 390 px: no sideways scrolling, no JSON outside details, no
/// serious axe-core violation; `test-artifacts/journey-oid4vci-{desktop,phone}.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offer_page_at_both_widths() {
    use common::cdp::Browser;
    use common::journey::*;
    if !chromium_available() {
        return;
    }
    let axe = axe_source();
    let (base, env, server) = serve_demo().await;
    let mine = credential_of(&env, "mc-tools-1", JORDAN).await;
    let mut b = Browser::launch().await;
    let mut problems = Vec::new();
    b.sign_in(&base, &env.token(JORDAN), "/dashboard").await;
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/credentials/{mine}/claim/oid4vci"),
        "oid4vci",
        &mut problems,
    )
    .await;
    let code = b.eval("document.querySelector('#tx-code').innerText").await;
    assert!(
        code.as_str().is_some_and(|c| c.len() == 6),
        "the transaction code shows: {code}"
    );
    let qr = b
        .eval("(() => { const r = document.querySelector('svg.qr').getBoundingClientRect(); return r.width >= 150 && r.right <= innerWidth; })()")
        .await;
    assert_eq!(
        qr,
        json!(true),
        "the QR code is whole and large enough to scan"
    );
    server.abort();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
