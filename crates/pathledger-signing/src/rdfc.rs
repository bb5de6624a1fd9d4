//! JSON-LD → RDF → RDFC-1.0 canonical N-Quads, offline, with bundled contexts and safe mode.
//!
//! Expansion uses the `json-ld` crate with a loader that serves only the contexts shipped in
//! `contexts/` (any other URL is refused) and no base IRI. Safe mode: an undefined term, an
//! invalid or relative IRI (which would silently yield no quads) and an unknown context are
//! errors, never dropped data. Canonicalization is `rdf-canon` with a work limit on
//! hash-N-degree-quads so a poison graph cannot stall us.
//!
//! The processed top-level `@context` is cached (keyed by its exact JSON) because context
//! processing dominates the cost, together with every type- and property-scoped context
//! reached from it, and documents of the usual shapes skip `json-ld`'s expansion altogether
//! (see `fast`: anything it does not handle falls back to `json-ld`). `canonicalize_uncached`
//! runs the general path from scratch with `rdf-canon`'s own canonicalization, and the tests
//! (unit tests here, `tests/rdfc_fast.rs`) check that all paths agree byte for byte.

use futures::executor::block_on;
use json_ld::context_processing::{Process, ProcessingMode};
use json_ld::expansion::{Action, Expand, Policy};
use json_ld::{Context, IriBuf, LoadError, Loader, RdfQuads, RemoteDocument};
use json_syntax::Parse;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use crate::budget::WorkBudget;

mod fast;

/// Why a document has no canonical N-Quads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RdfcError {
    /// Safe mode: a term or value would be dropped (undefined term, invalid or relative IRI).
    #[error("DATA_LOSS_DETECTION_ERROR: {0}")]
    DataLoss(String),
    /// A context URL that is not bundled; we never fetch contexts.
    #[error("context not available offline: {0}")]
    ContextUnavailable(String),
    /// The JSON-LD itself is invalid (bad context, colliding keywords, …).
    #[error("invalid JSON-LD: {0}")]
    JsonLd(String),
    /// RDFC-1.0 gave up (work limit reached on a pathological graph).
    #[error("RDF canonicalization failed: {0}")]
    Canonicalization(String),
    /// A number JSON cannot represent.
    #[error("number not representable: {0}")]
    Number(String),
    /// The request's [`WorkBudget`] was spent (or the request ended) before this graph, which
    /// needs the hash N-degree quads algorithm, could be canonicalized. Not a verdict on the
    /// document: it may canonicalize in a request of its own.
    #[error("the request's canonicalization work budget was spent before this document")]
    WorkBudgetSpent,
}

/// Maximum hash-N-degree-quads calls of one canonicalization (the default of `rdf-canon`; real
/// credentials need none or a handful). A request's [`WorkBudget`] bounds the sum over all of them.
pub const HNDQ_CALL_LIMIT: usize = 4000;

/// The calls a canonicalization that needs hash N-degree quads is first allowed. Most such
/// graphs need a handful; only when this is not enough is it run again with the whole
/// [`HNDQ_CALL_LIMIT`]. rdf-canon does not report how many calls it made, so the budget is charged
/// what was allowed: this first try keeps that charge close to the real work for ordinary
/// documents, at the price of one short extra run for pathological ones.
pub const HNDQ_FIRST_TRY: usize = 256;

/// Bundled contexts: exact URL → file bytes (see `contexts/SOURCES.md`).
pub const BUNDLED_CONTEXTS: &[(&str, &str)] = &[
    (
        "https://www.w3.org/ns/credentials/v2",
        include_str!("../contexts/w3c/credentials-v2.jsonld"),
    ),
    (
        "https://www.w3.org/2018/credentials/v1",
        include_str!("../contexts/w3c/credentials-v1.jsonld"),
    ),
    (
        "https://www.w3.org/ns/credentials/undefined-terms/v2",
        include_str!("../contexts/w3c/credentials-undefined-terms-v2.jsonld"),
    ),
    (
        "https://www.w3.org/ns/credentials/examples/v2",
        include_str!("../contexts/w3c/credentials-examples-v2.jsonld"),
    ),
    (
        "https://www.w3.org/ns/credentials/status/v1",
        include_str!("../contexts/w3c/credentials-status-v1.jsonld"),
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        include_str!("../contexts/w3c/data-integrity-v2.jsonld"),
    ),
    (
        "https://w3id.org/security/multikey/v1",
        include_str!("../contexts/w3c/multikey-v1.jsonld"),
    ),
    (
        "https://w3id.org/vc/status-list/2021/v1",
        include_str!("../contexts/w3c-ccg/vc-status-list-2021-v1.jsonld"),
    ),
    (
        "https://w3id.org/security/suites/ed25519-2020/v1",
        include_str!("../contexts/w3c-ccg/ed25519-signature-2020-v1.jsonld"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        include_str!("../contexts/ob/v3p0/context-3.0.3.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        include_str!("../contexts/ob/v3p0/context-3.0.2.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        include_str!("../contexts/ob/v3p0/context-3.0.1.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        include_str!("../contexts/ob/v3p0/context.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        include_str!("../contexts/ob/v3p0/extensions.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        include_str!("../contexts/clr/v2p0/context-2.0.1.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
        include_str!("../contexts/clr/v2p0/context.json"),
    ),
];

/// Whether `url` is one of the bundled contexts.
pub fn is_bundled_context(url: &str) -> bool {
    BUNDLED_CONTEXTS.iter().any(|(u, _)| *u == url)
}

fn parsed_contexts() -> &'static HashMap<&'static str, json_syntax::Value> {
    static PARSED: OnceLock<HashMap<&'static str, json_syntax::Value>> = OnceLock::new();
    PARSED.get_or_init(|| {
        BUNDLED_CONTEXTS
            .iter()
            .filter_map(|(url, text)| {
                // The bundled files are checked by the tests; one that fails to parse is
                // simply not served (and then reported as unavailable).
                json_syntax::Value::parse_str(text)
                    .ok()
                    .map(|(v, _)| (*url, v))
            })
            .collect()
    })
}

#[derive(Debug, thiserror::Error)]
#[error("context not bundled")]
struct NotBundled;

/// Serves only the bundled contexts.
struct BundledLoader;

impl Loader for BundledLoader {
    async fn load(&self, url: &json_ld::Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        match parsed_contexts().get(url.as_str()) {
            Some(v) => Ok(RemoteDocument::new(Some(url.to_owned()), None, v.clone())),
            None => Err(LoadError::new(url.to_owned(), NotBundled)),
        }
    }
}

fn policy() -> Policy {
    Policy {
        // Keep invalid ids so we can name them when walking the expanded document.
        invalid: Action::Keep,
        vocab: Action::Keep,
        allow_undefined: false,
    }
}

fn expansion_options() -> json_ld::expansion::Options {
    json_ld::expansion::Options {
        processing_mode: ProcessingMode::JsonLd1_1,
        policy: policy(),
        ordered: false,
    }
}

/// Converts serde_json to json_syntax. Numbers take their ECMAScript form, as a JavaScript
/// processor would see them (`3.0` is the integer 3, `1e21` a double). Also collects every
/// context URL referenced anywhere, so an unbundled one is reported by name.
fn to_syntax(
    v: &Value,
    skip_top_context: bool,
    urls: &mut Vec<String>,
) -> Result<json_syntax::Value, RdfcError> {
    Ok(match v {
        Value::Null => json_syntax::Value::Null,
        Value::Bool(b) => json_syntax::Value::Boolean(*b),
        Value::Number(n) => {
            let mut buf = Vec::with_capacity(24);
            crate::jcs::canonicalize_into(v, &mut buf)
                .map_err(|_| RdfcError::Number(n.to_string()))?;
            let text = String::from_utf8_lossy(&buf);
            let num: json_syntax::NumberBuf =
                text.parse().map_err(|_| RdfcError::Number(n.to_string()))?;
            json_syntax::Value::Number(num)
        }
        Value::String(s) => json_syntax::Value::String(s.as_str().into()),
        Value::Array(items) => json_syntax::Value::Array(
            items
                .iter()
                .map(|i| to_syntax(i, false, urls))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, val) in map {
                if k == "@context" {
                    collect_context_urls(val, urls);
                    if skip_top_context {
                        continue;
                    }
                }
                entries.push(json_syntax::object::Entry::new(
                    k.as_str().into(),
                    to_syntax(val, false, urls)?,
                ));
            }
            json_syntax::Value::Object(json_syntax::Object::from_vec(entries))
        }
    })
}

fn collect_context_urls(v: &Value, urls: &mut Vec<String>) {
    match v {
        Value::String(s) => urls.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| collect_context_urls(i, urls)),
        // Inline contexts may import others.
        Value::Object(m) => {
            if let Some(Value::String(s)) = m.get("@import") {
                urls.push(s.clone());
            }
        }
        _ => {}
    }
}

fn check_urls(urls: &[String]) -> Result<(), RdfcError> {
    for u in urls {
        if !is_bundled_context(u) {
            return Err(RdfcError::ContextUnavailable(u.chars().take(300).collect()));
        }
    }
    Ok(())
}

type ActiveContext = Context<IriBuf, json_ld::BlankIdBuf>;

async fn process_context(ctx: &Value) -> Result<ActiveContext, RdfcError> {
    let mut urls = Vec::new();
    let syntax = to_syntax(ctx, false, &mut urls)?;
    collect_context_urls(ctx, &mut urls);
    check_urls(&urls)?;
    use json_ld::syntax::TryFromJson;
    let local = json_ld::syntax::context::Context::try_from_json(syntax)
        .map_err(|e| RdfcError::JsonLd(format!("invalid @context: {e}")))?;
    let active = ActiveContext::new(None);
    let processed = local
        .process_full(
            &mut (),
            &active,
            &BundledLoader,
            None,
            json_ld::context_processing::Options::default(),
            (),
        )
        .await
        .map_err(|e| RdfcError::JsonLd(format!("context processing failed: {e}")))?;
    Ok(processed.into_processed())
}

const CACHE_LIMIT: usize = 64;

fn context_cache() -> &'static RwLock<HashMap<String, Arc<fast::CtxNode>>> {
    static CACHE: OnceLock<RwLock<HashMap<String, Arc<fast::CtxNode>>>> = OnceLock::new();
    CACHE.get_or_init(|| RwLock::new(HashMap::new()))
}

/// The processed top-level context, with the scoped contexts reached from it so far.
async fn cached_context(ctx: &Value) -> Result<Arc<fast::CtxNode>, RdfcError> {
    let key = serde_json::to_string(ctx).map_err(|e| RdfcError::JsonLd(e.to_string()))?;
    if let Ok(cache) = context_cache().read() {
        if let Some(c) = cache.get(&key) {
            return Ok(Arc::clone(c));
        }
    }
    let processed = Arc::new(fast::CtxNode::root(process_context(ctx).await?));
    if let Ok(mut cache) = context_cache().write() {
        // Contexts are chosen by senders, so bound the cache; a full cache simply restarts.
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&processed));
    }
    Ok(processed)
}

fn map_expansion_error(e: json_ld::expansion::Error) -> RdfcError {
    use json_ld::expansion::Error as E;
    match e {
        E::KeyExpansionFailed(term) => {
            RdfcError::DataLoss(format!("term `{term}` is not defined by any context"))
        }
        E::InvalidTypeValue => RdfcError::DataLoss("a `type` value is not a valid IRI".into()),
        E::InvalidIdValue => RdfcError::DataLoss("an `id` value is not a valid IRI".into()),
        E::ContextProcessing(c) => RdfcError::JsonLd(format!("context processing failed: {c}")),
        other => RdfcError::JsonLd(other.to_string()),
    }
}

/// Expands `doc` and returns its RDF quads (blank nodes still arbitrarily labelled).
async fn to_quads(doc: &Value, use_cache: bool) -> Result<Vec<oxrdf::Quad>, RdfcError> {
    let mut urls = Vec::new();
    let top_ctx = doc.as_object().and_then(|m| m.get("@context"));
    let cached = match (top_ctx, use_cache) {
        (Some(ctx), true) => Some(cached_context(ctx).await?),
        _ => None,
    };
    // A top-level `@set` or `@list` (or an alias of one) is judged beside the document's own
    // `@context` member, as the general path sees it: with the member stripped for the cached
    // context, the expansion would accept what the general path refuses.
    let cached = cached.filter(|c| {
        !doc.as_object().is_some_and(|m| {
            m.keys().any(|k| {
                matches!(k.as_str(), "@set" | "@list")
                    || matches!(
                        c.ctx.get(k.as_str()).and_then(|d| d.value()),
                        Some(json_ld::Term::Keyword(
                            json_ld::syntax::Keyword::Set | json_ld::syntax::Keyword::List
                        ))
                    )
            })
        })
    });
    let (syntax, active) = match cached {
        Some(active) => {
            let syntax = to_syntax(doc, true, &mut urls)?;
            check_urls(&urls)?;
            (syntax, active.ctx.clone())
        }
        None => {
            let syntax = to_syntax(doc, false, &mut urls)?;
            check_urls(&urls)?;
            (syntax, ActiveContext::new(None))
        }
    };
    let mut expanded = syntax
        .expand_full(
            &mut (),
            active,
            None,
            &BundledLoader,
            expansion_options(),
            (),
        )
        .await
        .map_err(map_expansion_error)?;

    // Safe mode: invalid (e.g. relative) ids yield no quads, so refuse them by name.
    for fragment in expanded.traverse() {
        if let Some(json_ld::Id::Invalid(s)) = fragment.as_id() {
            return Err(RdfcError::DataLoss(format!(
                "`{}` is not an absolute IRI and would be dropped",
                s.chars().take(200).collect::<String>()
            )));
        }
    }

    let mut generator = json_ld::rdf_types::generator::Blank::new();
    expanded.relabel_and_canonicalize_with(&mut (), &mut generator);
    let mut out = Vec::new();
    for json_ld::rdf_types::Quad(s, p, o, g) in
        expanded.rdf_quads_full(&mut (), &mut generator, None, false)
    {
        let subject: oxrdf::Subject = match s.as_ref() {
            json_ld::rdf_types::Id::Iri(i) => oxrdf::NamedNode::new_unchecked(i.as_str()).into(),
            json_ld::rdf_types::Id::Blank(b) => blank(b.as_str()).into(),
        };
        let predicate = match p.as_ref() {
            json_ld::rdf_types::Id::Iri(i) => oxrdf::NamedNode::new_unchecked(i.as_str()),
            json_ld::rdf_types::Id::Blank(_) => {
                return Err(RdfcError::DataLoss("blank-node predicate".into()))
            }
        };
        let object: oxrdf::Term = match o {
            json_ld::rdf_types::Term::Id(json_ld::rdf_types::Id::Iri(i)) => {
                oxrdf::NamedNode::new_unchecked(i.as_str()).into()
            }
            json_ld::rdf_types::Term::Id(json_ld::rdf_types::Id::Blank(b)) => {
                blank(b.as_str()).into()
            }
            json_ld::rdf_types::Term::Literal(lit) => {
                let (value, ty) = lit.into_parts();
                match ty {
                    json_ld::rdf_types::LiteralType::Any(t) => {
                        if t.as_str() == "http://www.w3.org/2001/XMLSchema#string" {
                            oxrdf::Literal::new_simple_literal(value).into()
                        } else {
                            oxrdf::Literal::new_typed_literal(
                                value,
                                oxrdf::NamedNode::new_unchecked(t.as_str()),
                            )
                            .into()
                        }
                    }
                    json_ld::rdf_types::LiteralType::LangString(tag) => {
                        oxrdf::Literal::new_language_tagged_literal_unchecked(
                            value,
                            tag.as_str().to_ascii_lowercase(),
                        )
                        .into()
                    }
                }
            }
        };
        let graph: oxrdf::GraphName = match g {
            None => oxrdf::GraphName::DefaultGraph,
            Some(json_ld::rdf_types::Id::Iri(i)) => {
                oxrdf::NamedNode::new_unchecked(i.as_str()).into()
            }
            Some(json_ld::rdf_types::Id::Blank(b)) => blank(b.as_str()).into(),
        };
        out.push(oxrdf::Quad::new(subject, predicate, object, graph));
    }
    Ok(out)
}

fn blank(label: &str) -> oxrdf::BlankNode {
    oxrdf::BlankNode::new_unchecked(label.strip_prefix("_:").unwrap_or(label))
}

/// RDFC-1.0 canonical N-Quads, byte for byte what `rdf_canon::canonicalize_quads_with` gives
/// (the general path [`canonicalize_uncached`] uses that, and the tests compare the two).
///
/// When every blank node has a distinct first-degree hash (a tree-shaped credential always
/// does), the canonical labels follow from those hashes alone (RDFC-1.0 §4.4.3 steps 1–4; step
/// 5, hash N-degree quads, has nothing to do), and we compute them here without building
/// `rdf_canon`'s interned dataset. Otherwise `rdf_canon` issues the labels. Either way the
/// quads are then relabelled while printing them as oxrdf's `Display` does, sorted and each
/// line ended with ` .\n`, as `rdf_canon::serialize` does.
fn canonicalize_quads(quads: &[oxrdf::Quad], budget: &WorkBudget) -> Result<String, RdfcError> {
    // The input is a set (rdf_canon collects it into an oxrdf `Dataset`).
    let mut seen = std::collections::HashSet::with_capacity(quads.len());
    let unique: Vec<oxrdf::QuadRef<'_>> = quads
        .iter()
        .filter(|q| seen.insert(*q))
        .map(|q| q.as_ref())
        .collect();
    let issued = match issue_first_degree(&unique) {
        Some(issued) => issued,
        None => {
            let dataset: oxrdf::Dataset = unique.iter().copied().collect();
            issue_within(&dataset, budget)?
        }
    };
    let mut lines = Vec::with_capacity(unique.len());
    for q in &unique {
        let mut line = String::with_capacity(128);
        write_nquad(*q, |b| issued.get(b).map(String::as_str), &mut line)?;
        lines.push(line);
    }
    lines.sort_unstable();
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 3).sum());
    for l in &lines {
        out.push_str(l);
        out.push_str(" .\n");
    }
    Ok(out)
}

/// Canonical blank node labels by the hash N-degree quads algorithm, paid for from `budget`
/// (first [`HNDQ_FIRST_TRY`] calls, then the whole [`HNDQ_CALL_LIMIT`] if that was not enough).
/// Failing within the whole limit is a canonicalization error of the document; failing within
/// less because the budget ran out is [`RdfcError::WorkBudgetSpent`].
fn issue_within(
    dataset: &oxrdf::Dataset,
    budget: &WorkBudget,
) -> Result<HashMap<String, String>, RdfcError> {
    for want in [HNDQ_FIRST_TRY, HNDQ_CALL_LIMIT] {
        let granted = budget.take(want);
        if granted == 0 {
            return Err(RdfcError::WorkBudgetSpent);
        }
        let options = rdf_canon::CanonicalizationOptions {
            hndq_call_limit: Some(granted),
        };
        match rdf_canon::issue_with::<sha2::Sha256>(dataset, &options) {
            Ok(issued) => return Ok(issued),
            Err(rdf_canon::CanonicalizationError::HndqCallLimitExceeded(_)) if granted < want => {
                return Err(RdfcError::WorkBudgetSpent)
            }
            Err(rdf_canon::CanonicalizationError::HndqCallLimitExceeded(_))
                if want < HNDQ_CALL_LIMIT => {}
            Err(e) => return Err(RdfcError::Canonicalization(e.to_string())),
        }
    }
    Err(RdfcError::Canonicalization(format!(
        "more than {HNDQ_CALL_LIMIT} hash N-degree quads calls"
    )))
}

/// Canonical blank node labels when every blank node's first-degree hash is unique (`None`
/// otherwise: then the hash N-degree quads algorithm decides, in `rdf_canon`).
fn issue_first_degree(quads: &[oxrdf::QuadRef<'_>]) -> Option<HashMap<String, String>> {
    use sha2::Digest;
    // Blank node → its quads, once per position it occupies (as rdf_canon's map does).
    let mut by_blank: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, q) in quads.iter().enumerate() {
        if let oxrdf::SubjectRef::BlankNode(b) = q.subject {
            by_blank.entry(b.as_str()).or_default().push(i);
        }
        if let oxrdf::TermRef::BlankNode(b) = q.object {
            by_blank.entry(b.as_str()).or_default().push(i);
        }
        if let oxrdf::GraphNameRef::BlankNode(b) = q.graph_name {
            by_blank.entry(b.as_str()).or_default().push(i);
        }
    }
    let mut hashed: Vec<(String, &str)> = Vec::with_capacity(by_blank.len());
    let mut lines = Vec::new();
    for (blank, indexes) in &by_blank {
        lines.clear();
        for &i in indexes {
            let mut line = String::with_capacity(128);
            write_nquad(
                quads[i],
                |b| Some(if b == *blank { "a" } else { "z" }),
                &mut line,
            )
            .ok()?;
            line.push_str(" .\n");
            lines.push(line);
        }
        lines.sort_unstable();
        let mut hasher = sha2::Sha256::new();
        for l in &lines {
            hasher.update(l.as_bytes());
        }
        hashed.push((hex::encode(hasher.finalize()), blank));
    }
    hashed.sort_unstable();
    if hashed.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    Some(
        hashed
            .into_iter()
            .enumerate()
            .map(|(n, (_, blank))| (blank.to_owned(), format!("c14n{n}")))
            .collect(),
    )
}

fn write_blank<'l>(
    b: oxrdf::BlankNodeRef<'_>,
    label: &impl Fn(&str) -> Option<&'l str>,
    out: &mut String,
) -> Result<(), RdfcError> {
    let l = label(b.as_str())
        .ok_or_else(|| RdfcError::Canonicalization(format!("blank node _:{b} has no label")))?;
    out.push_str("_:");
    out.push_str(l);
    Ok(())
}

fn write_iri(iri: oxrdf::NamedNodeRef<'_>, out: &mut String) {
    out.push('<');
    out.push_str(iri.as_str());
    out.push('>');
}

/// oxrdf's `print_quoted_str`.
fn write_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0'..='\u{1F}' | '\u{7F}' => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// One quad as oxrdf's `Display` prints it, with each blank node written as `_:` and its
/// `label`.
fn write_nquad<'l>(
    q: oxrdf::QuadRef<'_>,
    label: impl Fn(&str) -> Option<&'l str>,
    out: &mut String,
) -> Result<(), RdfcError> {
    match q.subject {
        oxrdf::SubjectRef::NamedNode(n) => write_iri(n, out),
        oxrdf::SubjectRef::BlankNode(b) => write_blank(b, &label, out)?,
    }
    out.push(' ');
    write_iri(q.predicate, out);
    out.push(' ');
    match q.object {
        oxrdf::TermRef::NamedNode(n) => write_iri(n, out),
        oxrdf::TermRef::BlankNode(b) => write_blank(b, &label, out)?,
        oxrdf::TermRef::Literal(l) => {
            write_quoted(l.value(), out);
            if let Some(lang) = l.language() {
                out.push('@');
                out.push_str(lang);
            } else if l.datatype() != oxrdf::vocab::xsd::STRING {
                out.push_str("^^");
                write_iri(l.datatype(), out);
            }
        }
    }
    match q.graph_name {
        oxrdf::GraphNameRef::DefaultGraph => {}
        oxrdf::GraphNameRef::NamedNode(n) => {
            out.push(' ');
            write_iri(n, out);
        }
        oxrdf::GraphNameRef::BlankNode(b) => {
            out.push(' ');
            write_blank(b, &label, out)?;
        }
    }
    Ok(())
}

/// `rdf_canon`'s own canonicalization, used by the general path [`canonicalize_uncached`]
/// (so every test comparing against it also checks `canonicalize_quads`).
fn canonicalize_quads_reference(quads: &[oxrdf::Quad]) -> Result<String, RdfcError> {
    let options = rdf_canon::CanonicalizationOptions {
        hndq_call_limit: Some(HNDQ_CALL_LIMIT),
    };
    rdf_canon::canonicalize_quads_with::<sha2::Sha256>(quads, &options)
        .map_err(|e| RdfcError::Canonicalization(e.to_string()))
}

/// Canonical N-Quads (RDFC-1.0) of a JSON-LD document, using the context cache and, for the
/// documents it handles, the fast path (see `fast`); anything else takes the general path.
pub fn canonicalize(doc: &Value) -> Result<String, RdfcError> {
    canonicalize_within(doc, &WorkBudget::unlimited())
}

/// [`canonicalize`], paying any hash N-degree quads work from `budget`.
pub fn canonicalize_within(doc: &Value, budget: &WorkBudget) -> Result<String, RdfcError> {
    if let Some(unwrapped) = doc.as_object().and_then(unwrap_wrapped_contexts) {
        return canonicalize_within(&Value::Object(unwrapped), budget);
    }
    if let Some(quads) = doc.as_object().and_then(|m| fast_quads(m, None)) {
        return canonicalize_quads(&quads, budget);
    }
    let quads = block_on(to_quads(doc, true))?;
    canonicalize_quads(&quads, budget)
}

/// [`canonicalize`] of the object `doc` without its member `skip` (copies the document only
/// when the general path has to answer).
pub fn canonicalize_excluding(doc: &Map<String, Value>, skip: &str) -> Result<String, RdfcError> {
    canonicalize_excluding_within(doc, skip, &WorkBudget::unlimited())
}

/// [`canonicalize_excluding`], paying any hash N-degree quads work from `budget`.
pub fn canonicalize_excluding_within(
    doc: &Map<String, Value>,
    skip: &str,
    budget: &WorkBudget,
) -> Result<String, RdfcError> {
    if let Some(unwrapped) = unwrap_wrapped_contexts(doc) {
        return canonicalize_excluding_within(&unwrapped, skip, budget);
    }
    if let Some(quads) = fast_quads(doc, Some(skip)) {
        return canonicalize_quads(&quads, budget);
    }
    let mut rest = doc.clone();
    rest.remove(skip);
    let quads = block_on(to_quads(&Value::Object(rest), true))?;
    canonicalize_quads(&quads, budget)
}

/// A copy of `doc` whose top-level context items of the form `{"@context": X}` are replaced by
/// `X`, or `None` when there are none. The reference implementation (jsonld.js, which signs
/// most credentials in the wild and the W3C test suites' fixtures) reads such an item as the
/// context it wraps; refusing it would call their genuine signatures unverifiable.
fn unwrap_wrapped_contexts(doc: &Map<String, Value>) -> Option<Map<String, Value>> {
    let wrapped = |v: &Value| {
        v.as_object()
            .is_some_and(|o| o.len() == 1 && o.contains_key("@context"))
    };
    let ctx = doc.get("@context")?;
    let any = match ctx {
        Value::Array(a) => a.iter().any(wrapped),
        other => wrapped(other),
    };
    if !any {
        return None;
    }
    let unwrap = |v: &Value| -> Value {
        if wrapped(v) {
            v["@context"].clone()
        } else {
            v.clone()
        }
    };
    let mut out = doc.clone();
    out["@context"] = match ctx {
        Value::Array(a) => Value::Array(a.iter().map(unwrap).collect()),
        other => unwrap(other),
    };
    Some(out)
}

/// The fast path's quads, or `None` when the general path must answer (errors included).
fn fast_quads(doc: &Map<String, Value>, skip: Option<&str>) -> Option<Vec<oxrdf::Quad>> {
    let ctx = doc.get("@context")?;
    if skip == Some("@context") {
        return None;
    }
    let top = block_on(cached_context(ctx)).ok()?;
    fast::quads(doc, skip, &top)
}

/// Canonical N-Quads through the general path only, with the cached top-level context (the
/// fast path is checked against this and against [`canonicalize_uncached`]).
pub fn canonicalize_general(doc: &Value) -> Result<String, RdfcError> {
    let quads = block_on(to_quads(doc, true))?;
    canonicalize_quads(&quads, &WorkBudget::unlimited())
}

/// How many processed contexts (top-level and scoped) the cache holds (for tests).
pub fn cached_contexts() -> usize {
    fast::live_contexts()
}

/// Whether [`canonicalize`] answers `doc` through the fast path (for tests and benchmarks).
pub fn takes_fast_path(doc: &Value) -> bool {
    doc.as_object().and_then(|m| fast_quads(m, None)).is_some()
}

/// Same as [`canonicalize`] but processes every context from scratch and canonicalizes with
/// `rdf_canon`'s own function: the reference the other paths are checked against.
pub fn canonicalize_uncached(doc: &Value) -> Result<String, RdfcError> {
    let quads = block_on(to_quads(doc, false))?;
    canonicalize_quads_reference(&quads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_bundled_context_parses() {
        assert_eq!(parsed_contexts().len(), BUNDLED_CONTEXTS.len());
    }

    #[test]
    fn undefined_term_is_data_loss_naming_it() {
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:1", "type": ["VerifiableCredential"],
            "favouriteColour": "teal"
        });
        match canonicalize(&doc) {
            Err(RdfcError::DataLoss(m)) => assert!(m.contains("favouriteColour"), "{m}"),
            other => panic!("expected data loss, got {other:?}"),
        }
    }

    #[test]
    fn undefined_type_is_data_loss_naming_it() {
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:1", "type": ["VerifiableCredential", "MadeUpCredential"]
        });
        match canonicalize(&doc) {
            Err(RdfcError::DataLoss(m)) => assert!(m.contains("MadeUpCredential"), "{m}"),
            other => panic!("expected data loss, got {other:?}"),
        }
    }

    #[test]
    fn relative_id_is_rejected() {
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "credentials/1", "type": ["VerifiableCredential"]
        });
        assert!(matches!(canonicalize(&doc), Err(RdfcError::DataLoss(_))));
    }

    #[test]
    fn unknown_context_is_not_fetched() {
        let doc = json!({"@context": ["https://example.org/ctx.json"], "id": "urn:x:1"});
        match canonicalize(&doc) {
            Err(RdfcError::ContextUnavailable(u)) => assert_eq!(u, "https://example.org/ctx.json"),
            other => panic!("expected unavailable, got {other:?}"),
        }
    }

    #[test]
    fn canonicalize_quads_matches_rdf_canon() {
        let docs = [
            json!({
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": "urn:uuid:1", "type": ["VerifiableCredential"], "issuer": "did:example:1",
                "credentialSubject": [{"id": "did:example:2"}, {"name": "x"}, {"name": "y"}],
                "proof": [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                    "verificationMethod": "did:example:1#k", "proofPurpose": "assertionMethod",
                    "proofValue": "z123"}, {"type": "DataIntegrityProof"}]
            }),
            json!({
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                "@id": "_:a", "knows": {"@id": "_:b", "knows": {"@id": "_:c", "knows": {"@id": "_:a"}}},
                "likes": [{"@id": "_:b"}, {"@id": "_:c"}, "z", 3, true,
                    "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \"q\" \\ \u{7f}\u{80} é ☃ 😀"]
            }),
        ];
        for doc in docs {
            let quads = block_on(to_quads(&doc, false)).unwrap();
            assert!(quads.iter().any(|q| q.subject.is_blank_node()), "{doc}");
            assert_eq!(
                canonicalize_quads(&quads, &WorkBudget::unlimited()).unwrap(),
                canonicalize_quads_reference(&quads).unwrap()
            );
        }
    }

    #[test]
    fn canonicalize_quads_matches_rdf_canon_on_tricky_graphs() {
        use oxrdf::{BlankNode, GraphName, Literal, NamedNode, Quad};
        let p = NamedNode::new_unchecked("http://example.org/p");
        let q = NamedNode::new_unchecked("http://example.org/q");
        let b = |s: &str| BlankNode::new_unchecked(s);
        let iri = NamedNode::new_unchecked("http://example.org/s");
        let cases: Vec<Vec<Quad>> = vec![
            // Symmetric cycle: equal first-degree hashes, hash N-degree quads decides.
            vec![
                Quad::new(b("x"), p.clone(), b("y"), GraphName::DefaultGraph),
                Quad::new(b("y"), p.clone(), b("x"), GraphName::DefaultGraph),
            ],
            // Two blank nodes that look alike from the first degree.
            vec![
                Quad::new(iri.clone(), p.clone(), b("m"), GraphName::DefaultGraph),
                Quad::new(iri.clone(), p.clone(), b("n"), GraphName::DefaultGraph),
                Quad::new(
                    b("m"),
                    q.clone(),
                    Literal::new_simple_literal("v"),
                    GraphName::DefaultGraph,
                ),
                Quad::new(
                    b("n"),
                    q.clone(),
                    Literal::new_simple_literal("v"),
                    GraphName::DefaultGraph,
                ),
            ],
            // Self loop, blank graph name, duplicates, literals of every kind.
            vec![
                Quad::new(b("s"), p.clone(), b("s"), GraphName::DefaultGraph),
                Quad::new(b("s"), p.clone(), b("s"), GraphName::DefaultGraph),
                Quad::new(b("s"), q.clone(), b("t"), b("g")),
                Quad::new(iri.clone(), q.clone(), b("g"), GraphName::DefaultGraph),
                Quad::new(
                    b("t"),
                    p.clone(),
                    Literal::new_language_tagged_literal_unchecked("hé\"\\\n", "en-gb"),
                    b("g"),
                ),
                Quad::new(
                    b("t"),
                    p.clone(),
                    Literal::new_typed_literal(
                        "3",
                        NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#integer"),
                    ),
                    iri.clone(),
                ),
                Quad::new(
                    b("t"),
                    q.clone(),
                    Literal::new_typed_literal(
                        "x",
                        NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#string"),
                    ),
                    GraphName::DefaultGraph,
                ),
            ],
            vec![],
        ];
        for quads in cases {
            assert_eq!(
                canonicalize_quads(&quads, &WorkBudget::unlimited()).unwrap(),
                canonicalize_quads_reference(&quads).unwrap()
            );
        }
    }

    #[test]
    fn cached_and_uncached_agree() {
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "id": "urn:uuid:1", "type": ["VerifiableCredential"], "score": 3.5, "count": 3.0,
            "credentialSubject": {"id": "did:example:1", "name": {"@value": "x", "@language": "EN-GB"}}
        });
        let a = canonicalize(&doc).unwrap();
        let b = canonicalize_uncached(&doc).unwrap();
        assert_eq!(a, b);
        assert!(a.contains("@en-gb"), "{a}");
        assert!(
            a.contains("\"3\"^^<http://www.w3.org/2001/XMLSchema#integer>"),
            "{a}"
        );
        assert!(
            a.contains("\"3.5E0\"^^<http://www.w3.org/2001/XMLSchema#double>"),
            "{a}"
        );
    }
}
