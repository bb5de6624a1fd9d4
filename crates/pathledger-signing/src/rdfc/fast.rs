//! Fast path from JSON-LD to RDF quads for documents whose only `@context` is the (cached)
//! top-level one.
//!
//! Profiling showed that the general path spends most of its time in the `json-ld` crate
//! re-processing the same type- and property-scoped contexts (Open Badges defines one for
//! nearly every class) for every node, each time deep-cloning the whole active context. Here
//! the scoped contexts are still processed by `json-ld` itself, exactly as its expansion
//! algorithm would, but only once: every active context reached is a node in a graph whose
//! edges ("apply the scoped context of term T", "revert to the previous context") are
//! memoized. Expansion and the JSON-LD → RDF step for the common shapes (node objects,
//! `@id`, `@type`, strings, booleans, safe integers, `@type` coercions to `@id`, `@vocab` or a
//! datatype) are done here, following `json-ld` 0.21.4's expansion algorithm step by step.
//!
//! Anything else (nested `@context`, value objects, lists, containers other than `@set`,
//! `@json`, languages, directions, compact IRIs, blank node identifiers, `@vocab`-expanded
//! terms, non-integer numbers, every error, …) returns `None` and the caller runs the general
//! path, so errors and unusual documents are always answered by `json-ld` itself.

use super::{expansion_options, ActiveContext, BundledLoader};
use futures::executor::block_on;
use json_ld::context_processing::{Options as ProcessingOptions, Process};
use json_ld::syntax::Keyword;
use json_ld::{ContainerKind, Id, Term, Type, ValidId};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// At most this many memoized contexts hang off one top-level context, and at most
/// [`LIVE_LIMIT`] are alive in all; past that, documents needing a new one take the general
/// path (senders choose the shapes, so bound the memory: a processed Open Badges context is a
/// few hundred KB at most; the benchmark credential needs 14 contexts).
const NODE_LIMIT: usize = 256;
const LIVE_LIMIT: usize = 512;

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";
const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";

/// Largest integer whose decimal form is the same in every JSON processor (2^53).
const SAFE_INTEGER: u64 = 1 << 53;

/// Deeper documents take the general path (the fast path recurses on the stack).
const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Edge {
    /// Type-scoped context of a type term (propagate = false).
    Type,
    /// Property-scoped context applied to a node object (override_protected = true).
    PropertyObject,
    /// Property-scoped context applied to a scalar (default options).
    PropertyScalar,
}

type EdgeKey = (Edge, u64, String);

/// One active context and the contexts reached from it.
pub(super) struct CtxNode {
    id: u64,
    pub(super) ctx: ActiveContext,
    graph: Arc<Graph>,
    revert: OnceLock<Option<Arc<CtxNode>>>,
    next: RwLock<HashMap<EdgeKey, Option<Arc<CtxNode>>>>,
}

/// Shared by every node reached from one top-level context.
struct Graph {
    nodes: AtomicUsize,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Memoized contexts alive, over all top-level contexts.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// How many memoized contexts are alive (for tests).
pub(super) fn live_contexts() -> usize {
    LIVE.load(Ordering::Relaxed)
}

impl Drop for CtxNode {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

impl CtxNode {
    /// The node of a processed top-level context.
    pub(super) fn root(ctx: ActiveContext) -> Self {
        Self::new(
            ctx,
            Arc::new(Graph {
                nodes: AtomicUsize::new(1),
            }),
        )
    }

    fn new(ctx: ActiveContext, graph: Arc<Graph>) -> Self {
        LIVE.fetch_add(1, Ordering::Relaxed);
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            ctx,
            graph,
            revert: OnceLock::new(),
            next: RwLock::new(HashMap::new()),
        }
    }

    fn reserve(&self) -> bool {
        LIVE.load(Ordering::Relaxed) < LIVE_LIMIT
            && self.graph.nodes.fetch_add(1, Ordering::Relaxed) < NODE_LIMIT
    }

    /// The node of this context's previous context (what a new node object reverts to).
    fn reverted(&self) -> Option<Arc<CtxNode>> {
        self.revert
            .get_or_init(|| {
                let prev = self.ctx.previous_context()?;
                if !self.reserve() {
                    return None;
                }
                Some(Arc::new(CtxNode::new(
                    prev.clone(),
                    Arc::clone(&self.graph),
                )))
            })
            .clone()
    }

    /// The result of applying the scoped context of `term` as defined in `source` to this
    /// context (`None`: processing failed or the graph is full; the general path decides).
    fn apply(&self, edge: Edge, source: &CtxNode, term: &str) -> Option<Arc<CtxNode>> {
        let key = (edge, source.id, term.to_owned());
        if let Ok(next) = self.next.read() {
            if let Some(n) = next.get(&key) {
                return n.clone();
            }
        }
        let def = source.ctx.get(term)?;
        let local = def.context()?;
        let base_url = def.base_url().cloned();
        let base: ProcessingOptions = expansion_options().into();
        let options = match edge {
            Edge::Type => base.without_propagation(),
            Edge::PropertyObject => base.with_override(),
            Edge::PropertyScalar => base,
        };
        let processed =
            block_on(local.process_with(&mut (), &self.ctx, &BundledLoader, base_url, options));
        let result = match processed {
            Ok(p) if self.reserve() => Some(Arc::new(CtxNode::new(
                p.into_processed(),
                Arc::clone(&self.graph),
            ))),
            _ => None,
        };
        if let Ok(mut next) = self.next.write() {
            next.insert(key, result.clone());
        }
        result
    }
}

/// Quads under construction (all in the default graph).
struct Out {
    quads: Vec<oxrdf::Quad>,
    blanks: usize,
}

#[derive(Clone)]
enum Subject {
    Iri(String),
    Blank(String),
}

impl Subject {
    fn to_oxrdf(&self) -> oxrdf::Subject {
        match self {
            Self::Iri(i) => oxrdf::NamedNode::new_unchecked(i.as_str()).into(),
            Self::Blank(b) => oxrdf::BlankNode::new_unchecked(b.as_str()).into(),
        }
    }

    fn to_term(&self) -> oxrdf::Term {
        match self {
            Self::Iri(i) => oxrdf::NamedNode::new_unchecked(i.as_str()).into(),
            Self::Blank(b) => oxrdf::BlankNode::new_unchecked(b.as_str()).into(),
        }
    }
}

impl Out {
    fn push(&mut self, s: &Subject, p: &str, o: oxrdf::Term) {
        self.quads.push(oxrdf::Quad::new(
            s.to_oxrdf(),
            oxrdf::NamedNode::new_unchecked(p),
            o,
            oxrdf::GraphName::DefaultGraph,
        ));
    }

    fn fresh_blank(&mut self) -> Subject {
        self.blanks += 1;
        Subject::Blank(format!("f{}", self.blanks))
    }
}

/// What a key means in a context, restricted to what the fast path handles.
enum KeyMeaning<'c> {
    Id,
    Type,
    Context,
    /// A property: its IRI and term definition.
    Property(&'c str, TermDefinitionRef<'c>),
}

type TermDefinitionRef<'c> =
    json_ld::context::TermDefinitionRef<'c, json_ld::IriBuf, json_ld::BlankIdBuf>;

fn key_meaning<'c>(ctx: &'c ActiveContext, key: &str) -> Option<KeyMeaning<'c>> {
    if key.starts_with('@') {
        return match key {
            "@id" => Some(KeyMeaning::Id),
            "@type" => Some(KeyMeaning::Type),
            "@context" => Some(KeyMeaning::Context),
            _ => None,
        };
    }
    // Only defined terms: compact IRIs, absolute IRIs and `@vocab` go the general way.
    let def = ctx.get(key)?;
    match def.value()? {
        Term::Keyword(Keyword::Id) => Some(KeyMeaning::Id),
        Term::Keyword(Keyword::Type) => Some(KeyMeaning::Type),
        Term::Id(Id::Valid(ValidId::Iri(iri))) => Some(KeyMeaning::Property(iri.as_str(), def)),
        _ => None,
    }
}

/// IRI expansion of an `@id` value (document relative, no vocab), for absolute IRIs only.
fn expand_id(ctx: &ActiveContext, value: &str) -> Option<String> {
    if value.starts_with('@') || value.starts_with("_:") || ctx.get(value).is_some() {
        return None;
    }
    let colon = value.find(':')?;
    if colon == 0 || ctx.get(&value[..colon]).is_some() {
        return None;
    }
    json_ld::Iri::new(value).ok()?;
    Some(value.to_owned())
}

/// IRI expansion with vocab = true (types, `@type: @vocab` values): a defined term, or an
/// absolute IRI that no term could turn into something else.
fn expand_vocab(ctx: &ActiveContext, value: &str) -> Option<String> {
    if value.starts_with('@') {
        return None;
    }
    if let Some(def) = ctx.get(value) {
        return match def.value()? {
            Term::Id(Id::Valid(ValidId::Iri(iri))) => Some(iri.as_str().into()),
            _ => None,
        };
    }
    expand_id(ctx, value)
}

/// RDF quads of `doc` expanded against the top-level context node `top`, or `None` when the
/// general path must answer.
/// A top-level member named `skip` is treated as absent.
pub(super) fn quads(
    doc: &Map<String, Value>,
    skip: Option<&str>,
    top: &Arc<CtxNode>,
) -> Option<Vec<oxrdf::Quad>> {
    let mut out = Out {
        quads: Vec::with_capacity(64),
        blanks: 0,
    };
    node(&mut out, top, None, doc, Some(skip), 0)?;
    Some(out.quads)
}

/// Expands the node object `element` (the value of `active_property` as defined in
/// `active`, or the document itself) and emits its quads; returns its subject. `top` is
/// `Some(member to treat as absent)` for the document itself.
fn node(
    out: &mut Out,
    active: &Arc<CtxNode>,
    active_property: Option<&str>,
    element: &Map<String, Value>,
    top: Option<Option<&str>>,
    depth: usize,
) -> Option<Subject> {
    if depth > MAX_DEPTH {
        return None;
    }
    let skip = top.flatten();
    let entries = || {
        element
            .iter()
            .filter(move |(k, _)| Some(k.as_str()) != skip)
    };
    let len = element.len() - usize::from(skip.is_some_and(|s| element.contains_key(s)));
    let top = top.is_some();
    // Preliminary key expansion in the incoming context: a value object goes the general way,
    // and a lone `@id` keeps the type-scoped context.
    // (Terms undefined here may be defined by the scoped contexts applied below.)
    let mut only_id = false;
    for (key, _) in entries() {
        let keyword = if key.starts_with('@') {
            match key.as_str() {
                "@id" => Some(Keyword::Id),
                "@type" => Some(Keyword::Type),
                "@context" if top => Some(Keyword::Context),
                // Other keywords, nested @context: general path.
                _ => return None,
            }
        } else {
            match active.ctx.get(key.as_str()).and_then(|d| d.value()) {
                Some(Term::Keyword(k)) => Some(*k),
                _ => None,
            }
        };
        match keyword {
            None | Some(Keyword::Type | Keyword::Context) => {}
            Some(Keyword::Id) => only_id = len == 1,
            Some(_) => return None,
        }
    }

    // Revert a type-scoped (non-propagated) context.
    let mut ctx = Arc::clone(active);
    if ctx.ctx.previous_context().is_some() && !only_id {
        ctx = ctx.reverted()?;
    }
    // Property-scoped context.
    if let Some(prop) = active_property {
        let def = active.ctx.get(prop)?;
        if def.context().is_some() {
            ctx = ctx.apply(Edge::PropertyObject, active, prop)?;
        }
    }

    // Type entries (in the context as it is now); only one key may expand to @type.
    let mut type_value = None;
    for (key, value) in entries() {
        if let Some(KeyMeaning::Type) = key_meaning(&ctx.ctx, key) {
            if type_value.replace(value).is_some() {
                return None;
            }
        }
    }
    let type_scoped = Arc::clone(&ctx);
    let mut types: Vec<&str> = Vec::new();
    if let Some(v) = type_value {
        match v {
            Value::String(s) => types.push(s),
            Value::Array(items) => {
                for i in items {
                    types.push(i.as_str()?);
                }
            }
            _ => return None,
        }
    }
    let mut sorted = types.clone();
    sorted.sort_unstable();
    for t in sorted {
        if let Some(def) = type_scoped.ctx.get(t) {
            if def.context().is_some() {
                ctx = ctx.apply(Edge::Type, &type_scoped, t)?;
            }
        }
    }

    // Keys in the final context; the subject.
    let mut props = Vec::with_capacity(len);
    let mut subject = None;
    for (key, value) in entries() {
        match key_meaning(&ctx.ctx, key)? {
            KeyMeaning::Id => {
                if subject.is_some() {
                    return None;
                }
                subject = Some(Subject::Iri(expand_id(&ctx.ctx, value.as_str()?)?));
            }
            KeyMeaning::Type => {}
            KeyMeaning::Context if top => {}
            KeyMeaning::Context => return None,
            KeyMeaning::Property(iri, def) => props.push((key.as_str(), iri, def, value)),
        }
    }
    let subject = match subject {
        Some(s) => s,
        None => out.fresh_blank(),
    };

    for t in &types {
        let iri = expand_vocab(&type_scoped.ctx, t)?;
        out.push(
            &subject,
            RDF_TYPE,
            oxrdf::NamedNode::new_unchecked(iri).into(),
        );
    }

    for (key, prop, def, value) in props {
        if def.reverse_property()
            || def
                .container()
                .as_slice()
                .iter()
                .any(|c| *c != ContainerKind::Set)
            || matches!(def.typ(), Some(Type::Json | Type::None))
        {
            return None;
        }
        let p = Property {
            key,
            iri: prop,
            def,
        };
        match value {
            Value::Array(items) => {
                for item in items {
                    if item.is_array() {
                        return None;
                    }
                    property_value(out, &ctx, &p, &subject, item, depth)?;
                }
            }
            other => property_value(out, &ctx, &p, &subject, other, depth)?,
        }
    }
    Some(subject)
}

/// A property of a node: its key, IRI and term definition in the node's context.
struct Property<'a, 'c> {
    key: &'a str,
    iri: &'c str,
    def: TermDefinitionRef<'c>,
}

/// Expands one (non-array) value of property `p` of `subject`.
fn property_value(
    out: &mut Out,
    ctx: &Arc<CtxNode>,
    p: &Property<'_, '_>,
    subject: &Subject,
    value: &Value,
    depth: usize,
) -> Option<()> {
    let object: oxrdf::Term = match value {
        Value::Null => return Some(()),
        Value::Object(m) => node(out, ctx, Some(p.key), m, None, depth + 1)?.to_term(),
        scalar => {
            // Scalars see the property-scoped context too (without override).
            if p.def.context().is_some() {
                let scoped = ctx.apply(Edge::PropertyScalar, ctx, p.key)?;
                let def = scoped.ctx.get(p.key)?;
                literal(&scoped.ctx, def, scalar)?
            } else {
                literal(&ctx.ctx, p.def, scalar)?
            }
        }
    };
    out.push(subject, p.iri, object);
    Some(())
}

/// Value expansion and RDF conversion of a scalar, for the cases `json-ld` handles without
/// languages, directions or number reformatting.
fn literal(ctx: &ActiveContext, def: TermDefinitionRef<'_>, value: &Value) -> Option<oxrdf::Term> {
    let ty = def.typ();
    match value {
        Value::String(s) => match ty {
            Some(Type::Id) => Some(oxrdf::NamedNode::new_unchecked(expand_id(ctx, s)?).into()),
            Some(Type::Vocab) => {
                Some(oxrdf::NamedNode::new_unchecked(expand_vocab(ctx, s)?).into())
            }
            Some(Type::Iri(t)) => Some(
                oxrdf::Literal::new_typed_literal(
                    s.as_str(),
                    oxrdf::NamedNode::new_unchecked(t.as_str()),
                )
                .into(),
            ),
            None => {
                // A language or direction from the term or the context: general path.
                match def.language() {
                    Some(json_ld::Nullable::Null) => {}
                    Some(json_ld::Nullable::Some(_)) => return None,
                    None => {
                        if ctx.default_language().is_some() {
                            return None;
                        }
                    }
                }
                match def.direction() {
                    Some(json_ld::Nullable::Null) => {}
                    Some(json_ld::Nullable::Some(_)) => return None,
                    None => {
                        if ctx.default_base_direction().is_some() {
                            return None;
                        }
                    }
                }
                Some(oxrdf::Literal::new_simple_literal(s.as_str()).into())
            }
            _ => None,
        },
        // A boolean coerced to a datatype keeps its lexical form and takes that datatype (JSON-LD
        // value expansion adds the term's @type; RDF conversion writes "true"/"false").
        Value::Bool(b) => match ty {
            None => Some(
                oxrdf::Literal::new_typed_literal(
                    if *b { "true" } else { "false" },
                    oxrdf::NamedNode::new_unchecked(XSD_BOOLEAN),
                )
                .into(),
            ),
            Some(Type::Iri(t)) => Some(
                oxrdf::Literal::new_typed_literal(
                    if *b { "true" } else { "false" },
                    oxrdf::NamedNode::new_unchecked(t.as_str()),
                )
                .into(),
            ),
            _ => None,
        },
        // Other coerced non-strings: general path.
        _ if ty.is_some() => None,
        Value::Number(n) => {
            let text = if let Some(i) = n.as_u64() {
                (i <= SAFE_INTEGER).then(|| i.to_string())?
            } else if let Some(i) = n.as_i64() {
                (i.unsigned_abs() <= SAFE_INTEGER).then(|| i.to_string())?
            } else {
                return None;
            };
            Some(
                oxrdf::Literal::new_typed_literal(
                    text,
                    oxrdf::NamedNode::new_unchecked(XSD_INTEGER),
                )
                .into(),
            )
        }
        _ => None,
    }
}
