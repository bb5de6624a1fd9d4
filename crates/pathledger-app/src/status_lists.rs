//! Publishing our Bitstring Status List credentials.

use std::sync::Arc;

use pathledger_badges as badges;
use serde_json::Value;
use time::OffsetDateTime;

use crate::*;

impl App {
    // ----- status lists --------------------------------------------------------------------

    /// The signed status list credential for `list_id` (cached per list version).
    pub async fn status_list_credential(&self, list_id: &str) -> Result<Arc<Value>, AppError> {
        Ok(self.status_list_entry(list_id).await?.doc)
    }

    /// Our status list `list_id` as the verifier reads it: checked once per version (its
    /// signature verified, its bitstring inflated) and shared by every verification after.
    /// `Err` carries the signed document when checking it failed (the verifier then reports why).
    pub(crate) async fn checked_status_list(
        &self,
        list_id: &str,
    ) -> Result<Result<Arc<badges::CheckedList>, Arc<Value>>, AppError> {
        let entry = self.status_list_entry(list_id).await?;
        let resolver = self.resolver();
        let checked = entry.checked.get_or_init(|| {
            badges::CheckedList::check(&entry.doc, &*resolver)
                .map(Arc::new)
                .map_err(|e| {
                    tracing::error!(list = %list_id, error = %e, "our own status list does not check");
                })
                .ok()
        });
        Ok(checked.clone().ok_or(entry.doc))
    }

    async fn status_list_entry(&self, list_id: &str) -> Result<ListEntry, AppError> {
        let cached = self
            .inner
            .lists
            .read()
            .ok()
            .and_then(|m| m.get(list_id).cloned());
        // Confirmed against the store less than LIST_VERSION_TTL ago: no query. This server's
        // own changes mark every entry unconfirmed at once (`forget_list_versions`).
        if let Some(entry) = &cached {
            if entry
                .confirmed
                .is_some_and(|t| t.elapsed() < LIST_VERSION_TTL)
            {
                return Ok(entry.clone());
            }
        }
        let version = self.inner.store.status_list_version(list_id).await?;
        if let Some(mut entry) = cached {
            if entry.version == version {
                entry.confirmed = Some(std::time::Instant::now());
                if let Ok(mut w) = self.inner.lists.write() {
                    if let Some(e) = w.get_mut(list_id).filter(|e| e.version == version) {
                        e.confirmed = entry.confirmed;
                    }
                }
                return Ok(entry);
            }
        }
        let bits = self.inner.store.status_list_bits(list_id).await?;
        let mut list =
            badges::StatusList::new(bits.capacity).map_err(|e| AppError::Build(e.to_string()))?;
        for (byte_i, b) in bits.bits.iter().enumerate() {
            if *b == 0 {
                continue;
            }
            for bit in 0..8u64 {
                if b & (0x80 >> bit) != 0 {
                    list.set(byte_i as u64 * 8 + bit, true)
                        .map_err(|e| AppError::Build(e.to_string()))?;
                }
            }
        }
        let issuer_did = self.issuer_did(&bits.issuer_id);
        let purpose = bits.purpose;
        let unsigned = badges::status_list_credential(&badges::StatusListCredentialInput {
            id: &bits.list_url,
            issuer: &issuer_did,
            purpose,
            valid_from: OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            valid_until: None,
            ttl_ms: Some(300_000),
            list: &list,
        });
        let signed = Arc::new(self.sign_as_issuer(&bits.issuer_id, &unsigned).await?);
        let entry = ListEntry {
            version: bits.version,
            doc: signed,
            checked: Arc::new(std::sync::OnceLock::new()),
            confirmed: Some(std::time::Instant::now()),
        };
        if let Ok(mut w) = self.inner.lists.write() {
            w.insert(list_id.to_owned(), entry.clone());
        }
        Ok(entry)
    }

    /// Marks every cached status list unconfirmed: the next use asks the store for its
    /// version. Called after this server changes a status, so its own changes show at once.
    pub(crate) fn forget_list_versions(&self) {
        if let Ok(mut w) = self.inner.lists.write() {
            for e in w.values_mut() {
                e.confirmed = None;
            }
        }
    }
}

/// How long a status list's version, once confirmed against the store, is trusted without
/// asking again. A change made through this server is seen at once; one made through another
/// server sharing the database, within this time (published lists tell other verifiers to
/// cache them for 5 minutes). It spares each verification a database round trip.
pub const LIST_VERSION_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// One cached status list: its version, the signed document, (once a verification needed
/// it) the list as checked, and when its version was last confirmed against the store.
#[derive(Clone)]
pub(crate) struct ListEntry {
    version: i64,
    doc: Arc<Value>,
    checked: Arc<std::sync::OnceLock<Option<Arc<badges::CheckedList>>>>,
    confirmed: Option<std::time::Instant>,
}
