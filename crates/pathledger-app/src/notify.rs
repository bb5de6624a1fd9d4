//! Notices by mail: expiry reminders a set number of days before a credential lapses (and the
//! award, evidence and review notices, which use the same [`App::notify`]). A notice goes out
//! at most once per event, whichever server (or restart) reaches it first (the store's claim);
//! only to people who did not turn that kind off; and every message ends with the link to the
//! page where its recipient chooses what they get, without signing in.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pathledger_store::{CredentialRecord, EvidenceSubmission};

use crate::mail::Mail;
use crate::sharing::{linkedin_add_url, LinkedInCert};
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
    /// It has nobody to go to (an erased educator, a record without an address).
    Nobody,
}

/// How many notices one server sends at once in the background; the others wait their turn.
pub const NOTICE_SENDERS: usize = 4;

/// The notices a server sends in the background, so that sending never slows or fails the
/// action that caused it: at most [`NOTICE_SENDERS`] at once, and how many are still to go
/// (a command waits for them before it exits, a server at shutdown: [`App::notices_sent`]).
pub(crate) struct Background {
    slots: tokio::sync::Semaphore,
    pending: AtomicUsize,
    idle: tokio::sync::Notify,
}

impl Default for Background {
    fn default() -> Self {
        Background {
            slots: tokio::sync::Semaphore::new(NOTICE_SENDERS),
            pending: AtomicUsize::new(0),
            idle: tokio::sync::Notify::new(),
        }
    }
}

/// Counts one background notice task as done when it ends, however it ends.
struct PendingNotice(App);

impl Drop for PendingNotice {
    fn drop(&mut self) {
        let bg = &self.0.inner.notices;
        if bg.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            bg.idle.notify_waiters();
        }
    }
}

/// What an evidence notice says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceOutcome {
    /// The assessor accepted it (the credential was issued).
    Accepted,
    /// The assessor returned it with comments.
    Returned,
}

impl EvidenceOutcome {
    /// The word in the event key and the message.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceOutcome::Accepted => "accepted",
            EvidenceOutcome::Returned => "returned",
        }
    }
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

    /// Runs `work` in the background, in one of the server's notice slots (its messages one
    /// after another); it never makes the caller wait, and a failure inside is the task's to
    /// log. Outside a Tokio runtime nothing can run in the background: logged and dropped.
    pub(crate) fn in_background<F, Fut>(&self, work: F)
    where
        F: FnOnce(App) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no runtime to send notices in the background; none sent");
            return;
        };
        self.inner.notices.pending.fetch_add(1, Ordering::SeqCst);
        let done = PendingNotice(self.clone());
        runtime.spawn(async move {
            let app = done.0.clone();
            let Ok(_slot) = done.0.inner.notices.slots.acquire().await else {
                return;
            };
            work(app).await;
            // `done` goes with the task, after its slot.
        });
    }

    /// Waits until every notice this server started in the background has gone (or failed,
    /// logged), at most `within`. Returns whether they all did.
    pub async fn notices_sent(&self, within: Duration) -> bool {
        let bg = &self.inner.notices;
        tokio::time::timeout(within, async {
            loop {
                let idle = bg.idle.notified();
                tokio::pin!(idle);
                idle.as_mut().enable();
                if bg.pending.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        })
        .await
        .is_ok()
    }

    /// Tells the educators of `records` (credentials just issued, not replays) what they
    /// earned, in the background: one task sends them in order, so a bulk call's cohort takes
    /// one notice slot, not one each. Failures are logged; the credentials stand.
    pub(crate) fn announce_awards(&self, records: Vec<CredentialRecord>) {
        let records: Vec<CredentialRecord> = records
            .into_iter()
            .filter(|r| r.educator_id.is_some())
            .collect();
        if records.is_empty() {
            return;
        }
        self.in_background(move |app| async move {
            for record in &records {
                if let Err(e) = app.send_award_notice(record).await {
                    tracing::warn!(credential = %record.id, error = %e, "award notice not sent");
                }
            }
        });
    }

    /// Tells the educator holding `record` what they earned (kind Award, event
    /// `award:{credential id}`): the achievement and organization, the links to share it, claim
    /// it into a wallet and add it to LinkedIn.
    pub async fn send_award_notice(
        &self,
        record: &CredentialRecord,
    ) -> Result<NoticeOutcome, AppError> {
        let Some(educator_id) = &record.educator_id else {
            return Ok(NoticeOutcome::Nobody);
        };
        let educator = self.store().educator(educator_id).await?;
        let Some(to) = educator.emails.first() else {
            return Ok(NoticeOutcome::Nobody);
        };
        let org = self.store().organization(&record.org_id).await?;
        let achievement = self
            .achievement_name(&record.org_id, &record.achievement_id)
            .await;
        let share = self.credential_url(&record.id);
        let linkedin = linkedin_add_url(&LinkedInCert {
            name: &achievement,
            organization: Some(&org.name),
            issued: Some(crate::ms_to_datetime(record.issued_ms)),
            expires: record.valid_until_ms.map(crate::ms_to_datetime),
            url: &share,
            id: &record.id,
        });
        let until = match record.valid_until_ms {
            Some(ms) => format!("It is valid until {}.\n\n", day_of(ms)),
            None => String::new(),
        };
        let body = format!(
            "Hello {},\n\nYou earned {achievement} from {}.\n\n{until}See it and share it (anyone with the link can verify it): {share}\nAdd it to your wallet app: {}\nAdd it to your LinkedIn profile: {linkedin}",
            educator.display_name,
            org.name,
            self.claim_url(&record.id),
        );
        self.notify(
            NoticeKind::Award,
            &format!("award:{}", record.id),
            to,
            &format!("You earned {achievement} from {}", org.name),
            &body,
        )
        .await
    }

    /// Tells the educator that `sub` was accepted or returned (kind Evidence, event
    /// `evidence:{submission id}:{accepted|returned}`), in the background: the assessor's
    /// comment and what to do next.
    pub(crate) fn announce_evidence_decision(
        &self,
        sub: EvidenceSubmission,
        outcome: EvidenceOutcome,
        assessor: String,
        comment: Option<String>,
        credential_id: Option<String>,
    ) {
        self.in_background(move |app| async move {
            let sent = app
                .send_evidence_notice(
                    &sub,
                    outcome,
                    &assessor,
                    comment.as_deref(),
                    credential_id.as_deref(),
                )
                .await;
            if let Err(e) = sent {
                tracing::warn!(submission = %sub.id, error = %e, "evidence notice not sent");
            }
        });
    }

    /// The evidence notice itself ([`App::announce_evidence_decision`]).
    pub async fn send_evidence_notice(
        &self,
        sub: &EvidenceSubmission,
        outcome: EvidenceOutcome,
        assessor: &str,
        comment: Option<&str>,
        credential_id: Option<&str>,
    ) -> Result<NoticeOutcome, AppError> {
        let educator = self.store().educator(sub.educator_id.as_str()).await?;
        let Some(to) = educator.emails.first() else {
            return Ok(NoticeOutcome::Nobody);
        };
        let achievement = self
            .achievement_name(sub.org_id.as_str(), &sub.achievement_id)
            .await;
        let said = match comment {
            Some(c) => format!("Their comment:\n\n{}\n\n", quoted(c)),
            None => String::new(),
        };
        let next = match (outcome, credential_id) {
            (EvidenceOutcome::Accepted, Some(id)) => format!(
                "Your credential: {}\nYour next step is on your dashboard: {}/dashboard",
                self.credential_url(id),
                self.public_url()
            ),
            (EvidenceOutcome::Accepted, None) => format!(
                "Your next step is on your dashboard: {}/dashboard",
                self.public_url()
            ),
            (EvidenceOutcome::Returned, _) => format!(
                "What to do next: add or change what the comment asks for, then submit your evidence again: {}/evidence?achievement={}",
                self.public_url(),
                crate::sharing::percent_encode(&sub.achievement_id)
            ),
        };
        let body = format!(
            "Hello {},\n\n{assessor} {} your evidence for {achievement}.\n\n{said}{next}",
            educator.display_name,
            outcome.as_str(),
        );
        self.notify(
            NoticeKind::Evidence,
            &format!("evidence:{}:{}", sub.id, outcome.as_str()),
            to,
            &format!("Your evidence for {achievement} was {}", outcome.as_str()),
            &body,
        )
        .await
    }

    /// Tells the assessor `sub` asks for that it waits for their review (kind Review, event
    /// `review:{submission id}`), in the background: who, for what, and the review link.
    pub(crate) fn announce_review(&self, sub: EvidenceSubmission) {
        self.in_background(move |app| async move {
            if let Err(e) = app.send_review_notice(&sub).await {
                tracing::warn!(submission = %sub.id, error = %e, "review notice not sent");
            }
        });
    }

    /// The review notice itself ([`App::announce_review`]).
    pub async fn send_review_notice(
        &self,
        sub: &EvidenceSubmission,
    ) -> Result<NoticeOutcome, AppError> {
        let Some(assessor) = &sub.assessor_user_id else {
            return Ok(NoticeOutcome::Nobody);
        };
        let assessor = self.store().user(assessor.as_str()).await?;
        let educator = self.store().educator(sub.educator_id.as_str()).await?;
        let achievement = self
            .achievement_name(sub.org_id.as_str(), &sub.achievement_id)
            .await;
        let body = format!(
            "Hello {},\n\n{} submitted evidence for {achievement} and asked you to review it.\n\nReview it: {}/review",
            assessor.display_name,
            educator.display_name,
            self.public_url(),
        );
        self.notify(
            NoticeKind::Review,
            &format!("review:{}", sub.id),
            &assessor.email,
            &format!(
                "Evidence from {} waits for your review",
                educator.display_name
            ),
            &body,
        )
        .await
    }

    /// The name of an organization's achievement, or its id when the definitions have none.
    async fn achievement_name(&self, org_id: &str, achievement_id: &str) -> String {
        self.definitions(org_id)
            .await
            .ok()
            .and_then(|d| d.achievement(achievement_id).map(|a| a.name.clone()))
            .unwrap_or_else(|| achievement_id.to_owned())
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

/// `text` as a quotation in a plain-text mail: each line begins with "> ".
fn quoted(text: &str) -> String {
    text.lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// "6 December 2026" (UTC).
fn day_of(ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) {
        Ok(t) => format!("{} {} {}", t.day(), t.month(), t.year()),
        Err(_) => "an unknown date".to_owned(),
    }
}
