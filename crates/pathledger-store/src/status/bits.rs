//! The bits of a status list: the allocation bitmap a list row keeps, and the bits of its status.

use crate::error::StoreError;
use crate::sql::{args, Tx};

/// Indexes of a status list as bits in the list's own bitstring order (bit `i` is byte `i / 8`,
/// mask `0x80 >> i % 8`): the allocation bitmap a list row keeps, and the bits of its status.
pub(crate) struct ListBits(Vec<u8>);

impl ListBits {
    pub(crate) fn empty(capacity: u64) -> Self {
        Self(vec![0; capacity.div_ceil(8) as usize])
    }

    pub(crate) fn from_bytes(
        list_id: &str,
        bits: Vec<u8>,
        capacity: u64,
    ) -> Result<Self, StoreError> {
        if bits.len() as u64 != capacity.div_ceil(8) {
            return Err(StoreError::integrity(format!(
                "status list {list_id}: allocation bitmap of {} bytes for {capacity} indexes",
                bits.len()
            )));
        }
        Ok(Self(bits))
    }

    /// The bitmap of a list created before lists kept one, from its allocation rows.
    pub(crate) async fn from_allocations(
        tx: &mut Tx,
        list_id: &str,
        capacity: u64,
    ) -> Result<Self, StoreError> {
        let mut t = Self::empty(capacity);
        for r in tx
            .fetch_all(
                "SELECT idx FROM status_allocations WHERE list_id = $1",
                args![list_id],
            )
            .await?
        {
            let i = r.u64("idx")?;
            if i >= capacity || !t.claim(i) {
                return Err(StoreError::integrity(format!(
                    "status list {list_id}: allocation {i} out of range or repeated"
                )));
            }
        }
        Ok(t)
    }

    /// Marks `i` taken; false if it already was (or is out of range).
    pub(crate) fn claim(&mut self, i: u64) -> bool {
        let Some(b) = usize::try_from(i / 8).ok().and_then(|b| self.0.get_mut(b)) else {
            return false;
        };
        let mask = 0x80u8 >> (i % 8);
        let free = *b & mask == 0;
        *b |= mask;
        free
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}
