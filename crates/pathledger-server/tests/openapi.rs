//! The OpenAPI document against the code and the running server: every route the server
//! answers is either a documented operation or a listed page; every documented operation
//! answers only with statuses (and content types, and bodies) the document declares for it.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use pathledger_server::PAGE_ROUTES;
use serde_json::{json, Value};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// Browser sign-in routes: their refusals are HTML pages, not problem+json.
const BROWSER_ROUTES: [&str; 2] = ["/login/oidc/{org}", "/login/oidc/callback"];

/// Routes that answer errors in OAuth's JSON (`error`, `error_description`) because wallets
/// read that, not problem+json (OpenID4VCI's token and credential endpoints).
const OAUTH_ROUTES: [&str; 2] = ["/oid4vci/token", "/oid4vci/credential"];

/// A syntactically valid id that names nothing.
const UNKNOWN: &str = "00000000-0000-4000-8000-00000000dead";

fn doc() -> Value {
    pathledger_server::openapi::document()
}

/// Every (method, path, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// The `{name}`s of a path template.
fn template_params(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

/// Resolves `#/components/...` references.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("local reference");
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling reference {r}"))
        }
        None => v,
    }
}

#[test]
fn document_is_openapi_3_1_with_bearer_and_problem() {
    let doc = doc();
    // Valid JSON text, and the same document once parsed again.
    let text = serde_json::to_string(&doc).expect("serializes");
    let again: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(again, doc);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Pathledger API");
    assert!(doc["info"]["version"].is_string());
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http", "{bearer}");
    assert_eq!(bearer["scheme"], "bearer", "{bearer}");
    let problem = &doc["components"]["schemas"]["Problem"];
    for member in [
        "type",
        "title",
        "status",
        "code",
        "detail",
        "field",
        "retryable",
    ] {
        assert!(
            problem["properties"][member].is_object(),
            "Problem lacks {member}: {problem}"
        );
    }
    let verdicts: Vec<&str> = doc["components"]["schemas"]["Verdict"]["enum"]
        .as_array()
        .expect("verdict enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for v in pathledger_badges::Verdict::ALL {
        assert!(verdicts.contains(&v.code()), "{} missing", v.code());
    }
    assert_eq!(verdicts.len(), pathledger_badges::Verdict::ALL.len());
    let ops = operations(&doc);
    assert!(ops.len() >= 60, "only {} operations", ops.len());
    // Every reference resolves.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let p = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(p).is_some(), "dangling {r}");
    }
}

#[test]
fn operations_are_complete() {
    let doc = doc();
    let mut failures = Vec::new();
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let at = format!("{} {path}", method.to_uppercase());
        // Path parameters: exactly the template's, required, described.
        let declared: BTreeSet<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                if p["required"] != true {
                    failures.push(format!("{at}: path parameter {} not required", p["name"]));
                }
                if p["description"].as_str().is_none_or(str::is_empty) {
                    failures.push(format!("{at}: path parameter {} undescribed", p["name"]));
                }
                p["name"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        if declared != template_params(&path) {
            failures.push(format!(
                "{at}: path parameters {declared:?} vs template {:?}",
                template_params(&path)
            ));
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["schema"].is_null() {
                failures.push(format!("{at}: parameter {} has no schema", p["name"]));
            }
        }
        if op["summary"].as_str().is_none_or(str::is_empty) {
            failures.push(format!("{at}: no summary"));
        }
        if op["tags"].as_array().is_none_or(Vec::is_empty) {
            failures.push(format!("{at}: no tag"));
        }
        if let Some(id) = op["operationId"].as_str() {
            if !ids.insert(id.to_owned()) {
                failures.push(format!("{at}: operationId {id} twice"));
            }
        }
        // Request bodies: every JSON content has a schema.
        if let Some(body) = op.get("requestBody") {
            if body["required"] != true
                && !(path.ends_with("/revoke")
                    || path.ends_with("/suspend")
                    || path.ends_with("/reinstate")
                    || path.ends_with("/deletion-request"))
            {
                failures.push(format!("{at}: request body not required"));
            }
            let content = body["content"].as_object();
            if content.is_none_or(|c| c.is_empty()) {
                failures.push(format!("{at}: request body without content"));
            }
            for (ct, media) in content.into_iter().flatten() {
                if ct.ends_with("json") && media["schema"].is_null() {
                    failures.push(format!("{at}: request body {ct} without schema"));
                }
            }
        }
        // Responses: a success, and every client error as problem+json with the Problem schema
        // (the browser sign-in routes answer refusals with pages).
        let responses = op["responses"].as_object().expect("responses");
        if !responses
            .keys()
            .any(|s| s.starts_with('2') || s.starts_with('3'))
        {
            failures.push(format!("{at}: no success response"));
        }
        let secured = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        if secured && !responses.contains_key("401") {
            failures.push(format!("{at}: secured but no 401"));
        }
        for (status, resp) in responses {
            let resp = resolve(&doc, resp);
            if !status.starts_with('4') {
                continue;
            }
            if BROWSER_ROUTES.contains(&path.as_str()) {
                if resp["content"]["text/html"].is_null() {
                    failures.push(format!("{at}: {status} is not an HTML page"));
                }
                continue;
            }
            if OAUTH_ROUTES.contains(&path.as_str()) {
                if resp["content"]["application/json"]["schema"]["$ref"]
                    != "#/components/schemas/OAuthError"
                {
                    failures.push(format!("{at}: {status} is not an OAuthError: {resp}"));
                }
                continue;
            }
            let schema = &resp["content"]["application/problem+json"]["schema"];
            if schema["$ref"] != "#/components/schemas/Problem" {
                failures.push(format!(
                    "{at}: {status} is not application/problem+json Problem: {resp}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `(METHOD, path)` of every `.route("path", get(..).post(..))` in the server's source.
fn source_routes() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (file, text) in sources() {
        let mut rest = text.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let start = rest.find('"').expect("route path literal") + 1;
            let end = start + rest[start..].find('"').expect("end of the path");
            let path = rest[start..end].to_owned();
            // The method router: up to the `)` closing `.route(`.
            let mut depth = 1;
            let mut close = end;
            for (j, c) in rest[end..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = end + j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let args = &rest[end + 1..close];
            let mut found = false;
            for m in METHODS {
                for (k, _) in args.match_indices(&format!("{m}(")) {
                    let before = args[..k].chars().last();
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        out.insert((m.to_uppercase(), path.clone()));
                        found = true;
                    }
                }
            }
            assert!(found, "{file}: no method for .route({path:?})");
        }
    }
    out
}

/// `(METHOD, path)` of every `#[utoipa::path(method, path = "…")]` in the server's source.
fn source_annotations() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (file, text) in sources() {
        for (i, _) in text.match_indices("#[utoipa::path(") {
            let rest = &text[i + "#[utoipa::path(".len()..];
            let method: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphabetic())
                .collect();
            let p = rest.find("path = \"").expect("path =") + "path = \"".len();
            let path = rest[p..p + rest[p..].find('"').expect("end")].to_owned();
            assert!(
                METHODS.contains(&method.as_str()),
                "{file}: method {method:?} of {path}"
            );
            out.insert((method.to_uppercase(), path));
        }
    }
    out
}

fn sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).expect("source folder") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source");
                out.push((p.display().to_string(), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

#[test]
fn every_route_is_a_documented_operation_or_a_listed_page() {
    let doc = doc();
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m.to_uppercase(), p))
        .collect();
    let pages: BTreeSet<(String, String)> = PAGE_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(pages.len(), PAGE_ROUTES.len(), "PAGE_ROUTES has duplicates");
    // Plain `.route(…)` registrations are exactly the listed pages …
    let plain = source_routes();
    let unlisted: Vec<_> = plain.difference(&pages).collect();
    assert!(
        unlisted.is_empty(),
        "routes registered with .route() that are neither pages in PAGE_ROUTES nor documented \
         (register JSON routes with routes!(handler) and #[utoipa::path]): {unlisted:?}"
    );
    let stale: Vec<_> = pages.difference(&plain).collect();
    assert!(
        stale.is_empty(),
        "PAGE_ROUTES lists routes that do not exist: {stale:?}"
    );
    // … no page is also an operation …
    let both: Vec<_> = pages.intersection(&documented).collect();
    assert!(both.is_empty(), "pages that are also operations: {both:?}");
    // … and every annotated handler is registered (its operation is in the document).
    let annotated = source_annotations();
    let unregistered: Vec<_> = annotated.difference(&documented).collect();
    assert!(
        unregistered.is_empty(),
        "#[utoipa::path] handlers not registered with routes!: {unregistered:?}"
    );
    assert_eq!(annotated, documented);
}

/// A minimal JSON Schema check (the subset utoipa writes): types, enums, required and known
/// members, items, oneOf/anyOf/allOf, references.
fn check_schema(doc: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(alts) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        let mut best: Option<Vec<String>> = None;
        for alt in alts {
            let mut e = Vec::new();
            check_schema(doc, alt, v, at, &mut e);
            if e.is_empty() {
                return;
            }
            if best.as_ref().is_none_or(|b| e.len() < b.len()) {
                best = Some(e);
            }
        }
        errs.extend(best.unwrap_or_default());
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check_schema(doc, s, v, at, errs);
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => true,
        });
        if !ok {
            errs.push(format!("{at}: {v} is not {types:?}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !v.is_null() && !e.contains(v) {
            errs.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let Value::Object(m) = v {
        let props = schema.get("properties").and_then(Value::as_object);
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap_or_default();
            if !m.contains_key(r) {
                errs.push(format!("{at}: required member {r} missing"));
            }
        }
        let open = schema
            .get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false));
        if let Some(props) = props {
            for (k, x) in m {
                match props.get(k) {
                    Some(s) => check_schema(doc, s, x, &format!("{at}/{k}"), errs),
                    None if !open => errs.push(format!("{at}: member {k} not in the schema")),
                    None => {}
                }
            }
        }
    }
    if let (Value::Array(a), Some(items)) = (v, schema.get("items")) {
        for (i, x) in a.iter().take(20).enumerate() {
            check_schema(doc, items, x, &format!("{at}/{i}"), errs);
        }
    }
}

/// A probe of one operation.
struct Probe<'a> {
    method: &'a str,
    path: &'a str,
    op: &'a Value,
    token: Option<&'a str>,
    /// Path parameter values.
    values: BTreeMap<String, String>,
    /// Send a body (`{}` for JSON, an empty CSV) when the operation takes one.
    with_body: bool,
}

impl Probe<'_> {
    fn request(&self) -> Request<Body> {
        let mut uri = self.path.to_owned();
        for (k, v) in &self.values {
            uri = uri.replace(&format!("{{{k}}}"), v);
        }
        for name in template_params(self.path) {
            uri = uri.replace(&format!("{{{name}}}"), UNKNOWN);
        }
        // Required query parameters get a value of their type.
        let query: Vec<String> = self.op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .map(|p| {
                let v = if p["schema"]["type"] == "integer" {
                    "1"
                } else {
                    "unknown"
                };
                format!("{}={v}", p["name"].as_str().unwrap_or_default())
            })
            .collect();
        if !query.is_empty() {
            uri = format!("{uri}?{}", query.join("&"));
        }
        let mut b = Request::builder()
            .method(Method::from_bytes(self.method.to_uppercase().as_bytes()).expect("method"))
            .uri(uri);
        if let Some(t) = self.token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let content = self.op["requestBody"]["content"].as_object();
        match content {
            Some(c) if self.with_body && c.contains_key("application/json") => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}")),
            Some(c) if self.with_body && c.contains_key("text/csv") => b
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::empty()),
            _ => b.body(Body::empty()),
        }
        .expect("request")
    }

    /// What the answer breaks in the document, if anything.
    async fn failures(&self, env: &TestEnv, doc: &Value) -> Vec<String> {
        let req = self.request();
        let uri = req.uri().to_string();
        let who = if self.token.is_some() {
            "admin"
        } else {
            "anonymous"
        };
        let at = format!(
            "{} {} ({who}, {uri})",
            self.method.to_uppercase(),
            self.path
        );
        let r = env.call(req).await;
        answer_failures(doc, self.op, &at, &r)
    }
}

/// What an answer to `op` breaks in the document: an undeclared status, an undeclared content
/// type, a JSON body that does not fit the declared schema.
fn answer_failures(doc: &Value, op: &Value, at: &str, r: &Resp) -> Vec<String> {
    let status = r.status.as_u16().to_string();
    let Some(declared) = op["responses"].get(&status) else {
        return vec![format!(
            "{at}: answered {} which the document does not declare (declared: {:?}); body: {}",
            r.status,
            op["responses"]
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>()),
            r.text().chars().take(300).collect::<String>()
        )];
    };
    let declared = resolve(doc, declared);
    let Some(content) = declared["content"].as_object() else {
        if !r.body.is_empty() && r.status != StatusCode::SEE_OTHER {
            return vec![format!("{at}: {status} declared without a body, sent one")];
        }
        return Vec::new();
    };
    let ct = r
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some(media) = content.get(&ct) else {
        return vec![format!(
            "{at}: {status} sent {ct:?}, declared {:?}",
            content.keys().collect::<Vec<_>>()
        )];
    };
    if ct.ends_with("json") {
        let Ok(v) = serde_json::from_slice::<Value>(&r.body) else {
            return vec![format!("{at}: {status} body is not JSON")];
        };
        let mut errs = Vec::new();
        check_schema(
            doc,
            &media["schema"],
            &v,
            &format!("{at} {status}"),
            &mut errs,
        );
        return errs;
    }
    Vec::new()
}

/// Values of path parameters that name real things (for reads).
async fn real_values(env: &TestEnv, path: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("org".to_owned(), env.seed.org_id.clone());
    let id = if path.starts_with("/api/v1/credentials/") || path.starts_with("/api/v1/log/") {
        Some(env.sample("valid"))
    } else if path.starts_with("/api/v1/educators/") {
        Some(env.educator_id(JORDAN))
    } else if path.starts_with("/issuers/") || path.starts_with("/api/v1/issuers/") {
        Some(env.seed.issuer_id.clone())
    } else {
        None
    };
    if let Some(id) = id {
        m.insert("id".to_owned(), id);
    }
    if path == "/status/{list_id}" {
        let cred = env.credential_json(&env.sample("valid")).await;
        let status = if cred["credentialStatus"].is_array() {
            cred["credentialStatus"][0].clone()
        } else {
            cred["credentialStatus"].clone()
        };
        let url = status["statusListCredential"].as_str().expect("list URL");
        m.insert(
            "list_id".to_owned(),
            url.rsplit('/').next().expect("list id").to_owned(),
        );
    }
    m
}

#[tokio::test]
async fn every_operation_answers_as_documented() {
    let env = sqlite_env().await;
    let doc = doc();
    let admin = env.token(ADMIN);
    let mut failures = Vec::new();
    let ops = operations(&doc);
    for (method, path, op) in &ops {
        // Anonymous, unknown ids, an empty body: 401 on secured routes, 404 on unknown ids,
        // 4xx on the empty body.
        let mut probes = vec![Probe {
            method,
            path,
            op,
            token: None,
            values: BTreeMap::new(),
            with_body: true,
        }];
        // As an org admin, unknown ids and an empty body (nothing changes: every write names
        // nothing or is refused).
        probes.push(Probe {
            token: Some(&admin),
            ..probes[0].clone_shallow()
        });
        // Without a body at all: 415 / 400 / 422, or the optional body's absence.
        if op.get("requestBody").is_some() {
            probes.push(Probe {
                with_body: false,
                ..probes[1].clone_shallow()
            });
        }
        // A blank id (a tab) where ids go, as an org admin.
        if !template_params(path).is_empty() {
            probes.push(Probe {
                values: template_params(path)
                    .into_iter()
                    .map(|n| (n, "%09".to_owned()))
                    .collect(),
                ..probes[1].clone_shallow()
            });
        }
        // Reads as an org admin with real ids: the answers must fit their schemas.
        if method == "get" {
            probes.push(Probe {
                values: real_values(&env, path).await,
                ..probes[1].clone_shallow()
            });
        }
        for p in &probes {
            failures.extend(p.failures(&env, &doc).await);
        }
    }
    assert!(
        failures.is_empty(),
        "{} answers the document does not describe:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

impl<'a> Probe<'a> {
    fn clone_shallow(&self) -> Probe<'a> {
        Probe {
            method: self.method,
            path: self.path,
            op: self.op,
            token: self.token,
            values: self.values.clone(),
            with_body: self.with_body,
        }
    }
}

#[tokio::test]
async fn no_other_method_is_served_on_documented_paths_and_pages_exist() {
    let env = sqlite_env().await;
    let doc = doc();
    let mut failures = Vec::new();
    let pages: BTreeSet<(String, String)> = PAGE_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let fill = |path: &str| {
        let mut uri = path.to_owned();
        for name in template_params(path) {
            uri = uri.replace(&format!("{{{name}}}"), UNKNOWN);
        }
        uri
    };
    let send = |method: &str, uri: String| {
        Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::empty())
            .expect("request")
    };
    // A documented path answers 405 to the methods it does not document (unless a page
    // route of the same path has them).
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            let upper = m.to_uppercase();
            if item.get(m).is_some() || pages.contains(&(upper.clone(), path.clone())) {
                continue;
            }
            let r = env.call(send(&upper, fill(path))).await;
            if r.status != StatusCode::METHOD_NOT_ALLOWED {
                failures.push(format!(
                    "{upper} {path}: answered {} though undocumented",
                    r.status
                ));
            }
        }
    }
    // Every listed page route exists with its method (not 405, not the fallback's 404).
    for (m, path) in PAGE_ROUTES {
        let r = env.call(send(m, fill(path))).await;
        let fallback =
            r.status == StatusCode::NOT_FOUND && r.text().contains("No such page or endpoint.");
        if r.status == StatusCode::METHOD_NOT_ALLOWED || fallback {
            failures.push(format!("page {m} {path}: not served ({})", r.status));
        }
    }
    // And an unknown path is the fallback's problem+json 404.
    let r = env.call(get("/api/v1/no-such-endpoint")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.problem(StatusCode::NOT_FOUND)["code"], json!("not_found"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Real calls that succeed, each answer checked against the document: the bodies of writes.
struct Flow<'a> {
    env: &'a TestEnv,
    doc: Value,
    failures: Vec<String>,
}

impl Flow<'_> {
    /// Calls `method uri` (an instance of the documented `template`) and checks the answer;
    /// with `must_succeed`, a status outside 2xx is a failure too. The JSON answer, or null.
    async fn call(
        &mut self,
        method: &str,
        template: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
        must_succeed: bool,
    ) -> Value {
        let op = self.doc["paths"][template][method].clone();
        assert!(op.is_object(), "{method} {template} is not documented");
        let mut b = Request::builder()
            .method(Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"))
            .uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(Value::String(csv)) => b
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(csv)),
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .expect("request");
        let r = self.env.call(req).await;
        let at = format!("{} {template} ({uri})", method.to_uppercase());
        self.failures
            .extend(answer_failures(&self.doc, &op, &at, &r));
        if must_succeed && !r.status.is_success() {
            self.failures.push(format!(
                "{at}: expected a success, got {}: {}",
                r.status,
                r.text().chars().take(300).collect::<String>()
            ));
        }
        serde_json::from_slice(&r.body).unwrap_or(Value::Null)
    }
}

#[tokio::test]
async fn successful_writes_answer_as_documented() {
    let env = sqlite_env().await;
    let mut f = Flow {
        env: &env,
        doc: doc(),
        failures: Vec::new(),
    };
    let org = env.seed.org_id.clone();
    let (admin, issuer, mentor, jordan) = (
        env.token(ADMIN),
        env.token(ISSUER),
        env.token(MENTOR),
        env.token(JORDAN),
    );
    let (admin, issuer, mentor, jordan) = (
        Some(admin.as_str()),
        Some(issuer.as_str()),
        Some(mentor.as_str()),
        Some(jordan.as_str()),
    );

    // Issuance and status changes.
    let issued = f
        .call(
            "post",
            "/api/v1/credentials",
            "/api/v1/credentials",
            issuer,
            Some(
                json!({"achievement": "mc-tools-1", "recipient": "openapi.one@example.org",
                        "suspendable": true, "valid_until": "2040-01-01T00:00:00Z"}),
            ),
            true,
        )
        .await;
    let id = issued["id"].as_str().unwrap_or(UNKNOWN).to_owned();
    for (verb, body) in [
        ("suspend", Some(json!({"reason": "checking"}))),
        ("reinstate", None),
        ("revoke", Some(json!({}))),
    ] {
        let t = format!("/api/v1/credentials/{{id}}/{verb}");
        let u = format!("/api/v1/credentials/{id}/{verb}");
        f.call("post", &t, &u, issuer, body, true).await;
    }
    let cred = env.credential_json(&env.sample("valid")).await;
    f.call(
        "post",
        "/credentials/verify",
        "/credentials/verify",
        None,
        Some(json!({"verifiableCredential": cred, "options": {"checks": ["proof", "status"]}})),
        true,
    )
    .await;
    f.call(
        "post",
        "/credentials/verify",
        "/credentials/verify",
        None,
        Some(json!({"verifiableCredential": tampered(cred.clone())})),
        false,
    )
    .await;
    f.call(
        "post",
        "/presentations/verify",
        "/presentations/verify",
        None,
        Some(json!({"verifiablePresentation": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [cred.clone()]}})),
        false,
    )
    .await;
    f.call(
        "post",
        "/api/v1/verify/batch",
        "/api/v1/verify/batch",
        None,
        Some(json!([cred.clone(), {"not": "a credential"}])),
        true,
    )
    .await;
    f.call(
        "post",
        "/credentials/issue",
        "/credentials/issue",
        issuer,
        Some(json!({"credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential", "AlumniCredential"],
            "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}}})),
        true,
    )
    .await;
    f.call(
        "post",
        "/api/v1/credentials/bulk",
        "/api/v1/credentials/bulk",
        issuer,
        Some(json!({"rows": [
            {"achievement": "mc-tools-1", "recipient": "openapi.two@example.org"},
            {"achievement": "mc-nope", "recipient": "openapi.three@example.org"}]})),
        true,
    )
    .await;

    // Evidence, review, endorsement.
    let sub = f
        .call(
            "post",
            "/api/v1/evidence",
            "/api/v1/evidence",
            jordan,
            Some(json!({"achievement": "mc-collaboration-1",
                        "narrative": "Led our grade-level PLC for a term.",
                        "assessor": env.account(MENTOR).user_id})),
            true,
        )
        .await;
    let sub_id = sub["id"].as_str().unwrap_or(UNKNOWN).to_owned();
    f.call(
        "get",
        "/api/v1/evidence/{id}",
        &format!("/api/v1/evidence/{sub_id}"),
        jordan,
        None,
        true,
    )
    .await;
    f.call(
        "get",
        "/api/v1/evidence",
        "/api/v1/evidence",
        mentor,
        None,
        true,
    )
    .await;
    f.call(
        "post",
        "/api/v1/evidence/{id}/decision",
        &format!("/api/v1/evidence/{sub_id}/decision"),
        mentor,
        Some(json!({"decision": "accept", "comment": "Well shown."})),
        true,
    )
    .await;
    let defs = env.app.definitions(&org).await.expect("definitions");
    let quality = defs
        .framework()
        .competencies
        .iter()
        .find(|c| c.category == pathledger_core::Category::Qualities)
        .expect("a quality")
        .id
        .to_string();
    f.call(
        "post",
        "/api/v1/endorsements",
        "/api/v1/endorsements",
        mentor,
        Some(
            json!({"educator": env.educator_id(AVERY), "competency": quality,
                    "endorser_role": "role-master-mentor", "comment": "Coaches peers."}),
        ),
        true,
    )
    .await;

    // Definitions and keys.
    let t = "/api/v1/orgs/{org}/definitions";
    let u = format!("/api/v1/orgs/{org}/definitions");
    let current = f.call("get", t, &u, admin, None, true).await;
    f.call("put", t, &u, admin, Some(current), true).await;
    f.call("get", t, &format!("{u}?format=case"), admin, None, true)
        .await;
    f.call(
        "post",
        "/api/v1/issuers/{id}/keys/rotate",
        &format!("/api/v1/issuers/{}/keys/rotate", env.seed.issuer_id),
        admin,
        None,
        true,
    )
    .await;

    // Invitations, roster, enrollment.
    let t = "/api/v1/orgs/{org}/invitations";
    let u = format!("/api/v1/orgs/{org}/invitations");
    let inv = f
        .call(
            "post",
            t,
            &u,
            admin,
            Some(json!({"email": "openapi.invitee@example.org", "name": "Invitee", "roles": ["educator"]})),
            true,
        )
        .await;
    f.call(
        "delete",
        "/api/v1/orgs/{org}/invitations/{id}",
        &format!("{u}/{}", inv["id"].as_str().unwrap_or(UNKNOWN)),
        admin,
        None,
        true,
    )
    .await;
    f.call(
        "post",
        "/api/v1/orgs/{org}/invitations/roster",
        &format!("{u}/roster"),
        admin,
        Some(Value::String(
            "email,name,roles\nkim@riverside.example,Kim Park,educator\nnot-an-address,Bad,educator\n"
                .to_owned(),
        )),
        true,
    )
    .await;
    let t = "/api/v1/orgs/{org}/enrollment";
    let u = format!("/api/v1/orgs/{org}/enrollment");
    f.call("put", t, &u, admin, Some(json!({"open": true})), true)
        .await;

    // Endorser grants, members, trusted issuers.
    let t = "/api/v1/orgs/{org}/endorsers";
    let u = format!("/api/v1/orgs/{org}/endorsers");
    let grant = f
        .call(
            "post",
            t,
            &u,
            admin,
            Some(json!({"user": ISSUER, "role": "role-master-mentor"})),
            true,
        )
        .await;
    f.call(
        "delete",
        "/api/v1/orgs/{org}/endorsers/{grant}",
        &format!("{u}/{}", grant["id"].as_str().unwrap_or(UNKNOWN)),
        admin,
        None,
        true,
    )
    .await;
    let hr = env.account(HR).user_id.clone();
    let m = format!("/api/v1/orgs/{org}/members/{hr}");
    f.call(
        "put",
        "/api/v1/orgs/{org}/members/{user}/roles",
        &format!("{m}/roles"),
        admin,
        Some(json!({"roles": ["verifier", "assessor"]})),
        true,
    )
    .await;
    for verb in ["deactivate", "reactivate"] {
        f.call(
            "post",
            &format!("/api/v1/orgs/{{org}}/members/{{user}}/{verb}"),
            &format!("{m}/{verb}"),
            admin,
            None,
            true,
        )
        .await;
    }
    let t = "/api/v1/orgs/{org}/trusted-issuers";
    let u = format!("/api/v1/orgs/{org}/trusted-issuers");
    f.call(
        "post",
        t,
        &u,
        admin,
        Some(json!({"issuer": env.seed.other_issuer_id})),
        true,
    )
    .await;
    f.call("get", t, &u, admin, None, true).await;
    f.call(
        "delete",
        "/api/v1/orgs/{org}/trusted-issuers/{issuer}",
        &format!("{u}/{}", env.seed.other_issuer_id),
        admin,
        None,
        true,
    )
    .await;
    f.call(
        "post",
        "/api/v1/me/educators",
        "/api/v1/me/educators",
        jordan,
        Some(json!({"org": env.seed.other_org_id})),
        false,
    )
    .await;

    // Tokens and the caller's own choices.
    let token = f
        .call(
            "post",
            "/api/v1/me/tokens",
            "/api/v1/me/tokens",
            admin,
            Some(json!({"label": "openapi test", "expires_in_days": 3})),
            true,
        )
        .await;
    f.call(
        "delete",
        "/api/v1/me/tokens/{id}",
        &format!(
            "/api/v1/me/tokens/{}",
            token["id"].as_str().unwrap_or(UNKNOWN)
        ),
        admin,
        None,
        true,
    )
    .await;
    let jordan_id = env.educator_id(JORDAN);
    f.call(
        "put",
        "/api/v1/educators/{id}/community",
        &format!("/api/v1/educators/{jordan_id}/community"),
        jordan,
        Some(json!({"visibility": "public"})),
        true,
    )
    .await;

    // Deletion: asked, declined, asked again, carried out (last: it erases Jordan's record).
    let ask = format!("/api/v1/educators/{jordan_id}/deletion-request");
    let t_ask = "/api/v1/educators/{id}/deletion-request";
    let req = f.call("post", t_ask, &ask, jordan, None, true).await;
    f.call(
        "post",
        "/api/v1/orgs/{org}/deletion-requests/{id}/decline",
        &format!(
            "/api/v1/orgs/{org}/deletion-requests/{}/decline",
            req["id"].as_str().unwrap_or(UNKNOWN)
        ),
        admin,
        Some(json!({"reason": "Records must be kept this year."})),
        true,
    )
    .await;
    let req = f
        .call(
            "post",
            t_ask,
            &ask,
            jordan,
            Some(json!({"reason": "Leaving"})),
            true,
        )
        .await;
    f.call(
        "post",
        "/api/v1/orgs/{org}/deletion-requests/{id}/carry-out",
        &format!(
            "/api/v1/orgs/{org}/deletion-requests/{}/carry-out",
            req["id"].as_str().unwrap_or(UNKNOWN)
        ),
        admin,
        None,
        true,
    )
    .await;

    assert!(
        f.failures.is_empty(),
        "{} answers the document does not describe:\n{}",
        f.failures.len(),
        f.failures.join("\n")
    );
}

/// Found by schemathesis: sizes beyond the log were a 500 (huge `to`) or an empty "proof"
/// (`from == to`); both are refused as the document says.
#[tokio::test]
async fn consistency_beyond_the_log_is_refused() {
    let env = sqlite_env().await;
    let size = env.tree_size().await;
    for (from, to) in [
        (2, 1_686_556_399_922_787_584_u64),
        (9_223_372_036_854_775_808, 9_223_372_036_854_775_808),
        (size + 1, size + 1),
        (1, size + 1),
    ] {
        let r = env
            .call(get(&format!("/api/v1/log/consistency?from={from}&to={to}")))
            .await;
        let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], "to", "{from}..{to}: {p}");
    }
    let r = env
        .call(get(&format!("/api/v1/log/consistency?from=1&to={size}")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}
