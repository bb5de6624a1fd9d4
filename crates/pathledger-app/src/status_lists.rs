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
        let version = self.inner.store.status_list_version(list_id).await?;
        if let Some((v, doc)) = self
            .inner
            .lists
            .read()
            .ok()
            .and_then(|m| m.get(list_id).cloned())
        {
            if v == version {
                return Ok(doc);
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
        if let Ok(mut w) = self.inner.lists.write() {
            w.insert(list_id.to_owned(), (bits.version, signed.clone()));
        }
        Ok(signed)
    }
}
