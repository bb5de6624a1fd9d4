//! Error pages for people: a browser asking for a page (its `Accept` leads with `text/html`)
//! never sees a problem+json body. Every refusal still leaves the handlers as problem+json (the
//! one documented shape for programs); this outermost layer turns it into the same page frame
//! with the title, the sentence that explains it and a way on, keeping the status code.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use maud::html;
use serde_json::Value;

use crate::pages::layout;

/// Whether the request is a browser's page load: `Accept` lists `text/html` before any JSON.
fn wants_html(req: &Request) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let html = accept.find("text/html");
    let json = accept.find("json");
    match (html, json) {
        (Some(h), Some(j)) => h < j,
        (Some(_), None) => true,
        _ => false,
    }
}

fn what_to_do(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "Check the link you followed: it may be mistyped, or what it named was removed.",
        StatusCode::PAYLOAD_TOO_LARGE => "Send a smaller file, or split a roster into several.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the file in one of the formats this page accepts.",
        StatusCode::UNAUTHORIZED => "Sign in, then try again.",
        StatusCode::FORBIDDEN => "Your account does not have access to this. Ask an administrator of your organization if you need it.",
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => "Wait a little, then try again.",
        s if s.is_server_error() => "Something went wrong on our side; it has been logged. Try again later.",
        _ => "Go back, correct what the message names, and try again.",
    }
}

/// The layer: problem+json answers to page loads become HTML pages.
pub async fn html_for_browsers(req: Request, next: Next) -> Response {
    let html = wants_html(&req);
    let resp = next.run(req).await;
    let status = resp.status();
    if !html || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match http_body_util::Limited::new(body, 64 * 1024)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => Default::default(),
    };
    let problem: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let title = problem["title"]
        .as_str()
        .or(status.canonical_reason())
        .unwrap_or("Error")
        .to_owned();
    let detail = problem["detail"].as_str().unwrap_or("").to_owned();
    let field = problem["field"].as_str().map(str::to_owned);
    let body = html! {
        h1 { (title) }
        div.card role="alert" {
            @if !detail.is_empty() { p #problem-detail { (detail) } }
            @if let Some(f) = &field { p.muted { "About: " code.wrap { (f) } } }
            p { (what_to_do(status)) }
        }
        p { a href="/" { "Home page" } " · " a href="/verify" { "Verify a credential" } }
    };
    let page = layout(&title, None, None, body).into_string();
    let mut out = (status, page).into_response();
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    for name in [
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
        header::SET_COOKIE,
    ] {
        for v in parts.headers.get_all(&name) {
            out.headers_mut().append(name.clone(), v.clone());
        }
    }
    out
}
