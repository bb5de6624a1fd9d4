//! An assessor accepting evidence, clicked through in a real headless Chromium (Debian's
//! `chromium`) driven over the Chrome DevTools Protocol: the career switcher signs in and submits
//! evidence, the mentor signs in and accepts it, and the credential appears, verified, on the
//! career switcher's dashboard. Screenshots go to `test-artifacts/`.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A minimal DevTools Protocol client attached to one page.
struct Browser {
    ws: Ws,
    next_id: u64,
    session: String,
    _child: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn launch() -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = tokio::process::Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,1800",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(u) = line.strip_prefix("DevTools listening on ") {
                    return Some(u.trim().to_owned());
                }
            }
            None
        })
        .await
        .expect("chromium did not start within 60 s")
        .expect("chromium printed no DevTools address");
        // Keep draining stderr so chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("connect to DevTools");
        let mut b = Browser {
            ws,
            next_id: 0,
            session: String::new(),
            _child: child,
            _profile: profile,
        };
        let target = b
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .await
            .expect("create target");
        let attached = b
            .call(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await
            .expect("attach");
        b.session = attached["sessionId"].as_str().expect("session").to_owned();
        b.call("Page.enable", json!({})).await.expect("page enable");
        b
    }

    /// One command; its result, or the protocol error as text.
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::Text(msg.to_string().into()))
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(60), self.ws.next())
                .await
                .map_err(|_| format!("no answer to {method} within 60 s"))?;
            let Some(Ok(Message::Text(text))) = next else {
                if next.is_none() {
                    return Err("DevTools connection closed".into());
                }
                continue;
            };
            let v: Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    return Err(e.to_string());
                }
                return Ok(v["result"].clone());
            }
        }
    }

    /// Evaluates JavaScript in the page; its value (`null` while a navigation replaces the page).
    async fn eval(&mut self, js: &str) -> Value {
        match self
            .call(
                "Runtime.evaluate",
                json!({"expression": js, "returnByValue": true, "awaitPromise": true}),
            )
            .await
        {
            Ok(r) if r.get("exceptionDetails").is_none() => r["result"]["value"].clone(),
            _ => Value::Null,
        }
    }

    /// Waits until the loaded page satisfies `cond` (a JavaScript expression).
    async fn wait_for(&mut self, cond: &str) {
        let js = format!("document.readyState === 'complete' && !!({cond})");
        for _ in 0..300 {
            if self.eval(&js).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let html = self.eval("document.documentElement.outerHTML").await;
        panic!("page never satisfied {cond}: {html}");
    }

    async fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}))
            .await
            .unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
        let path = url.split_once("//").map(|(_, r)| r).unwrap_or(url);
        let path = path.find('/').map(|i| &path[i..]).unwrap_or("/");
        let path = path.split('?').next().unwrap_or(path).to_owned();
        self.wait_for(&format!("location.pathname === {}", json!(path)))
            .await;
    }

    async fn screenshot(&mut self, name: &str) {
        let r = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await
            .expect("screenshot");
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            r["data"].as_str().expect("data"),
        )
        .expect("base64");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}");
        std::fs::write(artifacts_dir().join(name), png).expect("write screenshot");
    }

    async fn sign_in(&mut self, base: &str, token: &str) {
        self.goto(&format!("{base}/login")).await;
        self.eval(&format!(
            "document.querySelector('#token').value = {}; document.querySelector('form[action=\"/login\"] button').click(); true",
            json!(token)
        ))
        .await;
        self.wait_for("location.pathname === '/dashboard'").await;
    }

    async fn sign_out(&mut self) {
        self.eval("document.querySelector('form[action=\"/logout\"] button').click(); true")
            .await;
        self.wait_for(
            "location.pathname === '/' && !document.querySelector('form[action=\"/logout\"]')",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assessor_accepts_evidence_and_the_credential_appears() {
    if !chromium_available() {
        return;
    }
    let (listener, addr) = pathledger_server::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let base = format!("http://{addr}");
    let env = sqlite_env_at(&base).await;
    let server = tokio::spawn(pathledger_server::serve(listener, env.app.clone()));
    // Jordan's demo mc-student-management-1 expires a second after seeding; then it can be
    // earned again through evidence.
    let_expire(&env).await;
    let ach = "mc-student-management-1";
    let mut b = Browser::launch().await;

    // The career switcher submits evidence.
    b.sign_in(&base, &env.token(JORDAN)).await;
    b.goto(&format!("{base}/evidence")).await;
    b.wait_for(&format!(
        "document.querySelector('#achievement option[value=\"{ach}\"]')"
    ))
    .await;
    b.eval(&format!(
        "document.querySelector('#achievement').value = '{ach}';\
         document.querySelector('#narrative').value = 'Built a class charter with my students and kept a behavior log for four weeks.';\
         document.querySelector('#url').value = 'https://portfolio.example/charter';\
         document.querySelector('form[action=\"/evidence\"] button[type=submit]').click(); true"
    ))
    .await;
    b.wait_for("document.querySelector('#notice')").await;
    assert_eq!(
        b.eval("document.querySelectorAll('#submissions tr[data-state=\"submitted\"]').length")
            .await,
        json!(1)
    );
    b.screenshot("evidence-submitted.png").await;
    b.sign_out().await;

    // The mentor reviews and accepts it.
    b.sign_in(&base, &env.token(MENTOR)).await;
    b.goto(&format!("{base}/review")).await;
    b.wait_for("document.querySelector('article[data-submission]')")
        .await;
    assert!(b
        .eval("document.querySelector('#open').innerText")
        .await
        .as_str()
        .is_some_and(|t| t.contains("class charter") && t.contains("Jordan Rivera")));
    b.screenshot("review-waiting.png").await;
    b.eval(
        "const a = document.querySelector('article[data-submission]');\
         a.querySelector('textarea').value = 'Clear routines, and the log shows fewer disruptions.';\
         a.querySelector('button[value=accept]').click(); true",
    )
    .await;
    b.wait_for("document.querySelector('#notice') && document.querySelector('#notice').innerText.includes('The credential was issued')")
        .await;
    let cred_href = b
        .eval("document.querySelector('#notice a').getAttribute('href')")
        .await;
    let cred_path = cred_href
        .as_str()
        .expect("a link to the credential")
        .to_owned();
    b.screenshot("review-accepted.png").await;
    // The credential's public page verifies it on view.
    b.goto(&format!("{base}{cred_path}")).await;
    b.wait_for("document.querySelector('.verdict.big')").await;
    assert_eq!(
        b.eval("document.querySelector('.verdict.big').dataset.verdict")
            .await,
        json!("valid")
    );
    b.sign_out().await;

    // The career switcher sees it on the dashboard, re-verified, with progress moved.
    b.sign_in(&base, &env.token(JORDAN)).await;
    b.wait_for(&format!(
        "document.querySelector('tr[data-achievement=\"{ach}\"] .verdict-valid')"
    ))
    .await;
    assert!(b
        .eval("document.querySelectorAll('[role=progressbar]').length")
        .await
        .as_u64()
        .is_some_and(|n| n >= 5));
    b.screenshot("dashboard-after-acceptance.png").await;
    b.goto(&format!("{base}/evidence")).await;
    assert_eq!(
        b.eval("document.querySelectorAll('#submissions tr[data-state=\"accepted\"]').length")
            .await,
        json!(1)
    );
    server.abort();
}
