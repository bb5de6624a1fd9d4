//! Outgoing mail: a real SMTP client (lettre) when the deployment configures
//! `PATHLEDGER_SMTP_URL`, else the embedded default, an outbox folder where each message is
//! written as an `.eml` file (and its path logged), so a demo needs no mail server.
//!
//! SMTP URLs are lettre's: `smtp://host:port` (STARTTLS when the server offers it),
//! `smtp://host:port?tls=required` (STARTTLS or refuse), `smtps://host:port` (TLS from the first
//! byte), with `user:password@` for authentication. TLS uses rustls with the webpki roots.

use std::path::{Path, PathBuf};

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

use crate::AppError;

/// Longest subject line, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Largest body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// One plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line (one line).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// Where a message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Accepted by the SMTP server.
    Smtp,
    /// Written to this `.eml` file.
    Outbox(PathBuf),
}

/// The deployment's mail settings: the mailer and the sender every message carries.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// SMTP or the outbox.
    pub mailer: Mailer,
    /// The `From` of every message, e.g. `Pathledger <no-reply@district.example>`.
    pub from: String,
}

/// The sender used when a deployment names none.
pub const DEFAULT_FROM: &str = "Pathledger <no-reply@pathledger.invalid>";

impl MailConfig {
    /// The embedded default: every message written to `<dir>` as an `.eml` file.
    pub fn outbox(dir: impl Into<PathBuf>) -> Self {
        MailConfig {
            mailer: Mailer::Outbox(dir.into()),
            from: DEFAULT_FROM.to_owned(),
        }
    }
}

/// How mail leaves this deployment.
#[derive(Clone)]
pub enum Mailer {
    /// Through an SMTP server.
    Smtp {
        /// The transport (a connection pool).
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without its password, for logs.
        shown: String,
    },
    /// Into a folder, one `.eml` file per message.
    Outbox(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { shown, .. } => write!(f, "Mailer::Smtp({shown})"),
            Mailer::Outbox(p) => write!(f, "Mailer::Outbox({})", p.display()),
        }
    }
}

impl Mailer {
    /// SMTP when `smtp_url` is given (a malformed URL is an error naming `PATHLEDGER_SMTP_URL`,
    /// never a silent fallback), else the outbox `<data_dir>/outbox/`.
    pub fn new(smtp_url: Option<&str>, data_dir: &Path) -> Result<Self, AppError> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| {
                        AppError::invalid(
                            "PATHLEDGER_SMTP_URL",
                            format!("PATHLEDGER_SMTP_URL is not a usable SMTP URL: {e}"),
                        )
                    })?
                    .build();
                Ok(Mailer::Smtp {
                    transport,
                    shown: without_password(url),
                })
            }
            None => Ok(Mailer::Outbox(data_dir.join("outbox"))),
        }
    }

    /// Sends `mail` from `from` (e.g. `Pathledger <no-reply@district.example>`).
    pub async fn send(&self, from: &str, mail: &Mail) -> Result<Delivered, AppError> {
        let message = build(from, mail)?;
        match self {
            Mailer::Smtp { transport, shown } => {
                transport.send(message).await.map_err(|e| {
                    tracing::warn!(smtp = %shown, error = %e, "sending mail failed");
                    AppError::Conflict(format!(
                        "The mail server refused or could not be reached: {e}"
                    ))
                })?;
                tracing::info!(smtp = %shown, to = %mail.to, "mail sent");
                Ok(Delivered::Smtp)
            }
            Mailer::Outbox(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    AppError::Internal(format!("creating the outbox {}: {e}", dir.display()))
                })?;
                let id = AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .map_err(|e| {
                        AppError::Internal(format!("writing to the outbox {}: {e}", dir.display()))
                    })?;
                let path = dir.join(format!("{id}.eml"));
                tracing::info!(to = %mail.to, path = %path.display(), "mail written to the outbox (no SMTP configured)");
                Ok(Delivered::Outbox(path))
            }
        }
    }
}

/// The message, with every field checked: an address that does not parse, a subject with a
/// line break (header injection) or an oversized body is refused, naming the field.
fn build(from: &str, mail: &Mail) -> Result<Message, AppError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| AppError::invalid("from", format!("the sender is not a mail address: {e}")))?;
    let to: Mailbox = mail.to.trim().parse().map_err(|e| {
        AppError::invalid("to", format!("the recipient is not a mail address: {e}"))
    })?;
    if mail.subject.contains(['\r', '\n']) || mail.subject.chars().count() > MAX_SUBJECT {
        return Err(AppError::invalid(
            "subject",
            format!("one line of at most {MAX_SUBJECT} characters"),
        ));
    }
    if mail.text.len() > MAX_BODY {
        return Err(AppError::invalid(
            "text",
            format!("at most {MAX_BODY} bytes"),
        ));
    }
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.text.clone())
        .map_err(|e| AppError::invalid("to", e.to_string()))
}

/// `scheme://user@host…` without the password.
fn without_password(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (auth, host) = match rest.rsplit_once('@') {
                Some((auth, host)) => (Some(auth), host),
                None => (None, rest),
            };
            match auth {
                Some(a) => {
                    let user = a.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}:***@{host}")
                }
                None => format!("{scheme}://{host}"),
            }
        }
        None => "(unparsable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_reaches_a_log_line() {
        assert_eq!(
            without_password("smtps://mailer:s3cret@smtp.example:465"),
            "smtps://mailer:***@smtp.example:465"
        );
        assert_eq!(
            without_password("smtp://127.0.0.1:2525"),
            "smtp://127.0.0.1:2525"
        );
    }

    #[test]
    fn header_injection_and_bad_addresses_are_refused_by_field() {
        let ok = Mail {
            to: "ana@school.example".into(),
            subject: "Hello".into(),
            text: "Hi".into(),
        };
        assert!(build("Pathledger <no-reply@pathledger.test>", &ok).is_ok());
        let field = |r: Result<Message, AppError>| match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{:?}", other.map(|_| ())),
        };
        let mut m = ok.clone();
        m.subject = "Hello\r\nBcc: everyone@example.org".into();
        assert_eq!(field(build("no-reply@pathledger.test", &m)), "subject");
        let mut m = ok.clone();
        m.to = "not an address".into();
        assert_eq!(field(build("no-reply@pathledger.test", &m)), "to");
        let mut m = ok.clone();
        m.text = "x".repeat(MAX_BODY + 1);
        assert_eq!(field(build("no-reply@pathledger.test", &m)), "text");
        assert_eq!(field(build("nobody", &ok)), "from");
    }

    #[test]
    fn a_malformed_smtp_url_is_an_error_not_the_outbox() {
        let dir = tempfile::tempdir().expect("dir");
        match Mailer::new(Some("smtp://[bad"), dir.path()) {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "PATHLEDGER_SMTP_URL"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Mailer::new(None, dir.path()),
            Ok(Mailer::Outbox(p)) if p == dir.path().join("outbox")
        ));
    }
}
