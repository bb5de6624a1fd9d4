//! The data subject's rights, tried from both sides on SQLite and PostgreSQL: an educator
//! downloads everything stored about them (their own record only; another educator, a verifier
//! and another organization's admin are refused), asks for deletion, and an org admin of the
//! record's organization carries it out (another organization's admin cannot). Afterwards
//! nothing of the person remains but ids and hashes: the record, identifiers, facts, submissions
//! and credential records are gone, the account loses its link, the credentials were revoked
//! first (their status lists say so), and the log still resolves them and passes its audit.

mod common;

use axum::http::{header, Method, StatusCode};
use common::*;
use pathledger_badges::status::StatusList;
use serde_json::{json, Value};

async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestEnv) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    test(sqlite_env().await).await;
    if let Some(env) = postgres_env().await {
        test(env).await;
    }
}

fn export_uri(educator: &str) -> String {
    format!("/api/v1/educators/{educator}/export")
}

/// Whether the status list bit of the credential's revocation entry is set, read from the
/// served status list credential.
async fn revoked_in_list(env: &TestEnv, doc: &Value) -> bool {
    let entries = match &doc["credentialStatus"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let entry = entries
        .iter()
        .find(|e| e["statusPurpose"] == "revocation")
        .expect("revocation entry");
    let url = entry["statusListCredential"].as_str().expect("list URL");
    let index: u64 = entry["statusListIndex"]
        .as_str()
        .expect("index")
        .parse()
        .expect("numeric index");
    let path = url.strip_prefix(PUBLIC_URL).expect("our own list");
    let r = env.call(get(path)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let encoded = r.json()["credentialSubject"]["encodedList"]
        .as_str()
        .expect("encodedList")
        .to_owned();
    StatusList::decode(&encoded)
        .expect("list decodes")
        .get(index)
        .expect("index in range")
}

#[tokio::test]
async fn export_is_for_the_educator_and_their_org_admin_only() {
    on_both(|env| async move {
        let jordan = env.educator_id(JORDAN);
        issue_via_api(&env, "mc-tools-1", JORDAN).await;
        let held = env
            .app
            .store()
            .credentials_for_educator(&jordan)
            .await
            .unwrap();
        assert!(!held.is_empty());

        let r = env
            .call(get_auth(&export_uri(&jordan), &env.token(JORDAN)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let disposition = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        let data = r.json();
        assert_eq!(data["educator"]["id"], jordan.as_str());
        assert!(data["identifiers"]
            .as_array()
            .unwrap()
            .contains(&json!(JORDAN)));
        assert!(data["facts"].is_array() && data["evidence_submissions"].is_array());
        assert!(data["privacy_requests"].is_array());
        let creds = data["credentials"].as_array().unwrap();
        assert_eq!(creds.len(), held.len());
        for rec in &held {
            let c = creds.iter().find(|c| c["id"] == rec.id.as_str()).unwrap();
            // The exact signed bytes, not a re-serialization.
            assert_eq!(c["document"], rec.document.as_str());
        }

        // The educator's own session works too; the org admin of the record's organization too.
        let s = sign_in(&env, JORDAN).await;
        assert_eq!(
            env.call(s.get(&export_uri(&jordan))).await.status,
            StatusCode::OK
        );
        let r = env
            .call(get_auth(&export_uri(&jordan), &env.token(ADMIN)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());

        // From the wrong side: another educator, a verifier, another organization's admin.
        for who in [AVERY, HR, HILLCREST_ADMIN] {
            let r = env
                .call(get_auth(&export_uri(&jordan), &env.token(who)))
                .await;
            r.problem(StatusCode::FORBIDDEN);
        }
        let r = env.call(get(&export_uri(&jordan))).await;
        r.problem(StatusCode::UNAUTHORIZED);
        let doc = env.call(get("/openapi.json")).await.json();
        assert!(doc["paths"]["/api/v1/educators/{id}/export"]["get"].is_object());
        let r = env
            .call(get_auth(&export_uri("edu_nobody"), &env.token(ADMIN)))
            .await;
        r.problem(StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn deletion_is_asked_by_the_educator_and_carried_out_by_their_org_admin() {
    on_both(|env| async move {
        let store = env.app.store();
        let jordan = env.educator_id(JORDAN);
        let org = env.account(JORDAN).org_id.clone();
        let hillcrest = env.account(HILLCREST_ADMIN).org_id.clone();
        issue_via_api(&env, "mc-tools-1", JORDAN).await;
        let held = store.credentials_for_educator(&jordan).await.unwrap();
        assert!(!held.is_empty());
        let docs: Vec<(String, Value)> = held
            .iter()
            .map(|c| (c.id.clone(), serde_json::from_str(&c.document).unwrap()))
            .collect();
        let display_name = store.educator(&jordan).await.unwrap().display_name;

        // Only the educator asks.
        let ask = format!("/api/v1/educators/{jordan}/deletion-request");
        for who in [AVERY, ADMIN, HILLCREST_ADMIN] {
            let r = env
                .call(json_req(
                    Method::POST,
                    &ask,
                    Some(&env.token(who)),
                    &json!({}),
                ))
                .await;
            r.problem(StatusCode::FORBIDDEN);
        }
        let r = env
            .call(json_req(
                Method::POST,
                &ask,
                Some(&env.token(JORDAN)),
                &json!({"reason": 5}),
            ))
            .await;
        assert!(r.status.is_client_error(), "{}", r.text());
        assert!(r.text().contains("reason"), "{}", r.text());

        // From the dashboard's form, with the session's token.
        let s = sign_in(&env, JORDAN).await;
        let page = env.call(s.get("/dashboard")).await.text();
        assert!(
            page.contains("action=\"/dashboard/deletion-request\""),
            "{page}"
        );
        assert!(page.contains(&format!("/api/v1/educators/{jordan}/export")));
        let r = env
            .call(s.form(
                "/dashboard/deletion-request",
                &format!("educator={jordan}&reason=moving+on"),
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let page = env.call(s.get("/dashboard")).await.text();
        assert!(page.contains("You asked for this record to be deleted"));
        // One pending request at a time.
        let r = env
            .call(json_req(
                Method::POST,
                &ask,
                Some(&env.token(JORDAN)),
                &json!({}),
            ))
            .await;
        r.problem(StatusCode::CONFLICT);

        // Listing is for org admins of the organization.
        let list = format!("/api/v1/orgs/{org}/deletion-requests");
        for who in [JORDAN, HR, HILLCREST_ADMIN] {
            let r = env.call(get_auth(&list, &env.token(who))).await;
            r.problem(StatusCode::FORBIDDEN);
        }
        let r = env.call(get_auth(&list, &env.token(ADMIN))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let reqs = r.json()["deletion_requests"].as_array().unwrap().clone();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0]["state"], "pending");
        assert_eq!(reqs[0]["reason"], "moving on");
        let req_id = reqs[0]["id"].as_str().unwrap().to_owned();

        // Another organization's admin cannot carry it out: not through ours (403), not
        // through theirs (404); nor can the educator or a verifier.
        let ours = format!("/api/v1/orgs/{org}/deletion-requests/{req_id}/carry-out");
        let theirs = format!("/api/v1/orgs/{hillcrest}/deletion-requests/{req_id}/carry-out");
        let r = env
            .call(json_req(
                Method::POST,
                &ours,
                Some(&env.token(HILLCREST_ADMIN)),
                &json!({}),
            ))
            .await;
        r.problem(StatusCode::FORBIDDEN);
        let r = env
            .call(json_req(
                Method::POST,
                &theirs,
                Some(&env.token(HILLCREST_ADMIN)),
                &json!({}),
            ))
            .await;
        r.problem(StatusCode::NOT_FOUND);
        for who in [JORDAN, HR] {
            let r = env
                .call(json_req(
                    Method::POST,
                    &ours,
                    Some(&env.token(who)),
                    &json!({}),
                ))
                .await;
            r.problem(StatusCode::FORBIDDEN);
        }
        assert!(
            store.educator(&jordan).await.is_ok(),
            "refusals changed nothing"
        );

        // The org admin carries it out from the admin page's form.
        let a = sign_in(&env, ADMIN).await;
        let page = env.call(a.get("/admin")).await.text();
        let action = format!("/admin/deletion-requests/{req_id}/carry-out");
        assert!(page.contains(&action), "{page}");
        let r = env.call(a.form(&action, "")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

        // Nothing of the person remains.
        assert!(store.educator(&jordan).await.is_err());
        let r = env
            .call(get_auth(&export_uri(&jordan), &env.token(ADMIN)))
            .await;
        r.problem(StatusCode::NOT_FOUND);
        assert!(store
            .educators_with_email(JORDAN)
            .await
            .unwrap()
            .iter()
            .all(|e| e.id.as_str() != jordan));
        assert!(store.facts(&jordan).await.unwrap().is_empty());
        assert!(store
            .submissions_for_educator(&jordan)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .credentials_for_educator(&jordan)
            .await
            .unwrap()
            .is_empty());
        let user = store.user(&env.account(JORDAN).user_id).await.unwrap();
        assert!(!user.is_educator(&jordan), "the account keeps no link");
        let reqs = env.call(get_auth(&list, &env.token(ADMIN))).await.json();
        let done = &reqs["deletion_requests"][0];
        assert_eq!(done["state"], "done");
        assert!(done["reason"].is_null(), "{done}");

        // The log is intact: it audits, still resolves each credential (issue, then the
        // revocation), and holds neither the email nor the name.
        let audit = store.audit().await.unwrap();
        assert!(audit.is_ok(), "{:?}", audit.problems);
        for (id, doc) in &docs {
            let entries = store.log_entries_for_credential(id).await.unwrap();
            assert!(
                entries.iter().any(|e| e.event == "revoke"),
                "{id}: {entries:?}"
            );
            assert!(
                revoked_in_list(&env, doc).await,
                "{id} is revoked in its list"
            );
        }
        let size = store.log_size().await.unwrap();
        let entries = store.log_entries(0, size as u32).await.unwrap();
        for e in &entries {
            assert!(
                !e.data.contains(JORDAN),
                "log entry {} holds the email",
                e.index
            );
            assert!(
                !e.data.contains(&display_name),
                "log entry {} holds the name",
                e.index
            );
        }

        // Carried out once: again is not found.
        let r = env
            .call(json_req(
                Method::POST,
                &ours,
                Some(&env.token(ADMIN)),
                &json!({}),
            ))
            .await;
        r.problem(StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn a_declined_request_says_why_and_can_be_asked_again() {
    on_both(|env| async move {
        let avery = env.educator_id(AVERY);
        let org = env.account(AVERY).org_id.clone();
        let ask = format!("/api/v1/educators/{avery}/deletion-request");
        let r = env
            .call(json_req(
                Method::POST,
                &ask,
                Some(&env.token(AVERY)),
                &json!({}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_owned();
        let decline = format!("/api/v1/orgs/{org}/deletion-requests/{id}/decline");
        let r = env
            .call(json_req(
                Method::POST,
                &decline,
                Some(&env.token(HILLCREST_ADMIN)),
                &json!({"reason": "no"}),
            ))
            .await;
        r.problem(StatusCode::FORBIDDEN);
        let r = env
            .call(json_req(
                Method::POST,
                &decline,
                Some(&env.token(ADMIN)),
                &json!({"reason": " "}),
            ))
            .await;
        let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], "reason", "{p}");
        let r = env
            .call(json_req(
                Method::POST,
                &decline,
                Some(&env.token(ADMIN)),
                &json!({"reason": "credentials under audit until June"}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["state"], "declined");
        assert!(env.app.store().educator(&avery).await.is_ok());
        let data = env
            .call(get_auth(&export_uri(&avery), &env.token(AVERY)))
            .await
            .json();
        assert_eq!(data["privacy_requests"][0]["state"], "declined");
        let r = env
            .call(json_req(
                Method::POST,
                &ask,
                Some(&env.token(AVERY)),
                &json!({}),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    })
    .await;
}
