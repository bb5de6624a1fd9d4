//! Shared setup of Pathledger's tests and benchmarks: one HTTP client (hyper's) for requests to a
//! real server on loopback, throwaway PostgreSQL databases created and dropped through the
//! store, a real SMTP server (aiosmtpd) writing to a Maildir, and (feature `server`) the server
//! tests' seeded applications, servers and fixtures. Test binaries and `pathledger bench` use
//! these instead of their own copies.

pub mod http;
pub mod logs;
pub mod mail;
pub mod postgres;
#[cfg(feature = "server")]
pub mod server;
pub mod smtp;

pub use http::{HttpClient, Resp};
/// The body and method types of [`HttpClient::send_bytes`].
pub use hyper::{body::Bytes, Method};
pub use logs::Logs;
pub use mail::{link_in, mail_text, mail_to};
pub use postgres::{postgres_url, ScratchDatabase};
pub use smtp::SmtpServer;
