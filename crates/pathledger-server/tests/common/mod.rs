//! The server tests' shared setup lives in the `pathledger-test-support` crate (feature
//! `server`); each test binary reaches it as `common::*`.
// Each test binary uses a different subset of these.
#[allow(unused_imports)]
pub use pathledger_test_support::server::*;
#[allow(unused_imports)]
pub use pathledger_test_support::{mail_text, mail_to, HttpClient, Logs, Resp};

/// The DevTools Protocol client of the browser tests (unused by the others).
#[allow(dead_code)]
pub mod cdp;

/// The journey checks of the browser tests (unused by the others).
#[allow(dead_code)]
pub mod journey;
