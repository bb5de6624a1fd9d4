//! What a district brings besides our JSON, through the API, the verify page and bulk verify:
//! badge images (PNG and SVG) baked with our credentials, other issuers' VC-JWT tokens, and
//! links or bare ids of credentials issued here.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::Value;

fn vector(rel: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(rel)
}

fn token(name: &str) -> String {
    let tokens: Value =
        serde_json::from_slice(&std::fs::read(vector("vc-jwt/tokens.json")).unwrap()).unwrap();
    tokens[name]["token"].as_str().unwrap().to_owned()
}

fn raw(uri: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

async fn report(env: &TestEnv, content_type: &str, body: Vec<u8>) -> Value {
    let r = env.call(raw("/api/v1/verify", content_type, body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// A multipart body with one binary file part.
fn upload(field: &str, file: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "----pathledger-formats-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    raw(
        if field == "files" {
            "/verify/bulk"
        } else {
            "/verify"
        },
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
}

#[tokio::test]
async fn baked_images_tokens_links_and_ids_verify_everywhere() {
    let env = sqlite_env().await;
    let issued = issue_via_api(&env, "mc-tools-1", "image.teacher@example.org").await;
    let cred = issued["verifiableCredential"].clone();
    let id = issued["id"].as_str().unwrap().to_owned();
    let json = serde_json::to_string(&cred).unwrap();

    // Our credential baked into a PNG and an SVG.
    let png = std::fs::read(vector("ob2/signed-baked.png")).unwrap();
    let baked_png = pathledger_badges::bake_png(&png, &json).unwrap();
    assert_eq!(
        report(&env, "image/png", baked_png.clone()).await["verdict"],
        "valid"
    );
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>"#;
    let baked_svg = pathledger_badges::bake_svg(svg, &json).unwrap();
    assert_eq!(
        report(&env, "image/svg+xml", baked_svg.clone().into_bytes()).await["verdict"],
        "valid"
    );
    // The same image with the credential altered inside it.
    let altered = serde_json::to_string(&tampered(cred.clone())).unwrap();
    let bad_png = pathledger_badges::bake_png(&png, &altered).unwrap();
    assert_eq!(
        report(&env, "image/png", bad_png).await["verdict"],
        "tampered"
    );

    // A bare id and our links name the stored credential.
    for reference in [
        id.clone(),
        format!("{PUBLIC_URL}/credentials/{id}"),
        format!("{PUBLIC_URL}/verify?id={id}"),
    ] {
        let r = report(&env, "text/plain", reference.clone().into_bytes()).await;
        assert_eq!(r["verdict"], "valid", "{reference}: {r}");
    }
    // A look-alike host is not ours, even naming one of our ids.
    let r = report(
        &env,
        "text/plain",
        format!("{PUBLIC_URL}.evil.example/credentials/{id}").into_bytes(),
    )
    .await;
    assert_eq!(r["verdict"], "could_not_check", "{r}");
    let r = report(
        &env,
        "text/plain",
        b"urn:uuid:00000000-0000-4000-8000-000000000000".to_vec(),
    )
    .await;
    assert_eq!(r["verdict"], "could_not_check", "{r}");

    // Another issuer's VC-JWT: a genuine signature from an issuer we do not trust.
    let r = report(
        &env,
        "application/jwt",
        token("es256-kid-did-jwk").into_bytes(),
    )
    .await;
    assert_eq!(r["verdict"], "unknown_issuer", "{r}");
    assert_eq!(r["checks"][2]["status"], "passed", "{r}");
    let r = report(
        &env,
        "application/jwt",
        token("eddsa-tampered").into_bytes(),
    )
    .await;
    assert_eq!(r["verdict"], "tampered", "{r}");
    let r = report(
        &env,
        "application/jwt",
        token("es384-unsupported").into_bytes(),
    )
    .await;
    assert_eq!(r["verdict"], "unsupported_format", "{r}");

    // Bytes that are no credential: a 400 problem naming why, never a 500.
    let r = env
        .call(raw(
            "/api/v1/verify",
            "image/png",
            b"\x89PNG\r\n\x1a\nxx".to_vec(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["code"], "not_a_credential", "{}", r.text());
    let r = env
        .call(raw(
            "/api/v1/verify",
            "application/octet-stream",
            vec![0xff, 0x00, 0x13],
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());

    // The verify page takes the image upload.
    let page = env.call(upload("file", "badge.png", &baked_png)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("This credential is genuine"),
        "{}",
        page.text()
    );
    let page = env
        .call(upload("file", "badge.svg", baked_svg.as_bytes()))
        .await;
    assert!(
        page.text().contains("This credential is genuine"),
        "{}",
        page.text()
    );

    // Bulk verify takes images and tokens, one verdict per row.
    let r = env.call(upload("files", "badge.png", &baked_png)).await;
    assert_eq!(row_verdicts(&r.text()), ["valid"], "{}", r.text());
    let roster = format!(
        "name,credential\nA. Resident,{id}\nB. Novice,{}\nC. Nobody,hello\n",
        token("eddsa-tampered")
    );
    let r = env
        .call(multipart_req(
            "/verify/bulk",
            &[("roster", Some("roster.csv"), &roster)],
        ))
        .await;
    assert_eq!(
        row_verdicts(&r.text()),
        ["valid", "tampered", "malformed"],
        "{}",
        r.text()
    );
}

/// An issuer a trust registry names is shown by that name on the verify page and in bulk
/// results, for a format other than ours too (a VC-JWT from a did:key issuer).
#[tokio::test]
async fn registry_names_show_on_the_verify_pages() {
    let env = sqlite_env().await;
    let tok = token("eddsa-kid-did-key");
    let payload: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            tok.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let issuer = payload["iss"].as_str().unwrap().to_owned();
    let app = pathledger_app::App::open(pathledger_app::AppConfig {
        database_url: format!("sqlite:{}", env.sqlite_path().unwrap().display()),
        kek: env.kek.clone(),
        public_url: PUBLIC_URL.into(),
        trusted_issuers: vec![pathledger_app::registry::TrustedIssuer {
            id: issuer.clone(),
            name: Some("Lakeside Teaching Fellows".into()),
            url: None,
            listed_in: Some("dcc-registry.json".into()),
        }],
        fetch: Default::default(),
        host_issuer: None,
        mail: env.mail_config(),
    })
    .await
    .unwrap();
    let (ct, body) = multipart(&[("credential", None, &tok)]);
    let page = call(&app, raw("/verify", &ct, body)).await;
    let html = page.text();
    assert!(html.contains("Lakeside Teaching Fellows"), "{html}");
    assert!(html.contains("dcc-registry.json"), "{html}");
    // Without the registry the same token is from an unknown issuer.
    let (ct, body) = multipart(&[("credential", None, &tok)]);
    let page = env.call(raw("/verify", &ct, body)).await;
    assert!(!page.text().contains("Lakeside Teaching Fellows"));
    let roster = format!("name,credential\nA. Fellow,{tok}\n");
    let r = call(
        &app,
        multipart_req("/verify/bulk", &[("roster", Some("roster.csv"), &roster)]),
    )
    .await;
    assert_eq!(row_verdicts(&r.text()), ["valid"], "{}", r.text());
}
