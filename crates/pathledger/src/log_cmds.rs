//! The log's outside checks: `verify --proof/--log` (a credential's inclusion, checked with the
//! `pathledger-log` crate alone, no database) and `witness` (cosigns the log's checkpoints
//! after checking they extend the last one it saw, refusing rollbacks and forks).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use ed25519_dalek::SigningKey;
use pathledger_log::{
    check_checkpoint, cosign, leaf_hash, verify_inclusion, Checkpoint, Hash, Note, NoteVerifier,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The bundle format `GET /api/v1/log/credentials/{id}/bundle` serves.
pub const PROOF_FORMAT: &str = "pathledger-inclusion-proof/v1";

/// Largest response read from a log server.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// What an inclusion bundle proves about one credential file.
#[derive(Debug, Clone, Serialize)]
pub struct ProofCheck {
    /// The credential's id.
    pub credential_id: String,
    /// The log's origin.
    pub origin: String,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// Log index of the issue event.
    pub issued_at_entry: u64,
    /// The last status event in the log (`revoke`, `suspend`, `reinstate`, `erase`), if any.
    pub latest_status_event: Option<String>,
    /// Whether the log key was pinned (`--log-key`) rather than taken from the bundle.
    pub log_key_pinned: bool,
    /// The log's verifier key.
    pub log_key: String,
    /// Witnesses whose cosignatures were required and verified.
    pub cosigned_by: Vec<String>,
}

fn hex32(v: &Value, what: &str) -> Result<Hash, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{what} is not a hex string"))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| format!("{what} is not 32 bytes of hex"))?;
    Ok(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks `bundle` for the credential in `credential` (the file's bytes and its parsed JSON).
/// A bundle proves what was logged up to its checkpoint; it cannot prove that no revocation
/// came after it (a fresh bundle from `--log URL`, or the status list, shows that).
/// The checks:
/// the checkpoint is signed by the log key (`pinned`, or the bundle's own when none is
/// pinned) and cosigned by every witness in `witnesses`; every event's leaf is the hash of
/// its data and is included under the checkpoint's root; the issue event names this
/// credential and the SHA-256 of its stored bytes.
pub fn check_bundle(
    credential_bytes: &[u8],
    credential: &Value,
    bundle: &Value,
    pinned: Option<&NoteVerifier>,
    witnesses: &[NoteVerifier],
) -> Result<ProofCheck, String> {
    if bundle["format"].as_str() != Some(PROOF_FORMAT) {
        return Err(format!("the proof file is not a {PROOF_FORMAT} bundle"));
    }
    let id = bundle["credential_id"]
        .as_str()
        .ok_or("the bundle names no credential")?;
    if credential["id"].as_str() != Some(id) {
        return Err(format!(
            "the bundle is for {id}, not for this credential ({})",
            credential["id"].as_str().unwrap_or("without an id")
        ));
    }
    let bundled_key = NoteVerifier::parse(bundle["log_key"].as_str().unwrap_or(""))
        .map_err(|e| format!("the bundle's log key: {e}"))?;
    let key = match pinned {
        Some(p) if p.to_vkey() != bundled_key.to_vkey() => {
            return Err(format!(
                "the bundle's log key {} is not the pinned key {}",
                bundled_key.to_vkey(),
                p.to_vkey()
            ))
        }
        Some(p) => p.clone(),
        None => bundled_key,
    };
    let note = Note::parse(bundle["checkpoint"].as_str().unwrap_or(""))
        .map_err(|e| format!("the checkpoint: {e}"))?;
    note.verify(std::slice::from_ref(&key))
        .map_err(|e| format!("the checkpoint is not signed by the log key: {e}"))?;
    let cp = Checkpoint::parse(&note.text).map_err(|e| format!("the checkpoint: {e}"))?;
    if cp.origin != key.name() {
        return Err(format!(
            "the checkpoint's origin {} is not the log key's name {}",
            cp.origin,
            key.name()
        ));
    }
    let mut cosigned_by = Vec::new();
    for w in witnesses {
        note.verify(std::slice::from_ref(w))
            .map_err(|e| format!("witness {}: {e}", w.name()))?;
        cosigned_by.push(w.name().to_owned());
    }
    let events = bundle["events"]
        .as_array()
        .ok_or("the bundle has no events")?;
    let mut issued_at = None;
    // The status event with the highest index, whatever order the bundle lists them in.
    let mut latest_status: Option<(u64, String)> = None;
    for (n, e) in events.iter().enumerate() {
        let index = e["index"]
            .as_u64()
            .ok_or_else(|| format!("event {n} has no index"))?;
        let data = e["data"]
            .as_str()
            .ok_or_else(|| format!("event {n} has no leaf data"))?;
        let leaf = leaf_hash(data.as_bytes());
        if hex32(&e["leaf_hash"], "a leaf hash")? != leaf {
            return Err(format!(
                "entry {index}: the leaf hash is not the hash of its data"
            ));
        }
        let proof = e["proof"]
            .as_array()
            .ok_or_else(|| format!("entry {index} has no audit path"))?
            .iter()
            .map(|h| hex32(h, "an audit path hash"))
            .collect::<Result<Vec<_>, _>>()?;
        verify_inclusion(index, cp.size, &leaf, &proof, &cp.root).map_err(|err| {
            format!(
                "entry {index} is not in the log of tree size {} behind the checkpoint: {err}",
                cp.size
            )
        })?;
        let fields: Value = serde_json::from_str(data)
            .map_err(|_| format!("entry {index}: the leaf data is not JSON"))?;
        if fields["credential_id"].as_str() != Some(id) {
            return Err(format!("entry {index} is about another credential"));
        }
        match fields["event"].as_str() {
            Some("issue") => {
                let logged = fields["credential_sha256"].as_str().unwrap_or("");
                // The log hashes the stored bytes; a file may be those bytes or a re-indented
                // copy of them (the CLI writes credentials indented).
                let compact = serde_json::to_vec(credential).unwrap_or_default();
                if logged != sha256_hex(credential_bytes) && logged != sha256_hex(&compact) {
                    return Err(format!(
                        "entry {index} logs another document for {id}: this file was changed after issuance"
                    ));
                }
                issued_at = Some(index);
            }
            Some(other @ ("revoke" | "suspend" | "reinstate" | "erase"))
                if latest_status.as_ref().is_none_or(|(at, _)| index > *at) =>
            {
                latest_status = Some((index, other.to_owned()));
            }
            _ => {}
        }
    }
    let issued_at_entry = issued_at.ok_or("the bundle has no issue event for this credential")?;
    Ok(ProofCheck {
        credential_id: id.to_owned(),
        origin: cp.origin,
        tree_size: cp.size,
        issued_at_entry,
        latest_status_event: latest_status.map(|(_, e)| e),
        log_key_pinned: pinned.is_some(),
        log_key: key.to_vkey(),
        cosigned_by,
    })
}

/// `verify --proof/--log`: one bundle file for every credential, or a log server to fetch
/// each credential's bundle from.
pub struct InclusionChecker {
    bundle: Option<Value>,
    client: Option<LogClient>,
    pinned: Option<NoteVerifier>,
    witnesses: Vec<NoteVerifier>,
}

/// The outcome of one credential's inclusion check.
pub enum LogCheck {
    /// Proven, and what the log shows.
    Proven(ProofCheck),
    /// Not proven, and why.
    Failed(String),
}

impl LogCheck {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Failed(_) => 20,
            Self::Proven(p) => match p.latest_status_event.as_deref() {
                Some("revoke") => 11,
                Some("suspend") => 12,
                _ => 0,
            },
        }
    }

    pub fn sentence(&self) -> String {
        match self {
            Self::Failed(why) => format!("NOT PROVEN: {why}"),
            Self::Proven(p) => {
                let mut s = format!(
                    "issued at entry {} of the log {} (tree size {}, checkpoint signed by {})",
                    p.issued_at_entry,
                    p.origin,
                    p.tree_size,
                    if p.log_key_pinned {
                        "the pinned log key"
                    } else {
                        "the key in the bundle, not pinned (pass --log-key)"
                    }
                );
                if !p.cosigned_by.is_empty() {
                    s.push_str(&format!("; cosigned by {}", p.cosigned_by.join(", ")));
                }
                match p.latest_status_event.as_deref() {
                    Some("revoke") => s.push_str("; the log records its revocation"),
                    Some("suspend") => s.push_str("; the log records its suspension"),
                    Some("erase") => s.push_str("; the log records its erasure"),
                    _ => {}
                }
                s
            }
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Self::Failed(why) => json!({"proven": false, "error": why}),
            Self::Proven(p) => {
                let mut v = serde_json::to_value(p).unwrap_or_default();
                v["proven"] = json!(true);
                v
            }
        }
    }
}

impl InclusionChecker {
    /// From `verify`'s options; `None` when neither a bundle nor a log server is given.
    pub fn new(
        proof: Option<&Path>,
        log: Option<&str>,
        log_key: Option<&str>,
        witness_keys: &[String],
    ) -> Result<Option<Self>> {
        if proof.is_none() && log.is_none() {
            if log_key.is_some() || !witness_keys.is_empty() {
                bail!("--log-key and --witness-key need --proof FILE or --log URL");
            }
            return Ok(None);
        }
        let bundle = match proof {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                Some(serde_json::from_str(&text).map_err(|e| {
                    anyhow!(
                        "{}: line {}, column {}: {e}",
                        p.display(),
                        e.line(),
                        e.column()
                    )
                })?)
            }
            None => None,
        };
        let client = log.map(LogClient::new).transpose()?;
        let pinned = log_key
            .map(|k| NoteVerifier::parse(k).map_err(|e| anyhow!("--log-key: {e}")))
            .transpose()?;
        let witnesses = witness_keys
            .iter()
            .map(|k| NoteVerifier::parse(k).map_err(|e| anyhow!("--witness-key {k}: {e}")))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Self {
            bundle,
            client,
            pinned,
            witnesses,
        }))
    }

    pub async fn check(&self, bytes: &[u8], doc: &Value) -> LogCheck {
        let fetched;
        let bundle = match (&self.bundle, &self.client) {
            (Some(b), _) => b,
            (None, Some(c)) => {
                let Some(id) = doc["id"].as_str() else {
                    return LogCheck::Failed("the credential has no id".into());
                };
                let path = format!("/api/v1/log/credentials/{}/bundle", path_segment(id));
                match c.get_json(&path).await {
                    Ok(b) => {
                        fetched = b;
                        &fetched
                    }
                    Err(e) => return LogCheck::Failed(format!("{e:#}")),
                }
            }
            (None, None) => return LogCheck::Failed("no bundle".into()),
        };
        match check_bundle(bytes, doc, bundle, self.pinned.as_ref(), &self.witnesses) {
            Ok(p) => LogCheck::Proven(p),
            Err(e) => LogCheck::Failed(e),
        }
    }
}

/// A small HTTP client for a log server (the operator names the URL, so no address policy).
pub struct LogClient {
    base: String,
    http: reqwest::Client,
}

impl LogClient {
    /// A client for the server at `base` (e.g. `https://ledger.example.org`).
    pub fn new(base: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    async fn read(resp: reqwest::Response, url: &str) -> Result<Vec<u8>> {
        let status = resp.status();
        let mut resp = resp;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_RESPONSE_BYTES {
                bail!("{url}: the response is larger than {MAX_RESPONSE_BYTES} bytes");
            }
        }
        if !status.is_success() {
            bail!(
                "{url}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        Ok(body)
    }

    /// GETs `path` (beginning with `/`).
    pub async fn get(&self, path: &str) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("fetching {url}"))?;
        Self::read(resp, &url).await
    }

    /// GETs `path` as JSON.
    pub async fn get_json(&self, path: &str) -> Result<Value> {
        let body = self.get(path).await?;
        serde_json::from_slice(&body).with_context(|| format!("{path}: not JSON"))
    }

    /// POSTs a text body to `path`.
    pub async fn post_text(&self, path: &str, text: String) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .http
            .post(&url)
            .header("content-type", "text/plain; charset=utf-8")
            .body(text)
            .send()
            .await
            .with_context(|| format!("posting to {url}"))?;
        Self::read(resp, &url).await
    }
}

/// Percent-encodes a credential id for a URL path segment.
pub fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What the witness keeps between runs (JSON in `--state FILE`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WitnessState {
    /// The log's verifier key (pinned on the first run).
    pub log_key: String,
    /// The largest tree size cosigned.
    pub size: u64,
    /// Its root hash, hex.
    pub root_hash: String,
    /// The checkpoint last cosigned, with our cosignature.
    pub checkpoint: String,
}

/// Why the witness stopped: refused (the log misbehaved) or could not run.
pub enum WitnessOutcome {
    /// Cosigned this tree size (and whether it was new).
    Cosigned(u64, bool),
    /// Refused; the message says why.
    Refused(String),
}

/// Reads the witness's Ed25519 seed (64 hex digits) from `path`, creating it (owner-only)
/// when it does not exist.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey> {
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the witness key {}", path.display()))?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
            anyhow!(
                "{}: line 1, column 1: a witness key is 64 hex digits (an Ed25519 seed)",
                path.display()
            )
        })?;
        return Ok(SigningKey::from_bytes(&seed));
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow!("no randomness: {e}"))?;
    write_private(path, &format!("{}\n", hex::encode(seed)))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    let tmp = tmp_path(path);
    {
        use std::io::Write as _;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// One witness run against the log at `client`: fetch the checkpoint, check it against the
/// state (or pin `log_key` / the served key on the first run), cosign, save the state, then
/// hand the cosignature to the server.
pub async fn witness_once(
    client: &LogClient,
    state_path: &Path,
    key: &SigningKey,
    name: &str,
    log_key: Option<&str>,
    now_s: u64,
) -> Result<WitnessOutcome> {
    let state: Option<WitnessState> = if state_path.exists() {
        let text = std::fs::read_to_string(state_path)
            .with_context(|| format!("reading {}", state_path.display()))?;
        Some(serde_json::from_str(&text).map_err(|e| {
            anyhow!(
                "{}: line {}, column {}: {e}",
                state_path.display(),
                e.line(),
                e.column()
            )
        })?)
    } else {
        None
    };
    let vkey = match (&state, log_key) {
        (Some(s), Some(k)) if s.log_key != k => bail!(
            "the state pins log key {}, not {k}; use another state file for another log",
            s.log_key
        ),
        (Some(s), _) => s.log_key.clone(),
        (None, Some(k)) => k.to_owned(),
        (None, None) => {
            let head = client.get_json("/api/v1/log/head").await?;
            let k = head["log_key"]["vkey"]
                .as_str()
                .ok_or_else(|| anyhow!("the server does not name its log key"))?
                .to_owned();
            eprintln!("Pinning the log key {k} served by the log on this first run (pass --log-key to pin it yourself).");
            k
        }
    };
    let log = NoteVerifier::parse(&vkey).map_err(|e| anyhow!("log key: {e}"))?;
    let text = String::from_utf8(client.get("/api/v1/log/checkpoint").await?)
        .context("the checkpoint is not UTF-8")?;
    let note = match Note::parse(&text) {
        Ok(n) => n,
        Err(e) => {
            return Ok(WitnessOutcome::Refused(format!(
                "malformed checkpoint: {e}"
            )))
        }
    };
    let last = match &state {
        Some(s) => {
            let mut root = [0u8; 32];
            hex::decode_to_slice(&s.root_hash, &mut root).map_err(|_| {
                anyhow!("{}: root_hash is not 32 bytes of hex", state_path.display())
            })?;
            Some((s.size, root))
        }
        None => None,
    };
    // The consistency proof from the last cosigned size, when the tree grew.
    let offered = Checkpoint::parse(&note.text).map(|c| c.size).unwrap_or(0);
    let mut proof = Vec::new();
    if let Some((seen, _)) = last {
        if seen > 0 && offered > seen {
            let p = client
                .get_json(&format!("/api/v1/log/consistency?from={seen}&to={offered}"))
                .await?;
            for h in p["proof"].as_array().cloned().unwrap_or_default() {
                proof.push(hex32(&h, "a consistency proof hash").map_err(|e| anyhow!("{e}"))?);
            }
        }
    }
    let cp = match check_checkpoint(&log, &note, last, &proof) {
        Ok(cp) => cp,
        Err(e) => return Ok(WitnessOutcome::Refused(e.to_string())),
    };
    let new = last.is_none_or(|(s, _)| s != cp.size);
    let sig = cosign(&note.text, now_s, name, key).map_err(|e| anyhow!("cosigning: {e}"))?;
    let mut cosigned = note.clone();
    cosigned.add_signature(sig);
    // Saved before the cosignature leaves this machine (as tlog-witness asks).
    let next = WitnessState {
        log_key: vkey,
        size: cp.size,
        root_hash: hex::encode(cp.root),
        checkpoint: cosigned.to_string(),
    };
    write_private(state_path, &serde_json::to_string_pretty(&next)?)?;
    client
        .post_text("/api/v1/log/cosignatures", cosigned.to_string())
        .await?;
    Ok(WitnessOutcome::Cosigned(cp.size, new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pathledger_log::MemoryLog;
    use serde_json::json;

    /// A log of `events` for one credential, and its bundle with the events listed in `order`.
    fn bundle(doc: &[u8], events: &[&str], order: &[usize]) -> Value {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let origin = "ledger.test/log";
        let mut log = MemoryLog::new();
        let mut datas = Vec::new();
        for e in events {
            let mut leaf = json!({"v": 1, "event": e, "credential_id": "urn:uuid:c1"});
            if *e == "issue" {
                leaf["credential_sha256"] = json!(sha256_hex(doc));
            }
            let data = leaf.to_string();
            log.append(data.as_bytes()).unwrap();
            datas.push(data);
        }
        let size = log.size();
        let cp = Checkpoint::new(origin, size, log.root());
        let note = Note::sign(&cp.text(), origin, &key).unwrap();
        let listed: Vec<Value> = order
            .iter()
            .map(|&i| {
                let proof = log.inclusion_proof(i as u64, size).unwrap();
                json!({
                    "index": i, "event": events[i], "data": datas[i],
                    "leaf_hash": hex::encode(leaf_hash(datas[i].as_bytes())),
                    "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "format": PROOF_FORMAT, "credential_id": "urn:uuid:c1", "origin": origin,
            "log_key": NoteVerifier::ed25519(origin, key.verifying_key()).unwrap().to_vkey(),
            "checkpoint": note.to_string(), "events": listed,
        })
    }

    #[test]
    fn the_latest_status_is_the_highest_index_whatever_the_listing_order() {
        let doc = br#"{"id":"urn:uuid:c1"}"#;
        let parsed: Value = serde_json::from_slice(doc).unwrap();
        let events = ["issue", "suspend", "reinstate", "revoke"];
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [0, 3, 1, 2]] {
            let b = bundle(doc, &events, &order);
            let p = check_bundle(doc, &parsed, &b, None, &[]).expect("proven");
            assert_eq!(
                p.latest_status_event.as_deref(),
                Some("revoke"),
                "{order:?}"
            );
            assert_eq!(p.issued_at_entry, 0);
        }
        // A changed file and a changed leaf are refused.
        let b = bundle(doc, &events, &[0, 1]);
        let other: Value = json!({"id": "urn:uuid:c1", "name": "x"});
        assert!(check_bundle(b"{}", &other, &b, None, &[]).is_err());
        let mut forged = b.clone();
        forged["events"][1]["data"] =
            json!(r#"{"v":1,"event":"reinstate","credential_id":"urn:uuid:c1"}"#);
        assert!(check_bundle(doc, &parsed, &forged, None, &[]).is_err());
    }
}
