//! C2SP signed notes, tree-head checkpoints and witness cosignatures, so that existing
//! transparency tooling reads our heads:
//! [signed-note v1.0.0](https://c2sp.org/signed-note@v1.0.0),
//! [tlog-checkpoint v1.0.0](https://c2sp.org/tlog-checkpoint@v1.0.0) and
//! [tlog-cosignature v1.0.1](https://c2sp.org/tlog-cosignature@v1.0.1).
//!
//! A note is its text (ending in a newline), an empty line, then one line per signature:
//! `— <key name> <base64(4-byte key ID ‖ signature)>`. A checkpoint is a note whose text is the
//! log's origin, the tree size and the base64 root hash, one per line. A witness cosigns a
//! checkpoint with a 72-byte cosignature: an 8-byte big-endian timestamp, then Ed25519 over
//! `cosignature/v1\ntime <t>\n` followed by the checkpoint text.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::hash::Hash;

/// Largest note we parse, in bytes (a checkpoint with many cosignatures is a few KiB).
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// Most signature lines we read from one note (the specification asks for at least 16).
pub const MAX_NOTE_SIGNATURES: usize = 64;

/// Signature type of an Ed25519 signature over the note text.
pub const TYPE_ED25519: u8 = 0x01;
/// Signature type of a tlog-cosignature/v1 (timestamped Ed25519).
pub const TYPE_COSIGNATURE: u8 = 0x04;

const DASH: &str = "\u{2014} ";

/// Why a note, key or checkpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note or key text is not in the format (the message says where).
    #[error("malformed: {0}")]
    Malformed(String),
    /// A known key's signature does not verify.
    #[error("the signature of {0} does not verify")]
    BadSignature(String),
    /// No signature by any of the given keys is on the note.
    #[error("no signature by a known key")]
    NoKnownSignature,
}

fn malformed(msg: impl Into<String>) -> NoteError {
    NoteError::Malformed(msg.into())
}

/// `SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]`.
pub fn key_id(name: &str, kind: u8, public_key: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', kind]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains(|c: char| c == '+' || c.is_whitespace() || c.is_control()) {
        return Err(malformed(format!(
            "key name `{}` must be non-empty without spaces or `+`",
            name.chars().take(100).collect::<String>()
        )));
    }
    Ok(())
}

/// A public key that verifies note signatures: a log's Ed25519 key or a witness's
/// cosignature key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    kind: u8,
    key: VerifyingKey,
    id: [u8; 4],
}

impl NoteVerifier {
    /// A log's Ed25519 key named `name` (for a log, its origin).
    pub fn ed25519(name: &str, key: VerifyingKey) -> Result<Self, NoteError> {
        Self::new(name, TYPE_ED25519, key)
    }

    /// A witness's cosignature key named `name`.
    pub fn cosigner(name: &str, key: VerifyingKey) -> Result<Self, NoteError> {
        Self::new(name, TYPE_COSIGNATURE, key)
    }

    fn new(name: &str, kind: u8, key: VerifyingKey) -> Result<Self, NoteError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            kind,
            id: key_id(name, kind, key.as_bytes()),
            key,
        })
    }

    /// Parses a verifier key `<name>+<hex key ID>+<base64(type ‖ public key)>` (Ed25519 and
    /// cosignature keys; the key ID must match).
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "a verifier key is <name>+<hex key id>+<base64 key>",
            ));
        };
        check_name(name)?;
        let mut id = [0u8; 4];
        hex::decode_to_slice(id_hex, &mut id)
            .map_err(|_| malformed("the key id must be 8 hex digits"))?;
        let raw = B64
            .decode(key_b64)
            .map_err(|_| malformed("the key is not standard base64"))?;
        let (&kind, public) = raw
            .split_first()
            .ok_or_else(|| malformed("the key is empty"))?;
        if kind != TYPE_ED25519 && kind != TYPE_COSIGNATURE {
            return Err(malformed(format!(
                "key type 0x{kind:02x} is not supported (Ed25519 0x01, cosignature 0x04)"
            )));
        }
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| malformed("an Ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| malformed("not an Ed25519 public key"))?;
        let v = Self::new(name, kind, key)?;
        if v.id != id {
            return Err(malformed(format!(
                "key id {id_hex} does not match the key (expected {})",
                hex::encode(v.id)
            )));
        }
        Ok(v)
    }

    /// The verifier key string (`<name>+<hex id>+<base64 key>`).
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.kind];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex::encode(self.id), B64.encode(raw))
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.id
    }

    /// The public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Whether this is a witness's cosignature key.
    pub fn is_cosigner(&self) -> bool {
        self.kind == TYPE_COSIGNATURE
    }

    fn matches(&self, sig: &NoteSignature) -> bool {
        self.name == sig.name && self.id == sig.key_id
    }

    /// Checks `sig` over the note `text`; for a cosigner, returns the cosignature's time.
    fn check(&self, text: &str, sig: &NoteSignature) -> Result<Option<u64>, NoteError> {
        let bad = || NoteError::BadSignature(self.name.clone());
        if self.kind == TYPE_COSIGNATURE {
            let (time, sig_bytes) = split_cosignature(&sig.signature).ok_or_else(bad)?;
            let sig = Signature::from_bytes(&sig_bytes);
            self.key
                .verify_strict(&cosigned_message(time, text), &sig)
                .map_err(|_| bad())?;
            Ok(Some(time))
        } else {
            let bytes: [u8; 64] = sig.signature.as_slice().try_into().map_err(|_| bad())?;
            self.key
                .verify_strict(text.as_bytes(), &Signature::from_bytes(&bytes))
                .map_err(|_| bad())?;
            Ok(None)
        }
    }
}

fn split_cosignature(bytes: &[u8]) -> Option<(u64, [u8; 64])> {
    if bytes.len() != 72 {
        return None;
    }
    let time = u64::from_be_bytes(bytes[..8].try_into().ok()?);
    if time > i64::MAX as u64 {
        return None;
    }
    Some((time, bytes[8..].try_into().ok()?))
}

fn cosigned_message(time: u64, text: &str) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {time}\n").into_bytes();
    m.extend_from_slice(text.as_bytes());
    m
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's key name.
    pub name: String,
    /// The signer's 4-byte key ID.
    pub key_id: [u8; 4],
    /// The signature bytes (64 for Ed25519, 72 for a cosignature).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line as it appears in a note, newline included.
    pub fn line(&self) -> String {
        let mut raw = self.key_id.to_vec();
        raw.extend_from_slice(&self.signature);
        format!("{DASH}{} {}\n", self.name, B64.encode(raw))
    }

    fn parse(line: &str) -> Result<Self, NoteError> {
        let rest = line
            .strip_prefix(DASH)
            .ok_or_else(|| malformed("a signature line starts with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| malformed("a signature line is `— <name> <base64>`"))?;
        check_name(name)?;
        let raw = B64
            .decode(b64)
            .map_err(|_| malformed(format!("the signature of {name} is not base64")))?;
        if raw.len() < 5 {
            return Err(malformed(format!("the signature of {name} is too short")));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: [raw[0], raw[1], raw[2], raw[3]],
            signature: raw[4..].to_vec(),
        })
    }
}

/// A signed note: text and signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// A note of `text` (which must end in a newline) signed by the Ed25519 `key` named `name`.
    pub fn sign(text: &str, name: &str, key: &SigningKey) -> Result<Self, NoteError> {
        check_text(text)?;
        let v = NoteVerifier::ed25519(name, key.verifying_key())?;
        Ok(Self {
            text: text.to_owned(),
            signatures: vec![NoteSignature {
                name: name.to_owned(),
                key_id: v.id,
                signature: key.sign(text.as_bytes()).to_bytes().to_vec(),
            }],
        })
    }

    /// Parses a note. The last empty line separates the text from the signatures.
    pub fn parse(note: &str) -> Result<Self, NoteError> {
        if note.len() > MAX_NOTE_BYTES {
            return Err(malformed(format!(
                "a note is at most {MAX_NOTE_BYTES} bytes"
            )));
        }
        if !note.ends_with('\n') {
            return Err(malformed("a note ends in a newline"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| malformed("no empty line before the signatures"))?;
        let text = &note[..=split];
        check_text(text)?;
        let sigs = &note[split + 2..];
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            if signatures.len() == MAX_NOTE_SIGNATURES {
                return Err(malformed(format!(
                    "more than {MAX_NOTE_SIGNATURES} signatures"
                )));
            }
            signatures.push(NoteSignature::parse(line)?);
        }
        if signatures.is_empty() {
            return Err(malformed("a note has at least one signature"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Checks the note against `known` keys: every signature by a known key must verify, and
    /// at least one must be there. Returns the keys that signed, each with its cosignature
    /// time (for cosigners). Signatures by unknown keys are ignored.
    pub fn verify<'k>(
        &self,
        known: &'k [NoteVerifier],
    ) -> Result<Vec<(&'k NoteVerifier, Option<u64>)>, NoteError> {
        let mut signed = Vec::new();
        for sig in &self.signatures {
            if let Some(k) = known.iter().find(|k| k.matches(sig)) {
                let time = k.check(&self.text, sig)?;
                if !signed.iter().any(|(s, _): &(&NoteVerifier, _)| *s == k) {
                    signed.push((k, time));
                }
            }
        }
        if signed.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(signed)
    }

    /// Adds `sig` unless a signature with the same name and key ID is already there.
    pub fn add_signature(&mut self, sig: NoteSignature) {
        if !self
            .signatures
            .iter()
            .any(|s| s.name == sig.name && s.key_id == sig.key_id)
        {
            self.signatures.push(sig);
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for s in &self.signatures {
            f.write_str(&s.line())?;
        }
        Ok(())
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(malformed("the note text ends in a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(malformed("the note text has a control character"));
    }
    Ok(())
}

/// A witness's cosignature of `checkpoint_text` at `time` (seconds since the Unix epoch).
pub fn cosign(
    checkpoint_text: &str,
    time: u64,
    name: &str,
    key: &SigningKey,
) -> Result<NoteSignature, NoteError> {
    check_text(checkpoint_text)?;
    if time > i64::MAX as u64 {
        return Err(malformed("cosignature time beyond 2^63 - 1"));
    }
    let v = NoteVerifier::cosigner(name, key.verifying_key())?;
    let mut signature = time.to_be_bytes().to_vec();
    signature.extend_from_slice(
        &key.sign(&cosigned_message(time, checkpoint_text))
            .to_bytes(),
    );
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: v.id,
        signature,
    })
}

/// A checkpoint's text: origin, tree size and root hash, then optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (a scheme-less URL, also the log key's name).
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The RFC 6962 root hash of the first `size` leaves.
    pub root: Hash,
    /// Extension lines (none from us).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text.
    pub fn text(&self) -> String {
        let mut t = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            t.push_str(e);
            t.push('\n');
        }
        t
    }

    /// Parses a checkpoint's note text.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        check_text(text)?;
        let mut lines = text[..text.len() - 1].split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(malformed("line 1 (origin) is empty"));
        }
        let size_text = lines
            .next()
            .ok_or_else(|| malformed("line 2 (tree size) is missing"))?;
        if size_text.is_empty()
            || !size_text.bytes().all(|b| b.is_ascii_digit())
            || (size_text.len() > 1 && size_text.starts_with('0'))
        {
            return Err(malformed(
                "line 2 (tree size) must be a decimal number without leading zeros",
            ));
        }
        let size = size_text
            .parse::<u64>()
            .map_err(|_| malformed("line 2 (tree size) is too large"))?;
        let root_text = lines
            .next()
            .ok_or_else(|| malformed("line 3 (root hash) is missing"))?;
        let root: Hash = B64
            .decode(root_text)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| malformed("line 3 (root hash) must be 32 bytes in base64"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(malformed("an extension line is empty"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(hex_seed: &str) -> SigningKey {
        let mut s = [0u8; 32];
        hex::decode_to_slice(hex_seed, &mut s).unwrap();
        SigningKey::from_bytes(&s)
    }

    const RFC8032_1: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC8032_2: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    const ROOT8: &str = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";

    const WORKED: &str = "pathledger.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} pathledger.example/log lh6fTPoRHr4jWQCCggS7UIKXgSPsIA5wTm6c+aU8WiQYKfXNK8j3dpY83iNGK7tNKnOvy42VOZadjDkXnttHGXVEEQo=\n\u{2014} witness.example/w1 BNLYMwAAAABlU/EAv6i59KTcrGLK0I9dc/ofEGGBLJxwU88y0GY3SP9MV5oso+G1KTWNPwEWrOxc+8YvbGlYxp43rOKC7uk0iNyeCQ==\n";

    #[test]
    fn the_specifications_example_note_verifies() {
        // signed-note v1.0.0, its own example.
        let v = NoteVerifier::parse(
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        )
        .unwrap();
        let note = Note::parse("This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n").unwrap();
        assert_eq!(note.verify(std::slice::from_ref(&v)).unwrap().len(), 1);
        let mut forged = note.clone();
        forged.text = "This is an example message!\n".into();
        assert_eq!(
            forged.verify(&[v]),
            Err(NoteError::BadSignature("example.com/foo".into()))
        );
    }

    #[test]
    fn the_worked_checkpoint_is_reproduced_byte_for_byte() {
        let log_key = seed(RFC8032_1);
        let witness_key = seed(RFC8032_2);
        let log = NoteVerifier::ed25519("pathledger.example/log", log_key.verifying_key()).unwrap();
        let w = NoteVerifier::cosigner("witness.example/w1", witness_key.verifying_key()).unwrap();
        assert_eq!(
            log.to_vkey(),
            "pathledger.example/log+961e9f4c+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
        );
        assert_eq!(
            w.to_vkey(),
            "witness.example/w1+04d2d833+BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
        );
        assert_eq!(NoteVerifier::parse(&log.to_vkey()).unwrap(), log);
        let mut root = [0u8; 32];
        hex::decode_to_slice(ROOT8, &mut root).unwrap();
        let cp = Checkpoint::new("pathledger.example/log", 8, root);
        let mut note = Note::sign(&cp.text(), "pathledger.example/log", &log_key).unwrap();
        note.add_signature(
            cosign(
                &cp.text(),
                1_700_000_000,
                "witness.example/w1",
                &witness_key,
            )
            .unwrap(),
        );
        assert_eq!(note.to_string(), WORKED);

        let parsed = Note::parse(WORKED).unwrap();
        assert_eq!(Checkpoint::parse(&parsed.text).unwrap(), cp);
        let keys = [log.clone(), w.clone()];
        let signed = parsed.verify(&keys).unwrap();
        assert_eq!(signed.len(), 2);
        assert_eq!(signed[1].1, Some(1_700_000_000));
        // Unknown keys are ignored; a note with no known key is refused.
        let stranger =
            NoteVerifier::ed25519("other.example/log", witness_key.verifying_key()).unwrap();
        assert_eq!(parsed.verify(&[stranger]), Err(NoteError::NoKnownSignature));
        // A changed tree size breaks both signatures.
        let forged = WORKED.replacen("\n8\n", "\n9\n", 1);
        assert!(Note::parse(&forged).unwrap().verify(&[w]).is_err());
    }

    #[test]
    fn malformed_notes_and_checkpoints_are_refused() {
        for bad in [
            "",
            "text\n",
            "text\n\n",
            "text\n\n- name AAAAAAA=\n",
            "text\n\n\u{2014} na+me AAAAAAAA\n",
            "text\n\n\u{2014} name !!\n",
            "te\u{7}xt\n\n\u{2014} name AAAAAAAA\n",
        ] {
            assert!(Note::parse(bad).is_err(), "{bad:?}");
        }
        for bad in [
            "origin\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
            "origin\n8\nXcnaeacG\n",
            "origin\n8\n",
            "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
            "origin\n-8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
            "origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n",
        ] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
        assert!(NoteVerifier::parse(
            "pathledger.example/log+961e9f4d+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
        )
        .is_err());
        let too_long = format!("{}\n\n\u{2014} n AAAAAAAA\n", "a".repeat(MAX_NOTE_BYTES));
        assert!(Note::parse(&too_long).is_err());
    }
}
