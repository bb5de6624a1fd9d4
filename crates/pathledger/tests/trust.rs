//! `serve --trust-file` and `--trust-registry` through the binary: a credential from another
//! issuer (a did:key, so nothing is fetched) is "unknown issuer" until a trust file names it,
//! then genuine and shown under the list's name; a trust file or registry that cannot be read
//! stops `serve` with the file, line and column.

mod common;

use std::path::Path;

use common::*;
use pathledger_signing::{sign_document, Cryptosuite, ProofOptions, SigningKey};
use serde_json::{json, Value};

/// A credential of ours (issued by the CLI), re-issued by a stranger's did:key: the issuer
/// changed, our status entry dropped (a stranger cannot use our list) and signed again.
fn strangers_credential(dir: &Path, key: &SigningKey) -> Value {
    let out = dir.join("ours.json");
    ok(&run(
        dir,
        &[
            "issue",
            "--achievement",
            "mc-tools-3",
            "--recipient",
            "sam@example.org",
            "--out",
            out.to_str().expect("utf-8"),
        ],
    ));
    let mut vc: Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let doc = vc.as_object_mut().expect("object");
    doc.remove("proof");
    doc.remove("credentialStatus");
    doc["issuer"] = json!({
        "id": key.public_key().did_key(),
        "type": ["Profile"],
        "name": "Lakeside Teacher Residency",
    });
    sign_document(
        &vc,
        key,
        &ProofOptions::assertion(
            Cryptosuite::EddsaJcs2022,
            key.public_key().did_key_verification_method(),
        ),
    )
    .expect("signs")
}

fn serve(dir: &Path, extra: &[&str]) -> Server {
    let mut cmd = command(dir);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--no-demo", "--no-fetch"])
        .args(extra);
    Server::spawn(cmd, None)
}

fn verify(server: &Server, vc: &Value) -> Value {
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/verify",
        &[("Content-Type", "application/json")],
        &vc.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("a report")
}

fn issuer_message(report: &Value) -> String {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "issuer")
        .map(|c| c["message"].as_str().unwrap_or("").to_owned())
        .unwrap_or_else(|| panic!("no issuer check: {report}"))
}

#[test]
fn trust_files_name_other_issuers_and_bad_ones_stop_serve() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    ok(&run(d, &["init"]));
    let key = SigningKey::from_seed([41; 32]);
    let vc = strangers_credential(d, &key);

    // Nobody vouches for the stranger: genuine signature, unknown issuer.
    {
        let server = serve(d, &[]);
        let report = verify(&server, &vc);
        assert_eq!(report["verdict"], "unknown_issuer", "{report}");
    }

    // A trust file names it: valid, and its name and list shown.
    let list = d.join("residencies.json");
    std::fs::write(
        &list,
        json!({
            "name": "State residency programs",
            "issuers": [{"id": key.public_key().did_key(), "name": "Lakeside Teacher Residency"}],
        })
        .to_string(),
    )
    .expect("write");
    {
        let server = serve(d, &["--trust-file", list.to_str().expect("utf-8")]);
        let report = verify(&server, &vc);
        assert_eq!(report["verdict"], "valid", "{report}");
        let message = issuer_message(&report);
        assert!(
            message.contains("Lakeside Teacher Residency")
                && message.contains("State residency programs"),
            "{message}"
        );
    }

    // The DCC registry format does the same.
    let registry = d.join("dcc.json");
    std::fs::write(
        &registry,
        json!({
            "meta": {"created": "2026-01-01"},
            "registry": {key.public_key().did_key(): {"name": "Lakeside Teacher Residency", "url": "https://lakeside.example"}},
        })
        .to_string(),
    )
    .expect("write");
    {
        let server = serve(d, &["--trust-registry", registry.to_str().expect("utf-8")]);
        assert_eq!(verify(&server, &vc)["verdict"], "valid");
    }

    // A broken file stops serve before it listens, naming the file, line and column.
    for (flag, name, broken) in [
        (
            "--trust-file",
            "broken-list.json",
            "[\n  {\"id\": \"did:web:a.example\", \"name\": \"A\"},\n  {\"id\": 7}\n]\n",
        ),
        (
            "--trust-registry",
            "broken-registry.json",
            "{\"meta\": {},\n \"registry\": {\"did:web:a.example\": {\"name\": \"A\"},\n  \"did:web:b.example\": {\"name\": 7}}}\n",
        ),
    ] {
        let path = d.join(name);
        std::fs::write(&path, broken).expect("write");
        let out = command(d)
            .args(["serve", "--bind", "127.0.0.1:0", "--no-demo", "--no-fetch", flag])
            .arg(&path)
            .output()
            .expect("run serve");
        assert!(!out.status.success(), "{flag}: serve started");
        let err = text(&out.stderr);
        assert!(err.contains(name), "{flag}: {err}");
        assert!(err.contains("line 3, column"), "{flag}: {err}");
    }
}
