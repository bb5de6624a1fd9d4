//! The CLI tests' shared harness: the `pathledger` binary with none of a deployment's
//! environment, and a `pathledger serve` process on 127.0.0.1 (port 0) spoken to over plain
//! HTTP/1.1.
// Each test binary uses a different subset.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_pathledger");

/// The binary with `dir` as its working and data folder, and none of the settings a
/// deployment's environment could carry (so the developer's own shell cannot change a test).
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).arg("--data-dir").arg(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PATHLEDGER_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("PATHLEDGER_LOG", "warn");
    cmd
}

/// Runs `pathledger ARGS` in `dir` to the end.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().expect("run pathledger")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Its standard output, after asserting it succeeded (its output in the message if not).
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// A `pathledger serve` process, killed and waited for when dropped (unless it already ended).
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// What it printed before "listening" (tokens, a setup code).
    pub banner: String,
    /// Where its standard error goes, when kept.
    log: Option<PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // A stopped process would ignore the kill until continued.
        let _ = Command::new("kill")
            .arg("-CONT")
            .arg(self.child.id().to_string())
            .output();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `cmd` (a `serve … --bind 127.0.0.1:0` command) and waits until it listens. Its
    /// standard error goes to `log` when given (read with [`Server::log_text`]), else nowhere.
    pub fn spawn(mut cmd: Command, log: Option<PathBuf>) -> Server {
        let stderr = match &log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("serve log file")),
            None => Stdio::null(),
        };
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start serve");
        // Owned by `Server` at once, so the process is killed and waited for on every path.
        let mut server = Server {
            child,
            addr: ([127, 0, 0, 1], 0).into(),
            banner: String::new(),
            log,
        };
        let mut out = BufReader::new(server.child.stdout.take().expect("stdout"));
        loop {
            let mut line = String::new();
            let n = out.read_line(&mut line).expect("read serve output");
            assert!(
                n > 0,
                "serve ended before listening: {}\n{}",
                server.banner,
                server.log_text()
            );
            if let Some(rest) = line
                .trim()
                .strip_prefix("Pathledger is listening on http://")
            {
                server.addr = rest.parse().expect("address");
                break;
            }
            server.banner.push_str(&line);
        }
        // Keep draining stdout so a later print can never block the server on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = out.read_to_end(&mut sink);
        });
        server
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its standard error so far ("" when not kept).
    pub fn log_text(&self) -> String {
        self.log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    /// One HTTP/1.1 request (the connection closed after): status, head and body (chunked
    /// bodies put back together).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, String) {
        let mut s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).ok();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).expect("send");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read");
        let raw = text(&raw);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = if header(head, "transfer-encoding") == Some("chunked") {
            dechunk(body)
        } else {
            body.to_owned()
        };
        (status, head.to_owned(), body)
    }
}

/// A header's value in a response head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((len, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}
