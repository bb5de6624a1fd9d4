//! The assessor and mentor, the district HR verifier and a visitor to the communities, each
//! driven through their journey in headless Chromium (Debian's `chromium`) at desktop width and
//! at a 390 px phone, with the journey checks (no page wider than the viewport, no JSON outside
//! `<details>`, no serious or critical axe-core violation) and screenshots in `test-artifacts/`
//! (`journey-people-*.png`).

mod common;

use base64::Engine as _;
use common::cdp::Browser;
use common::journey::*;
use common::*;
use serde_json::{json, Value};

const MORGAN: &str = "morgan.specialist@riverside.example";

/// The journey checks on the page as it is now, at desktop width and then at a phone's (the
/// same page: a form's answer cannot be loaded again by URL), with a screenshot of each.
async fn both_widths(b: &mut Browser, axe: Option<&str>, name: &str, problems: &mut Vec<String>) {
    let name = format!("people-{name}");
    inspect(b, axe, &name, "desktop", None, problems).await;
    b.screenshot(&format!("journey-{name}-desktop.png")).await;
    b.set_width(Some(PHONE)).await;
    inspect(b, axe, &name, "phone", Some(PHONE), problems).await;
    b.screenshot(&format!("journey-{name}-phone.png")).await;
    b.set_width(None).await;
}

/// Runs `js` (which fills in and submits a form) and waits for the next page to satisfy `cond`.
async fn submit(b: &mut Browser, js: &str, cond: &str) {
    b.eval("document.documentElement.dataset.before = 'yes'; true")
        .await;
    b.eval(&format!("(() => {{ {js} }})(); true")).await;
    b.wait_for(&format!(
        "!document.documentElement.dataset.before && ({cond})"
    ))
    .await;
}

/// The text of `selector` (empty when absent).
async fn text(b: &mut Browser, selector: &str) -> String {
    b.eval(&format!(
        "(document.querySelector({}) || {{innerText: ''}}).innerText",
        json!(selector)
    ))
    .await
    .as_str()
    .unwrap_or("")
    .to_owned()
}

/// The main content's text outside folded technical details.
const VISIBLE_MAIN: &str = "(() => { const m = document.querySelector('main').cloneNode(true); m.querySelectorAll('details').forEach(d => d.remove()); return m.innerText; })()";

async fn start() -> (TestEnv, String, tokio::task::JoinHandle<()>) {
    let (listener, addr) = pathledger_server::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let base = format!("http://{addr}");
    let env = sqlite_env_at(&base).await;
    let app = env.app.clone();
    let server = tokio::spawn(async move {
        let _ = pathledger_server::serve(listener, app).await;
    });
    (env, base, server)
}

fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mentor_reviews_decides_and_endorses_by_name() {
    if !chromium_available() {
        return;
    }
    let axe = axe_source();
    let (env, base, server) = start().await;
    let_expire(&env).await;
    let ach = "mc-student-management-1";
    let mut b = Browser::launch().await;
    let mut problems = Vec::new();

    // Jordan submits evidence to the mentor.
    b.sign_in(&base, &env.token(JORDAN), "/dashboard").await;
    b.goto(&format!("{base}/evidence")).await;
    submit(
        &mut b,
        &format!(
            "document.querySelector('#achievement').value = '{ach}';\
             document.querySelector('#narrative').value = 'A class charter and four weeks of a behavior log.';\
             document.querySelector('#url').value = 'https://portfolio.example/charter';\
             document.querySelector('form[action=\"/evidence\"] button[type=submit]').click();"
        ),
        "document.querySelector('#notice')",
    )
    .await;
    b.sign_out().await;

    // The queue says who, what and since when.
    b.sign_in(&base, &env.token(MENTOR), "/review").await;
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/review"),
        "people-review-queue",
        &mut problems,
    )
    .await;
    let card = text(&mut b, "article[data-submission]").await;
    assert!(card.contains("Jordan Rivera"), "{card}");
    assert!(card.contains("Managing Flexible Classrooms"), "{card}");
    assert!(
        card.contains("waiting since") && card.contains("UTC"),
        "{card}"
    );
    assert!(!card.contains("urn:uuid"), "{card}");

    // Accepting names the educator and the credential, linked by name.
    submit(
        &mut b,
        "const a = document.querySelector('article[data-submission]');\
         a.querySelector('textarea').value = 'Clear routines.';\
         a.querySelector('button[value=accept]').click();",
        "document.querySelector('#notice')",
    )
    .await;
    both_widths(&mut b, axe.as_deref(), "review-decided", &mut problems).await;
    let notice = text(&mut b, "#notice").await;
    assert!(
        notice
            .starts_with("You accepted Jordan Rivera's evidence for Managing Flexible Classrooms"),
        "{notice}"
    );
    assert!(!notice.contains("urn:"), "{notice}");
    let cred_link = b
        .eval("[document.querySelector('#notice a').innerText, document.querySelector('#notice a').getAttribute('href')]")
        .await;
    assert!(
        cred_link[0]
            .as_str()
            .is_some_and(|t| t == "Managing Flexible Classrooms for Jordan Rivera"),
        "{cred_link}"
    );
    assert!(
        cred_link[1]
            .as_str()
            .is_some_and(|h| h.starts_with("/credentials/urn:uuid:")),
        "{cred_link}"
    );
    // The decided list: the educator and the credential by name, and the date.
    let row = b
        .eval("(() => { const r = document.querySelector('#decided tr[data-state=accepted]'); return [r.querySelector('td[data-label=Educator] a').innerText, r.querySelector('td[data-label=\"Micro-credential\"] a').getAttribute('href'), r.querySelector('td[data-label=Decided]').innerText]; })()")
        .await;
    assert_eq!(row[0], json!("Jordan Rivera"), "{row}");
    assert_eq!(row[1], cred_link[1], "{row}");
    assert!(
        row[2]
            .as_str()
            .is_some_and(|d| d.ends_with("UTC") && d.contains("20")),
        "{row}"
    );
    // The educator's link lists their submissions.
    b.click("#decided td[data-label=Educator] a").await;
    b.wait_for("location.search.startsWith('?educator=')").await;
    assert_eq!(
        text(&mut b, "h1").await,
        "Jordan Rivera's submissions",
        "the educator's page"
    );

    // An endorsement names the educator, and its confirmation is a sentence.
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/endorse"),
        "people-endorse",
        &mut problems,
    )
    .await;
    submit(
        &mut b,
        "const s = document.querySelector('#educator');\
         s.value = Array.from(s.options).find(o => o.text === 'Avery Thompson').value;\
         document.querySelector('#comment').value = 'Ran the team retrospective and kept everyone heard.';\
         document.querySelector('form[action=\"/endorse\"] button[type=submit]').click();",
        "document.querySelector('#notice')",
    )
    .await;
    both_widths(&mut b, axe.as_deref(), "endorsed", &mut problems).await;
    let said = text(&mut b, "#notice").await;
    assert!(
        said.starts_with("You endorsed Avery Thompson for ")
            && said.contains(", as Master Mentor, on "),
        "{said}"
    );
    let visible = b.eval(VISIBLE_MAIN).await;
    assert!(
        visible
            .as_str()
            .is_some_and(|t| !t.contains("did:") && !t.contains("\"@context\"")),
        "{visible}"
    );
    // The signed credential is folded away, its subject the educator.
    let subject: Value = serde_json::from_str(
        b.eval("document.querySelector('details pre').textContent")
            .await
            .as_str()
            .expect("the signed endorsement"),
    )
    .expect("JSON");
    assert_eq!(
        subject["credentialSubject"]["name"],
        json!("Avery Thompson")
    );
    assert!(subject["credentialSubject"]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("urn:pathledger:educator:")));
    b.sign_out().await;
    server.abort();
    report(problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn district_hr_verifies_links_emails_revocations_and_a_roster() {
    if !chromium_available() {
        return;
    }
    let axe = axe_source();
    let (env, base, server) = start().await;
    let valid = env.sample("valid");
    let revoked = env.sample("revoked");
    let expired = env.sample("expired");
    // The holder of the samples and their address (the credential holds it hashed).
    let rec = env.app.store().credential(&valid).await.expect("valid");
    let holder = env
        .app
        .store()
        .educator(rec.educator_id.as_deref().expect("holder"))
        .await
        .expect("educator");
    let email = holder.emails[0].clone();
    let mut b = Browser::launch().await;
    let mut problems = Vec::new();
    b.sign_in(&base, &env.token(HR), "/verify").await;

    // One id: what and whose, the issuer by name, the DID only in technical details.
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/verify?id={valid}"),
        "people-verify-id",
        &mut problems,
    )
    .await;
    assert_eq!(
        b.eval("document.querySelector('.verdict.big').dataset.verdict")
            .await,
        json!("valid")
    );
    let visible = b.eval(VISIBLE_MAIN).await;
    let visible = visible.as_str().unwrap_or("");
    assert!(
        visible.contains("Riverside Educator Credentials"),
        "{visible}"
    );
    assert!(
        !visible.contains("did:"),
        "a DID in front of people: {visible}"
    );
    assert!(b
        .eval("document.querySelector('#technical').textContent.includes(\"Issuer's identifier\")")
        .await
        .as_bool()
        .unwrap_or(false));
    assert!(b
        .eval("document.querySelector('#technical').textContent.includes('did:')")
        .await
        .as_bool()
        .unwrap_or(false));

    // The holder's email: the right one matches, another does not, and neither shows the
    // address the credential holds.
    submit(
        &mut b,
        &format!(
            "document.querySelector('#email').value = {};\
             document.querySelector('#holder-email form').submit();",
            json!(email.to_uppercase())
        ),
        "document.querySelector('#email-result')",
    )
    .await;
    both_widths(
        &mut b,
        axe.as_deref(),
        "verify-email-matches",
        &mut problems,
    )
    .await;
    assert_eq!(
        b.eval("document.querySelector('#email-result').dataset.match")
            .await,
        json!("matches")
    );
    submit(
        &mut b,
        "document.querySelector('#email').value = 'someone.else@example.org';\
         document.querySelector('#holder-email form').submit();",
        "document.querySelector('#email-result')",
    )
    .await;
    assert_eq!(
        b.eval("document.querySelector('#email-result').dataset.match")
            .await,
        json!("does_not_match")
    );
    let page_text = b.eval("document.body.innerText").await;
    assert!(
        !page_text.as_str().unwrap_or("").contains(&email),
        "the holder's address leaked"
    );
    // A typo keeps what was typed, with the message beside the field.
    submit(
        &mut b,
        "document.querySelector('#email').value = 'not an address';\
         document.querySelector('#holder-email form').submit();",
        "document.querySelector('#email-error')",
    )
    .await;
    assert_eq!(
        b.eval("document.querySelector('#email').value").await,
        json!("not an address")
    );
    both_widths(&mut b, axe.as_deref(), "verify-email-typo", &mut problems).await;

    // A revoked credential says when and why.
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/verify?id={revoked}"),
        "people-verify-revoked",
        &mut problems,
    )
    .await;
    let change = text(&mut b, "#status-change").await;
    assert!(
        change.starts_with("Revoked on ")
            && change.contains("UTC")
            && change.contains("Issued in error (demo)"),
        "{change}"
    );

    // Every link the product hands out verifies, pasted into the form.
    for (link, verdict) in [
        (format!("{base}/credentials/{valid}"), "valid"),
        (format!("{base}/verify?id={valid}"), "valid"),
        (
            format!("{base}/verify?id={}", valid.replace(':', "%3A")),
            "valid",
        ),
        (valid.clone(), "valid"),
        (format!("{base}/credentials/{revoked}"), "revoked"),
        (
            "https://elsewhere.example/badges/42".to_owned(),
            "could_not_check",
        ),
        (
            "urn:uuid:00000000-0000-4000-8000-000000000000".to_owned(),
            "could_not_check",
        ),
    ] {
        b.goto(&format!("{base}/verify")).await;
        submit(
            &mut b,
            &format!(
                "document.querySelector('#credential').value = {};\
                 document.querySelector('#credential').form.querySelector('button[type=submit]').click();",
                json!(link)
            ),
            "document.querySelector('.verdict.big')",
        )
        .await;
        assert_eq!(
            b.eval("document.querySelector('.verdict.big').dataset.verdict")
                .await,
            json!(verdict),
            "{link}"
        );
        if verdict != "could_not_check" {
            assert!(
                text(&mut b, "#summary h2").await.len() > 3,
                "what and whose for {link}"
            );
        }
    }
    both_widths(&mut b, axe.as_deref(), "verify-unknown-id", &mut problems).await;

    // A roster: names compared with holders, a count per verdict, a CSV with every column.
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/verify/bulk"),
        "people-bulk-form",
        &mut problems,
    )
    .await;
    let roster = format!(
        "name,credential\n\
         {name},{base}/credentials/{valid}\n\
         Someone Else,{base}/verify?id={revoked}\n\
         {lower},{expired}\n\
         Pat Doe,https://elsewhere.example/badges/42\n",
        name = holder.display_name,
        lower = holder.display_name.to_lowercase(),
    );
    submit(
        &mut b,
        &format!(
            "const dt = new DataTransfer();\
             dt.items.add(new File([{}], 'roster.csv', {{type: 'text/csv'}}));\
             document.querySelector('#roster').files = dt.files;\
             document.querySelector('form[action=\"/verify/bulk\"] button[type=submit]').click();",
            json!(roster)
        ),
        "document.querySelector('#verdict-counts')",
    )
    .await;
    both_widths(&mut b, axe.as_deref(), "bulk-report", &mut problems).await;
    let counts = b
        .eval("Object.fromEntries(Array.from(document.querySelectorAll('#verdict-counts li[data-verdict]')).map(l => [l.dataset.verdict, Number(l.dataset.count)]))")
        .await;
    assert_eq!(
        counts,
        json!({"valid": 1, "revoked": 1, "expired": 1, "could_not_check": 1})
    );
    assert_eq!(
        b.eval("document.querySelector('#mismatch-count').dataset.count")
            .await,
        json!("1")
    );
    let checks = b
        .eval("Array.from(document.querySelectorAll('#bulk-results tbody tr')).map(r => r.dataset.nameCheck)")
        .await;
    assert_eq!(
        checks,
        json!(["matches", "MISMATCH", "matches", "not compared"])
    );
    assert!(text(&mut b, "#bulk-results tr[data-name-check=MISMATCH]")
        .await
        .contains("Not the name on the roster"));
    let href = b
        .eval("document.querySelector('a[download=\"verification-report.csv\"]').getAttribute('href')")
        .await;
    let csv = base64::engine::general_purpose::STANDARD
        .decode(
            href.as_str()
                .and_then(|h| h.strip_prefix("data:text/csv;base64,"))
                .expect("a CSV download"),
        )
        .expect("base64");
    let csv = String::from_utf8(csv).expect("UTF-8");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("row,name on roster,holder,name check,issuer,achievement,issue date,expiry date,credential id,verdict,reason,checked at")
    );
    let first = lines.next().expect("a row");
    assert!(
        first.contains(&valid) && first.contains("Riverside Educator Credentials"),
        "{first}"
    );
    assert!(
        first.contains(",valid,") && first.contains(" UTC"),
        "{first}"
    );
    assert!(csv.contains("MISMATCH"), "{csv}");
    b.sign_out().await;

    // An anonymous visitor learns no holder names from a roster.
    b.goto(&format!("{base}/verify/bulk")).await;
    submit(
        &mut b,
        &format!(
            "const dt = new DataTransfer();\
             dt.items.add(new File([{}], 'roster.csv', {{type: 'text/csv'}}));\
             document.querySelector('#roster').files = dt.files;\
             document.querySelector('form[action=\"/verify/bulk\"] button[type=submit]').click();",
            json!(format!("name,credential\nSomeone Else,{valid}\n"))
        ),
        "document.querySelector('#verdict-counts')",
    )
    .await;
    assert_eq!(
        b.eval("document.querySelector('#bulk-results tbody tr').dataset.nameCheck")
            .await,
        json!("not compared")
    );
    assert!(!text(&mut b, "#bulk-results")
        .await
        .contains(&holder.display_name));
    server.abort();
    report(problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_finds_educators_despite_a_typo_and_sees_only_what_they_share() {
    if !chromium_available() {
        return;
    }
    let axe = axe_source();
    let (env, base, server) = start().await;
    let mut b = Browser::launch().await;
    let mut problems = Vec::new();

    // A typo still finds Morgan Lee (public), whose profile is not shared by default.
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/communities?q=Morgn+Le"),
        "people-communities-typo",
        &mut problems,
    )
    .await;
    assert!(text(&mut b, "#near-matches")
        .await
        .starts_with("Nothing matches “Morgn Le” exactly. 1 near match"));
    let row = text(&mut b, "#members tbody tr").await;
    assert!(
        row.contains("Morgan Lee") && row.contains("Not shared"),
        "{row}"
    );
    // A specialty with a typo finds them too.
    b.goto(&format!("{base}/communities?q=intgrator")).await;
    assert!(text(&mut b, "#members").await.contains("Morgan Lee"));
    // An exact match is not called near.
    b.goto(&format!("{base}/communities?q=morgan")).await;
    assert_eq!(text(&mut b, "#result-count").await, "1 educator found.");

    // Morgan fills in the profile without ticking "Show these": still nothing is shown.
    b.sign_in(&base, &env.token(MORGAN), "/dashboard").await;
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/communities"),
        "people-communities-own",
        &mut problems,
    )
    .await;
    b.type_into("#school", "Lakeview Middle School").await;
    b.type_into("#years", "six").await;
    b.type_into("#contact", "morgan.lee@lakeview.example").await;
    submit(
        &mut b,
        "document.querySelector('#own-profile form').submit();",
        "document.querySelector('#own-profile')",
    )
    .await;
    // A bad field comes back filled in, the message beside it.
    assert!(text(&mut b, "#error-years").await.contains("whole years"));
    assert_eq!(
        b.eval("[document.querySelector('#school').value, document.querySelector('#years').value]")
            .await,
        json!(["Lakeview Middle School", "six"])
    );
    both_widths(
        &mut b,
        axe.as_deref(),
        "communities-profile-error",
        &mut problems,
    )
    .await;
    b.type_into("#years", "6").await;
    submit(
        &mut b,
        "document.querySelector('#own-profile form').submit();",
        "document.querySelector('#notice')",
    )
    .await;
    assert!(text(&mut b, "#notice")
        .await
        .contains("not shown to anyone"));
    b.sign_out().await;
    b.goto(&format!("{base}/communities?q=Morgan")).await;
    let row = text(&mut b, "#members tbody tr").await;
    assert!(
        row.contains("Not shared")
            && !row.contains("Lakeview")
            && !row.contains("lakeview.example"),
        "shown without consent: {row}"
    );

    // With the opt-in ticked, school, years and contact are shown.
    b.sign_in(&base, &env.token(MORGAN), "/dashboard").await;
    b.goto(&format!("{base}/communities")).await;
    submit(
        &mut b,
        "document.querySelector('#shared').checked = true;\
         document.querySelector('#own-profile form').submit();",
        "document.querySelector('#notice')",
    )
    .await;
    b.sign_out().await;
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/communities?q=Morgan"),
        "people-communities-shared",
        &mut problems,
    )
    .await;
    let row = text(&mut b, "#members tbody tr").await;
    assert!(
        row.contains("Lakeview Middle School")
            && row.contains("6 years of experience")
            && row.contains("morgan.lee@lakeview.example"),
        "{row}"
    );
    server.abort();
    report(problems);
}
