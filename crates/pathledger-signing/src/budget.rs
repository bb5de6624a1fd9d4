//! A budget of canonicalization work shared by every document one request verifies, and the
//! request's cancellation flag.
//!
//! RDFC-1.0 labels most graphs from first-degree hashes alone (every credential we issue; no
//! budget is spent). Only graphs whose blank nodes look alike (a clique of blank nodes is the
//! worst case) need the hash N-degree quads algorithm, whose work grows factorially; each such
//! canonicalization is capped at [`HNDQ_CALL_LIMIT`](crate::rdfc::HNDQ_CALL_LIMIT) calls, and
//! every call a canonicalization was allowed is taken from the budget, so one request cannot
//! spend more than its budget however many documents it sends. A cancelled budget (the request
//! ended) grants nothing more.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Hash N-degree quads calls one request may still spend, and whether it was cancelled.
#[derive(Debug)]
pub struct WorkBudget {
    total: usize,
    remaining: AtomicUsize,
    cancelled: AtomicBool,
}

impl WorkBudget {
    /// A budget of `calls` hash N-degree quads calls.
    pub fn new(calls: usize) -> Self {
        Self {
            total: calls,
            remaining: AtomicUsize::new(calls),
            cancelled: AtomicBool::new(false),
        }
    }

    /// No budget beyond the per-canonicalization limit (signing, the command line, tests).
    pub fn unlimited() -> Self {
        Self::new(usize::MAX)
    }

    /// The calls this budget started with.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The calls granted so far (an upper bound on the calls made).
    pub fn spent(&self) -> usize {
        self.total - self.remaining.load(Ordering::Relaxed)
    }

    /// Whether nothing more will be granted (spent, or cancelled).
    pub fn is_exhausted(&self) -> bool {
        self.is_cancelled() || self.remaining.load(Ordering::Relaxed) == 0
    }

    /// Stops granting work: the request this budget belongs to has ended.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Takes up to `want` calls; returns how many were granted (0 once spent or cancelled).
    pub(crate) fn take(&self, want: usize) -> usize {
        if self.is_cancelled() {
            return 0;
        }
        let mut granted = 0;
        let _ = self
            .remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                granted = left.min(want);
                Some(left - granted)
            });
        granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_until_spent_then_nothing() {
        let b = WorkBudget::new(10);
        assert_eq!(b.take(4), 4);
        assert_eq!(b.take(4), 4);
        assert_eq!(b.take(4), 2);
        assert_eq!(b.take(4), 0);
        assert_eq!(b.spent(), 10);
        assert!(b.is_exhausted());
    }

    #[test]
    fn a_cancelled_budget_grants_nothing() {
        let b = WorkBudget::new(10);
        b.cancel();
        assert_eq!(b.take(1), 0);
        assert_eq!(b.spent(), 0);
        assert!(b.is_exhausted());
    }
}
