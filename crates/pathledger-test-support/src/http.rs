//! An HTTP/1.1 client over one keep-alive connection (hyper's client connection), for tests and
//! the benchmark against a real server on loopback.

use std::net::SocketAddr;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as JSON; panics (naming status and body) when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}); status {}: {}",
                self.status,
                self.text()
            )
        })
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts a problem+json answer with `status` and returns the problem.
    pub fn problem(&self, status: StatusCode) -> serde_json::Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "content type {:?}, body {}",
            self.content_type(),
            self.text()
        );
        let p = self.json();
        assert_eq!(p["status"], status.as_u16(), "{p}");
        assert!(
            p["code"].as_str().is_some_and(|c| !c.is_empty()),
            "problem without code: {p}"
        );
        p
    }

    /// The `Content-Type` header, or "".
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// One keep-alive connection to `addr`, opened on first use and again after the server closed it.
pub struct HttpClient {
    addr: SocketAddr,
    /// The `Host` header, made once.
    host: HeaderValue,
    conn: Option<SendRequest<Full<Bytes>>>,
}

impl HttpClient {
    /// A client for the server at `addr` (nothing is connected yet).
    pub fn new(addr: SocketAddr) -> Self {
        let host = HeaderValue::from_str(&addr.to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("127.0.0.1"));
        Self {
            addr,
            host,
            conn: None,
        }
    }

    async fn connection(&mut self) -> std::io::Result<&mut SendRequest<Full<Bytes>>> {
        let reusable = match &mut self.conn {
            Some(c) => !c.is_closed() && c.ready().await.is_ok(),
            None => false,
        };
        if !reusable {
            let stream = tokio::net::TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(std::io::Error::other)?;
            // The connection task ends when the server closes or the client is dropped.
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.conn = Some(send);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no connection"))
    }

    /// Sends one request (a JSON body when given, or when the method is not GET) with an optional
    /// bearer token, and reads the whole response.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> std::io::Result<Resp> {
        let method = Method::from_bytes(method.as_bytes()).map_err(std::io::Error::other)?;
        let body = Bytes::copy_from_slice(body.unwrap_or_default());
        self.send_bytes(method, path, token, body).await
    }

    /// [`HttpClient::send`] with a body the caller already holds as `Bytes` (shared, not
    /// copied: the bench sends the same credential thousands of times).
    pub async fn send_bytes(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Bytes,
    ) -> std::io::Result<Resp> {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, self.host.clone());
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if !body.is_empty() || method != Method::GET {
            req = req.header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        let req = req.body(Full::new(body)).map_err(std::io::Error::other)?;
        let conn = self.connection().await?;
        let resp = match conn.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                self.conn = None;
                return Err(std::io::Error::other(e));
            }
        };
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        Ok(Resp {
            status: parts.status,
            headers: parts.headers,
            body: Vec::from(body),
        })
    }
}
