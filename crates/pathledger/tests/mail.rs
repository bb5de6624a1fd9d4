//! Mail delivery end to end through the `pathledger` binary: to a real SMTP server process on
//! loopback (aiosmtpd, installed by `.ci/run` from `tests/smtp/requirements.txt`, writing what it
//! receives to a Maildir), and to the outbox folder when no SMTP server is configured.
//! `PATHLEDGER_REQUIRE_SMTP=1` (set by `.ci/run`) turns a missing aiosmtpd into a failure.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// An aiosmtpd process on 127.0.0.1, killed when dropped.
struct SmtpServer {
    child: Child,
    addr: SocketAddr,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// `None` (with a message) when aiosmtpd is not installed and not required.
    fn start() -> Option<Self> {
        let available = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !available {
            assert!(
                std::env::var("PATHLEDGER_REQUIRE_SMTP").as_deref() != Ok("1"),
                "aiosmtpd is required (pip install --require-hashes -r tests/smtp/requirements.txt)"
            );
            eprintln!("skipping: aiosmtpd is not installed (see tests/smtp/requirements.txt)");
            return None;
        }
        let maildir = tempfile::tempdir().expect("maildir");
        for _ in 0..5 {
            // aiosmtpd needs a port number: take a free one from the kernel, then hand it over.
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let mut child = Command::new("python3")
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir.path().join("Maildir"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start aiosmtpd");
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return Some(Self {
                        child,
                        addr,
                        maildir,
                    });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("aiosmtpd did not start");
    }

    /// Every message the server stored, as text.
    fn received(&self) -> Vec<String> {
        let new = self.maildir.path().join("Maildir").join("new");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut out: Vec<String> = std::fs::read_dir(&new)
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                        .collect()
                })
                .unwrap_or_default();
            if !out.is_empty() || Instant::now() > deadline {
                out.sort();
                return out;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn mail_goes_through_a_real_smtp_server() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("smtp://{}", smtp.addr);
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
    let got = smtp.received();
    assert_eq!(got.len(), 1, "{got:?}");
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
