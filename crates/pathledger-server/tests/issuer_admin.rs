//! The issuer admin's pages in-process (issue 21): the credential list (search, pages, another
//! organization's admin and a signed-out visitor refused), confirmation before a status change
//! or a key rotation, the framework edited through forms with what changed in words and two
//! versions compared, a bulk run's failures first with their CSV and its results after a
//! restart; the anonymous home page, a role page and the public credential page with its
//! LinkedIn link.

mod common;

use axum::http::{header, Method, StatusCode};
use common::*;
use serde_json::json;

/// Issues `n` credentials of `achievement` to fresh addresses through the bulk API.
async fn issue_many(env: &TestEnv, achievement: &str, n: usize, prefix: &str) {
    let rows: Vec<_> = (0..n)
        .map(|i| json!({"achievement": achievement, "recipient": format!("{prefix}.{i}@riverside.example")}))
        .collect();
    let r = env
        .call(json_req(
            Method::POST,
            "/api/v1/credentials/bulk",
            Some(&env.token(ADMIN)),
            &json!({"rows": rows}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["issued"], n as u64, "{}", r.text());
}

/// The credential ids a list page shows, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("data-credential=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_owned))
        .collect()
}

async fn list_searches_and_pages(env: &TestEnv) {
    let admin = sign_in(env, ADMIN).await;
    issue_many(env, "mc-tools-1", 30, "paging").await;
    let first = env.call(admin.get("/admin/credentials")).await;
    assert_eq!(first.status, StatusCode::OK);
    let html = first.text();
    let ids = listed(&html);
    assert_eq!(ids.len(), 25, "a bounded page");
    // Full ids, the recipient, the achievement's name and the issued date are shown.
    assert!(html.contains(&format!(">{}</code>", ids[0])), "{html}");
    assert!(html.contains("paging.29@riverside.example"), "newest first");
    assert!(html.contains("Tools 1") || html.contains("Tools"), "{html}");
    assert!(html.contains(" UTC</td>"), "issued dates");
    assert!(html.contains("Page 1 of "), "{html}");
    let second = env
        .call(admin.get("/admin/credentials?page=2"))
        .await
        .text();
    let ids2 = listed(&second);
    assert!(
        !ids2.is_empty() && ids2.iter().all(|i| !ids.contains(i)),
        "pages do not overlap"
    );
    // A stable order: the same page twice is the same list.
    assert_eq!(
        listed(
            &env.call(admin.get("/admin/credentials?page=2"))
                .await
                .text()
        ),
        ids2
    );
    // Out of range or not a number: the last or first page, never an error.
    let last = env.call(admin.get("/admin/credentials?page=9999")).await;
    assert_eq!(last.status, StatusCode::OK);
    assert!(!listed(&last.text()).is_empty());
    assert_eq!(
        listed(
            &env.call(admin.get("/admin/credentials?page=x"))
                .await
                .text()
        ),
        ids
    );

    // Search by recipient email, by name, by achievement name, by id fragment.
    let by_mail = env
        .call(admin.get("/admin/credentials?q=paging.7%40riverside"))
        .await
        .text();
    assert_eq!(listed(&by_mail).len(), 1, "{by_mail}");
    assert!(by_mail.contains("1 of 1 matching"), "{by_mail}");
    let jordan = env.account(JORDAN).name.clone();
    let by_name = env
        .call(admin.get(&format!(
            "/admin/credentials?q={}",
            jordan.split(' ').next().unwrap()
        )))
        .await
        .text();
    assert!(
        !listed(&by_name).is_empty() && !by_name.contains("paging."),
        "{by_name}"
    );
    let defs = env.app.definitions(&env.seed.org_id).await.expect("defs");
    let tools = defs
        .achievement("mc-tools-1")
        .expect("mc-tools-1")
        .name
        .clone();
    let by_achievement = env
        .call(admin.get(&format!("/admin/credentials?q={}", tools.replace(' ', "+"))))
        .await
        .text();
    assert!(listed(&by_achievement).len() >= 25, "{by_achievement}");
    let valid = env.sample("valid");
    let fragment = &valid[valid.len() - 12..];
    let by_id = env
        .call(admin.get(&format!("/admin/credentials?q={fragment}")))
        .await
        .text();
    assert_eq!(listed(&by_id), vec![valid.clone()]);
    // LIKE's wildcards are only characters here.
    let wild = env.call(admin.get("/admin/credentials?q=%25")).await.text();
    assert!(listed(&wild).is_empty(), "{wild}");
    assert!(wild.contains("No credential matches"), "{wild}");

    // Another organization's admin sees only their own; a visitor is sent to sign in.
    let other = sign_in(env, HILLCREST_ADMIN).await;
    let theirs = env
        .call(other.get("/admin/credentials?q=paging"))
        .await
        .text();
    assert!(listed(&theirs).is_empty(), "{theirs}");
    let anon = env.call(get("/admin/credentials")).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert_eq!(anon.headers[header::LOCATION], "/login");
    // The store's search on its own, on this backend.
    let page = env
        .app
        .store()
        .search_credentials(&env.seed.org_id, Some("PAGING.1"), &[], 100, 0)
        .await
        .expect("search");
    assert_eq!(page.total, 11, "paging.1 and paging.10 … paging.19");
    assert!(page.rows.iter().all(|r| r
        .holder_email
        .as_deref()
        .is_some_and(|e| e.starts_with("paging.1"))));
}

#[tokio::test]
async fn credential_list_searches_and_pages_sqlite() {
    list_searches_and_pages(&sqlite_env().await).await;
}

#[tokio::test]
async fn credential_list_searches_and_pages_postgres() {
    if let Some(env) = postgres_env().await {
        list_searches_and_pages(&env).await;
    }
}

#[tokio::test]
async fn status_changes_and_key_rotation_ask_first() {
    let env = sqlite_env().await;
    let admin = sign_in(&env, ADMIN).await;
    let valid = env.sample("valid");
    let uri = format!("/admin/credentials/{valid}/status");
    // The list links to a confirmation page, which changes nothing.
    let list = env.call(admin.get("/admin/credentials")).await.text();
    assert!(
        list.contains(&format!("href=\"{uri}?action=revoke\"")),
        "{list}"
    );
    let confirm = env.call(admin.get(&format!("{uri}?action=revoke"))).await;
    assert_eq!(confirm.status, StatusCode::OK);
    let html = confirm.text();
    assert!(html.contains("Revoke this credential?"), "{html}");
    assert!(html.contains("cannot be undone"), "{html}");
    assert!(html.contains(&valid), "{html}");
    assert!(html.contains(&format!("action=\"{uri}\"")), "{html}");
    assert_eq!(
        env.app
            .store()
            .credential(&valid)
            .await
            .unwrap()
            .status
            .as_str(),
        "active"
    );
    // Confirmed without a reason: the same page, the message beside the field.
    let r = env.call(admin.form(&uri, "action=revoke&reason=++")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("id=\"error-reason\""), "{html}");
    assert!(html.contains("Revoke this credential?"), "{html}");
    // Another organization's admin and a visitor cannot even see the step.
    let other = sign_in(&env, HILLCREST_ADMIN).await;
    assert_eq!(
        env.call(other.get(&format!("{uri}?action=revoke")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        env.call(get(&format!("{uri}?action=revoke"))).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        env.call(admin.get(&format!("{uri}?action=explode")))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Confirmed with a reason: done, and said so on the admin page.
    let r = env
        .call(admin.form(&uri, "action=revoke&reason=Issued+in+error"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        env.app
            .store()
            .credential(&valid)
            .await
            .unwrap()
            .status
            .as_str(),
        "revoked"
    );

    // Key rotation: the admin page links to a confirmation naming the issuer and current key.
    let page = env.call(admin.get("/admin")).await.text();
    assert!(page.contains("href=\"/admin/keys/rotate\""), "{page}");
    assert!(
        !page.contains("action=\"/admin/keys/rotate\""),
        "no one-click rotation"
    );
    let keys = env
        .app
        .store()
        .issuer_keys(&env.seed.issuer_id)
        .await
        .unwrap();
    let current = keys.iter().find(|k| k.active).unwrap().id.clone();
    let confirm = env.call(admin.get("/admin/keys/rotate")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    let html = confirm.text();
    assert!(
        html.contains("Rotate the signing key?") && html.contains(&current),
        "{html}"
    );
    assert!(html.contains("action=\"/admin/keys/rotate\""), "{html}");
    assert_eq!(
        env.app
            .store()
            .issuer_keys(&env.seed.issuer_id)
            .await
            .unwrap()
            .len(),
        keys.len(),
        "asking rotates nothing"
    );
    // An issuer who is not an org admin is refused.
    let issuer = sign_in(&env, ISSUER).await;
    assert_eq!(
        env.call(issuer.get("/admin/keys/rotate")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_framework_is_edited_through_forms_sqlite() {
    framework_forms(&sqlite_env().await).await;
}

#[tokio::test]
async fn the_framework_is_edited_through_forms_postgres() {
    if let Some(env) = postgres_env().await {
        framework_forms(&env).await;
    }
}

async fn framework_forms(env: &TestEnv) {
    let admin = sign_in(env, ADMIN).await;
    let defs = env.app.definitions(&env.seed.org_id).await.expect("defs");
    let a = defs.achievements()[0].clone();
    let id = a.id.as_str().to_owned();
    let form = env
        .call(admin.get(&format!("/admin/framework/achievements/{id}")))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(
        html.contains("for=\"field-name\"") && html.contains(&a.name),
        "{html}"
    );
    // The admin page links to every form.
    let page = env.call(admin.get("/admin")).await.text();
    assert!(page.contains(&format!("href=\"/admin/framework/achievements/{id}\"")));
    assert!(page.contains("href=\"/admin/framework/stacks/new\""));
    assert!(page.contains("href=\"/admin/framework/roles/new\""));

    // An empty name: the same form, the message beside the name, the new criteria kept.
    let aligned: String = a
        .alignments
        .iter()
        .map(|c| format!("&alignments={}", c.as_str()))
        .collect();
    let body = |name: &str, criteria: &str| {
        format!(
            "original={id}&id={id}&name={name}&description=D&criteria={criteria}&achievement_type=MicroCredential{aligned}&required_evidence=work_sample&validity="
        )
    };
    let r = env
        .call(admin.form("/admin/framework/achievements", &body("", "Keep+this+text")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("id=\"error-name\""), "{html}");
    assert!(html.contains("Keep this text"), "input kept: {html}");
    // A bad number of days, beside its field.
    let r = env
        .call(admin.form(
            "/admin/framework/achievements",
            &body("N", "C").replace("validity=", "validity=soon"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("id=\"error-validity\""));
    // A competency that does not exist: refused by validation, beside the alignments.
    let r = env
        .call(admin.form(
            "/admin/framework/achievements",
            &format!("{}&alignments=comp-nope", body("N", "C")),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("id=\"error-alignments\""), "{}", r.text());
    let versions_before = env.app.definition_versions(&env.seed.org_id).await.unwrap();

    // Saved: a new version, and the notice says what changed.
    let r = env
        .call(admin.form(
            "/admin/framework/achievements",
            &body(&a.name.replace(' ', "+"), "New+criteria"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let notice = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = format!("{}; {}", admin.cookie, notice.split(';').next().unwrap());
    let mut req = admin.get("/admin");
    req.headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    let html = env.call(req).await.text();
    let expected = format!(
        "Changed the description, criteria and required evidence of achievement “{}”",
        a.name
    );
    assert!(html.contains(&expected), "{html}");
    let defs2 = env.app.definitions(&env.seed.org_id).await.expect("defs");
    assert_eq!(defs2.achievement(&id).unwrap().criteria, "New criteria");

    // A new achievement, a stack with a bad number, a role renamed.
    let r = env
        .call(admin.form(
            "/admin/framework/achievements",
            "original=&id=mc-new-1&name=Family+Partnerships+1&description=Working+with+families&criteria=Run+two+family+conferences&achievement_type=MicroCredential&validity=365",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = env
        .call(admin.form(
            "/admin/framework/achievements",
            "original=&id=mc-new-1&name=Twice&achievement_type=MicroCredential",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an id taken");
    assert!(r.text().contains("id=\"error-id\""));
    let stack = defs.stacks()[0].clone();
    let r = env
        .call(admin.form(
            "/admin/framework/stacks",
            &format!(
                "original={0}&id={0}&name=S&min_electives=two",
                stack.id.as_str()
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("id=\"error-min_electives\""));
    let role = defs.roles()[0].clone();
    let form = env
        .call(admin.get(&format!("/admin/framework/roles/{}", role.id.as_str())))
        .await
        .text();
    assert!(form.contains("Requirements are kept as they are"), "{form}");
    let r = env
        .call(admin.form(
            "/admin/framework/roles",
            &format!(
                "original={0}&id={0}&name=Career+Changer&description={1}&kind=on_ramp&direction=entry&awards={2}",
                role.id.as_str(),
                role.description.replace(' ', "+"),
                role.awards.as_ref().map(|a| a.as_str()).unwrap_or("")
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let defs3 = env.app.definitions(&env.seed.org_id).await.expect("defs");
    assert_eq!(defs3.role(role.id.as_str()).unwrap().name, "Career Changer");
    assert_eq!(
        defs3.role(role.id.as_str()).unwrap().transitions,
        role.transitions,
        "requirements kept"
    );

    // Two versions compared, in words.
    let versions = env.app.definition_versions(&env.seed.org_id).await.unwrap();
    assert_eq!(versions.len(), versions_before.len() + 3);
    let (to, from) = (versions[0].0, versions_before[0].0);
    let html = env
        .call(admin.get(&format!("/admin/framework/versions?from={from}&to={to}")))
        .await
        .text();
    assert!(html.contains(&expected), "{html}");
    assert!(
        html.contains("Added achievement “Family Partnerships 1”"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "Changed the name of role “Career Changer” (formerly “{}”)",
            role.name
        )),
        "{html}"
    );
    let bad = env
        .call(admin.get("/admin/framework/versions?from=999&to=1"))
        .await
        .text();
    assert!(bad.contains("there is no version 999"), "{bad}");

    // Only org admins: an issuer is refused, a visitor sent to sign in; another organization's
    // admin edits only their own organization's definitions.
    let issuer = sign_in(env, ISSUER).await;
    assert_eq!(
        env.call(issuer.get(&format!("/admin/framework/achievements/{id}")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = env
        .call(issuer.form("/admin/framework/achievements", &body("X", "Y")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        env.call(get("/admin/framework/versions")).await.status,
        StatusCode::SEE_OTHER
    );
    let other = sign_in(env, HILLCREST_ADMIN).await;
    let r = env
        .call(other.form("/admin/framework/achievements", &body("Hijack", "Y")))
        .await;
    // Hillcrest edits its own copy of the achievement (if it defines one), never Riverside's.
    assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let after = env.app.definitions(&env.seed.org_id).await.expect("defs");
    assert_ne!(after.achievement(&id).unwrap().name, "Hijack");
}

async fn wait_for_job(env: &TestEnv, s: &Session, job: &str) -> String {
    for _ in 0..200 {
        let page = env.call(s.get(job)).await.text();
        if page.contains("id=\"summary\"") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job did not finish")
}

async fn bulk_results_survive_a_restart(env: &TestEnv) {
    let admin = sign_in(env, ADMIN).await;
    let csv = "achievement,recipient\nmc-tools-1,restart.one@riverside.example\nmc-nope,restart.two@riverside.example\nmc-tools-1,\nmc-tools-1,restart.three@riverside.example\n";
    let r = env
        .call(admin.multipart("/admin/bulk", &[("rows", Some("rows.csv"), csv)]))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let job = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    let page = wait_for_job(env, &admin, &job).await;
    assert!(page.contains("2 issued, 2 not issued."), "{page}");
    // The failures come first, with their CSV.
    let failures = page.find("id=\"bulk-failures\"").expect("failures");
    let issued = page.find("id=\"bulk-results\"").expect("issued");
    assert!(failures < issued, "failures lead");
    assert!(
        page.contains(&format!("href=\"{job}/failed.csv\"")),
        "{page}"
    );
    let csv = env.call(admin.get(&format!("{job}/failed.csv"))).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "achievement,recipient,line,reason");
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with("mc-nope,restart.two@riverside.example,3,"),
        "{text}"
    );
    assert!(
        lines[2].starts_with(",,4,") && lines[2].contains("both required"),
        "{text}"
    );

    // A new application over the same database (a restart) shows the same results.
    let url = match env.postgres_url() {
        Some(u) => u.to_owned(),
        None => format!("sqlite:{}", env.sqlite_path().unwrap().display()),
    };
    let restarted = pathledger_server::App::open(pathledger_server::AppConfig {
        database_url: url,
        kek: env.kek.clone(),
        public_url: PUBLIC_URL.into(),
        trusted_issuers: Vec::new(),
        fetch: Default::default(),
        host_issuer: None,
        mail: env.mail_config(),
    })
    .await
    .expect("reopen");
    let again = call(&restarted, admin.get(&job)).await;
    assert_eq!(again.status, StatusCode::OK);
    let again = again.text();
    assert!(again.contains("2 issued, 2 not issued."), "{again}");
    assert!(again.contains("restart.two@riverside.example"), "{again}");
    let csv2 = call(&restarted, admin.get(&format!("{job}/failed.csv")))
        .await
        .text();
    assert_eq!(csv2, text);
    // Another organization's admin cannot read it; an unknown job is 404.
    let other = sign_in(env, HILLCREST_ADMIN).await;
    assert_eq!(
        call(&restarted, other.get(&format!("{job}/failed.csv")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&restarted, admin.get("/admin/bulk/nope/failed.csv"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_results_survive_a_restart_sqlite() {
    bulk_results_survive_a_restart(&sqlite_env().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_results_survive_a_restart_postgres() {
    if let Some(env) = postgres_env().await {
        bulk_results_survive_a_restart(&env).await;
    }
}

#[tokio::test]
async fn visitors_read_the_home_page_roles_and_a_shareable_credential() {
    let env = sqlite_env().await;
    let html = env.call(get("/")).await.text();
    for (id, link) in [
        ("earn", "/pathways"),
        ("verify", "/verify"),
        ("hire", "/communities"),
        ("issue", "/login"),
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
        assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
    }
    let org = &env.seed.org_id;
    assert!(
        html.contains(&format!("href=\"/orgs/{org}/roles/role-resident\"")),
        "{html}"
    );
    let role = env
        .call(get(&format!("/orgs/{org}/roles/role-novice-teacher")))
        .await;
    assert_eq!(role.status, StatusCode::OK);
    let role = role.text();
    assert!(
        role.contains(
            "3 rotations: R&amp;D Specialist, Integrator Specialist and Guide Specialist"
        ) || role.contains("3 rotations: "),
        "{role}"
    );
    assert!(
        role.contains("1 endorsement from a Master Mentor"),
        "{role}"
    );
    assert!(role.contains("From <a href"), "{role}");
    assert!(!role.contains("{\""), "no JSON: {role}");
    assert_eq!(
        env.call(get(&format!("/orgs/{org}/roles/role-nope")))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The public credential page: what, whose, dates, verdict, a link to copy, LinkedIn, QR.
    let valid = env.sample("valid");
    let page = env.call(get(&format!("/credentials/{valid}"))).await.text();
    let share = format!("{PUBLIC_URL}/credentials/{valid}");
    assert!(
        page.contains(&format!(
            "id=\"share-link\" type=\"url\" readonly value=\"{share}\""
        )),
        "{page}"
    );
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    assert!(
        page.contains(&format!(
            "&amp;certUrl={}&amp;certId={}",
            enc(&share),
            enc(&valid)
        )),
        "{page}"
    );
    assert!(
        page.contains(
            "href=\"https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&amp;name="
        ),
        "{page}"
    );
    assert!(page.contains("organizationName=Riverside"), "{page}");
    assert!(page.contains("data-verdict=\"valid\""));
    assert!(page.contains("class=\"qr\""));
    assert!(page.contains("<dt>Issued</dt>") && page.contains("id=\"expires\""));
    let revoked = env.sample("revoked");
    let page = env
        .call(get(&format!("/credentials/{revoked}")))
        .await
        .text();
    assert!(page.contains("id=\"not-shareable\""), "{page}");
    assert!(
        !page.contains("linkedin.com"),
        "a revoked credential is not offered"
    );
}

#[tokio::test]
async fn the_json_editor_says_what_changed_too() {
    let env = sqlite_env().await;
    let admin = sign_in(&env, ADMIN).await;
    let defs = env.app.definitions(&env.seed.org_id).await.expect("defs");
    let mut doc = defs.to_value();
    let old_name = doc["stacks"][0]["name"].as_str().unwrap().to_owned();
    doc["stacks"][0]["name"] = "Renamed Certificate".into();
    doc["stacks"][0]["min_electives"] = 0.into();
    let r = env
        .call(admin.multipart(
            "/admin/definitions",
            &[("definitions", None, &doc.to_string())],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let notice = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = format!("{}; {}", admin.cookie, notice.split(';').next().unwrap());
    let mut req = admin.get("/admin");
    req.headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    let html = env.call(req).await.text();
    let expected = format!(
        "Changed the name and number of electives needed of stack “Renamed Certificate” (formerly “{old_name}”)"
    );
    assert!(html.contains(&expected), "{html}");
}
