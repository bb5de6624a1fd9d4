//! Mail delivery end to end through the `pathledger` binary: to a real SMTP server process on
//! loopback (aiosmtpd, `pathledger_test_support::SmtpServer`, writing what it receives to a
//! Maildir), and to the outbox folder when no SMTP server is configured.
//! `PATHLEDGER_REQUIRE_SMTP=1` (set by `.ci/run`) turns a missing aiosmtpd into a failure.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use pathledger_test_support::SmtpServer;

const BIN: &str = env!("CARGO_BIN_EXE_pathledger");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("PATHLEDGER_SMTP_URL")
        .env_remove("PATHLEDGER_MAIL_FROM")
        .env_remove("PATHLEDGER_DATA_DIR")
        .env("PATHLEDGER_LOG", "warn")
        .output()
        .expect("run pathledger")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn mail_goes_through_a_real_smtp_server() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let url = smtp.url();
    let out = run(
        dir.path(),
        &[
            "mail-test",
            "--to",
            "ana.maria@school.example",
            "--smtp-url",
            &url,
            "--mail-from",
            "Riverside Credentials <credentials@riverside.example>",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("SMTP"), "{}", text(&out.stdout));
    let got = smtp.received_to("ana.maria@school.example", 1);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(smtp.received().len(), 1, "nothing else was sent");
    let m = &got[0];
    assert!(m.contains("To: ana.maria@school.example"), "{m}");
    assert!(
        m.contains("From: \"Riverside Credentials\" <credentials@riverside.example>")
            || m.contains("From: Riverside Credentials <credentials@riverside.example>"),
        "{m}"
    );
    assert!(m.contains("Subject: Pathledger mail test"), "{m}");
    assert!(
        !dir.path().join("outbox").exists(),
        "nothing went to the outbox"
    );
}

#[test]
fn without_smtp_mail_is_written_to_the_outbox() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(
        dir.path(),
        &["mail-test", "--to", "ana.maria@school.example"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    let path = said
        .trim()
        .strip_prefix("written to the outbox: ")
        .unwrap_or_else(|| panic!("{said}"));
    assert!(path.starts_with(&dir.path().join("outbox").display().to_string()));
    let eml = std::fs::read_to_string(path).expect("the .eml file");
    assert!(eml.contains("To: ana.maria@school.example"), "{eml}");
    assert!(eml.contains("Subject: Pathledger mail test"), "{eml}");
}

#[test]
fn a_bad_smtp_url_or_address_is_refused_and_nothing_is_sent() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(
        dir.path(),
        &[
            "mail-test",
            "--to",
            "ana@school.example",
            "--smtp-url",
            "smtp://[bad",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("PATHLEDGER_SMTP_URL"),
        "{}",
        text(&out.stderr)
    );
    let out = run(dir.path(), &["mail-test", "--to", "not an address"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("the recipient is not a mail address"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("outbox").exists(), "nothing was written");
}

#[test]
fn an_unreachable_smtp_server_is_an_error_not_the_outbox() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("smtp://127.0.0.1:{port}");
    let out = run(
        dir.path(),
        &[
            "mail-test",
            "--to",
            "ana@school.example",
            "--smtp-url",
            &url,
        ],
    );
    assert!(!out.status.success());
    assert!(!dir.path().join("outbox").exists());
}
