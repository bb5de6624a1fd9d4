//! A minimal Chrome DevTools Protocol client for the browser tests: it launches Debian's headless
//! `chromium` ([`CHROMIUM`]) with a throwaway profile, attaches to one page and drives it
//! (navigate, evaluate, type, click, wait, screenshot into `test-artifacts/`).

use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

use super::{artifacts_dir, CHROMIUM};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A minimal DevTools Protocol client attached to one page.
pub struct Browser {
    ws: Ws,
    next_id: u64,
    session: String,
    _child: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn launch() -> Browser {
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
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
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
    pub async fn eval(&mut self, js: &str) -> Value {
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
    pub async fn wait_for(&mut self, cond: &str) {
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

    pub async fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}))
            .await
            .unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
        let path = url.split_once("//").map(|(_, r)| r).unwrap_or(url);
        let path = path.find('/').map(|i| &path[i..]).unwrap_or("/");
        let path = path.split('?').next().unwrap_or(path).to_owned();
        self.wait_for(&format!("location.pathname === {}", json!(path)))
            .await;
    }

    pub async fn screenshot(&mut self, name: &str) {
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

    /// Signs in with an API token through the sign-in form and waits until the browser has left
    /// `/login`; people land on their role's page (an educator on `/dashboard`, an assessor on
    /// `/review`, an admin on `/admin`), which must be `landing`.
    pub async fn sign_in(&mut self, base: &str, token: &str, landing: &str) {
        self.goto(&format!("{base}/login")).await;
        self.eval(&format!(
            "document.querySelector('#token').value = {}; document.querySelector('form[action=\"/login\"] button').click(); true",
            json!(token)
        ))
        .await;
        self.wait_for("location.pathname !== '/login'").await;
        assert_eq!(
            self.eval("location.pathname").await,
            json!(landing),
            "where the sign-in landed"
        );
    }

    /// Types `text` into the field `selector` as a person would (focus, select what is there,
    /// insert the text), replacing its value.
    pub async fn type_into(&mut self, selector: &str, text: &str) {
        let focused = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({}); if (!e) return false; e.focus(); e.select(); return true; }})()",
                json!(selector)
            ))
            .await;
        assert_eq!(focused, json!(true), "no field {selector}");
        self.call("Input.insertText", json!({"text": text}))
            .await
            .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
    }

    /// Clicks the element `selector` (which must exist).
    pub async fn click(&mut self, selector: &str) {
        let clicked = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({}); if (!e) return false; e.click(); return true; }})()",
                json!(selector)
            ))
            .await;
        assert_eq!(clicked, json!(true), "nothing to click at {selector}");
    }

    /// Emulates a viewport `width` CSS pixels wide (a phone at 390), or the launch size when
    /// `None`.
    pub async fn set_width(&mut self, width: Option<u32>) {
        match width {
            Some(w) => self
                .call(
                    "Emulation.setDeviceMetricsOverride",
                    json!({"width": w, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
                )
                .await
                .expect("set device metrics"),
            None => self
                .call("Emulation.clearDeviceMetricsOverride", json!({}))
                .await
                .expect("clear device metrics"),
        };
    }

    /// The width of the page's content (wider than the viewport means sideways scrolling).
    pub async fn scroll_width(&mut self) -> u64 {
        self.eval("document.documentElement.scrollWidth")
            .await
            .as_u64()
            .expect("scrollWidth")
    }

    pub async fn sign_out(&mut self) {
        self.eval("document.querySelector('form[action=\"/logout\"] button').click(); true")
            .await;
        self.wait_for(
            "location.pathname === '/' && !document.querySelector('form[action=\"/logout\"]')",
        )
        .await;
    }
}
