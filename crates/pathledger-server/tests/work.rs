//! Evidence and review, mentor endorsements and issuer administration, through the API and the
//! page forms, on SQLite and PostgreSQL; plus the problem+json shape of every framework refusal.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use serde_json::{json, Value};

fn mentor_id(env: &TestEnv) -> String {
    env.account(MENTOR).user_id.clone()
}

async fn submit(env: &TestEnv, who: &str, achievement: &str, narrative: &str) -> Resp {
    env.call(json_req(
        Method::POST,
        "/api/v1/evidence",
        Some(&env.token(who)),
        &json!({"achievement": achievement, "narrative": narrative,
                "url": "https://portfolio.example/lesson", "assessor": mentor_id(env)}),
    ))
    .await
}

async fn decide(env: &TestEnv, who: &str, id: &str, body: Value) -> Resp {
    env.call(json_req(
        Method::POST,
        &format!("/api/v1/evidence/{id}/decision"),
        Some(&env.token(who)),
        &body,
    ))
    .await
}

async fn verdict(env: &TestEnv, cred: &Value) -> String {
    let r = env
        .call(json_req(Method::POST, "/api/v1/verify", None, cred))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["verdict"].as_str().unwrap_or("").to_owned()
}

/// Whether the educator holds a credential of `achievement` that verifies now.
async fn holds(env: &TestEnv, educator: &str, achievement: &str) -> bool {
    let (state, _) = env.app.educator_state(educator).await.expect("state");
    state.holds(achievement)
}

/// A career switcher finishes the on-ramp through evidence: a submission is returned with
/// comments, resubmitted and accepted; each acceptance issues the credential, and the last one
/// completes the stack, whose certificate is awarded once, automatically.
async fn evidence_flow(env: &TestEnv) {
    let jordan = env.educator_id(JORDAN);
    // The demo's expired sample is Jordan's mc-student-management-1: once it has expired, Jordan
    // earns it again through evidence.
    let_expire(env).await;
    let size0 = env.tree_size().await;

    // Validation: each bad field is named.
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/evidence",
            Some(&env.token(JORDAN)),
            &json!({"achievement": "mc-nope", "narrative": "x", "assessor": mentor_id(env)}),
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "achievement"
    );
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/evidence",
            Some(&env.token(JORDAN)),
            &json!({"achievement": "mc-student-management-1", "narrative": "  ", "assessor": mentor_id(env)}),
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "narrative"
    );
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/evidence",
            Some(&env.token(JORDAN)),
            &json!({"achievement": "mc-student-management-1", "narrative": "n", "assessor": env.account(HR).user_id}),
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "assessor",
        "a verifier is not an assessor"
    );
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/evidence",
            Some(&env.token(JORDAN)),
            &json!({"achievement": "mc-student-management-1", "narrative": "n", "url": "javascript:alert(1)", "assessor": mentor_id(env)}),
        ))
        .await;
    assert_eq!(r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"], "url");
    // A certificate comes from completing its stack, never from evidence.
    let r = submit(
        env,
        JORDAN,
        "cert-career-switcher-on-ramp",
        "let me skip the stack",
    )
    .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "achievement"
    );
    // Something already held cannot be applied for again.
    let r = submit(env, JORDAN, "mc-tools-1", "again").await;
    r.problem(StatusCode::CONFLICT);
    // A staff account that is no educator cannot submit.
    let r = submit(env, HR, "mc-tools-1", "n").await;
    assert_eq!(r.problem(StatusCode::FORBIDDEN)["code"], "not_an_educator");
    assert_eq!(env.tree_size().await, size0, "refusals write nothing");

    let r = submit(
        env,
        JORDAN,
        "mc-student-management-1",
        "Ran restorative circles for six weeks.",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let sub = r.json();
    let sub_id = sub["id"].as_str().expect("id").to_owned();
    assert_eq!(sub["state"], "submitted");
    // A second open submission for the same micro-credential is refused.
    submit(env, JORDAN, "mc-student-management-1", "dup")
        .await
        .problem(StatusCode::CONFLICT);

    // Who sees it: the educator, the assigned mentor, the org admin; not HR, not another educator,
    // not another organization.
    for who in [JORDAN, MENTOR, ADMIN] {
        let r = env
            .call(get_auth(
                &format!("/api/v1/evidence/{sub_id}"),
                &env.token(who),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text());
    }
    for who in [HR, AVERY, HILLCREST_ADMIN, ISSUER] {
        let r = env
            .call(get_auth(
                &format!("/api/v1/evidence/{sub_id}"),
                &env.token(who),
            ))
            .await;
        r.problem(StatusCode::FORBIDDEN);
    }
    let list = env
        .call(get_auth("/api/v1/evidence", &env.token(MENTOR)))
        .await
        .json();
    assert_eq!(list["assigned"].as_array().map(Vec::len), Some(1), "{list}");
    let list = env
        .call(get_auth("/api/v1/evidence", &env.token(AVERY)))
        .await
        .json();
    assert_eq!(list["mine"], json!([]));
    assert_eq!(list["assigned"], json!([]));

    // Only the assigned assessor decides; returning needs a comment.
    for who in [ADMIN, ISSUER, JORDAN, HILLCREST_ADMIN] {
        decide(env, who, &sub_id, json!({"decision": "accept"}))
            .await
            .problem(StatusCode::FORBIDDEN);
    }
    let r = decide(env, MENTOR, &sub_id, json!({"decision": "maybe"})).await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "decision"
    );
    let r = decide(env, MENTOR, &sub_id, json!({"decision": "return"})).await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "comment"
    );
    assert_eq!(env.tree_size().await, size0);
    let r = decide(
        env,
        MENTOR,
        &sub_id,
        json!({"decision": "return", "comment": "Add one student's reflection."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["submission"]["state"], "returned");
    assert_eq!(r.json()["credential"], Value::Null);
    assert!(!holds(env, &jordan, "mc-student-management-1").await);
    decide(env, MENTOR, &sub_id, json!({"decision": "accept"}))
        .await
        .problem(StatusCode::CONFLICT);
    assert_eq!(
        env.tree_size().await,
        size0,
        "a returned submission issues nothing"
    );

    // Resubmitted and accepted: the credential carries the evidence and verifies.
    let mut certificates_before = 0;
    for (ach, narrative) in [
        (
            "mc-student-management-1",
            "Restorative circles, with a student's reflection attached.",
        ),
        (
            "mc-instructional-strategies-1",
            "Co-planned a unit with worked examples.",
        ),
        ("mc-collaboration-1", "Led our grade-level PLC for a term."),
    ] {
        let r = submit(env, JORDAN, ach, narrative).await;
        assert_eq!(r.status, StatusCode::CREATED, "{ach}: {}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_owned();
        let r = decide(
            env,
            MENTOR,
            &id,
            json!({"decision": "accept", "comment": "Well done."}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{ach}: {}", r.text());
        let d = r.json();
        assert_eq!(d["submission"]["state"], "accepted");
        let cred = &d["credential"]["verifiableCredential"];
        assert_eq!(verdict(env, cred).await, "valid", "{cred}");
        assert!(
            cred.to_string().contains(narrative),
            "the evidence narrative is in the credential"
        );
        assert!(holds(env, &jordan, ach).await);
        if ach != "mc-collaboration-1" {
            certificates_before += d["awarded"].as_array().map(Vec::len).unwrap_or(0);
        } else {
            let awarded: Vec<&str> = d["awarded"]
                .as_array()
                .expect("awarded")
                .iter()
                .filter_map(|a| a["achievement"].as_str())
                .collect();
            assert!(
                awarded.contains(&"cert-career-switcher-on-ramp"),
                "completing the on-ramp awards its certificate: {d}"
            );
        }
    }
    // The Blended Foundations certificate (already earned) was awarded along the way, once.
    assert!(certificates_before >= 1);
    let creds = env
        .app
        .store()
        .credentials_for_educator(&jordan)
        .await
        .expect("credentials");
    for ach in ["cert-blended-foundations", "cert-career-switcher-on-ramp"] {
        assert_eq!(
            creds.iter().filter(|c| c.achievement_id == ach).count(),
            1,
            "{ach} issued exactly once"
        );
    }
    // Awarding again finds nothing new.
    assert!(env
        .app
        .award_earned(&jordan)
        .await
        .expect("award")
        .is_empty());
    assert!(env.app.store().audit().await.expect("audit").is_ok());
}

#[tokio::test]
async fn evidence_review_and_awards_on_sqlite() {
    evidence_flow(&sqlite_env().await).await;
}

#[tokio::test]
async fn evidence_review_and_awards_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    evidence_flow(&env).await;
}

/// A cohort finishing a stack through bulk issuance is awarded the certificate, each member
/// once, including members who finish in a later bulk call; a replayed bulk call awards nothing.
async fn bulk_awards(env: &TestEnv) {
    let issuer = &env.seed.issuer_id;
    let row = |ach: &str, who: usize| {
        (
            ach.to_owned(),
            pathledger_store::Recipient::Email(format!("cohort-{who}@example.org")),
            pathledger_server::IssueOptions {
                idempotency_key: Some(format!("cohort:{who}:{ach}")),
                ..Default::default()
            },
        )
    };
    // Members 0 and 1 complete Blended Foundations in this call; member 2 lacks an elective.
    let mut rows = Vec::new();
    for who in 0..3 {
        rows.push(row("mc-learner-centered-1", who));
        rows.push(row("mc-tech-integration-1", who));
    }
    rows.push(row("mc-tools-1", 0));
    rows.push(row("mc-data-practices-1", 1));
    for r in env.app.bulk_issue(issuer, rows).await.expect("bulk") {
        r.expect("row issued");
    }
    let certs = |who: usize| async move {
        env.count_held(
            &format!("cohort-{who}@example.org"),
            "cert-blended-foundations",
        )
        .await
    };
    assert_eq!(certs(0).await, 1);
    assert_eq!(certs(1).await, 1);
    assert_eq!(certs(2).await, 0, "member 2 has no elective yet");

    // Member 2 finishes later; the call is then replayed as a whole.
    for _ in 0..2 {
        let out = env
            .app
            .bulk_issue(issuer, vec![row("mc-tools-1", 2), row("mc-tools-1", 0)])
            .await
            .expect("bulk");
        for r in out {
            r.expect("row issued or replayed");
        }
    }
    for who in 0..3 {
        assert_eq!(
            certs(who).await,
            1,
            "member {who} holds the certificate once"
        );
    }
    assert!(env.app.store().audit().await.expect("audit").is_ok());
}

#[tokio::test]
async fn bulk_issuance_awards_completed_stacks_on_sqlite() {
    bulk_awards(&sqlite_env().await).await;
}

#[tokio::test]
async fn bulk_issuance_awards_completed_stacks_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    bulk_awards(&env).await;
}

/// A master mentor's endorsement is the one thing Avery lacked for Integrator: it is recorded, a
/// signed EndorsementCredential documents it, and the role's award follows.
async fn endorsement_flow(env: &TestEnv) {
    let avery = env.educator_id(AVERY);
    let defs = env.app.definitions(&env.seed.org_id).await.expect("defs");
    let quality = defs
        .framework()
        .competencies
        .iter()
        .find(|c| c.category == pathledger_core::Category::Qualities)
        .expect("a quality")
        .id
        .as_str()
        .to_owned();
    let technical = defs
        .framework()
        .competencies
        .iter()
        .find(|c| c.category == pathledger_core::Category::TechnicalSkills)
        .expect("a technical skill")
        .id
        .as_str()
        .to_owned();
    let body = |competency: &str, role: &str| {
        json!({"educator": avery, "competency": competency, "endorser_role": role,
               "comment": "Runs station rotation smoothly and coaches peers."})
    };
    let (before, _) = env.app.educator_state(&avery).await.expect("state");
    let integrator_before = defs
        .evaluate(&before)
        .role("role-integrator-specialist")
        .map(|r| r.met);

    for who in [HR, JORDAN, HILLCREST_ADMIN, ISSUER] {
        env.call(json_req(
            Method::POST,
            "/api/v1/endorsements",
            Some(&env.token(who)),
            &body(&quality, "role-master-mentor"),
        ))
        .await
        .problem(StatusCode::FORBIDDEN);
    }
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/endorsements",
            Some(&env.token(MENTOR)),
            &body(&technical, "role-master-mentor"),
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "competency"
    );
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/endorsements",
            Some(&env.token(MENTOR)),
            &body(&quality, "role-nope"),
        ))
        .await;
    assert_eq!(
        r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"],
        "endorser_role"
    );

    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/endorsements",
            Some(&env.token(MENTOR)),
            &body(&quality, "role-master-mentor"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let cred = r.json()["verifiableCredential"].clone();
    assert_eq!(cred["type"][1], "EndorsementCredential");
    assert_eq!(verdict(env, &cred).await, "valid", "{cred}");
    let mut forged = cred.clone();
    forged["credentialSubject"]["endorsementComment"] = json!("Endorses someone else.");
    assert_eq!(verdict(env, &forged).await, "tampered");
    // The same endorser cannot endorse the same competency twice.
    env.call(json_req(
        Method::POST,
        "/api/v1/endorsements",
        Some(&env.token(MENTOR)),
        &body(&quality, "role-master-mentor"),
    ))
    .await
    .problem(StatusCode::CONFLICT);

    let (after, _) = env.app.educator_state(&avery).await.expect("state");
    assert_eq!(after.endorsements.len(), before.endorsements.len() + 1);
    let eval = defs.evaluate(&after);
    assert_eq!(
        integrator_before,
        Some(false),
        "the demo lacks one endorsement"
    );
    assert!(
        eval.role("role-integrator-specialist")
            .is_some_and(|r| r.met),
        "the endorsement completes Integrator"
    );
    if let Some(award) = defs
        .role("role-integrator-specialist")
        .and_then(|r| r.awards.clone())
    {
        assert!(
            holds(env, &avery, award.as_str()).await,
            "the role's award {} was issued",
            award.as_str()
        );
    }
    // The dashboard lists the endorsement with its verified credential.
    let cookie = login(env, AVERY).await;
    let r = env
        .call(
            Request::builder()
                .uri("/dashboard")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    let html = r.text();
    let table = html.split("id=\"endorsements\"").nth(1).expect("table");
    assert!(table.contains("role-master-mentor") || table.contains("Master Mentor"));
    assert!(table.contains("verdict-valid"), "{table}");
}

#[tokio::test]
async fn mentor_endorsements_on_sqlite() {
    endorsement_flow(&sqlite_env().await).await;
}

#[tokio::test]
async fn mentor_endorsements_on_postgres() {
    let Some(env) = postgres_env().await else {
        return;
    };
    endorsement_flow(&env).await;
}

/// A form post as the signed-in page sends it (same site, with the session's form token).
fn form(uri: &str, session: &Session, body: &str) -> Request<Body> {
    session.form(uri, body)
}

fn with_cookie(mut req: Request<Body>, session: &Session) -> Request<Body> {
    req.headers_mut().insert(
        header::COOKIE,
        header::HeaderValue::from_str(&session.cookie).expect("cookie"),
    );
    req
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn evidence_and_review_pages_issue_on_acceptance() {
    let env = sqlite_env().await;
    let jordan = env.educator_id(JORDAN);
    let_expire(&env).await;
    let ej = sign_in(&env, JORDAN).await;
    let page = env.call(with_cookie(get("/evidence"), &ej)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("value=\"mc-student-management-1\""));
    assert!(
        !html.contains("value=\"mc-tools-1\""),
        "held credentials are not offered"
    );
    // A bad form re-renders as a page naming the field, and stores nothing.
    let r = env
        .call(form(
            "/evidence",
            &ej,
            &format!(
                "achievement=mc-student-management-1&narrative=&assessor={}",
                mentor_id(&env)
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.content_type().starts_with("text/html"));
    assert!(r.text().contains("narrative"));
    // A long write-up refused for another field comes back in the same form, filled in, with
    // the message beside the field it names.
    let write_up = "Week by week I ran a calm-down corner & kept a log. ".repeat(20);
    let r = env
        .call(form(
            "/evidence",
            &ej,
            &format!(
                "achievement=mc-student-management-1&narrative={}&url={}&assessor={}",
                urlenc(&write_up),
                urlenc("ftp://files.example/charter"),
                mentor_id(&env)
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("<form method=\"post\" action=\"/evidence\""),
        "{html}"
    );
    let typed = html
        .split("id=\"narrative\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split("</textarea").next())
        .expect("the narrative field");
    assert_eq!(
        typed,
        maud::html! { (write_up) }.into_string(),
        "the write-up is kept"
    );
    assert!(
        html.contains("value=\"ftp://files.example/charter\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"mc-student-management-1\" selected"),
        "{html}"
    );
    let beside = html
        .split("id=\"error-url\"")
        .nth(1)
        .expect("message beside the link field");
    assert!(
        beside.find("role=\"alert\"").is_some_and(|i| i < 30),
        "{beside}"
    );
    assert!(
        env.app
            .store()
            .submissions_for_educator(&jordan)
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
    let r = env
        .call(form(
            "/evidence",
            &ej,
            &format!(
                "achievement=mc-student-management-1&narrative={}&url=&assessor={}",
                urlenc("Calm-down corner and a class charter."),
                mentor_id(&env)
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.headers[header::LOCATION].to_str().expect("location");
    let notice = env.call(with_cookie(get(to), &ej)).await.text();
    assert!(notice.contains("id=\"notice\""));
    assert!(notice.contains("data-state=\"submitted\""));

    let em = sign_in(&env, MENTOR).await;
    let review = env.call(with_cookie(get("/review"), &em)).await.text();
    assert!(review.contains("Calm-down corner"));
    let sub_id = review
        .split("data-submission=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a submission on the review page")
        .to_owned();
    // Another educator cannot decide it through the form either.
    let r = env
        .call(form(
            &format!("/review/{sub_id}"),
            &ej,
            "decision=accept&comment=",
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = env
        .call(form(
            &format!("/review/{sub_id}"),
            &em,
            "decision=accept&comment=Solid",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.headers[header::LOCATION].to_str().expect("location");
    let done = env.call(with_cookie(get(to), &em)).await.text();
    assert!(done.contains("The credential was issued"), "{done}");
    assert!(holds(&env, &jordan, "mc-student-management-1").await);
    let dash = env.call(with_cookie(get("/dashboard"), &ej)).await.text();
    assert!(dash.contains("data-achievement=\"mc-student-management-1\""));
    // Signed-out visitors are sent to sign in.
    let r = env.call(get("/review")).await;
    assert!(r.status.is_redirection());
}

#[tokio::test]
async fn issuer_admin_pages_and_api() {
    let env = sqlite_env().await;
    let org = env.seed.org_id.clone();
    let ea = sign_in(&env, ADMIN).await;
    let admin = env.call(with_cookie(get("/admin"), &ea)).await;
    assert_eq!(admin.status, StatusCode::OK);
    let html = admin.text();
    for needle in [
        "Issuer admin",
        "Micro-credentials and certificates",
        "mc-student-management-1",
        "Bulk issue",
        "Rotate the signing key",
        "data-status=\"revoked\"",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    // Verifiers and educators have no admin page.
    let eh = sign_in(&env, HR).await;
    let r = env.call(with_cookie(get("/admin"), &eh)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Definitions: export as JSON and CASE; import refuses bad ones with paths and keeps the old.
    let r = env
        .call(get_auth(
            &format!("/api/v1/orgs/{org}/definitions"),
            &env.token(ISSUER),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut defs = r.json();
    let r = env
        .call(get_auth(
            &format!("/api/v1/orgs/{org}/definitions?format=case"),
            &env.token(ADMIN),
        ))
        .await;
    assert!(r.json().get("CFDocument").is_some());
    env.call(get_auth(
        &format!("/api/v1/orgs/{org}/definitions"),
        &env.token(HILLCREST_ADMIN),
    ))
    .await
    .problem(StatusCode::FORBIDDEN);
    let mut broken = defs.clone();
    broken["achievements"][0]["alignments"] = json!(["comp-does-not-exist"]);
    let r = env
        .call(json_req(
            Method::PUT,
            &format!("/api/v1/orgs/{org}/definitions"),
            Some(&env.token(ADMIN)),
            &broken,
        ))
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("comp-does-not-exist"),
        "{p}"
    );
    // An issuer may read but not replace definitions.
    env.call(json_req(
        Method::PUT,
        &format!("/api/v1/orgs/{org}/definitions"),
        Some(&env.token(ISSUER)),
        &defs,
    ))
    .await
    .problem(StatusCode::FORBIDDEN);
    defs["achievements"][0]["name"] = json!("Renamed by the admin");
    let r = env
        .call(json_req(
            Method::PUT,
            &format!("/api/v1/orgs/{org}/definitions"),
            Some(&env.token(ADMIN)),
            &defs,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let first_id = defs["achievements"][0]["id"].as_str().expect("id");
    assert_eq!(
        env.app
            .definitions(&org)
            .await
            .expect("defs")
            .achievement(first_id)
            .map(|a| a.name.clone())
            .as_deref(),
        Some("Renamed by the admin")
    );
    // The page form: a bad paste is refused with its path, nothing changes.
    let r = env
        .call(ea.multipart(
            "/admin/definitions",
            &[("definitions", None, "{\"framework\": 1}")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("role=\"alert\""));

    // Bulk issue through the API: one bad row is reported, the others issue.
    let size0 = env.tree_size().await;
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials/bulk",
            Some(&env.token(ISSUER)),
            &json!({"rows": [
                {"achievement": "mc-tools-1", "recipient": "new.one@riverside.example"},
                {"achievement": "mc-nope", "recipient": "new.two@riverside.example"},
                {"achievement": "mc-tools-1", "recipient": "not an email"},
                {"achievement": "mc-tools-1", "recipient": "new.three@riverside.example", "valid_until": "2031-01-01T00:00:00Z"}
            ]}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let out = r.json();
    assert_eq!(out["issued"], 2, "{out}");
    assert_eq!(out["results"][1]["field"], "achievement");
    assert_eq!(out["results"][2]["field"], "/rows/2/recipient");
    assert_eq!(env.tree_size().await, size0 + 2);
    env.call(json_req(
        Method::POST,
        "/api/v1/credentials/bulk",
        Some(&env.token(HR)),
        &json!({"rows": []}),
    ))
    .await
    .problem(StatusCode::FORBIDDEN);

    // Bulk issue through the page: a CSV with a bad line, progress page, per-line results.
    let csv = "achievement,recipient\nmc-tools-1,page.one@riverside.example\nmc-tools-1,\nmc-goal-setting-1,page.two@riverside.example\n";
    let r = env
        .call(ea.multipart(
            "/admin/bulk",
            &[
                ("rows", Some("rows.csv"), csv),
                ("suite", None, "eddsa-jcs-2022"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let job = r.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let mut page = String::new();
    for _ in 0..200 {
        page = env.call(with_cookie(get(&job), &ea)).await.text();
        if page.contains("id=\"summary\"") {
            break;
        }
        assert!(page.contains("<progress"), "{page}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        page.contains("2 issued, 1 not issued."),
        "the job finished with per-line results: {page}"
    );
    assert!(page.contains("achievement and recipient are both required"));
    // Another organization's admin cannot watch it.
    let eh2 = sign_in(&env, HILLCREST_ADMIN).await;
    let r = env.call(with_cookie(get(&job), &eh2)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Revoke from the page needs a reason; then the credential verifies as revoked.
    let valid = env.sample("valid");
    let r = env
        .call(form(
            &format!("/admin/credentials/{valid}/status"),
            &ea,
            "action=revoke&reason=",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = env
        .call(form(
            &format!("/admin/credentials/{valid}/status"),
            &eh2,
            "action=revoke&reason=mine",
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another organization");
    let r = env
        .call(form(
            &format!("/admin/credentials/{valid}/status"),
            &ea,
            "action=revoke&reason=Issued+in+error",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let cred = env.credential_json(&valid).await;
    assert_eq!(verdict(&env, &cred).await, "revoked");

    // Key rotation: new credentials use the new key, old ones still verify.
    let before = env.app.store().issuers(&org).await.expect("issuers");
    let keys_before = env
        .app
        .store()
        .issuer_keys(&before[0].id)
        .await
        .expect("keys")
        .len();
    let r = env.call(form("/admin/keys/rotate", &ea, "")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        env.app
            .store()
            .issuer_keys(&before[0].id)
            .await
            .expect("keys")
            .len(),
        keys_before + 1
    );
    let fresh = issue_via_api(&env, "mc-tools-1", "after.rotation@riverside.example").await
        ["verifiableCredential"]
        .clone();
    let r = env
        .call(json_req(Method::POST, "/api/v1/verify", None, &fresh))
        .await;
    assert_eq!(r.json()["verdict"], "valid", "{}", r.text());
    // The revoked sample was signed by the retired key: its proof still verifies, so it reads as
    // revoked, not tampered.
    let old = env.credential_json(&valid).await;
    assert_ne!(
        old["proof"]["verificationMethod"],
        fresh["proof"]["verificationMethod"]
    );
    assert_eq!(verdict(&env, &old).await, "revoked");

    // The CLR wallet of an educator: the educator and the issuer may read it, others not. The
    // demo's expired sample must be past its expiry first, or it could be bundled as valid and
    // expire before the bundle is verified.
    let_expire(&env).await;
    let jordan = env.educator_id(JORDAN);
    let r = env
        .call(get_auth(
            &format!("/api/v1/educators/{jordan}/clr"),
            &env.token(JORDAN),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let clr = r.json();
    assert!(clr["type"]
        .as_array()
        .is_some_and(|t| t.contains(&json!("ClrCredential"))));
    let r = env
        .call(json_req(Method::POST, "/api/v1/verify", None, &clr))
        .await;
    assert_eq!(r.json()["verdict"], "valid", "{}", r.text());
    env.call(get_auth(
        &format!("/api/v1/educators/{jordan}/clr"),
        &env.token(AVERY),
    ))
    .await
    .problem(StatusCode::FORBIDDEN);
    assert!(env.app.store().audit().await.expect("audit").is_ok());
}

#[tokio::test]
async fn framework_refusals_are_problem_json() {
    let env = sqlite_env().await;
    // Wrong method.
    let r = env
        .call(
            Request::builder()
                .method(Method::DELETE)
                .uri("/healthz")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(
        r.problem(StatusCode::METHOD_NOT_ALLOWED)["code"],
        "method_not_allowed"
    );
    // A form missing its field (axum's own rejection) keeps its explanation.
    let r = env
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("nothing=here"))
                .expect("request"),
        )
        .await;
    let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["detail"].as_str().unwrap_or("").contains("token"), "{p}");
    // A form sent as the wrong content type.
    let r = env
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/login")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("token=x"))
                .expect("request"),
        )
        .await;
    r.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A multipart page posted without multipart.
    let r = env
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/verify/bulk")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .expect("request"),
        )
        .await;
    let status = r.status;
    assert!(status.is_client_error());
    r.problem(status);
    // A bad query string.
    let r = env.call(get("/api/v1/log/consistency?from=one&to=2")).await;
    r.problem(StatusCode::BAD_REQUEST);
    // The new endpoints are documented.
    let doc = env.call(get("/openapi.json")).await.json();
    for path in [
        "/api/v1/evidence",
        "/api/v1/evidence/{id}/decision",
        "/api/v1/endorsements",
        "/api/v1/orgs/{org}/definitions",
        "/api/v1/credentials/bulk",
        "/api/v1/educators/{id}/clr",
        "/api/v1/issuers/{id}/keys",
        "/api/v1/issuers/{id}/keys/rotate",
        "/api/v1/log/audit",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} is not in the OpenAPI document"
        );
    }
}

#[tokio::test]
async fn a_request_over_the_time_limit_gets_a_retryable_problem() {
    use tower::ServiceExt;
    let slow = axum::Router::new().route(
        "/slow",
        axum::routing::get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "late"
        }),
    );
    let app = pathledger_server::harden(slow, std::time::Duration::from_millis(50));
    let resp = app
        .oneshot(get("/slow"))
        .await
        .expect("router is infallible");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .expect("body")
        .to_bytes();
    let p: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(p["code"], "unavailable");
    assert_eq!(p["retryable"], true);
}

#[tokio::test]
async fn verifiers_search_opted_in_educators_by_role_or_credential() {
    let env = sqlite_env().await;
    let count = |html: &str| -> usize {
        html.split("id=\"result-count\">")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no result count: {html}"))
    };
    let eh = sign_in(&env, HR).await;
    let html = env
        .call(with_cookie(
            get("/communities?role=role-integrator-specialist&credential="),
            &eh,
        ))
        .await
        .text();
    assert_eq!(count(&html), 1, "{html}");
    assert!(html.contains("Morgan Lee"));
    let html = env
        .call(with_cookie(
            get("/communities?role=&credential=mc-goal-setting-1"),
            &eh,
        ))
        .await
        .text();
    let members = html.split("id=\"members\"").nth(1).expect("table");
    assert_eq!(count(&html), 2, "{html}");
    assert!(members.contains("Avery Thompson") && members.contains("Morgan Lee"));
    // Jordan did not opt in and is never listed, whatever the search.
    let html = env
        .call(get("/communities?credential=mc-tools-1"))
        .await
        .text();
    assert!(!html.contains("Jordan Rivera"));
    let r = env.call(get("/communities?role=role-nope")).await;
    assert_eq!(r.problem(StatusCode::UNPROCESSABLE_ENTITY)["field"], "role");
}

#[tokio::test]
async fn keys_and_audit_through_the_api() {
    let env = sqlite_env().await;
    let issuer = env.seed.issuer_id.clone();
    let keys_uri = format!("/api/v1/issuers/{issuer}/keys");
    let r = env.call(get_auth(&keys_uri, &env.token(ISSUER))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let before = r.json()["keys"].as_array().expect("keys").clone();
    assert!(!before.is_empty());
    assert!(
        !r.text().to_lowercase().contains("seed") && !r.text().contains("private"),
        "no private material: {}",
        r.text()
    );
    for who in [HR, JORDAN, HILLCREST_ADMIN] {
        env.call(get_auth(&keys_uri, &env.token(who)))
            .await
            .problem(StatusCode::FORBIDDEN);
    }
    let rotate = format!("/api/v1/issuers/{issuer}/keys/rotate");
    for who in [ISSUER, HILLCREST_ADMIN] {
        env.call(json_req(
            Method::POST,
            &rotate,
            Some(&env.token(who)),
            &json!({}),
        ))
        .await
        .problem(StatusCode::FORBIDDEN);
    }
    let size = env.tree_size().await;
    let r = env
        .call(json_req(
            Method::POST,
            &rotate,
            Some(&env.token(ADMIN)),
            &json!({}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let new_key = r.json();
    assert_eq!(new_key["state"], "current");
    assert_eq!(env.tree_size().await, size + 1, "rotation is a log leaf");
    let after = env
        .call(get_auth(&keys_uri, &env.token(ADMIN)))
        .await
        .json()["keys"]
        .as_array()
        .expect("keys")
        .clone();
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(
        after.iter().filter(|k| k["state"] == "current").count(),
        1,
        "{after:?}"
    );
    // The DID document lists the new key and keeps the old ones.
    let did = env
        .call(get(&format!("/issuers/{issuer}/did.json")))
        .await
        .json();
    for k in &after {
        assert!(
            did.to_string()
                .contains(k["publicKeyMultibase"].as_str().expect("multibase")),
            "{did}"
        );
    }

    let r = env
        .call(get_auth("/api/v1/log/audit", &env.token(ADMIN)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["ok"], true, "{}", r.text());
    assert_eq!(r.json()["report"]["tree_size"], env.tree_size().await);
    env.call(get_auth("/api/v1/log/audit", &env.token(HR)))
        .await
        .problem(StatusCode::FORBIDDEN);
    env.call(get("/api/v1/log/audit"))
        .await
        .problem(StatusCode::UNAUTHORIZED);
}

/// An assessor's "accept" and "return" racing on one submission: whichever wins, a returned
/// submission never leaves a valid credential behind, and an accepted one leaves exactly one.
#[tokio::test]
async fn racing_accept_and_return_never_leave_a_credential_for_a_returned_submission() {
    let env = sqlite_env().await;
    let jordan = env.educator_id(JORDAN);
    let defs = env.app.definitions(&env.seed.org_id).await.expect("defs");
    let (state, _) = env.app.educator_state(&jordan).await.expect("state");
    let candidates: Vec<String> = defs
        .achievements()
        .iter()
        .filter(|a| a.id.as_str().starts_with("mc-") && !state.holds(a.id.as_str()))
        .map(|a| a.id.as_str().to_owned())
        .take(6)
        .collect();
    assert!(candidates.len() >= 4, "{candidates:?}");
    let (mut accepted, mut returned) = (0, 0);
    for ach in &candidates {
        let r = submit(&env, JORDAN, ach, "Evidence for the race.").await;
        assert_eq!(r.status, StatusCode::CREATED, "{ach}: {}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_owned();
        let (a, b) = tokio::join!(
            decide(&env, MENTOR, &id, json!({"decision": "accept"})),
            decide(
                &env,
                MENTOR,
                &id,
                json!({"decision": "return", "comment": "Please add a reflection."})
            )
        );
        let ok = [a.status, b.status]
            .iter()
            .filter(|s| **s == StatusCode::OK)
            .count();
        assert_eq!(
            ok,
            1,
            "exactly one decision wins: {} / {}",
            a.text(),
            b.text()
        );
        let state = env
            .call(get_auth(
                &format!("/api/v1/evidence/{id}"),
                &env.token(JORDAN),
            ))
            .await
            .json()["state"]
            .as_str()
            .expect("state")
            .to_owned();
        let valid = holds(&env, &jordan, ach).await;
        match state.as_str() {
            "accepted" => {
                accepted += 1;
                assert!(valid, "{ach}: accepted without a valid credential");
            }
            "returned" => {
                returned += 1;
                assert!(!valid, "{ach}: returned but a valid credential stands");
            }
            other => panic!("undecided: {other}"),
        }
    }
    assert_eq!(accepted + returned, candidates.len());
    assert!(env.app.store().audit().await.expect("audit").is_ok());
}

#[tokio::test]
async fn credential_pages_carry_a_qr_code_of_their_verify_link() {
    let env = sqlite_env().await;
    let id = env.sample("valid");
    let html = env.call(get(&format!("/credentials/{id}"))).await.text();
    let qr = html
        .split("<svg class=\"qr\"")
        .nth(1)
        .expect("a QR code on the credential page");
    let link = format!("{PUBLIC_URL}/verify?id={}", id.replace(':', "%3A"));
    assert!(
        qr.contains(&format!("aria-label=\"QR code linking to {link}\"")),
        "{qr}"
    );
    // A version-2+ symbol (25+ modules a side) with dark modules drawn.
    let size: u32 = qr
        .split("data-qr-size=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("size");
    assert!(size >= 25, "{size}");
    assert!(qr.matches("h1v1h-1z").count() > (size * size / 4) as usize);
    // The link opens the verify page with this credential's report.
    let path = link.trim_start_matches(PUBLIC_URL);
    let page = env.call(get(path)).await.text();
    assert!(page.contains("verdict-valid"), "{page}");
}

#[tokio::test]
async fn credential_pages_offer_their_inclusion_proof_for_download() {
    let env = sqlite_env().await;
    let id = env.sample("valid");
    let html = env.call(get(&format!("/credentials/{id}"))).await.text();
    let href = format!("/api/v1/log/credentials/{id}/bundle");
    assert!(
        html.contains(&format!("href=\"{href}\" download")),
        "{html}"
    );
    let r = env.call(get(&href)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let bundle: Value = serde_json::from_str(&r.text()).expect("JSON");
    assert_eq!(bundle["format"], "pathledger-inclusion-proof/v1");
    assert_eq!(bundle["credential_id"], id.as_str());
    // Each event's audit path leads to the checkpoint's root, which the log key signed.
    let log = pathledger_log::NoteVerifier::parse(bundle["log_key"].as_str().unwrap()).unwrap();
    let note = pathledger_log::Note::parse(bundle["checkpoint"].as_str().unwrap()).unwrap();
    note.verify(std::slice::from_ref(&log))
        .expect("signed by the log");
    let cp = pathledger_log::Checkpoint::parse(&note.text).unwrap();
    let events = bundle["events"].as_array().expect("events");
    assert_eq!(events[0]["event"], "issue");
    for e in events {
        let mut leaf = [0u8; 32];
        hex::decode_to_slice(e["leaf_hash"].as_str().unwrap(), &mut leaf).unwrap();
        assert_eq!(
            leaf,
            pathledger_log::leaf_hash(e["data"].as_str().unwrap().as_bytes())
        );
        let proof: Vec<[u8; 32]> = e["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(h.as_str().unwrap(), &mut out).unwrap();
                out
            })
            .collect();
        pathledger_log::verify_inclusion(
            e["index"].as_u64().unwrap(),
            cp.size,
            &leaf,
            &proof,
            &cp.root,
        )
        .expect("included");
    }
}
