//! The stored transparency log: serialized appends, signed tree heads, proofs from O(log n)
//! stored nodes, and the audit that recomputes everything from the leaves.

use std::collections::HashMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use pathledger_log::{
    leaf_hash, nodes_completed_by_append, nodes_for_consistency, nodes_for_inclusion,
    nodes_for_root, Hash, MemoryLog, NodeId, SignedTreeHead,
};
use serde::Serialize;

use crate::crypto::{new_id, now_ms, random_bytes, sha256, Kek};
use crate::error::StoreError;
use crate::model::{AuditProblem, AuditReport, InclusionBundle, LogEntry};
use crate::rows::{row_to_entry, row_to_head, ENTRY_COLS, HEAD_COLS};
use crate::sql::{
    args, insert_statements, list_placeholders, Backend, Col, Db, Row, Stmt, Tx, Val,
};
use crate::store::Store;

/// Stored node key: `level << 56 | index`. Indexes stay below 2^56 in any real log.
pub(crate) fn nid(id: NodeId) -> Result<i64, StoreError> {
    if id.level > 56 || id.index >= (1u64 << 56) {
        return Err(StoreError::integrity(format!(
            "{id} is outside the storable range"
        )));
    }
    i64::try_from((u64::from(id.level) << 56) | id.index)
        .map_err(|_| StoreError::integrity(format!("{id} is outside the storable range")))
}

fn nid_to_node(v: i64) -> Result<NodeId, StoreError> {
    let v = u64::try_from(v).map_err(|_| StoreError::integrity("negative node key"))?;
    let level = u32::try_from(v >> 56).map_err(|_| StoreError::integrity("bad node key"))?;
    Ok(NodeId::new(level, v & ((1u64 << 56) - 1)))
}

fn to_i64(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::invalid(what, "too large"))
}

/// Leaf data: identifiers and hashes of an event, never personal data. Serialized with a fixed
/// field order, and the exact bytes are stored, so nothing needs re-canonicalizing.
#[derive(Debug, Serialize)]
pub(crate) struct LeafData<'a> {
    pub v: u8,
    pub event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_list_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_index: Option<u64>,
    /// Status changes (`revoke`, `suspend`, `reinstate`) since migration 0010: hex SHA-256 of
    /// the event row's random 32-byte salt followed by its reason (UTF-8; no reason commits as
    /// the empty one). Binds the stored reason without putting it, or anything guessable from
    /// it, in a public leaf.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_commitment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<&'a str>,
    /// Endorser grants (`endorser_grant`, `endorser_revoke`): the grant, its organization, the
    /// endorser's user id, the career role, and the org admin who acted (ids, never names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<&'a str>,
    pub timestamp_ms: i64,
}

impl<'a> LeafData<'a> {
    pub(crate) fn new(event: &'a str, timestamp_ms: i64) -> Self {
        Self {
            v: 1,
            event,
            credential_id: None,
            credential_sha256: None,
            issuer_id: None,
            key_id: None,
            public_key: None,
            retired_key_id: None,
            status_list_id: None,
            status_index: None,
            reason_commitment: None,
            previous_id: None,
            grant_id: None,
            org_id: None,
            user_id: None,
            role_id: None,
            by: None,
            timestamp_ms,
        }
    }

    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(self).map_err(|e| StoreError::integrity(format!("leaf encoding: {e}")))
    }
}

struct PendingEntry {
    index: u64,
    event: String,
    credential_id: Option<String>,
    data: Vec<u8>,
    leaf: Hash,
    created_ms: i64,
}

/// Appends to the log inside a transaction. [`LogAppender::lock`] takes the log head lock, so
/// appends from every connection and process are serialized: no fork, no gap.
pub(crate) struct LogAppender {
    start: u64,
    size: u64,
    /// Nodes needed as left siblings by the next appends (the current perfect-subtree frontier
    /// plus everything completed in this transaction).
    nodes: HashMap<NodeId, Hash>,
    entries: Vec<PendingEntry>,
    new_nodes: Vec<(NodeId, Hash)>,
}

impl LogAppender {
    /// Locks the log head and loads the O(log n) frontier nodes.
    pub(crate) async fn lock(tx: &mut Tx) -> Result<Self, StoreError> {
        let sql = match tx.backend() {
            Backend::Postgres => "SELECT size FROM log_head WHERE id = 1 FOR UPDATE",
            // BEGIN IMMEDIATE already holds SQLite's single write lock.
            Backend::Sqlite => "SELECT size FROM log_head WHERE id = 1",
        };
        let row = tx.fetch_one(sql, args![]).await?;
        let size = row.u64("size")?;
        let ids = nodes_for_root(size);
        let nodes = fetch_nodes_tx(tx, &ids).await?;
        Ok(Self {
            start: size,
            size,
            nodes,
            entries: Vec::new(),
            new_nodes: Vec::new(),
        })
    }

    /// Makes room for `n` more appends, so a batch does not grow its buffers step by step.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.nodes.reserve(n);
        self.entries.reserve(n);
        self.new_nodes.reserve(2 * n);
    }

    /// Appends one leaf in memory; returns its index. Written by [`LogAppender::flush`].
    pub(crate) fn append(
        &mut self,
        event: &str,
        credential_id: Option<&str>,
        data: Vec<u8>,
        created_ms: i64,
    ) -> Result<u64, StoreError> {
        let index = self.size;
        let leaf = leaf_hash(&data);
        let completed = nodes_completed_by_append(index, leaf, |id| self.nodes.get(&id).copied())
            .map_err(|e| StoreError::integrity(format!("log frontier: {e}")))?;
        for (id, h) in completed {
            // Only a left child (even index) is ever read again, as the sibling of a later node.
            if id.index & 1 == 0 {
                self.nodes.insert(id, h);
            }
            self.new_nodes.push((id, h));
        }
        self.entries.push(PendingEntry {
            index,
            event: event.to_owned(),
            credential_id: credential_id.map(str::to_owned),
            data,
            leaf,
            created_ms,
        });
        self.size += 1;
        Ok(index)
    }

    /// Writes the appended entries and nodes and moves the head, in the caller's transaction.
    pub(crate) async fn flush(mut self, tx: &mut Tx) -> Result<u64, StoreError> {
        for s in self.take_statements(tx.backend())? {
            tx.run(s).await?;
        }
        self.move_head(tx).await
    }

    /// The statements that write the entries and nodes appended so far (taken: a second call
    /// gives only what was appended since). Run them, then [`LogAppender::move_head`].
    pub(crate) fn take_statements(&mut self, backend: Backend) -> Result<Vec<Stmt>, StoreError> {
        let mut entries = Vec::with_capacity(self.entries.len());
        for e in std::mem::take(&mut self.entries) {
            entries.push(vec![
                Val::I64(to_i64(e.index, "log index")?),
                Val::Text(e.event),
                Val::OptText(e.credential_id),
                Val::Bytes(e.data),
                Val::Bytes(e.leaf.to_vec()),
                Val::I64(e.created_ms),
            ]);
        }
        let mut out = insert_statements(
            backend,
            "log_entries",
            &[
                ("idx", Col::I64),
                ("event", Col::Text),
                ("credential_id", Col::Text),
                ("data", Col::Bytes),
                ("leaf_hash", Col::Bytes),
                ("created_ms", Col::I64),
            ],
            entries,
            500,
        )?;
        let mut nodes = Vec::with_capacity(self.new_nodes.len());
        for (id, h) in std::mem::take(&mut self.new_nodes) {
            nodes.push(vec![Val::I64(nid(id)?), Val::Bytes(h.to_vec())]);
        }
        out.extend(insert_statements(
            backend,
            "log_nodes",
            &[("nid", Col::I64), ("hash", Col::Bytes)],
            nodes,
            1000,
        )?);
        Ok(out)
    }

    /// Moves the head past everything appended (whose statements have run); the new size.
    pub(crate) async fn move_head(self, tx: &mut Tx) -> Result<u64, StoreError> {
        if self.size == self.start {
            return Ok(self.size);
        }
        let n = tx
            .execute(
                "UPDATE log_head SET size = $1 WHERE id = 1 AND size = $2",
                args![
                    to_i64(self.size, "log size")?,
                    to_i64(self.start, "log size")?
                ],
            )
            .await?;
        if n != 1 {
            return Err(StoreError::conflict("log head moved during append"));
        }
        Ok(self.size)
    }
}

async fn fetch_nodes_tx(tx: &mut Tx, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let keys = ids
        .iter()
        .map(|id| nid(*id))
        .collect::<Result<Vec<_>, _>>()?;
    let sql = format!(
        "SELECT nid, hash FROM log_nodes WHERE nid IN ({})",
        list_placeholders(1, keys.len())
    );
    let rows = tx
        .fetch_all(&sql, keys.into_iter().map(Val::I64).collect())
        .await?;
    rows_to_nodes(rows)
}

async fn fetch_nodes(db: &Db, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let keys = ids
        .iter()
        .map(|id| nid(*id))
        .collect::<Result<Vec<_>, _>>()?;
    let sql = format!(
        "SELECT nid, hash FROM log_nodes WHERE nid IN ({})",
        list_placeholders(1, keys.len())
    );
    let rows = db
        .fetch_all(&sql, keys.into_iter().map(Val::I64).collect())
        .await?;
    rows_to_nodes(rows)
}

fn rows_to_nodes(rows: Vec<Row>) -> Result<HashMap<NodeId, Hash>, StoreError> {
    rows.into_iter()
        .map(|r| Ok((nid_to_node(r.i64("nid")?)?, r.hash("hash")?)))
        .collect()
}

fn log_err(e: pathledger_log::LogError) -> StoreError {
    match e {
        pathledger_log::LogError::IndexOutOfRange { index, size } => StoreError::invalid(
            "index",
            format!("leaf index {index} is not below tree size {size}"),
        ),
        pathledger_log::LogError::InvalidSizes { old_size, new_size } => StoreError::invalid(
            "tree_size",
            format!("no consistency proof from {old_size} to {new_size}"),
        ),
        pathledger_log::LogError::BeyondLog { size, log_size } => StoreError::invalid(
            "tree_size",
            format!("tree size {size} is beyond the log's {log_size} leaves"),
        ),
        other => StoreError::integrity(format!("log nodes: {other}")),
    }
}

/// Loads the active log signing key, creating one on first run (racing servers agree through
/// the one-active-key unique index).
pub(crate) async fn ensure_log_key(db: &Db, kek: &Kek) -> Result<(String, SigningKey), StoreError> {
    for _ in 0..3 {
        if let Some(row) = db
            .fetch_optional("SELECT id, sealed_seed FROM log_keys WHERE active", args![])
            .await?
        {
            let id = row.text("id")?;
            let key = kek.open(&id, &row.bytes("sealed_seed")?)?;
            return Ok((id, key));
        }
        let id = new_id("logkey")?;
        let seed: [u8; 32] = random_bytes()?;
        let key = SigningKey::from_bytes(&seed);
        let mut tx = db.begin().await?;
        let r = tx
            .execute(
                "INSERT INTO log_keys (id, public_key, sealed_seed, active, created_ms) VALUES ($1, $2, $3, $4, $5)",
                args![
                    id.as_str(),
                    key.verifying_key().to_bytes().to_vec(),
                    kek.seal(&id, &seed)?,
                    true,
                    now_ms()
                ],
            )
            .await;
        match r {
            Ok(_) => {
                tx.commit().await?;
                return Ok((id, key));
            }
            Err(e) if e.is_unique_violation() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Unavailable {
        message: "could not settle the log key".into(),
    })
}

impl Store {
    /// Number of leaves in the log (committed).
    pub async fn log_size(&self) -> Result<u64, StoreError> {
        let row = self
            .db()
            .fetch_optional("SELECT size FROM log_head WHERE id = 1", args![])
            .await?
            .ok_or_else(|| StoreError::integrity("log head row is missing"))?;
        row.u64("size")
    }

    /// The log's public key and its id, for verifying signed tree heads offline.
    pub fn log_public_key(&self) -> (String, VerifyingKey) {
        (
            self.inner.log_key_id.clone(),
            self.inner.log_key.verifying_key(),
        )
    }

    /// All log keys ever used (id, public key), for verifying old heads.
    pub async fn log_public_keys(&self) -> Result<Vec<(String, VerifyingKey)>, StoreError> {
        let rows = self
            .db()
            .fetch_all(
                "SELECT id, public_key FROM log_keys ORDER BY created_ms",
                args![],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let pk = r.hash("public_key")?;
                let vk = VerifyingKey::from_bytes(&pk)
                    .map_err(|_| StoreError::integrity("stored log public key is invalid"))?;
                Ok((r.text("id")?, vk))
            })
            .collect()
    }

    /// Root hash of the first `size` leaves, from O(log n) stored nodes.
    pub async fn root_at(&self, size: u64) -> Result<Hash, StoreError> {
        let log_size = self.log_size().await?;
        if size > log_size {
            return Err(log_err(pathledger_log::LogError::BeyondLog {
                size,
                log_size,
            }));
        }
        let nodes = fetch_nodes(self.db(), &nodes_for_root(size)).await?;
        pathledger_log::root_from_nodes(size, &|id| nodes.get(&id).copied()).map_err(log_err)
    }

    /// Signs a tree head for the current log size (or returns the stored one if it exists).
    pub async fn sign_tree_head(&self) -> Result<SignedTreeHead, StoreError> {
        let size = self.log_size().await?;
        if let Some(h) = self.tree_head_at(size).await? {
            return Ok(h);
        }
        let root = self.root_at(size).await?;
        let ts = u64::try_from(now_ms()).unwrap_or(0);
        let head =
            SignedTreeHead::sign(size, root, ts, &self.inner.log_key_id, &self.inner.log_key)
                .map_err(|e| StoreError::integrity(format!("signing tree head: {e}")))?;
        let mut tx = self.db().begin().await?;
        tx.execute(
            "INSERT INTO tree_heads (tree_size, root_hash, timestamp_ms, key_id, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING",
            args![
                to_i64(size, "tree_size")?,
                root.to_vec(),
                to_i64(ts, "timestamp")?,
                head.key_id.as_str(),
                head.signature.to_vec()
            ],
        )
        .await?;
        tx.commit().await?;
        // Another server may have signed the same size first; the stored head wins.
        Ok(self.tree_head_at(size).await?.unwrap_or(head))
    }

    /// The stored signed head for exactly `size`, if any.
    pub async fn tree_head_at(&self, size: u64) -> Result<Option<SignedTreeHead>, StoreError> {
        let sql = format!("SELECT {HEAD_COLS} FROM tree_heads WHERE tree_size = $1");
        self.db()
            .fetch_optional(&sql, args![to_i64(size, "tree_size")?])
            .await?
            .map(|r| row_to_head(&r))
            .transpose()
    }

    /// The newest stored signed head.
    pub async fn latest_tree_head(&self) -> Result<Option<SignedTreeHead>, StoreError> {
        let sql = format!("SELECT {HEAD_COLS} FROM tree_heads ORDER BY tree_size DESC LIMIT 1");
        self.db()
            .fetch_optional(&sql, args![])
            .await?
            .map(|r| row_to_head(&r))
            .transpose()
    }

    /// All stored signed heads, smallest first.
    pub async fn tree_heads(&self) -> Result<Vec<SignedTreeHead>, StoreError> {
        let sql = format!("SELECT {HEAD_COLS} FROM tree_heads ORDER BY tree_size");
        self.db()
            .fetch_all(&sql, args![])
            .await?
            .iter()
            .map(row_to_head)
            .collect()
    }

    /// One log entry.
    pub async fn log_entry(&self, index: u64) -> Result<LogEntry, StoreError> {
        let sql = format!("SELECT {ENTRY_COLS} FROM log_entries WHERE idx = $1");
        let row = self
            .db()
            .fetch_optional(&sql, args![to_i64(index, "index")?])
            .await?
            .ok_or_else(|| StoreError::not_found("log entry", index.to_string()))?;
        row_to_entry(&row)
    }

    /// Entries `[from, from + limit)`, for paging through the log.
    pub async fn log_entries(&self, from: u64, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        let sql =
            format!("SELECT {ENTRY_COLS} FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2");
        self.db()
            .fetch_all(&sql, args![to_i64(from, "from")?, i64::from(limit)])
            .await?
            .iter()
            .map(row_to_entry)
            .collect()
    }

    /// Every log entry about a credential (issue, then status changes), oldest first.
    pub async fn log_entries_for_credential(
        &self,
        credential_id: &str,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let sql =
            format!("SELECT {ENTRY_COLS} FROM log_entries WHERE credential_id = $1 ORDER BY idx");
        self.db()
            .fetch_all(&sql, args![credential_id])
            .await?
            .iter()
            .map(row_to_entry)
            .collect()
    }

    /// Inclusion proof (bottom-up) of leaf `index` in the tree of the first `tree_size` leaves.
    pub async fn inclusion_proof(
        &self,
        index: u64,
        tree_size: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        if index >= tree_size {
            return Err(log_err(pathledger_log::LogError::IndexOutOfRange {
                index,
                size: tree_size,
            }));
        }
        // One query on the hot path: a size beyond the log shows up as a missing node.
        let nodes = fetch_nodes(self.db(), &nodes_for_inclusion(index, tree_size)).await?;
        match pathledger_log::inclusion_proof(index, tree_size, &|id| nodes.get(&id).copied()) {
            Ok(p) => Ok(p),
            Err(e) => Err(self.beyond_or(tree_size, e).await),
        }
    }

    /// Explains a failed proof computation: a size beyond the log, or damaged storage.
    async fn beyond_or(&self, size: u64, e: pathledger_log::LogError) -> StoreError {
        match self.log_size().await {
            Ok(log_size) if size > log_size => {
                log_err(pathledger_log::LogError::BeyondLog { size, log_size })
            }
            Ok(_) => log_err(e),
            Err(db) => db,
        }
    }

    /// Consistency proof (bottom-up) from `old_size` to `new_size`.
    pub async fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, StoreError> {
        if old_size == 0 || old_size > new_size {
            return Err(log_err(pathledger_log::LogError::InvalidSizes {
                old_size,
                new_size,
            }));
        }
        let nodes = fetch_nodes(self.db(), &nodes_for_consistency(old_size, new_size)).await?;
        match pathledger_log::consistency_proof(old_size, new_size, &|id| nodes.get(&id).copied()) {
            Ok(p) => Ok(p),
            Err(e) => Err(self.beyond_or(new_size, e).await),
        }
    }

    /// The issue event of a credential, its inclusion proof and a signed head covering it
    /// (signing a fresh head if the newest one does not cover it yet).
    pub async fn credential_inclusion(
        &self,
        credential_id: &str,
    ) -> Result<InclusionBundle, StoreError> {
        let entry = self
            .log_entries_for_credential(credential_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::not_found("credential", credential_id))?;
        let head = match self.latest_tree_head().await? {
            Some(h) if h.tree_size > entry.index => h,
            _ => self.sign_tree_head().await?,
        };
        let proof = self.inclusion_proof(entry.index, head.tree_size).await?;
        Ok(InclusionBundle {
            entry,
            proof,
            tree_head: head,
        })
    }

    /// Recomputes the whole tree from the stored leaves and checks every stored node, every
    /// signed head, and that each issue leaf matches the stored credential bytes. Editing,
    /// deleting or reordering any stored row is reported, naming the first bad entry.
    pub async fn audit(&self) -> Result<AuditReport, StoreError> {
        let size = self.log_size().await?;
        let mut problems: Vec<AuditProblem> = Vec::new();
        let mut mem = MemoryLog::new();
        let mut expected: u64 = 0;
        let mut last: i64 = -1;
        let mut issue_hashes: Vec<(u64, String, String)> = Vec::new();
        // Each credential's last logged status event: (entry, event).
        let mut last_events: HashMap<String, (u64, String)> = HashMap::new();
        // Issuer keys, endorser grants and status changes as the log records them.
        let mut logged_keys = crate::audit_bindings::LoggedKeys::default();
        let mut logged_grants = crate::audit_bindings::LoggedGrants::default();
        let mut logged_changes = crate::audit_bindings::LoggedStatusChanges::default();
        let page = 5000i64;
        loop {
            let sql = format!(
                "SELECT {ENTRY_COLS} FROM log_entries WHERE idx > $1 ORDER BY idx LIMIT $2"
            );
            let rows = self.db().fetch_all(&sql, args![last, page]).await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let idx = r.i64("idx")?;
                last = idx;
                let idx = u64::try_from(idx).unwrap_or(u64::MAX);
                if idx != expected {
                    problems.push(AuditProblem {
                        entry: Some(expected),
                        message: format!(
                            "log entry {expected} is missing (next stored entry is {idx})"
                        ),
                    });
                    // Keep recomputing with what is there; later checks will fail anyway.
                    expected = idx;
                }
                expected += 1;
                let data = r.bytes("data")?;
                let stored_leaf = r.bytes("leaf_hash")?;
                let computed = leaf_hash(&data);
                if stored_leaf.as_slice() != computed.as_slice() {
                    problems.push(AuditProblem {
                        entry: Some(idx),
                        message: format!("log entry {idx}: leaf hash does not match its data"),
                    });
                }
                if let Some(v) = check_leaf_columns(
                    idx,
                    r,
                    &data,
                    &mut problems,
                    &mut issue_hashes,
                    &mut last_events,
                )? {
                    logged_keys.read(idx, &v);
                    logged_grants.read(idx, &v);
                    logged_changes.read(idx, &v);
                }
                if mem.append_leaf_hash(computed).is_err() {
                    problems.push(AuditProblem {
                        entry: Some(idx),
                        message: "log is full".into(),
                    });
                }
            }
        }
        if mem.size() != size {
            problems.push(AuditProblem {
                entry: Some(mem.size().min(size)),
                message: format!("log head says {size} entries but {} are stored", mem.size()),
            });
        }

        // Stored nodes against the recomputed tree.
        let mut node_hint: Option<u64> = None;
        let mut last_nid: i64 = -1;
        let mut nodes_seen: u64 = 0;
        loop {
            let rows = self
                .db()
                .fetch_all(
                    "SELECT nid, hash FROM log_nodes WHERE nid > $1 ORDER BY nid LIMIT $2",
                    args![last_nid, 20000i64],
                )
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                last_nid = r.i64("nid")?;
                nodes_seen += 1;
                let id = nid_to_node(last_nid)?;
                let first = id.first_leaf().unwrap_or(u64::MAX);
                match mem.node(id) {
                    Some(h) if r.bytes("hash")?.as_slice() == h.as_slice() => {}
                    Some(_) => problems.push(AuditProblem {
                        // A bad interior node says only that something below it changed; the
                        // leaf-level checks name the entry, this is the fallback.
                        entry: if id.level == 0 {
                            Some(first)
                        } else {
                            let hint = node_hint.get_or_insert(first);
                            *hint = (*hint).min(first);
                            None
                        },
                        message: format!(
                            "stored {id} does not match the tree recomputed from the leaves"
                        ),
                    }),
                    None => problems.push(AuditProblem {
                        entry: Some(first),
                        message: format!("stored {id} lies beyond the log"),
                    }),
                }
            }
        }
        let expected_nodes: u64 = (0..64u32)
            .map(|l| mem.size() >> l)
            .take_while(|n| *n > 0)
            .sum();
        if nodes_seen < expected_nodes {
            // Find the first missing node to name its entry.
            let mut first_missing = None;
            let mut level = 0u32;
            while mem.size() >> level > 0 {
                let count = mem.size() >> level;
                let ids: Vec<NodeId> = (0..count).map(|i| NodeId::new(level, i)).collect();
                for chunk in ids.chunks(500) {
                    let got = fetch_nodes(self.db(), chunk).await?;
                    if let Some(m) = chunk.iter().find(|id| !got.contains_key(id)) {
                        let f = m.first_leaf().unwrap_or(u64::MAX);
                        first_missing = Some(first_missing.map_or(f, |x: u64| x.min(f)));
                        break;
                    }
                }
                level += 1;
            }
            problems.push(AuditProblem {
                entry: first_missing,
                message: format!(
                    "{} stored tree nodes are missing",
                    expected_nodes - nodes_seen.min(expected_nodes)
                ),
            });
        }

        // Signed heads.
        let keys: HashMap<String, VerifyingKey> =
            self.log_public_keys().await?.into_iter().collect();
        let heads = self.tree_heads().await?;
        let mut prev_ok: u64 = 0;
        // Where the first mismatching head says the damage starts, if nothing else names it.
        let mut head_hint: Option<u64> = None;
        for h in &heads {
            match keys.get(&h.key_id) {
                Some(k) if h.verify(k).is_ok() => {}
                _ => problems.push(AuditProblem {
                    entry: None,
                    message: format!("signed head for size {} has a bad signature", h.tree_size),
                }),
            }
            match mem.root_at(h.tree_size) {
                Ok(root) if root == h.root_hash => prev_ok = h.tree_size,
                Ok(_) => {
                    head_hint.get_or_insert(prev_ok);
                    problems.push(AuditProblem {
                    entry: None,
                    message: format!(
                        "signed head for size {} does not match the stored leaves (first difference among entries {}..{})",
                        h.tree_size, prev_ok, h.tree_size
                    ),
                })
                }
                Err(_) => problems.push(AuditProblem {
                    entry: Some(mem.size()),
                    message: format!(
                        "signed head for size {} is beyond the stored log ({} entries): entries were deleted",
                        h.tree_size,
                        mem.size()
                    ),
                }),
            }
        }

        // Credentials against their issue leaves.
        for chunk in issue_hashes.chunks(500) {
            let sql = format!(
                "SELECT id, document, document_hash, log_index FROM credentials WHERE id IN ({})",
                list_placeholders(1, chunk.len())
            );
            let rows = self
                .db()
                .fetch_all(
                    &sql,
                    chunk
                        .iter()
                        .map(|(_, id, _)| Val::Text(id.clone()))
                        .collect(),
                )
                .await?;
            let by_id: HashMap<String, (String, Vec<u8>, i64)> = rows
                .iter()
                .map(|r| {
                    Ok((
                        r.text("id")?,
                        (
                            document_hash_hex(&r.text("document")?),
                            r.bytes("document_hash")?,
                            r.i64("log_index")?,
                        ),
                    ))
                })
                .collect::<Result<_, StoreError>>()?;
            for (idx, id, hash_hex) in chunk {
                // A missing row is an erasure on request: the log keeps only the hash.
                if let Some((actual, h, li)) = by_id.get(id) {
                    if actual != hash_hex
                        || hex::encode(h) != *hash_hex
                        || u64::try_from(*li).ok() != Some(*idx)
                    {
                        problems.push(AuditProblem {
                            entry: Some(*idx),
                            message: format!(
                                "credential {id} no longer matches its issue entry {idx}"
                            ),
                        });
                    }
                }
            }
        }
        let last_reasons = self
            .audit_status_events(&logged_changes, &last_events, &mut problems)
            .await?;
        self.audit_credential_bindings(&last_events, &last_reasons, &mut problems)
            .await?;
        self.audit_issuer_keys(&logged_keys, &mut problems).await?;
        self.audit_endorser_grants(&logged_grants, &mut problems)
            .await?;
        let first_bad_entry = problems.iter().filter_map(|p| p.entry).min().or(head_hint);
        Ok(AuditReport {
            tree_size: size,
            entries_checked: mem.size(),
            heads_checked: heads.len() as u64,
            problems,
            first_bad_entry,
        })
    }
}

/// Checks that the indexed columns of an entry agree with its (hashed) data, and collects the
/// credential hashes of issue events and each credential's last status event. Returns the
/// parsed data for the other bindings' collectors (none if it is not JSON).
fn check_leaf_columns(
    idx: u64,
    r: &Row,
    data: &[u8],
    problems: &mut Vec<AuditProblem>,
    issue_hashes: &mut Vec<(u64, String, String)>,
    last_events: &mut HashMap<String, (u64, String)>,
) -> Result<Option<serde_json::Value>, StoreError> {
    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(data);
    let Ok(v) = parsed else {
        problems.push(AuditProblem {
            entry: Some(idx),
            message: format!("log entry {idx}: data is not JSON"),
        });
        return Ok(None);
    };
    let event = v.get("event").and_then(|e| e.as_str()).unwrap_or_default();
    let cred = v.get("credential_id").and_then(|e| e.as_str());
    if event != r.text("event")? || cred.map(str::to_owned) != r.opt_text("credential_id")? {
        problems.push(AuditProblem {
            entry: Some(idx),
            message: format!("log entry {idx}: indexed columns disagree with the leaf data"),
        });
    }
    if event == "issue" {
        if let (Some(c), Some(h)) = (cred, v.get("credential_sha256").and_then(|h| h.as_str())) {
            issue_hashes.push((idx, c.to_owned(), h.to_owned()));
        }
    }
    if let (Some(c), "issue" | "revoke" | "suspend" | "reinstate" | "erase") = (cred, event) {
        last_events.insert(c.to_owned(), (idx, event.to_owned()));
    }
    Ok(Some(v))
}

/// Hex SHA-256 of credential bytes, as recorded in issue leaves.
pub(crate) fn document_hash_hex(doc: &str) -> String {
    hex::encode(sha256(doc.as_bytes()))
}
