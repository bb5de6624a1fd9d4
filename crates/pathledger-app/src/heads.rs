//! Signed tree heads from the start: the log's commitment to outsiders is signed within a
//! second of any change while a server runs, after the demo is seeded, after each CLI command
//! that changes the log, and at shutdown, so there is always a head to hold the operator to.

use std::time::Duration;

use crate::*;

impl App {
    /// Signs a tree head when the log has grown past the newest signed one. Returns the size
    /// signed, or `None` when the newest head already covers the log (or the log is empty).
    /// Several servers may race here: the store keeps one head per size.
    pub async fn sign_head_if_behind(&self) -> Result<Option<u64>, AppError> {
        let store = self.store();
        let size = store.log_size().await?;
        if size == 0 {
            return Ok(None);
        }
        match store.latest_tree_head().await? {
            Some(h) if h.tree_size >= size => Ok(None),
            _ => Ok(Some(store.sign_tree_head().await?.tree_size)),
        }
    }

    /// Starts a task that signs a head within `every` of any change to the log, until the
    /// returned handle is aborted (or the runtime ends). A failure is logged and retried.
    pub fn spawn_head_signer(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match app.sign_head_if_behind().await {
                    Ok(Some(size)) => tracing::debug!(size, "signed a tree head"),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "could not sign a tree head"),
                }
            }
        })
    }
}

/// How often a running server checks whether the log needs a newly signed head.
pub const HEAD_SIGNING_INTERVAL: Duration = Duration::from_secs(1);

impl App {
    /// The log's origin for C2SP checkpoints: the public URL without its scheme, then `/log`
    /// (e.g. `ledger.example.org/log`). It is also the log key's name.
    pub fn log_origin(&self) -> String {
        let url = self.public_url();
        let bare = url.split_once("://").map_or(url, |(_, rest)| rest);
        format!("{}/log", bare.trim_end_matches('/'))
    }

    /// The verifier key (`<origin>+<id>+<key>`) of the log's active key.
    pub fn log_verifier(&self) -> Result<pathledger_log::NoteVerifier, AppError> {
        Ok(self.store().log_note_verifier(&self.log_origin())?)
    }

    /// Sets the witnesses (cosignature verifier keys) whose cosignatures are accepted.
    pub fn set_witnesses(&self, witnesses: Vec<pathledger_log::NoteVerifier>) {
        if let Ok(mut w) = self.inner.witnesses.write() {
            *w = Arc::new(witnesses);
        }
    }

    /// The configured witnesses.
    pub fn witnesses(&self) -> Arc<Vec<pathledger_log::NoteVerifier>> {
        self.inner
            .witnesses
            .read()
            .map(|w| Arc::clone(&w))
            .unwrap_or_default()
    }

    /// The newest signed head (signing one first when the log has grown past it) as a C2SP
    /// checkpoint, with the cosignatures held for it. `None` while the log is empty.
    pub async fn checkpoint(
        &self,
    ) -> Result<Option<(pathledger_log::SignedTreeHead, pathledger_log::Note)>, AppError> {
        self.sign_head_if_behind().await?;
        let Some(head) = self.store().latest_tree_head().await? else {
            return Ok(None);
        };
        let note = self.store().checkpoint(&self.log_origin(), &head).await?;
        Ok(Some((head, note)))
    }

    /// The checkpoint of the stored `head`, with its cosignatures.
    pub async fn checkpoint_of(
        &self,
        head: &pathledger_log::SignedTreeHead,
    ) -> Result<pathledger_log::Note, AppError> {
        Ok(self.store().checkpoint(&self.log_origin(), head).await?)
    }

    /// Keeps a configured witness's cosignatures of one of our checkpoints (`note`: the
    /// checkpoint with its signature lines) and returns that checkpoint with every cosignature
    /// held for it. Refused (invalid input) when the note is not one of our stored checkpoints
    /// or carries no verifying cosignature by a configured witness.
    pub async fn add_cosignatures(&self, note: &str) -> Result<pathledger_log::Note, AppError> {
        let parsed = pathledger_log::Note::parse(note)
            .map_err(|e| AppError::invalid("checkpoint", e.to_string()))?;
        let witnesses = self.witnesses();
        if witnesses.is_empty() {
            return Err(AppError::invalid(
                "cosignature",
                "this deployment has no configured witnesses (serve --witness)",
            ));
        }
        let (size, _) = self
            .store()
            .add_cosignatures(&self.log_origin(), &parsed, &witnesses)
            .await?;
        let head = self
            .store()
            .tree_head_at(size)
            .await?
            .ok_or_else(|| AppError::invalid("checkpoint", "no signed head of that size"))?;
        self.checkpoint_of(&head).await
    }
}
