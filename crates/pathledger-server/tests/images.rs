//! Achievement images and organization logos: uploaded through the admin's real forms
//! (multipart) and the API, refused beside the field when unsafe or too big, refused to the
//! wrong people, served with their type and cache headers; carried by the credentials issued
//! afterwards; and credentials baked into PNG and SVG downloads that verify on the verify page
//! and bulk verify, and that Python's standard library reads back byte for byte.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use pathledger_store::ImageSubject;
use serde_json::Value;

const ACH: &str = "mc-tools-1";

/// A multipart form post as the page sends it (`_csrf` first), with one binary file part.
fn form_with_file(
    s: Option<&Session>,
    uri: &str,
    file: Option<(&str, &[u8])>,
    fields: &[(&str, &str)],
) -> Request<Body> {
    let boundary = "----pathledger-images-test";
    let mut body = Vec::new();
    let text_part = |name: &str, value: &str, body: &mut Vec<u8>| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    };
    if let Some(s) = s {
        text_part("_csrf", &s.token, &mut body);
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    for (k, v) in fields {
        text_part(k, v, &mut body);
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut b = Request::builder().method(Method::POST).uri(uri).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Some(s) = s {
        b = b.header(header::COOKIE, &s.cookie);
    }
    b.body(Body::from(body)).unwrap()
}

/// A verify-page upload (field `file`) or a bulk-verify one (field `files`).
fn verify_upload(field: &str, file: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "----pathledger-images-verify";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri(if field == "files" {
            "/verify/bulk"
        } else {
            "/verify"
        })
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

fn image_path(org: &str, ach: &str) -> String {
    format!("/admin/framework/achievements/{ach}/image").replace("{org}", org)
}

async fn hosted(env: &TestEnv, org: &str, subject: ImageSubject) -> Option<Vec<u8>> {
    env.app
        .hosted_image(org, &subject)
        .await
        .unwrap()
        .map(|h| h.bytes)
}

fn svg_with(inner: &str, attrs: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"{attrs}>{inner}<circle cx="32" cy="32" r="30" fill="#0d2847"/></svg>"##
    )
}

#[tokio::test]
async fn images_are_set_by_their_org_admin_only_and_unsafe_ones_are_refused() {
    let env = sqlite_env().await;
    let org = env.seed.org_id.clone();
    let other = env.seed.other_org_id.clone();
    let admin = sign_in(&env, ADMIN).await;
    let png = pathledger_badges::emblem_png(64);
    let subject = || ImageSubject::Achievement(ACH.into());

    // The org admin uploads a PNG through the achievement's image form.
    let r = env
        .call(form_with_file(
            Some(&admin),
            &image_path(&org, ACH),
            Some(("rosette.png", &png)),
            &[("image_url", "")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        hosted(&env, &org, subject()).await.as_deref(),
        Some(&png[..])
    );
    // The form page shows it, from this site.
    let page = env.call(admin.get(&image_path(&org, ACH))).await.text();
    assert!(
        page.contains(&format!(
            "src=\"{PUBLIC_URL}/orgs/{org}/achievements/{ACH}/image?v="
        )),
        "{page}"
    );

    // Served at its stable URL with its type, nosniff and an ETag; revalidation answers 304.
    let url = format!("/orgs/{org}/achievements/{ACH}/image");
    let r = env.call(get(&url)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(r.body, png);
    let etag = r.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = env
        .call(
            Request::builder()
                .uri(&url)
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    // An SVG is served with the strict policy of a standalone SVG document.
    let svg = svg_with("<title>Tools</title>", "");
    let r = env
        .call(form_with_file(
            Some(&admin),
            &image_path(&org, "mc-tools-2"),
            Some(("tools.svg", svg.as_bytes())),
            &[],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = env
        .call(get(&format!("/orgs/{org}/achievements/mc-tools-2/image")))
        .await;
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(
        r.headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    assert_eq!(r.text(), svg);

    // Refusals: beside the field, nothing stored (the PNG stays).
    let big = {
        let mut b = png.clone();
        b.resize(2 * 1024 * 1024, 0);
        b
    };
    let script = svg_with("<script>alert(1)</script>", "");
    let onload = svg_with("", r#" onload="alert(1)""#);
    let js_href = svg_with(
        r#"<a xlink:href="javascript:alert(1)"><text>x</text></a>"#,
        "",
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("renamed.svg", png.clone(), "named .svg"),
        ("evil.svg", script.clone().into_bytes(), "script"),
        ("onload.svg", onload.clone().into_bytes(), "onload"),
        ("link.svg", js_href.clone().into_bytes(), "javascript:"),
        ("huge.png", big, "larger than 1 MB"),
        ("notes.png", b"just some text".to_vec(), "not a PNG or SVG"),
    ];
    for (name, bytes, why) in &cases {
        let r = env
            .call(form_with_file(
                Some(&admin),
                &image_path(&org, ACH),
                Some((name, bytes)),
                &[],
            ))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.text()
        );
        let page = r.text();
        assert!(page.contains("id=\"error-image\""), "{name}: {page}");
        assert!(page.contains(why), "{name} should say {why:?}: {page}");
        assert!(page.contains("aria-invalid=\"true\""), "{name}");
        assert_eq!(
            hosted(&env, &org, subject()).await.as_deref(),
            Some(&png[..]),
            "{name} changed the stored image"
        );
    }
    // A link that is not https: refused beside the link field, what was typed kept.
    let r = env
        .call(form_with_file(
            Some(&admin),
            &image_path(&org, ACH),
            None,
            &[("image_url", "http://images.example/badge.png")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("id=\"error-image_url\""), "{}", r.text());
    assert!(r
        .text()
        .contains("value=\"http://images.example/badge.png\""));
    assert_eq!(
        hosted(&env, &org, subject()).await.as_deref(),
        Some(&png[..])
    );

    // The wrong people: an educator, an issuer who is not org admin, signed out; each refused,
    // nothing stored.
    let other_png = pathledger_badges::emblem_png(32);
    for who in [JORDAN, ISSUER] {
        let s = sign_in(&env, who).await;
        let r = env
            .call(form_with_file(
                Some(&s),
                &image_path(&org, ACH),
                Some(("x.png", &other_png)),
                &[],
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.text());
    }
    let r = env
        .call(form_with_file(
            None,
            &image_path(&org, ACH),
            Some(("x.png", &other_png)),
            &[],
        ))
        .await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.headers[header::LOCATION], "/login");
    assert_eq!(
        hosted(&env, &org, subject()).await.as_deref(),
        Some(&png[..])
    );

    // Another organization's admin: the form acts on their own organization only, and the API
    // refuses them ours.
    let hill = sign_in(&env, HILLCREST_ADMIN).await;
    let r = env
        .call(form_with_file(
            Some(&hill),
            &image_path(&other, ACH),
            Some(("x.png", &other_png)),
            &[],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        hosted(&env, &org, subject()).await.as_deref(),
        Some(&png[..])
    );
    assert_eq!(
        hosted(&env, &other, subject()).await.as_deref(),
        Some(&other_png[..])
    );
    let put = |token: &str, org: &str, body: Vec<u8>, ct: &str| {
        Request::builder()
            .method(Method::PUT)
            .uri(format!("/api/v1/orgs/{org}/achievements/{ACH}/image"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    for who in [HILLCREST_ADMIN, JORDAN, ISSUER] {
        let r = env
            .call(put(&env.token(who), &org, other_png.clone(), "image/png"))
            .await;
        r.problem(StatusCode::FORBIDDEN);
    }
    let r = env
        .call(
            Request::builder()
                .method(Method::DELETE)
                .uri(format!("/api/v1/orgs/{org}/achievements/{ACH}/image"))
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", env.token(HILLCREST_ADMIN)),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    r.problem(StatusCode::FORBIDDEN);
    assert_eq!(
        hosted(&env, &org, subject()).await.as_deref(),
        Some(&png[..])
    );

    // The API, as our admin: an unsafe SVG is refused naming the field; a link is kept as given
    // (and not hosted: the image URL answers 404); an unknown achievement is 404.
    let r = env
        .call(put(
            &env.token(ADMIN),
            &org,
            script.into_bytes(),
            "image/svg+xml",
        ))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "image", "{p}");
    let r = env
        .call(put(
            &env.token(ADMIN),
            &org,
            br#"{"url": "https://images.example/badge.png"}"#.to_vec(),
            "application/json",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["url"], "https://images.example/badge.png");
    assert_eq!(r.json()["hosted"], false);
    env.call(get(&url)).await.problem(StatusCode::NOT_FOUND);
    let r = env
        .call(
            Request::builder()
                .method(Method::PUT)
                .uri(format!("/api/v1/orgs/{org}/achievements/no-such/image"))
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", env.token(ADMIN)),
                )
                .header(header::CONTENT_TYPE, "image/png")
                .body(Body::from(png.clone()))
                .unwrap(),
        )
        .await;
    r.problem(StatusCode::NOT_FOUND);
    // The achievement's public page links to an image elsewhere rather than loading it.
    let page = env
        .call(get(&format!("/orgs/{org}/achievements/{ACH}")))
        .await
        .text();
    assert!(
        page.contains("href=\"https://images.example/badge.png\""),
        "{page}"
    );
    assert!(!page.contains("src=\"https://images.example"), "{page}");
}

/// Reads the baked credential back with Python's standard library: the PNG's first `iTXt`
/// chunk with keyword `openbadgecredential` (checking each chunk's CRC), or the SVG's first
/// `openbadges:credential` element parsed by `xml.etree`.
fn python_extract(kind: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let script = r#"
import sys, struct, zlib
import xml.etree.ElementTree as ET
kind, path = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
if kind == 'png':
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos = 8
    while pos < len(data):
        (n,) = struct.unpack('>I', data[pos:pos+4])
        ctype = data[pos+4:pos+8]
        body = data[pos+8:pos+8+n]
        (crc,) = struct.unpack('>I', data[pos+8+n:pos+12+n])
        assert zlib.crc32(ctype + body) & 0xffffffff == crc, 'bad CRC'
        if ctype == b'iTXt':
            keyword, rest = body.split(b'\x00', 1)
            if keyword == b'openbadgecredential':
                flag, method = rest[0], rest[1]
                assert flag == 0 and method == 0, 'compressed'
                lang, rest = rest[2:].split(b'\x00', 1)
                translated, text = rest.split(b'\x00', 1)
                sys.stdout.buffer.write(text)
                sys.exit(0)
        pos += 12 + n
    sys.exit(3)
else:
    root = ET.fromstring(data)
    el = root.find('{https://purl.imsglobal.org/ob/v3p0}credential')
    if el is None:
        sys.exit(3)
    sys.stdout.buffer.write(el.text.encode('utf-8'))
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("baked.{kind}"));
    std::fs::write(&path, bytes).unwrap();
    let out = match std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(kind)
        .arg(&path)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("python3 is not installed ({e}): skipping the independent extraction");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "python3 could not extract: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

/// CRC-32 (ISO 3309, as PNG chunks use), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// One byte of the credential inside a baked PNG changed, with the chunk's CRC made right
/// again, so the image is well-formed and only the credential is altered.
fn tamper_png(png: &[u8], find: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = png.to_vec();
    let at = out
        .windows(find.len())
        .position(|w| w == find)
        .expect("text to tamper with");
    out[at..at + with.len()].copy_from_slice(with);
    // Find the chunk holding `at` and fix its CRC.
    let mut pos = 8;
    while pos < out.len() {
        let n = u32::from_be_bytes(out[pos..pos + 4].try_into().unwrap()) as usize;
        if (pos + 8..pos + 8 + n).contains(&at) {
            let crc = crc32(&out[pos + 4..pos + 8 + n]);
            out[pos + 8 + n..pos + 12 + n].copy_from_slice(&crc.to_be_bytes());
            break;
        }
        pos += 12 + n;
    }
    out
}

#[tokio::test]
async fn credentials_carry_the_image_and_bake_into_png_and_svg_that_verify() {
    let env = sqlite_env().await;
    let org = env.seed.org_id.clone();
    let admin = sign_in(&env, ADMIN).await;
    let png = pathledger_badges::emblem_png(80);
    let r = env
        .call(form_with_file(
            Some(&admin),
            &image_path(&org, ACH),
            Some(("badge.png", &png)),
            &[],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let logo = svg_with("<title>Riverside</title>", "");
    let r = env
        .call(form_with_file(
            Some(&admin),
            "/admin/logo",
            Some(("logo.svg", logo.as_bytes())),
            &[],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    // Issued afterwards: achievement.image and issuer.image name them, and they resolve.
    let issued = issue_via_api(&env, ACH, "image.holder@example.org").await;
    let id = issued["id"].as_str().unwrap().to_owned();
    let cred = &issued["verifiableCredential"];
    let ach = &cred["credentialSubject"]["achievement"];
    assert_eq!(ach["image"]["type"], "Image", "{ach}");
    assert_eq!(ach["image"]["caption"], ach["name"]);
    let image_id = ach["image"]["id"].as_str().unwrap();
    assert!(
        image_id.starts_with(&format!(
            "{PUBLIC_URL}/orgs/{org}/achievements/{ACH}/image?v="
        )),
        "{image_id}"
    );
    let r = env
        .call(get(image_id.strip_prefix(PUBLIC_URL).unwrap()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body, png,
        "achievement.image.id resolves to the uploaded bytes"
    );
    let logo_id = cred["issuer"]["image"]["id"].as_str().unwrap();
    assert!(
        logo_id.starts_with(&format!("{PUBLIC_URL}/orgs/{org}/logo?v=")),
        "{logo_id}"
    );
    let r = env
        .call(get(logo_id.strip_prefix(PUBLIC_URL).unwrap()))
        .await;
    assert_eq!(r.text(), logo);
    let r = env
        .call(json_req(Method::POST, "/api/v1/verify", None, cred))
        .await;
    assert_eq!(r.json()["verdict"], "valid", "{}", r.text());

    // The public page shows the hosted image and offers both downloads.
    let page = env.call(get(&format!("/credentials/{id}"))).await.text();
    assert!(page.contains(&format!("src=\"{image_id}\"")), "{page}");
    assert!(
        page.contains(&format!("href=\"/credentials/{id}/baked.png\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"/credentials/{id}/baked.svg\"")),
        "{page}"
    );
    // The holder's dashboard shows it on the credential's row.
    issue_via_api(&env, ACH, JORDAN).await;
    let jordan = sign_in(&env, JORDAN).await;
    let dash = env.call(jordan.get("/dashboard")).await.text();
    assert!(dash.contains(&format!("src=\"{image_id}\"")), "{dash}");

    let stored = env.app.store().credential(&id).await.unwrap().document;
    for (kind, media) in [("png", "image/png"), ("svg", "image/svg+xml")] {
        let r = env
            .call(get(&format!("/credentials/{id}/baked.{kind}")))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.text());
        assert_eq!(r.headers[header::CONTENT_TYPE], media);
        assert!(r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(&format!("{ACH}.{kind}")));
        let baked = r.body.clone();
        if kind == "png" {
            // Our upload, with the credential chunk added.
            assert_eq!(&baked[..33], &png[..33], "the uploaded PNG's header");
        }
        // Read back independently: exactly the stored credential's bytes.
        if let Some(text) = python_extract(kind, &baked) {
            assert_eq!(String::from_utf8(text).unwrap(), stored, "{kind}");
        }
        // The verify page and bulk verify take the download and name the credential.
        let page = env
            .call(verify_upload("file", &format!("badge.{kind}"), &baked))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains("This credential is genuine"),
            "{kind}: {}",
            page.text()
        );
        assert!(
            page.text().contains(&id),
            "{kind}: the page names the credential"
        );
        let bulk = env
            .call(verify_upload("files", &format!("badge.{kind}"), &baked))
            .await;
        assert_eq!(row_verdicts(&bulk.text()), ["valid"], "{}", bulk.text());
        // Bulk rows name the credential by its achievement (the id is on the verify page).
        let ach_name = ach["name"].as_str().unwrap();
        assert!(
            bulk.text().contains(ach_name),
            "{kind}: bulk names the credential"
        );

        // One byte of the baked credential changed: not valid any more.
        let name = ach["name"].as_str().unwrap();
        let mut altered_name = name.as_bytes().to_vec();
        altered_name[0] ^= 0x20; // flips the case of the first letter
        let tampered = if kind == "png" {
            tamper_png(&baked, name.as_bytes(), &altered_name)
        } else {
            String::from_utf8(baked.clone())
                .unwrap()
                .replacen(
                    &format!("\"name\":\"{name}\""),
                    &format!("\"name\":\"{}\"", String::from_utf8(altered_name).unwrap()),
                    1,
                )
                .into_bytes()
        };
        assert_ne!(tampered, baked);
        let page = env
            .call(verify_upload("file", &format!("badge.{kind}"), &tampered))
            .await;
        assert!(
            !page.text().contains("This credential is genuine"),
            "{kind}: a tampered bake verified"
        );
        let bulk = env
            .call(verify_upload("files", &format!("badge.{kind}"), &tampered))
            .await;
        assert_eq!(row_verdicts(&bulk.text()), ["tampered"], "{}", bulk.text());
    }

    // A credential without an uploaded image of that type bakes into a generated emblem.
    let plain = issue_via_api(&env, "mc-collaboration-1", "no.image@example.org").await;
    let pid = plain["id"].as_str().unwrap();
    for kind in ["png", "svg"] {
        let r = env
            .call(get(&format!("/credentials/{pid}/baked.{kind}")))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let page = env
            .call(verify_upload("file", &format!("badge.{kind}"), &r.body))
            .await;
        assert!(page.text().contains("This credential is genuine"), "{kind}");
    }
    // Unknown credentials are not downloadable.
    env.call(get(
        "/credentials/urn:uuid:00000000-0000-4000-8000-000000000000/baked.png",
    ))
    .await
    .problem(StatusCode::NOT_FOUND);
}

/// A changed image is a new URL in credentials issued afterwards (bulk calls included: the
/// template key carries the image), while the stable URL serves the new bytes.
#[tokio::test]
async fn a_changed_image_reaches_later_credentials() {
    let env = sqlite_env().await;
    let org = env.seed.org_id.clone();
    let admin = sign_in(&env, ADMIN).await;
    let mut ids = Vec::new();
    for size in [40u32, 48] {
        let png = pathledger_badges::emblem_png(size);
        let r = env
            .call(form_with_file(
                Some(&admin),
                &image_path(&org, ACH),
                Some(("badge.png", &png)),
                &[],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = env
            .call(json_req(
                Method::POST,
                "/api/v1/credentials/bulk",
                Some(&env.token(ADMIN)),
                &serde_json::json!({"rows": [
                    {"achievement": ACH, "recipient": format!("a{size}@example.org")},
                    {"achievement": ACH, "recipient": format!("b{size}@example.org")},
                ]}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        for row in r.json()["results"].as_array().unwrap() {
            let cid = row["id"].as_str().unwrap();
            let doc: Value = env.credential_json(cid).await;
            ids.push(
                doc["credentialSubject"]["achievement"]["image"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let r = env
            .call(get(&format!("/orgs/{org}/achievements/{ACH}/image")))
            .await;
        assert_eq!(r.body, png);
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[2], ids[3]);
    assert_ne!(ids[0], ids[2], "a new image is a new URL");
}

/// The public credential page in headless Chromium at 1280 and 390 px with the journey checks:
/// the hosted image loads (images from this site only), the download links are there.
/// Screenshots: `test-artifacts/journey-credential-image-{desktop,phone}.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_page_shows_the_image_in_a_browser() {
    if !chromium_available() {
        return;
    }
    let axe = common::journey::axe_source();
    let (base, env, server) = common::journey::serve_demo().await;
    let org = env.seed.org_id.clone();
    env.app
        .store()
        .put_image(
            &org,
            &ImageSubject::Achievement(ACH.into()),
            &pathledger_store::NewImage::Hosted {
                media_type: "image/png".into(),
                bytes: pathledger_badges::emblem_png(192),
            },
        )
        .await
        .unwrap();
    let issued = issue_via_api(&env, ACH, "screenshot.holder@example.org").await;
    let id = issued["id"].as_str().unwrap().to_owned();
    let mut b = common::cdp::Browser::launch().await;
    let mut problems = Vec::new();
    let url = format!("{base}/credentials/{id}");
    common::journey::check(
        &mut b,
        axe.as_deref(),
        &url,
        "credential-image",
        &mut problems,
    )
    .await;
    let loaded = b
        .eval("(() => { const i = document.querySelector('.hero-image img'); return !!i && i.complete && i.naturalWidth > 0; })()")
        .await;
    assert_eq!(loaded, Value::Bool(true), "the badge image did not load");
    let logo = b
        .eval("(() => { const i = document.querySelector('#issuer img.logo'); return !!i && i.complete && i.naturalWidth > 0; })()")
        .await;
    assert_eq!(logo, Value::Bool(true), "the demo logo did not load");
    let links = b
        .eval("[...document.querySelectorAll('#downloads a')].map(a => a.getAttribute('href')).join(' ')")
        .await;
    let links = links.as_str().unwrap_or_default();
    assert!(
        links.contains(&format!("/credentials/{id}/baked.png")),
        "{links}"
    );
    assert!(
        links.contains(&format!("/credentials/{id}/baked.svg")),
        "{links}"
    );
    assert!(problems.is_empty(), "{problems:#?}");
    server.abort();
}
