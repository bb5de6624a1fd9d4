//! The career switcher's and educator's journey, in-process: the dashboard's "where I am and
//! my next step", progress that agrees between the dashboard and the map, role pages, reaching
//! a role announced once, evidence files (type by content, bounded, served only to the educator
//! and the organization's reviewers) and the wallet downloads.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use axum::http::{header, StatusCode};
use common::*;
use serde_json::Value;

const MORGAN: &str = "morgan.specialist@riverside.example";

fn mentor_id(env: &TestEnv) -> String {
    env.account(MENTOR).user_id.clone()
}

/// `attr="value"` pairs of each element carrying `data-role`, from `marker` on: role → standing.
fn standings(html: &str, marker: &str) -> BTreeMap<String, String> {
    html.split(marker)
        .skip(1)
        .filter_map(|s| {
            let role = s.split('"').next()?.to_owned();
            let st = s.split("data-standing=\"").nth(1)?.split('"').next()?;
            let tag_end = s.find('>')?;
            // The standing must be on the same element.
            (s.find("data-standing=\"")? < tag_end).then(|| (role, st.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn the_dashboard_leads_with_where_i_am_and_my_next_step() {
    let env = sqlite_env().await;
    // Jordan's demo sample of Student Management expires a moment after the seed.
    let_expire(&env).await;
    let org = env.seed.org_id.clone();
    let jordan = sign_in(&env, JORDAN).await;
    let r = env.call(jordan.get("/dashboard")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    // The next step comes before the credentials table.
    let step = html.find("id=\"next-step\"").expect("next step section");
    assert!(step < html.find("id=\"credentials\"").expect("credentials"));
    assert!(
        html.contains("You are <strong><a href=\"/pathways/role-career-switcher"),
        "{html}"
    );
    let next = html.split("id=\"next-role\"").nth(1).expect("next role");
    assert!(
        next[..300].contains("/pathways/role-resident"),
        "the next role up is Resident, not the side role Community Educator: {next}"
    );
    // The certificate in progress: 2 of 4 required parts and 1 of 2 electives.
    assert!(
        html.contains("Certificate in progress: Career-Switcher On-Ramp: 3 of 6 parts"),
        "{html}"
    );
    let missing = html
        .split("id=\"missing-parts\"")
        .nth(1)
        .and_then(|s| s.split("id=\"held-parts\"").next())
        .expect("missing parts");
    for part in ["mc-student-management-1", "mc-instructional-strategies-1"] {
        assert!(
            missing.contains(&format!("href=\"/orgs/{org}/achievements/{part}\"")),
            "{part} links to its criteria: {missing}"
        );
        assert!(
            missing.contains(&format!("href=\"/evidence?achievement={part}\"")),
            "{part} links to its evidence form"
        );
    }
    assert!(missing.contains("1 more of these electives"), "{missing}");
    assert!(
        !missing.contains("mc-growth-orientation-1"),
        "a held elective is not missing"
    );
    // The plan's default target is the next role up.
    assert!(
        html.contains("<option value=\"role-resident\" selected>"),
        "{html}"
    );
    // "Submit evidence for this" opens the form with that micro-credential chosen.
    let r = env
        .call(jordan.get("/evidence?achievement=mc-student-management-1"))
        .await;
    assert!(r
        .text()
        .contains("<option value=\"mc-student-management-1\" selected>"));
}

#[tokio::test]
async fn progress_never_contradicts_itself() {
    let env = sqlite_env().await;
    let_expire(&env).await;
    for (who, reached, passed) in [
        (JORDAN, vec!["role-career-switcher"], vec![]),
        (AVERY, vec!["role-novice-teacher"], vec!["role-resident"]),
        (
            MORGAN,
            vec!["role-integrator-specialist"],
            vec!["role-resident", "role-novice-teacher"],
        ),
    ] {
        let s = sign_in(&env, who).await;
        let dash = env.call(s.get("/dashboard")).await.text();
        let map = env.call(s.get("/pathways")).await.text();
        let on_dashboard = standings(&dash, "<tr data-role=\"");
        let on_map = standings(&map, "<li data-role=\"");
        assert!(on_dashboard.len() >= 10, "{who}: {on_dashboard:?}");
        assert_eq!(
            on_dashboard, on_map,
            "{who}: the map and the dashboard agree"
        );
        for r in &reached {
            assert_eq!(on_dashboard[*r], "reached", "{who} reached {r}");
        }
        for r in &passed {
            assert_eq!(on_dashboard[*r], "passed", "{who} passed {r}");
        }
        // Gaps read "2 of 3 competencies", never "2/0".
        let table = dash
            .split("id=\"progress\"")
            .nth(1)
            .and_then(|t| t.split("</table>").next())
            .expect("the progress table");
        assert!(!table.contains("/0"), "{who}: {table}");
        assert!(!table.contains(" of 0 "), "{who}: {table}");
        for r in &passed {
            let row = dash
                .split(&format!("<tr data-role=\"{r}\""))
                .nth(1)
                .and_then(|s| s.split("</tr>").next())
                .expect("row");
            assert!(!row.contains("% of the way"), "{who}: {row}");
            assert!(row.contains("passed"), "{who}: {row}");
        }
    }
}

#[tokio::test]
async fn role_pages_show_requirements_and_my_progress() {
    let env = sqlite_env().await;
    let org = env.seed.org_id.clone();
    // The map links each role to its page; its text alternative lists them with transitions.
    let map = env.call(get(&format!("/pathways?org={org}"))).await.text();
    assert!(map.contains(&format!(
        "<a class=\"role\" href=\"/pathways/role-novice-teacher?org={org}\""
    )));
    assert!(map.contains("<ol class=\"role-list\">"));
    assert!(
        map.contains(&format!(
            "Leads to: <a href=\"/pathways/role-novice-teacher?org={org}\">Novice Teacher</a>"
        )),
        "{map}"
    );
    assert!(!map.contains('…'), "no name is cut off");
    // Anonymous: the requirements in sentences, no standing.
    let r = env
        .call(get(&format!("/pathways/role-novice-teacher?org={org}")))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<h1>Novice Teacher</h1>"), "{html}");
    assert!(
        html.contains("1 endorsement from a Master Mentor"),
        "{html}"
    );
    assert!(!html.contains("my-standing"));
    // Avery reached it; Jordan sees each requirement with where they are on it.
    let avery = sign_in(&env, AVERY).await;
    let html = env
        .call(avery.get("/pathways/role-novice-teacher"))
        .await
        .text();
    assert!(
        html.contains("Where you stand: </strong>✔ reached"),
        "{html}"
    );
    let jordan = sign_in(&env, JORDAN).await;
    let html = env.call(jordan.get("/pathways/role-resident")).await.text();
    assert!(html.contains("% of the way"), "{html}");
    assert!(
        html.contains("✘ to do: the Career-Switcher On-Ramp certificate"),
        "{html}"
    );
    // An unknown role is a 404 page for a browser.
    let mut req = get("/pathways/role-nope");
    req.headers_mut()
        .insert(header::ACCEPT, "text/html".parse().unwrap());
    let r = env.call(req).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reaching_a_role_is_announced_once() {
    let env = sqlite_env().await;
    let_expire(&env).await;
    let jordan = sign_in(&env, JORDAN).await;
    // The first visit records what was already reached without announcing it.
    let first = env.call(jordan.get("/dashboard")).await.text();
    assert!(!first.contains("class=\"card milestone\""), "{first}");
    // Jordan completes the on-ramp: the certificate is awarded and Resident is reached.
    for ach in [
        "mc-student-management-1",
        "mc-instructional-strategies-1",
        "mc-collaboration-1",
    ] {
        issue_via_api(&env, ach, JORDAN).await;
    }
    let today = time::OffsetDateTime::now_utc();
    let day = format!("{} {} {}", today.day(), today.month(), today.year());
    let next = env.call(jordan.get("/dashboard")).await.text();
    assert!(
        next.contains(&format!("You reached Resident on {day}.")),
        "{next}"
    );
    assert!(
        next.contains(&format!(
            "You completed the Career-Switcher On-Ramp certificate on {day}."
        )),
        "{next}"
    );
    // Once: the next visit does not say it again.
    let again = env.call(jordan.get("/dashboard")).await.text();
    assert!(!again.contains("You reached Resident"), "{again}");
    assert!(again.contains("You are <strong><a href=\"/pathways/role-resident"));
    // Novice Teacher asks for no certificate: its requirements show instead of an unrelated one.
    assert!(!again.contains("id=\"certificate\""), "{again}");
    let asks = again
        .split("id=\"next-requirements\"")
        .nth(1)
        .expect("what the next role asks for");
    assert!(asks.contains("What Novice Teacher asks for"), "{asks}");
    assert!(
        asks.contains("✘ to do: 1 endorsement from a Master Mentor (you have 0)"),
        "{asks}"
    );
}

fn pdf(extra: usize) -> String {
    format!("%PDF-1.4\n% a lesson plan\n{}", "x".repeat(extra))
}

#[tokio::test]
async fn evidence_files_are_checked_by_content_and_served_only_to_reviewers() {
    let env = sqlite_env().await;
    let_expire(&env).await;
    let jordan = sign_in(&env, JORDAN).await;
    let mentor = mentor_id(&env);
    let write_up = "I ran a calm-down corner and kept a log for six weeks. ".repeat(15);
    // A file that is not a PDF or an image, whatever its name: the same form, filled in, with
    // the message beside the file field.
    let r = env
        .call(jordan.multipart(
            "/evidence",
            &[
                ("achievement", None, "mc-student-management-1"),
                ("narrative", None, &write_up),
                ("video", None, "https://video.example/lesson-1"),
                ("file", Some("plan.pdf"), "<html>not a pdf</html>"),
                ("assessor", None, &mentor),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains(&maud::html! { (write_up) }.into_string()),
        "the write-up is kept"
    );
    assert!(html.contains("value=\"https://video.example/lesson-1\""));
    assert!(html.contains("You had attached <strong>plan.pdf</strong>"));
    let beside = html
        .split("id=\"error-file\"")
        .nth(1)
        .expect("beside the file field");
    assert!(beside.contains("not a PDF or an image"), "{beside}");
    // Too big.
    let r = env
        .call(jordan.multipart(
            "/evidence",
            &[
                ("achievement", None, "mc-student-management-1"),
                ("narrative", None, &write_up),
                ("file", Some("big.pdf"), &pdf(5 * 1024 * 1024)),
                ("assessor", None, &mentor),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("larger than 5 MB"), "{html}");
    assert!(html.contains(&maud::html! { (write_up) }.into_string()));
    assert!(env
        .app
        .store()
        .submissions_for_educator(&env.educator_id(JORDAN))
        .await
        .unwrap()
        .is_empty());
    // A PDF (named .txt: the name does not decide) and a video link are accepted.
    let r = env
        .call(jordan.multipart(
            "/evidence",
            &[
                ("achievement", None, "mc-student-management-1"),
                ("narrative", None, &write_up),
                ("video", None, "https://video.example/lesson-1"),
                ("file", Some("C:\\plans\\my plan.txt"), &pdf(100)),
                ("assessor", None, &mentor),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let subs = env
        .app
        .store()
        .submissions_for_educator(&env.educator_id(JORDAN))
        .await
        .unwrap();
    let sub = &subs[0];
    assert_eq!(sub.document["video"], "https://video.example/lesson-1");
    assert_eq!(sub.document["file"]["media_type"], "application/pdf");
    let page = env.call(jordan.get("/evidence")).await.text();
    let href = format!("/evidence/{}/file", sub.id);
    assert!(page.contains(&format!("href=\"{href}\"")), "{page}");
    // The educator and the organization's reviewer get the file …
    for who in [&jordan, &sign_in(&env, MENTOR).await] {
        let r = env.call(who.get(&href)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.content_type(), "application/pdf");
        assert_eq!(
            r.headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"my plan.pdf\""
        );
        assert_eq!(r.body, pdf(100).into_bytes());
    }
    // … nobody else: another educator, another organization's admin, a visitor.
    for who in [AVERY, HILLCREST_ADMIN, CASEY] {
        let s = sign_in(&env, who).await;
        let r = env.call(s.get(&href)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        assert!(!r.body.starts_with(b"%PDF"));
    }
    let r = env.call(get(&href)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/login");
}

#[tokio::test]
async fn the_wallet_zip_holds_each_credential_and_the_clr() {
    let env = sqlite_env().await;
    let_expire(&env).await;
    let jordan = sign_in(&env, JORDAN).await;
    let dash = env.call(jordan.get("/dashboard")).await.text();
    let href = dash
        .split("id=\"wallet-zip\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the ZIP link")
        .replace("&amp;", "&");
    let r = env.call(jordan.get(&href)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/zip");
    assert_eq!(
        r.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"pathledger-wallet.zip\""
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.body)).expect("a ZIP");
    let held = env
        .app
        .store()
        .credentials_for_educator(&env.educator_id(JORDAN))
        .await
        .unwrap();
    // Those that count: not the demo's revoked and expired samples.
    let (revoked, expired) = (env.sample("revoked"), env.sample("expired"));
    let valid: Vec<_> = held
        .iter()
        .filter(|c| c.id != revoked && c.id != expired)
        .collect();
    let mut names = Vec::new();
    let mut ids = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        names.push(f.name().to_owned());
        let doc: Value = serde_json::from_str(&text).expect("each file parses");
        if f.name() == "clr.json" {
            for c in &valid {
                assert!(text.contains(&c.id), "the CLR carries {}", c.id);
            }
            continue;
        }
        assert!(f.name().starts_with("credentials/") && f.name().ends_with(".json"));
        let id = doc["id"].as_str().expect("an id").to_owned();
        let stored = valid
            .iter()
            .find(|c| c.id == id)
            .expect("one of Jordan's valid ones");
        assert_eq!(text, stored.document, "the exact signed bytes");
        assert!(f.name().contains(&stored.achievement_id));
        assert!(doc["type"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "OpenBadgeCredential"));
        ids.push(id);
    }
    assert_eq!(ids.len(), valid.len(), "{names:?}");
    assert!(names.contains(&"clr.json".to_owned()));
    // One credential at a time, as a file.
    let c = valid[0];
    let r = env
        .call(jordan.get(&format!("/credentials/{}/download", c.id)))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers[header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"{}.json\"", c.achievement_id).as_str()
    );
    assert_eq!(r.text(), c.document);
    // Signed out: to the sign-in page; someone else's ZIP is not reachable (it is always the
    // caller's own), and an org they have no record in is refused.
    let r = env.call(get("/dashboard/wallet.zip")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let casey = sign_in(&env, CASEY).await;
    let r = env
        .call(casey.get(&format!("/dashboard/wallet.zip?org={}", env.seed.org_id)))
        .await;
    assert_ne!(r.status, StatusCode::OK);
}
