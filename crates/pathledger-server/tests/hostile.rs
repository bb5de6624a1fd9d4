//! Hostile input through HTTP: JSON that is too deep, has duplicate keys, lone surrogates or
//! numbers out of range; 10 MB bodies on every kind of endpoint; CSV rosters with wrong columns,
//! junk and spreadsheet formulas; and random bodies (property tests). Every answer is a 4xx
//! problem+json or an ordinary verification report, never a 500 or a panic, and nothing is issued.

mod common;

use axum::http::{header, Method, StatusCode};
use base64::Engine as _;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

/// Answers to a hostile body: a 4xx problem, or (verification endpoints) a report that is not valid.
fn assert_refused(r: &Resp, what: &str) {
    assert!(
        r.status.is_client_error(),
        "{what}: {} {}",
        r.status,
        r.text()
    );
    r.problem(r.status);
}

fn hostile_json_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("100k [", "[".repeat(100_000).into_bytes()),
        ("100k {", "{\"a\":".repeat(100_000).into_bytes()),
        ("duplicate keys", br#"{"a": 1, "a": 2}"#.to_vec()),
        ("lone surrogate", br#"{"name": "\ud800"}"#.to_vec()),
        ("huge number", br#"{"n": 1e400}"#.to_vec()),
        ("not UTF-8", b"{\"name\": \"\xff\xfe\"}".to_vec()),
        ("trailing data", b"{} {}".to_vec()),
        ("empty", Vec::new()),
    ]
}

#[tokio::test]
async fn hostile_json_is_a_problem_on_every_json_endpoint() {
    let env = sqlite_env().await;
    let size = env.tree_size().await;
    let issuer = env.token(ISSUER);
    for (what, body) in hostile_json_bodies() {
        for (uri, token) in [
            ("/api/v1/verify", None),
            ("/api/v1/verify/batch", None),
            ("/credentials/verify", None),
            ("/credentials/issue", Some(issuer.as_str())),
            ("/api/v1/credentials", Some(issuer.as_str())),
        ] {
            let r = env
                .call(raw_json_req(Method::POST, uri, token, body.clone()))
                .await;
            assert_refused(&r, &format!("{what} to {uri}"));
        }
    }
    assert_eq!(
        env.tree_size().await,
        size,
        "a hostile body issued something"
    );
}

/// A signed credential with a second, different `name` placed before the signed one: a parser
/// that keeps the first value shows the forged name while the signature covers the other. It
/// must be refused as malformed JSON, not reported as valid, on both verification APIs.
#[tokio::test]
async fn duplicate_keys_cannot_smuggle_a_second_value_past_the_signature() {
    let env = sqlite_env().await;
    let valid = env.credential_json(&env.sample("valid")).await;
    let text = valid.to_string();
    assert!(text.starts_with('{'));
    let smuggled = format!("{{\"name\":\"A credential I did not earn\",{}", &text[1..]);
    // serde_json alone keeps the last value: the signed one.
    let lax: Value = serde_json::from_str(&smuggled).expect("lax parse");
    assert_eq!(lax["name"], valid["name"]);

    let r = env
        .call(raw_json_req(
            Method::POST,
            "/api/v1/verify",
            None,
            smuggled.clone(),
        ))
        .await;
    assert_eq!(r.problem(StatusCode::BAD_REQUEST)["code"], "malformed_json");

    let body = format!("{{\"verifiableCredential\":{smuggled}}}");
    let r = env
        .call(raw_json_req(
            Method::POST,
            "/credentials/verify",
            None,
            body,
        ))
        .await;
    assert_refused(&r, "VC-API verify with duplicate keys");

    // The bulk page reads pasted JSON strictly too.
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("files", Some("smuggled.json"), &smuggled)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(row_verdicts(&r.text()), ["malformed"]);
}

#[tokio::test]
async fn ten_megabyte_bodies_are_413_problems_everywhere() {
    let env = sqlite_env().await;
    let size = env.tree_size().await;
    let ten_mb = 10 * 1024 * 1024;
    let json_body = {
        let mut b = b"{\"verifiableCredential\": \"".to_vec();
        b.resize(ten_mb, b'a');
        b.extend_from_slice(b"\"}");
        b
    };
    let issuer = env.token(ISSUER);
    for (uri, token) in [
        ("/api/v1/verify/batch", None),
        ("/credentials/issue", Some(issuer.as_str())),
        ("/api/v1/credentials", Some(issuer.as_str())),
    ] {
        let r = env
            .call(raw_json_req(Method::POST, uri, token, json_body.clone()))
            .await;
        let p = r.problem(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(p["code"], "payload_too_large", "{uri}");
    }
    // Multipart (bulk verify) and form (single verify) pages, with the Content-Length a browser
    // sends.
    let roster = format!("name,credential\nA,{}\n", "x".repeat(ten_mb));
    let (ct, body) = multipart(&[("roster", Some("roster.csv"), &roster)]);
    let r = env
        .call(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/verify/bulk")
                .header(header::CONTENT_TYPE, ct)
                .header(header::CONTENT_LENGTH, body.len())
                .body(axum::body::Body::from(body))
                .expect("request"),
        )
        .await;
    r.problem(StatusCode::PAYLOAD_TOO_LARGE);
    // The same upload without a Content-Length (chunked): the limit trips while the form is
    // read, and is still reported as 413, not as a bad form.
    let (ct, body) = multipart(&[("roster", Some("roster.csv"), &roster)]);
    let r = env
        .call(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/verify/bulk")
                .header(header::CONTENT_TYPE, ct)
                .body(axum::body::Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(
        r.problem(StatusCode::PAYLOAD_TOO_LARGE)["code"],
        "payload_too_large"
    );
    let form = format!("credential={}", "x".repeat(ten_mb));
    let r = env
        .call(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/verify")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::CONTENT_LENGTH, form.len())
                .body(axum::body::Body::from(form))
                .expect("request"),
        )
        .await;
    r.problem(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(env.tree_size().await, size);
}

fn exported_csv(html: &str) -> Vec<csv::StringRecord> {
    let marker = "href=\"data:text/csv;base64,";
    let start = html.find(marker).expect("CSV download link") + marker.len();
    let b64 = &html[start..start + html[start..].find('"').expect("end of link")];
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    csv::Reader::from_reader(bytes.as_slice())
        .records()
        .map(|r| r.expect("CSV row"))
        .collect()
}

fn formula_like(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[tokio::test]
async fn csv_rosters_with_wrong_columns_or_junk_are_clear_errors() {
    let env = sqlite_env().await;
    for roster in [
        "who,what\nA,B\n",
        "credential\nhttp://x/credentials/1\n",
        "\n\n\n",
        "name;credential\nA;B\n",
        "\u{feff}nom,lien\nA,B\n",
    ] {
        let r = env
            .call(multipart_req(
                "/verify/bulk",
                &[("roster", Some("roster.csv"), roster)],
            ))
            .await;
        if roster.trim().is_empty() {
            // Nothing to verify is a page that says so.
            assert_eq!(r.status, StatusCode::OK, "{roster:?}");
            assert!(r.text().contains("Nothing to verify"));
            continue;
        }
        let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], "roster", "{roster:?}");
    }
    // Rows with too many or too few cells, unbalanced quotes and binary junk: per-row verdicts.
    let roster = "name,credential\nA\nB,x,y,z\n\"C,\"unterminated\nD,\u{0}\u{1}\u{7f}\n";
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), roster)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let verdicts = row_verdicts(&r.text());
    assert!(!verdicts.is_empty());
    assert!(verdicts.iter().all(|v| v == "malformed"), "{verdicts:?}");
}

#[tokio::test]
async fn formula_cells_in_any_column_are_neutralized_on_export() {
    let env = sqlite_env().await;
    let link = format!("{PUBLIC_URL}/credentials/{}", env.sample("valid"));
    let formulas = [
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "=HYPERLINK(\"http://evil\")",
    ];
    let mut roster = String::from("name,credential\n");
    for f in formulas {
        roster.push_str(&format!("{},{link}\n", csv_quote(f)));
        // A formula where the credential should be, too: it ends up in the reason/name cells.
        roster.push_str(&format!("x,{}\n", csv_quote(f)));
    }
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), &roster)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rows = exported_csv(&r.text());
    assert_eq!(rows.len(), formulas.len() * 2);
    for row in &rows {
        for cell in row {
            assert!(
                !formula_like(cell),
                "exported formula cell {cell:?} in {row:?}"
            );
        }
    }
    assert!(rows.iter().any(|r| r[1].starts_with("'=cmd")));
}

#[test]
fn random_bodies_never_cause_a_server_error() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let env = rt.block_on(sqlite_env());
    let size = rt.block_on(env.tree_size());
    let issuer = env.token(ISSUER);
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "[\\[\\]{}\":,0-9eE+.\\-a-z\\\\ ]{0,200}".prop_map(String::into_bytes),
        // Plausible credentials with random members.
        proptest::collection::btree_map(
            prop_oneof![
                Just("@context".to_owned()),
                Just("type".to_owned()),
                Just("issuer".to_owned()),
                Just("proof".to_owned()),
                Just("credentialStatus".to_owned()),
                "[a-z]{1,6}"
            ],
            prop_oneof![
                Just(json!("VerifiableCredential")),
                Just(json!(["VerifiableCredential", "OpenBadgeCredential"])),
                Just(json!({"type": "DataIntegrityProof", "proofValue": "z1"})),
                Just(json!({"statusListCredential": "http://10.0.0.1/status/1"})),
                "\\PC{0,20}".prop_map(Value::String),
                any::<i64>().prop_map(|n| json!(n)),
            ],
            0..6,
        )
        .prop_map(|m| serde_json::to_vec(&m).expect("json")),
    ];
    let uris = prop_oneof![
        Just("/api/v1/verify"),
        Just("/api/v1/verify/batch"),
        Just("/credentials/verify"),
        Just("/credentials/issue"),
        Just("/api/v1/credentials"),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    runner
        .run(&(uris, body), |(uri, body)| {
            let token = uri.contains("issue") || uri == "/api/v1/credentials";
            let r = rt.block_on(env.call(raw_json_req(
                Method::POST,
                uri,
                token.then_some(issuer.as_str()),
                body.clone(),
            )));
            prop_assert!(
                !r.status.is_server_error(),
                "{uri}: {} {}",
                r.status,
                r.text()
            );
            if r.status.is_client_error() {
                prop_assert!(
                    r.content_type().starts_with("application/problem+json")
                        || (uri == "/credentials/verify"
                            && r.status == StatusCode::UNPROCESSABLE_ENTITY
                            && r.json()["verified"] == false),
                    "{uri}: {} {}",
                    r.status,
                    r.text()
                );
            } else if uri == "/api/v1/verify" {
                let rep = r.json();
                prop_assert_ne!(rep["verdict"].as_str(), Some("valid"));
            }
            Ok(())
        })
        .expect("no server errors");
    // The VC-API issue endpoint signs whatever object it is given (that is its job) without
    // storing it; our own issuance endpoint issued nothing from random bodies.
    assert_eq!(rt.block_on(env.tree_size()), size);
    assert!(rt.block_on(env.app.store().audit()).expect("audit").is_ok());
}
