//! Issuing credentials: building and signing each document inside the store's transaction,
//! one at a time or in bulk, and status changes.

use std::sync::Arc;

use crate::awards::cohort_states;
use crate::images::OrgImages;
use crate::newcomers::NewcomerInvite;
use crate::templates::*;
use pathledger_badges as badges;
use pathledger_core::Definitions;
use pathledger_signing::{sign_document_to_string, Cryptosuite, ProofOptions};
use pathledger_store::{
    CredentialStatus, IssueContext, IssueOutcome, IssueRequest, Recipient, StatusChange,
    StatusChangeOutcome, StoreError,
};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::*;

impl App {
    // ----- issuance ------------------------------------------------------------------------

    pub(crate) fn issuer_profile(
        &self,
        issuer: &pathledger_store::Issuer,
    ) -> badges::IssuerProfile {
        badges::IssuerProfile {
            id: self.issuer_did(&issuer.id),
            name: issuer.name.clone(),
            url: Some(
                issuer
                    .url
                    .clone()
                    .unwrap_or_else(|| format!("{}/issuers/{}", self.inner.public_url, issuer.id)),
            ),
            email: None,
            description: None,
            image: None,
        }
    }

    /// [`App::issuer_profile`] with the organization's logo as its `image`.
    pub(crate) fn issuer_profile_with(
        &self,
        issuer: &pathledger_store::Issuer,
        images: &OrgImages,
    ) -> badges::IssuerProfile {
        let mut p = self.issuer_profile(issuer);
        p.image = images.logo_image(&issuer.name);
        p
    }

    /// Builds and signs the credential for one issuance context (called inside the store's transaction).
    pub(crate) fn build_credential(
        &self,
        defs: &Definitions,
        profile: &badges::IssuerProfile,
        images: &OrgImages,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Result<String, AppError> {
        let doc = self.unsigned_credential(defs, profile, images, ctx, opts)?;
        self.sign_credential(&doc, ctx, opts)
    }

    /// [`App::build_credential`] for the rows of one bulk call: the first row of each
    /// [`TemplateKey`] builds the unsigned document, the others take its place with their own
    /// id, recipient and status entries ([`badges::personalize`]), the only parts that differ. Under
    /// eddsa-jcs-2022 they do not even copy it: they fill those parts into the template's
    /// canonical text and sign that ([`CanonicalTemplate`]).
    pub(crate) fn build_credential_from(
        &self,
        templates: &Templates,
        defs: &Definitions,
        profile: &badges::IssuerProfile,
        images: &OrgImages,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Result<String, AppError> {
        let key = TemplateKey::of(ctx, images);
        let cached = templates
            .docs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        match cached {
            Some(t) => {
                templates
                    .hits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if let Some(signed) = t.canonical.as_ref().and_then(|c| c.sign(ctx, opts)) {
                    templates
                        .canonical
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return signed;
                }
                let mut doc = t.doc.clone();
                badges::personalize(&mut doc, &personal_of(ctx, opts))
                    .map_err(|e| AppError::Build(e.to_string()))?;
                self.sign_credential(&doc, ctx, opts)
            }
            None => {
                let doc = self.unsigned_credential(defs, profile, images, ctx, opts)?;
                let signed = self.sign_credential(&doc, ctx, opts)?;
                let canonical = self.canonical_template(&doc, ctx, opts, &signed);
                templates
                    .docs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(key, Arc::new(Template { doc, canonical }));
                Ok(signed)
            }
        }
    }

    /// The canonical template of `doc` (this row's unsigned credential, which signed is
    /// `signed`), or `None` when the suite is not eddsa-jcs-2022 or the template does not give
    /// back exactly `signed` for this row.
    pub(crate) fn canonical_template(
        &self,
        doc: &Value,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
        signed: &str,
    ) -> Option<CanonicalTemplate> {
        if opts.suite != Cryptosuite::EddsaJcs2022 {
            return None;
        }
        let t = CanonicalTemplate {
            text: badges::CanonicalTemplate::new(doc, &self.proof_options(ctx, opts))?,
            key_id: ctx.key.key_id().to_owned(),
        };
        match t.sign(ctx, opts) {
            Some(Ok(s)) if s == signed => Some(t),
            _ => {
                tracing::warn!(
                    achievement = %ctx.request.achievement_id,
                    "a bulk credential template does not reproduce its own row; the call signs whole documents"
                );
                None
            }
        }
    }

    /// The credential [`App::build_credential`] signs.
    pub(crate) fn unsigned_credential(
        &self,
        defs: &Definitions,
        profile: &badges::IssuerProfile,
        images: &OrgImages,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Result<Value, AppError> {
        let ach_id = ctx.request.achievement_id.as_str();
        let ach = defs.achievement(ach_id).ok_or_else(|| {
            AppError::invalid("achievement", format!("unknown achievement {ach_id:?}"))
        })?;
        let fw = defs.framework();
        let alignments = ach
            .alignments
            .iter()
            .filter_map(|c| defs.competency(c.as_str()))
            .map(|c| badges::Alignment {
                target_name: c.name.clone(),
                target_url: self.competency_url(ctx.org_id, c.id.as_str()),
                target_type: Some("CFItem".into()),
                target_code: c.code.clone(),
                target_framework: Some(fw.name.clone()),
                target_description: (!c.description.is_empty()).then(|| c.description.clone()),
            })
            .collect();
        let recipient = match &opts.holder_did {
            Some(did) => badges::SubjectIdentifier::Id(did.clone()),
            None => recipient_of(ctx),
        };
        let status = if opts.suspendable {
            None
        } else {
            Some(badges::StatusEntry::new(
                &ctx.revocation.list_url,
                badges::StatusPurpose::Revocation,
                ctx.revocation.index,
            ))
        };
        let input = badges::OpenBadgeInput {
            id: ctx.credential_id.clone(),
            issuer: profile.clone(),
            valid_from: ms_to_datetime(ctx.issued_ms),
            valid_until: ctx.request.valid_until_ms.map(ms_to_datetime),
            name: ach.name.clone(),
            description: (!ach.description.is_empty()).then(|| ach.description.clone()),
            recipient,
            achievement: badges::AchievementInput {
                id: self.achievement_url(ctx.org_id, ach_id),
                name: ach.name.clone(),
                description: if ach.description.is_empty() {
                    ach.name.clone()
                } else {
                    ach.description.clone()
                },
                criteria: badges::Criteria {
                    id: None,
                    narrative: Some(if ach.criteria.is_empty() {
                        ach.name.clone()
                    } else {
                        ach.criteria.clone()
                    }),
                },
                achievement_type: Some(achievement_type_name(&ach.achievement_type)),
                alignments,
                image: images.achievement_image(ach_id, &ach.name),
                human_code: Some(ach_id.to_owned()),
                tags: Vec::new(),
                version: Some(ctx.achievement_version.to_string()),
            },
            evidence: opts
                .evidence
                .iter()
                .map(|n| badges::EvidenceInput {
                    narrative: Some(n.clone()),
                    name: Some("Evidence".into()),
                    ..Default::default()
                })
                .collect(),
            status,
            include_schema: true,
            awarded_date: None,
            image: None,
        };
        let mut doc =
            badges::open_badge_credential(&input).map_err(|e| AppError::Build(e.to_string()))?;
        if let badges::SubjectIdentifier::Hashed { .. } = &input.recipient {
            badges::put_identity_hash(&mut doc, &ctx.recipient.identity_hash);
        }
        if opts.suspendable {
            doc["credentialStatus"] = personal_of(ctx, opts).status();
        }
        Ok(doc)
    }

    /// Signs a document built for `ctx` with the issuer's key.
    pub(crate) fn sign_credential(
        &self,
        doc: &Value,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> Result<String, AppError> {
        sign_document_to_string(doc, ctx.key.suite_key(), &self.proof_options(ctx, opts))
            .map_err(|e| AppError::Build(e.to_string()))
    }

    /// The proof options of the credential of `ctx`: its issuer's key, created when issued.
    pub(crate) fn proof_options(
        &self,
        ctx: &IssueContext<'_>,
        opts: &IssueOptions,
    ) -> ProofOptions {
        let issuer_id = ctx.request.issuer_id.as_str();
        let mut popts =
            ProofOptions::assertion(opts.suite, self.key_vm(issuer_id, ctx.key.key_id()));
        popts.created = Some(badges::dates::format(ms_to_datetime(ctx.issued_ms)));
        popts
    }

    /// Issues one credential of `achievement_id` to `recipient`.
    pub async fn issue(
        &self,
        issuer_id: &str,
        achievement_id: &str,
        recipient: Recipient,
        opts: IssueOptions,
    ) -> Result<Issued, AppError> {
        self.issue_inner(issuer_id, achievement_id, recipient, opts, None)
            .await
    }

    pub(crate) async fn issue_inner(
        &self,
        issuer_id: &str,
        achievement_id: &str,
        recipient: Recipient,
        opts: IssueOptions,
        award_role: Option<String>,
    ) -> Result<Issued, AppError> {
        let store = &self.inner.store;
        let issuer = store.issuer(issuer_id).await?;
        let defs = self.definitions(&issuer.org_id).await?;
        if defs.achievement(achievement_id).is_none() {
            return Err(AppError::invalid(
                "achievement",
                format!("unknown achievement {achievement_id:?}"),
            ));
        }
        let images = self.org_images(&issuer.org_id).await?;
        let profile = self.issuer_profile_with(&issuer, &images);
        let mut req = IssueRequest::new(issuer_id, achievement_id, recipient);
        req.valid_until_ms = opts
            .valid_until
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
        req.idempotency_key = opts.idempotency_key.clone();
        req.suspendable = opts.suspendable;
        req.previous_credential_id = opts.renews.clone();
        let invite = opts.mail_people;
        // A wallet's copy of a credential already announced is not news.
        let announce = opts.mail_people && !opts.is_wallet_copy();
        req.award_role_id = award_role;
        req.extra = json!({"suite": opts.suite.as_str(), "evidence": opts.evidence});
        if let Some(did) = &opts.holder_did {
            req.extra["holder"] = json!(did);
        }
        let this = self.clone();
        let out = store
            .issue(req, move |ctx| {
                this.build_credential(&defs, &profile, &images, &ctx, &opts)
            })
            .await
            .map_err(unwrap_build)?;
        let newcomer = match &out.credential.educator_id {
            Some(edu) if out.new_educator && !out.replayed => Some(edu.clone()),
            _ => None,
        };
        let mut issued = self.to_issued(out)?;
        if let Some(edu) = newcomer.filter(|_| invite) {
            let ctx = self.invite_context(&issuer.org_id).await;
            issued.invite = self.invite_newcomer(&ctx, &edu).await;
        }
        if announce && !issued.replayed {
            self.announce_awards(vec![issued.record.clone()]);
        }
        Ok(issued)
    }

    /// Issues many credentials (one issuer), in batched transactions; one result per row.
    pub async fn bulk_issue(
        &self,
        issuer_id: &str,
        rows: Vec<(String, Recipient, IssueOptions)>,
    ) -> Result<Vec<Result<BulkIssued, AppError>>, AppError> {
        let store = &self.inner.store;
        let issuer = store.issuer(issuer_id).await?;
        let defs = self.definitions(&issuer.org_id).await?;
        // Read once per call: every row of the call names the same images.
        let images = self.org_images(&issuer.org_id).await?;
        let profile = self.issuer_profile_with(&issuer, &images);
        let mut pre: Vec<Option<AppError>> = Vec::with_capacity(rows.len());
        let mut reqs = Vec::new();
        let mut opts_by_row = Vec::new();
        let mut invite_flags = Vec::new();
        let mut announce_flags = Vec::new();
        for (ach, rcpt, opts) in rows {
            if defs.achievement(&ach).is_none() {
                pre.push(Some(AppError::invalid(
                    "achievement",
                    format!("unknown achievement {ach:?}"),
                )));
                continue;
            }
            let mut req = IssueRequest::new(issuer_id, &ach, rcpt);
            req.valid_until_ms = opts
                .valid_until
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
            req.idempotency_key = opts.idempotency_key.clone();
            req.suspendable = opts.suspendable;
            req.extra = json!({"suite": opts.suite.as_str(), "evidence": opts.evidence});
            pre.push(None);
            reqs.push(req);
            invite_flags.push(opts.mail_people);
            announce_flags.push(opts.mail_people && !opts.is_wallet_copy());
            opts_by_row.push(opts);
        }
        // The builder finds its row's options by the request's idempotency key or position-free
        // data: every row of a bulk call shares suite and flags, so take the first.
        let shared = opts_by_row.first().cloned().unwrap_or_default();
        let this = self.clone();
        let started = std::time::Instant::now();
        let build_defs = defs.clone();
        let templates = Templates::default();
        let results = store
            .bulk_issue(reqs, move |ctx| {
                this.build_credential_from(
                    &templates,
                    &build_defs,
                    &profile,
                    &images,
                    &ctx,
                    &shared,
                )
            })
            .await;
        let stored = started.elapsed();
        // A cohort finishing a module may complete stacks and reach roles: award those now,
        // once each (the award path replays what was already awarded).
        let now_ms = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        let (fresh, mut cohort) = cohort_states(&results, now_ms);
        cohort.sort();
        cohort.dedup();
        // What the cohort earned is announced with its rows, from one task (below).
        let mut awarded = self.award_quietly_among(&issuer.org_id, fresh, false).await;
        if !cohort.is_empty() {
            awarded.extend(
                self.award_quietly_many_with(&issuer.org_id, &cohort, false)
                    .await,
            );
        }
        if !awarded.is_empty() {
            tracing::info!(issuer = %issuer_id, awarded = awarded.len(), "bulk issuance completed stacks or roles; earned credentials issued");
        }
        let award_time = started.elapsed() - stored;
        let invites = self
            .invite_newcomers(&issuer.org_id, &results, &invite_flags)
            .await;
        // Each new credential's educator is told, in order, from one background task: the rows
        // that asked for it, then what the call completed (when any row mails people).
        let mut news: Vec<CredentialRecord> = results
            .iter()
            .zip(&announce_flags)
            .filter_map(|(r, wanted)| match r {
                Ok(o) if *wanted && !o.replayed => Some(o.credential.clone()),
                _ => None,
            })
            .collect();
        if announce_flags.iter().any(|a| *a) {
            news.extend(awarded.iter().map(|a| a.record.clone()));
        }
        self.announce_awards(news);
        tracing::debug!(rows = pre.len(), ?stored, awards = ?award_time, "bulk issuance");
        let mut invites = invites.into_iter();
        let mut results = results.into_iter();
        let mut out = Vec::with_capacity(pre.len());
        for p in pre {
            match p {
                Some(e) => out.push(Err(e)),
                None => match results.next() {
                    Some(Ok(o)) => out.push(Ok(BulkIssued {
                        record: o.credential,
                        replayed: o.replayed,
                        invite: invites.next().unwrap_or_default(),
                    })),
                    Some(Err(e)) => {
                        invites.next();
                        out.push(Err(unwrap_build(e)))
                    }
                    None => out.push(Err(AppError::Build("missing result".into()))),
                },
            }
        }
        Ok(out)
    }

    /// Invites the people whose educator records the rows `results` created, once per record
    /// (on the first row that created it); one answer per row, in order.
    async fn invite_newcomers(
        &self,
        org_id: &pathledger_store::OrgId,
        results: &[Result<IssueOutcome, StoreError>],
        wanted: &[bool],
    ) -> Vec<NewcomerInvite> {
        let mut out = vec![NewcomerInvite::NotDue; results.len()];
        let mut seen = std::collections::HashSet::new();
        let mut ctx = None;
        for (i, r) in results.iter().enumerate() {
            let Ok(o) = r else { continue };
            if !wanted.get(i).copied().unwrap_or(true) {
                continue;
            }
            let Some(edu) = &o.credential.educator_id else {
                continue;
            };
            if !o.new_educator || o.replayed || !seen.insert(edu.clone()) {
                continue;
            }
            if ctx.is_none() {
                ctx = Some(self.invite_context(org_id).await);
            }
            if let Some(ctx) = &ctx {
                out[i] = self.invite_newcomer(ctx, edu).await;
            }
        }
        let sent = out.iter().filter(|i| i.sent()).count();
        let failed = out.iter().filter(|i| i.failed()).count();
        if sent + failed > 0 {
            tracing::info!(org = %org_id, sent, failed, "bulk issuance invited the educators it created");
        }
        out
    }

    pub(crate) fn to_issued(&self, out: IssueOutcome) -> Result<Issued, AppError> {
        let credential: Value = serde_json::from_str(&out.credential.document)
            .map_err(|e| AppError::Build(format!("stored credential is not JSON: {e}")))?;
        Ok(Issued {
            record: out.credential,
            credential,
            replayed: out.replayed,
            invite: NewcomerInvite::NotDue,
        })
    }

    /// Revokes, suspends or reinstates.
    pub async fn change_status(
        &self,
        credential_id: &str,
        change: StatusChange,
        reason: Option<&str>,
        actor: Option<&pathledger_store::UserId>,
    ) -> Result<StatusChangeOutcome, AppError> {
        let out = self
            .inner
            .store
            .change_status(credential_id, change, reason, actor)
            .await;
        // Whatever the outcome, this server's cached list versions are asked again.
        self.forget_list_versions();
        let out = out?;
        self.change_wallet_copies(credential_id, change, reason, actor)
            .await;
        Ok(out)
    }

    /// Gives the wallet copies of `credential_id` (and theirs) the change its original got. A
    /// copy already in that state is left as it is; any other failure is logged, and the next
    /// change of the original tries again.
    async fn change_wallet_copies(
        &self,
        credential_id: &str,
        change: StatusChange,
        reason: Option<&str>,
        actor: Option<&pathledger_store::UserId>,
    ) {
        let mut queue = vec![credential_id.to_owned()];
        let mut seen = std::collections::HashSet::new();
        while let Some(id) = queue.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let copies = match self.inner.store.wallet_copies_of(&id).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(credential = %id, error = %e, "could not list wallet copies");
                    continue;
                }
            };
            for copy in copies {
                let wanted = match change {
                    StatusChange::Revoke => CredentialStatus::Revoked,
                    StatusChange::Suspend => CredentialStatus::Suspended,
                    StatusChange::Reinstate => CredentialStatus::Active,
                };
                let already = self
                    .inner
                    .store
                    .credential(&copy)
                    .await
                    .map(|c| c.status == wanted || c.status == CredentialStatus::Revoked)
                    .unwrap_or(true);
                if !already {
                    if let Err(e) = self
                        .inner
                        .store
                        .change_status(&copy, change, reason, actor)
                        .await
                    {
                        tracing::warn!(credential = %copy, error = %e, "a wallet copy did not follow its original's status");
                    }
                }
                queue.push(copy);
            }
        }
        self.forget_list_versions();
    }
}

pub(crate) fn achievement_type_name(t: &pathledger_core::AchievementType) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "Achievement".into())
}

/// A builder failure inside the store comes back boxed; surface our own error when it is one.
pub(crate) fn unwrap_build(e: StoreError) -> AppError {
    match e {
        StoreError::Build(inner) => match inner.downcast::<AppError>() {
            Ok(app) => *app,
            Err(other) => AppError::Build(other.to_string()),
        },
        other => AppError::Store(other),
    }
}
