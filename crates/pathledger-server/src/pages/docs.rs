//! The API page: every operation of the OpenAPI document, with who may call it.

use maud::{html, Markup};
use serde_json::Value;

/// `doc` is the OpenAPI document.
pub fn docs_page(doc: &Value) -> Markup {
    let ops = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, op)| (path, method, op))
        });
    html! {
        h1 { "API" }
        p {
            "The machine-readable description is at " a href="/openapi.json" { "/openapi.json" }
            " (OpenAPI 3.1). Errors are " code { "application/problem+json" } "."
        }
        p {
            "Scripts authenticate with " code { "Authorization: Bearer <token>" } ". A call "
            "authenticated by the browser's session cookie instead must also send the session's "
            "form token in " code { "X-CSRF-Token" } " and a JSON body; failed tokens and sign-ins "
            "from one address are answered " code { "429" } " with " code { "Retry-After" }
            " for a while."
        }
        table {
            thead { tr { th { "Method" } th { "Path" } th { "What it does" } th { "Access" } } }
            tbody {
                @for (path, method, op) in ops {
                    tr {
                        td { code { (method.to_uppercase()) } }
                        td { code { (path) } }
                        td {
                            (op.get("summary").and_then(Value::as_str).unwrap_or(""))
                            @if let Some(d) = op.get("description").and_then(Value::as_str) {
                                br;
                                small { (d) }
                            }
                        }
                        td { @if op.get("security").is_some() { "token" } @else { "public" } }
                    }
                }
            }
        }
    }
}
