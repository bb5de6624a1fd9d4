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
