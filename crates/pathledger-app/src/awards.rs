//! Educators' states from their credentials and facts, and awarding what they have earned.

use std::collections::HashMap;

use pathledger_badges as badges;
use pathledger_core::{EducatorState, Endorsement, Holding};
use pathledger_store::{CredentialRecord, IssueOutcome, Recipient, StoreError};
use serde_json::Value;
use time::OffsetDateTime;

use crate::*;

impl App {
    /// Issues every credential the educator has earned but does not hold yet (a completed stack's
    /// certificate, a reached role's award), each at most once, until nothing new is earned (a
    /// certificate may complete a role). Returns the credentials issued by this call. Each is
    /// announced to the educator ([`crate::notify`]).
    pub async fn award_earned(&self, educator_id: &str) -> Result<Vec<Issued>, AppError> {
        self.award_earned_with(educator_id, true).await
    }

    /// [`App::award_earned`]; `mail_people: false` announces nothing (the caller does, or it is
    /// a machine run: [`IssueOptions::mail_people`]).
    pub(crate) async fn award_earned_with(
        &self,
        educator_id: &str,
        mail_people: bool,
    ) -> Result<Vec<Issued>, AppError> {
        let educator = self.inner.store.educator(educator_id).await?;
        let Some(issuer) = self
            .inner
            .store
            .issuers(&educator.org_id)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(Vec::new());
        };
        let defs = self.definitions(&educator.org_id).await?;
        let mut issued = Vec::new();
        // Each round issues at least one new credential or stops; the definitions are finite.
        let ids = [educator_id.to_owned()];
        for _ in 0..=defs.achievements().len() {
            let state = self
                .award_states(&educator.org_id, &ids)
                .await?
                .remove(educator_id)
                .unwrap_or_default();
            let mut new = 0;
            for ach in &defs.to_issue(&state) {
                let role = defs
                    .roles()
                    .iter()
                    .find(|r| r.awards.as_ref() == Some(ach))
                    .map(|r| r.id.as_str().to_owned());
                let opts = IssueOptions {
                    idempotency_key: Some(format!("award:{educator_id}:{}", ach.as_str())),
                    mail_people,
                    ..IssueOptions::default()
                };
                let out = self
                    .issue_inner(
                        &issuer.id,
                        ach.as_str(),
                        Recipient::Educator(educator_id.to_owned()),
                        opts,
                        role,
                    )
                    .await?;
                if !out.replayed {
                    new += 1;
                    tracing::info!(educator = %educator_id, achievement = %ach.as_str(), credential = %out.record.id, "awarded an earned credential");
                    issued.push(out);
                }
            }
            if new == 0 {
                break;
            }
        }
        Ok(issued)
    }

    // ----- educators and pathways ----------------------------------------------------------

    /// The educator's engine state: credentials that still verify, plus recorded facts.
    pub async fn educator_state(
        &self,
        educator_id: &str,
    ) -> Result<
        (
            EducatorState,
            Vec<(CredentialRecord, badges::VerificationReport)>,
        ),
        AppError,
    > {
        let store = &self.inner.store;
        let educator = store.educator(educator_id).await?;
        // What this organization issued to the record, and what the same person holds on
        // their linked records from issuers it trusts; another organization's credential on
        // this record (possible before tenant isolation) is not counted.
        let mut creds: Vec<CredentialRecord> = store
            .credentials_for_educator(educator_id)
            .await?
            .into_iter()
            .filter(|c| c.org_id == educator.org_id.as_str())
            .collect();
        creds.extend(store.recognized_credentials(educator_id).await?);
        let docs: Vec<Value> = creds
            .iter()
            .map(|c| serde_json::from_str(&c.document).unwrap_or(Value::Null))
            .collect();
        let reports = self.verify_many(&docs).await;
        let mut state = EducatorState {
            id: Some(educator.id.to_string()),
            name: Some(educator.display_name.clone()),
            ..Default::default()
        };
        let mut held = Vec::new();
        for (c, r) in creds.into_iter().zip(reports) {
            if r.verdict == badges::Verdict::Valid && !state.holds(&c.achievement_id) {
                if let Ok(id) = c.achievement_id.parse() {
                    state.holdings.push(Holding {
                        achievement: id,
                        issued_on: None,
                        expires_on: None,
                    });
                }
            }
            held.push((c, r));
        }
        for f in store.facts(educator_id).await? {
            apply_fact(&mut state, &f);
        }
        Ok((state, held))
    }

    /// The states award decisions use, for many educators at once: holdings from the ledger's
    /// own records (active and not expired; no signature re-check, these are our rows) and
    /// facts. A bulk cohort costs a few queries, not a verification per credential.
    pub(crate) async fn award_states(
        &self,
        org_id: &str,
        educator_ids: &[String],
    ) -> Result<HashMap<String, EducatorState>, AppError> {
        let store = &self.inner.store;
        let mut states: HashMap<String, EducatorState> = educator_ids
            .iter()
            .map(|id| {
                let s = EducatorState {
                    id: Some(id.clone()),
                    ..Default::default()
                };
                (id.clone(), s)
            })
            .collect();
        // Milliseconds, as validUntil is stored: whole seconds would count a credential for up
        // to a second after it expired.
        let now = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        for (edu, ach) in store.active_holdings(org_id, educator_ids, now).await? {
            if let Some(state) = states.get_mut(&edu) {
                add_holding(state, &ach);
            }
        }
        for f in store.facts_for_educators(educator_ids).await? {
            if let Some(state) = states.get_mut(f.educator_id.as_str()) {
                apply_fact(state, &f);
            }
        }
        Ok(states)
    }

    /// Awards what the educator has earned. The triggering action is already recorded, so a
    /// failure here is logged rather than reported as that action failing (the next award run,
    /// e.g. the educator's next credential, picks it up).
    pub async fn award_quietly(&self, educator_id: &str) -> Vec<Issued> {
        self.award_quietly_with(educator_id, true).await
    }

    /// [`App::award_quietly`], announcing what it issues only when `mail_people`.
    pub(crate) async fn award_quietly_with(
        &self,
        educator_id: &str,
        mail_people: bool,
    ) -> Vec<Issued> {
        match self.award_earned_with(educator_id, mail_people).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(educator = %educator_id, error = %e, "awarding earned credentials failed; will be retried on the next award run");
                Vec::new()
            }
        }
    }

    /// What a freshly issued credential completes (nothing for a replayed retry or a
    /// recipient who is not one of our educators), awarded quietly.
    pub async fn award_after(&self, issued: &Issued) -> Vec<Issued> {
        let (Some(edu), false) = (&issued.record.educator_id, issued.replayed) else {
            return Vec::new();
        };
        let mut out = self.award_quietly(edu).await;
        // The same person's records in organizations that trust this issuer may now have
        // earned something too (recognition).
        for other in self
            .recognizing_records(edu, &issued.record.issuer_id)
            .await
        {
            out.extend(self.award_quietly(&other).await);
        }
        out
    }

    /// The other educator records of the person behind `educator_id` whose organizations trust
    /// `issuer_id` (none when the record is not linked to an account). Failures are logged: the
    /// next award run picks them up.
    async fn recognizing_records(&self, educator_id: &str, issuer_id: &str) -> Vec<String> {
        let store = &self.inner.store;
        let user = match store.user_of_educator(educator_id).await {
            Ok(Some(u)) => u,
            Ok(None) => return Vec::new(),
            Err(e) => {
                tracing::warn!(educator = %educator_id, error = %e, "reading the educator's linked records failed");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for link in user
            .educators
            .iter()
            .filter(|l| l.educator_id.as_str() != educator_id)
        {
            match store.trusted_issuers(&link.org_id).await {
                Ok(t) if t.iter().any(|t| t.issuer_id == issuer_id) => {
                    out.push(link.educator_id.to_string())
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(org = %link.org_id.as_str(), error = %e, "reading trusted issuers failed")
                }
            }
        }
        out
    }

    /// [`App::award_quietly`] for a cohort: one evaluation pass over all of them against
    /// `org_id`'s definitions, then the award path for those who earned something.
    pub async fn award_quietly_many(&self, org_id: &str, educator_ids: &[String]) -> Vec<Issued> {
        self.award_quietly_many_with(org_id, educator_ids, true)
            .await
    }

    /// [`App::award_quietly_many`], announcing what it issues only when `mail_people`.
    pub(crate) async fn award_quietly_many_with(
        &self,
        org_id: &str,
        educator_ids: &[String],
        mail_people: bool,
    ) -> Vec<Issued> {
        match self.award_states(org_id, educator_ids).await {
            Ok(states) => self.award_quietly_among(org_id, states, mail_people).await,
            Err(e) => {
                tracing::warn!(org = %org_id, educators = educator_ids.len(), error = %e, "checking a cohort for earned credentials failed; will be retried on the next award run");
                Vec::new()
            }
        }
    }

    /// The award path for each educator whose state (as the caller knows it) earns something
    /// against `org_id`'s definitions. The award path reads the educator afresh; what it issues
    /// is announced only when `mail_people`.
    pub(crate) async fn award_quietly_among(
        &self,
        org_id: &str,
        states: HashMap<String, EducatorState>,
        mail_people: bool,
    ) -> Vec<Issued> {
        if states.is_empty() {
            return Vec::new();
        }
        let defs = match self.definitions(org_id).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(org = %org_id, educators = states.len(), error = %e, "checking a cohort for earned credentials failed; will be retried on the next award run");
                return Vec::new();
            }
        };
        let mut earned: Vec<&String> = states
            .iter()
            .filter(|(_, s)| !defs.to_issue(s).is_empty())
            .map(|(id, _)| id)
            .collect();
        earned.sort();
        let mut out = Vec::new();
        for id in earned {
            out.extend(self.award_quietly_with(id, mail_people).await);
        }
        out
    }
}

/// Records that the educator holds achievement `ach` (once; an id that does not parse is skipped).
pub(crate) fn add_holding(state: &mut EducatorState, ach: &str) {
    if let (Ok(id), false) = (ach.parse(), state.holds(ach)) {
        state.holdings.push(Holding {
            achievement: id,
            issued_on: None,
            expires_on: None,
        });
    }
}

/// Splits the recipients of a bulk call's new credentials for the award check: educators the
/// call created hold exactly what it issued them (active and unexpired at `now_ms`) and have no
/// facts, so their states are built here; everyone else is read from the store. An educator
/// created in one batch and named again in a later one is read from the store.
pub(crate) fn cohort_states(
    results: &[Result<IssueOutcome, StoreError>],
    now_ms: i64,
) -> (HashMap<String, EducatorState>, Vec<String>) {
    let mut fresh: HashMap<String, EducatorState> = HashMap::new();
    let mut known: Vec<String> = Vec::new();
    for o in results.iter().filter_map(|r| r.as_ref().ok()) {
        let Some(edu) = &o.credential.educator_id else {
            continue;
        };
        if o.replayed {
            continue;
        }
        if !o.new_educator {
            known.push(edu.clone());
            continue;
        }
        let state = fresh.entry(edu.clone()).or_insert_with(|| EducatorState {
            id: Some(edu.clone()),
            ..Default::default()
        });
        let c = &o.credential;
        if c.status == pathledger_store::CredentialStatus::Active
            && c.valid_until_ms.is_none_or(|t| t > now_ms)
        {
            add_holding(state, &c.achievement_id);
        }
    }
    for k in &known {
        fresh.remove(k);
    }
    (fresh, known)
}

/// Adds one recorded fact (experience, rotation, endorsement) to an educator's state.
pub(crate) fn apply_fact(state: &mut EducatorState, f: &pathledger_store::Fact) {
    match f.kind.as_str() {
        "experience" => {
            if let Some(y) = f.document.get("years").and_then(Value::as_f64) {
                state.years_experience = state.years_experience.max(y);
            }
        }
        "rotation" => {
            if let Some(r) = f
                .document
                .get("role")
                .and_then(Value::as_str)
                .and_then(|r| r.parse().ok())
            {
                state.rotations.push(r);
            }
        }
        "endorsement" => {
            if let Ok(e) = serde_json::from_value::<Endorsement>(f.document.clone()) {
                state.endorsements.push(e);
            }
        }
        _ => {}
    }
}
