//! Notices by mail: expiry reminders a set number of days before a credential lapses (and the
//! award, evidence and review notices, which use the same [`App::notify`]). A notice goes out
//! at most once per event, whichever server (or restart) reaches it first (the store's claim);
//! only to people who did not turn that kind off; and every message ends with the link to the
//! page where its recipient chooses what they get, without signing in.

use std::time::Duration;

use crate::mail::Mail;
use crate::{App, AppError};

/// The kinds of notice a person may turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoticeKind {
    /// A credential was awarded to them.
    Award,
    /// Their evidence was accepted or returned.
    Evidence,
    /// Evidence waits for their review (assessors).
    Review,
    /// One of their credentials expires soon.
    Expiry,
}

impl NoticeKind {
    /// Every kind, in the order the choices page lists them.
    pub const ALL: [NoticeKind; 4] = [
        NoticeKind::Award,
        NoticeKind::Evidence,
        NoticeKind::Review,
        NoticeKind::Expiry,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Award => "award",
            NoticeKind::Evidence => "evidence",
            NoticeKind::Review => "review",
            NoticeKind::Expiry => "expiry",
        }
    }

    /// The kind a stored or submitted name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What it is, for the person choosing.
    pub fn describe(self) -> &'static str {
        match self {
            NoticeKind::Award => "When you earn a credential",
            NoticeKind::Evidence => "When your evidence is accepted or returned",
            NoticeKind::Review => "When evidence waits for your review",
            NoticeKind::Expiry => "Before one of your credentials expires",
        }
    }
}

/// What became of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// Delivered (to the SMTP server or the outbox).
    Sent,
    /// Its recipient turned this kind off.
    TurnedOff,
    /// This event's notice was already claimed (sent, or being sent elsewhere).
    AlreadySent,
}

/// How far ahead expiry reminders look, by default.
pub const EXPIRY_REMINDER_DAYS: u32 = 30;
/// How often a running server looks for credentials to remind about.
pub const EXPIRY_REMINDER_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// One person's notice choices, as their unsubscribe link shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeChoices {
    /// The address the link was sent to.
    pub email: String,
    /// Each kind and whether it is on.
    pub kinds: Vec<(NoticeKind, bool)>,
}

impl App {
    /// The page where the holder of `token` chooses their notices.
    pub fn notice_choices_link(&self, token: &str) -> String {
        format!("{}/notifications/{token}", self.public_url())
    }

    /// Sends `subject` and `body` to `to` as the notice of `event_key` (a key naming the event,
    /// e.g. `expiry:<credential id>:<expiry>`), unless `to` turned `kind` off or the event's
    /// notice was already claimed. The body gets the link to the choices page. A message that
    /// could not be sent gives its claim back (so a later run tries again) and is an error.
    pub async fn notify(
        &self,
        kind: NoticeKind,
        event_key: &str,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<NoticeOutcome, AppError> {
        let store = self.store();
        if !store.notification_enabled(to, kind.as_str()).await? {
            return Ok(NoticeOutcome::TurnedOff);
        }
        if !store
            .claim_notification(event_key, to, kind.as_str())
            .await?
        {
            return Ok(NoticeOutcome::AlreadySent);
        }
        let token = store.notification_token(to).await?;
        let text = format!(
            "{body}\n\n--\nYou get this because of your Pathledger records. To choose which notices you get, or to unsubscribe: {}\n",
            self.notice_choices_link(&token)
        );
        let mail = Mail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text,
        };
        match self.send_mail(&mail).await {
            Ok(_) => {
                store.notification_delivered(event_key).await?;
                Ok(NoticeOutcome::Sent)
            }
            Err(e) => {
                store.release_notification(event_key).await?;
                Err(e)
            }
        }
    }

    /// The choices of the address `token` stands for (`NotFound` for an unknown token).
    pub async fn notice_choices(&self, token: &str) -> Result<NoticeChoices, AppError> {
        let email = self
            .store()
            .notification_token_owner(token)
            .await?
            .ok_or_else(|| AppError::NotFound("This notification link".into()))?;
        let off = self.store().notifications_turned_off(&email).await?;
        let kinds = NoticeKind::ALL
            .into_iter()
            .map(|k| (k, !off.iter().any(|o| o == k.as_str())))
            .collect();
        Ok(NoticeChoices { email, kinds })
    }

    /// Sets the choices of the address `token` stands for: the kinds in `on` on, every other
    /// kind off. Returns the choices as stored.
    pub async fn set_notice_choices(
        &self,
        token: &str,
        on: &[NoticeKind],
    ) -> Result<NoticeChoices, AppError> {
        let current = self.notice_choices(token).await?;
        for kind in NoticeKind::ALL {
            self.store()
                .set_notification_choice(&current.email, kind.as_str(), on.contains(&kind))
                .await?;
        }
        self.notice_choices(token).await
    }

    /// Reminds the holder of every active credential (of every organization) that expires
    /// within `within_days` and has not been renewed: once per credential and expiry date.
    /// Returns how many reminders were sent now.
    pub async fn send_expiry_reminders(&self, within_days: u32) -> Result<usize, AppError> {
        let now = now_ms();
        let before = now + i64::from(within_days) * 86_400_000;
        let mut sent = 0;
        for org in self.store().organizations().await? {
            let due = self
                .store()
                .credentials_expiring_between(&org.id, now, before)
                .await?;
            if due.is_empty() {
                continue;
            }
            let defs = self.definitions(&org.id).await.ok();
            for cred in due {
                let (Some(until), Some(educator_id)) = (cred.valid_until_ms, &cred.educator_id)
                else {
                    continue;
                };
                if until <= now {
                    continue;
                }
                let Ok(educator) = self.store().educator(educator_id).await else {
                    continue;
                };
                let Some(to) = educator.emails.first() else {
                    continue;
                };
                let name = defs
                    .as_ref()
                    .and_then(|d| d.achievement(&cred.achievement_id))
                    .map_or_else(|| cred.achievement_id.clone(), |a| a.name.clone());
                let day = day_of(until);
                let body = format!(
                    "Hello {},\n\nYour credential \"{name}\" from {} expires on {day}.\n\nTo renew it, submit new evidence for it: {}/evidence?achievement={}\nYour credential: {}/credentials/{}",
                    educator.display_name,
                    org.name,
                    self.public_url(),
                    cred.achievement_id,
                    self.public_url(),
                    cred.id,
                );
                let outcome = self
                    .notify(
                        NoticeKind::Expiry,
                        &format!("expiry:{}:{until}", cred.id),
                        to,
                        &format!("Your credential \"{name}\" expires on {day}"),
                        &body,
                    )
                    .await;
                match outcome {
                    Ok(NoticeOutcome::Sent) => sent += 1,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(credential = %cred.id, error = %e, "expiry reminder not sent")
                    }
                }
            }
        }
        Ok(sent)
    }

    /// Sends expiry reminders every `every` (the first run at once), looking `within_days`
    /// ahead. Several servers may run it: each reminder is claimed once.
    pub fn spawn_expiry_reminders(
        &self,
        every: Duration,
        within_days: u32,
    ) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match app.send_expiry_reminders(within_days).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sent = n, "expiry reminders sent"),
                    Err(e) => tracing::warn!(error = %e, "could not send expiry reminders"),
                }
            }
        })
    }
}

fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// "6 December 2026" (UTC).
fn day_of(ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) {
        Ok(t) => format!("{} {} {}", t.day(), t.month(), t.year()),
        Err(_) => "an unknown date".to_owned(),
    }
}
