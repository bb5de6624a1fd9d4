//! JSON-LD → RDF → RDFC-1.0 canonical N-Quads, offline, with bundled contexts and safe mode.
//!
//! Expansion uses the `json-ld` crate with a loader that serves only the contexts shipped in
//! `contexts/` (any other URL is refused) and no base IRI. Safe mode: an undefined term, an
//! invalid or relative IRI (which would silently yield no quads) and an unknown context are
//! errors, never dropped data. Canonicalization is `rdf-canon` with a work limit on
//! hash-N-degree-quads so a poison graph cannot stall us.
//!
//! The processed top-level `@context` is cached (keyed by its exact JSON) because context
//! processing dominates the cost; `canonicalize_uncached` runs the general path and the tests
//! check that both agree on every vector.

use futures::executor::block_on;
use json_ld::context_processing::{Process, ProcessingMode};
use json_ld::expansion::{Action, Expand, Policy};
use json_ld::{Context, IriBuf, LoadError, Loader, RdfQuads, RemoteDocument};
use json_syntax::Parse;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

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
}

/// Maximum hash-N-degree-quads calls (the default of `rdf-canon`; real credentials need a handful).
pub const HNDQ_CALL_LIMIT: usize = 4000;

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
    let (syntax, active) = match (top_ctx, use_cache) {
        (Some(ctx), true) => {
            let syntax = to_syntax(doc, true, &mut urls)?;
            check_urls(&urls)?;
            let active = cached_context(ctx).await?;
            (syntax, active.ctx.clone())
        }
        _ => {
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

/// RDFC-1.0 canonical N-Quads. Same steps as `rdf_canon::canonicalize_quads_with` (issue the
/// canonical blank node labels, relabel, sort the quads by their N-Quads form, each line ending
/// in ` .\n`), but relabels while printing instead of building a second interned dataset.
fn canonicalize_quads(quads: &[oxrdf::Quad]) -> Result<String, RdfcError> {
    let options = rdf_canon::CanonicalizationOptions {
        hndq_call_limit: Some(HNDQ_CALL_LIMIT),
    };
    let dataset = oxrdf::Dataset::from_iter(quads);
    let issued = rdf_canon::issue_with::<sha2::Sha256>(&dataset, &options)
        .map_err(|e| RdfcError::Canonicalization(e.to_string()))?;
    let mut lines = Vec::with_capacity(dataset.len());
    for q in dataset.iter() {
        lines.push(relabel_quad(q, &issued)?.to_string());
    }
    lines.sort_unstable();
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 3).sum());
    for l in &lines {
        out.push_str(l);
        out.push_str(" .\n");
    }
    Ok(out)
}

fn relabel_blank(
    b: oxrdf::BlankNodeRef<'_>,
    issued: &HashMap<String, String>,
) -> Result<oxrdf::BlankNode, RdfcError> {
    issued
        .get(b.as_str())
        .map(|c| oxrdf::BlankNode::new_unchecked(c.as_str()))
        .ok_or_else(|| RdfcError::Canonicalization(format!("blank node _:{} has no label", b)))
}

fn relabel_quad(
    q: oxrdf::QuadRef<'_>,
    issued: &HashMap<String, String>,
) -> Result<oxrdf::Quad, RdfcError> {
    let subject: oxrdf::Subject = match q.subject {
        oxrdf::SubjectRef::BlankNode(b) => relabel_blank(b, issued)?.into(),
        other => other.into_owned(),
    };
    let object: oxrdf::Term = match q.object {
        oxrdf::TermRef::BlankNode(b) => relabel_blank(b, issued)?.into(),
        other => other.into_owned(),
    };
    let graph: oxrdf::GraphName = match q.graph_name {
        oxrdf::GraphNameRef::BlankNode(b) => relabel_blank(b, issued)?.into(),
        other => other.into_owned(),
    };
    Ok(oxrdf::Quad::new(
        subject,
        q.predicate.into_owned(),
        object,
        graph,
    ))
}

/// `rdf_canon`'s own canonicalization (the reference `canonicalize_quads` is checked against).
#[cfg(test)]
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
    if let Some(quads) = doc.as_object().and_then(|m| fast_quads(m, None)) {
        return canonicalize_quads(&quads);
    }
    let quads = block_on(to_quads(doc, true))?;
    canonicalize_quads(&quads)
}

/// [`canonicalize`] of the object `doc` without its member `skip` (copies the document only
/// when the general path has to answer).
pub fn canonicalize_excluding(doc: &Map<String, Value>, skip: &str) -> Result<String, RdfcError> {
    if let Some(quads) = fast_quads(doc, Some(skip)) {
        return canonicalize_quads(&quads);
    }
    let mut rest = doc.clone();
    rest.remove(skip);
    let quads = block_on(to_quads(&Value::Object(rest), true))?;
    canonicalize_quads(&quads)
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
    canonicalize_quads(&quads)
}

/// Whether [`canonicalize`] answers `doc` through the fast path (for tests and benchmarks).
pub fn takes_fast_path(doc: &Value) -> bool {
    doc.as_object().and_then(|m| fast_quads(m, None)).is_some()
}

/// Same as [`canonicalize`] but processes every context from scratch (the general path the
/// cached one is checked against).
pub fn canonicalize_uncached(doc: &Value) -> Result<String, RdfcError> {
    let quads = block_on(to_quads(doc, false))?;
    canonicalize_quads(&quads)
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
                "likes": [{"@id": "_:b"}, {"@id": "_:c"}, "z", 3, true]
            }),
        ];
        for doc in docs {
            let quads = block_on(to_quads(&doc, false)).unwrap();
            assert!(quads.iter().any(|q| q.subject.is_blank_node()), "{doc}");
            assert_eq!(
                canonicalize_quads(&quads).unwrap(),
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
