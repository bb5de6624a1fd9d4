//! A real SMTP server for the mail tests: aiosmtpd (installed by `.ci/run` from
//! `tests/smtp/requirements.txt`) on loopback, writing what it receives to a Maildir.
//! `PATHLEDGER_REQUIRE_SMTP=1` (set by `.ci/run`) turns a missing aiosmtpd into a failure.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// An aiosmtpd process on 127.0.0.1, killed when dropped.
pub struct SmtpServer {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// Starts aiosmtpd; `None` (with a message) when it is not installed and not required.
    pub fn start() -> Option<Self> {
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

    /// The server's `smtp://127.0.0.1:port` URL (for `Mailer::new` or `--smtp-url`).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message stored so far, oldest first, as text.
    fn stored(&self) -> Vec<String> {
        let new = self.maildir.path().join("Maildir").join("new");
        let mut files: Vec<(SystemTime, std::path::PathBuf)> = std::fs::read_dir(&new)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| {
                        let modified = e.metadata().and_then(|m| m.modified()).ok()?;
                        Some((modified, e.path()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
            .collect()
    }

    /// Every message the server stored, oldest first, waiting up to 10 s for the first one.
    pub fn received(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self.stored();
            if !out.is_empty() || Instant::now() > deadline {
                return out;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The messages to `addr` (its `To:` line names it), oldest first, once there are at least
    /// `n` of them; panics after ~15 s with fewer. Blocks the thread while it waits (from an
    /// async test, the mail was sent before the page answered, so the wait is short).
    pub fn received_to(&self, addr: &str, n: usize) -> Vec<String> {
        let addr = addr.to_ascii_lowercase();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let to: Vec<String> = self
                .stored()
                .into_iter()
                .filter(|m| crate::mail_to(m).contains(&addr))
                .collect();
            if to.len() >= n {
                return to;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} message(s) to {addr} after 15 s, expected {n}; all received: {:?}",
                    to.len(),
                    self.stored()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
