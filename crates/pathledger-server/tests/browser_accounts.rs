//! Accounts clicked through in a real headless Chromium (Debian's `chromium`) with the mail
//! delivered to a real SMTP server process (aiosmtpd) on loopback: the Riverside admin invites an
//! assessor and a verifier from the admin page, each opens the mailed link, accepts and lands on
//! their role's page signed in; an educator signs in by email link in the browser that asked,
//! and the link does not work twice. The invitation and sign-in pages are also looked at phone
//! width (390 px): nothing may be wider than the screen. Screenshots go to `test-artifacts/`.

mod common;

use common::cdp::Browser;
use common::*;
use pathledger_test_support::{link_in, SmtpServer};
use serde_json::json;

/// A phone's viewport width in CSS pixels.
const PHONE: u32 = 390;

/// Invites `email` as `role` only (educator unticked) through the admin page's form, as the
/// Riverside admin, and signs out again.
async fn invite(b: &mut Browser, env: &TestEnv, base: &str, email: &str, role: &str) {
    b.sign_in(base, &env.token(ADMIN), "/admin").await;
    b.wait_for("document.querySelector('#invite-form')").await;
    b.type_into("#invite-email", email).await;
    b.eval(&format!(
        "document.querySelector('#invite-role-educator').checked = false;\
         document.querySelector('#invite-role-{role}').checked = true; true"
    ))
    .await;
    b.click("#invite-form button[type=submit]").await;
    b.wait_for(&format!(
        "document.querySelector('#notice') && document.querySelector('#notice').innerText.includes({})",
        json!(format!("Invitation sent to {email}"))
    ))
    .await;
    b.sign_out().await;
}

/// Opens the invitation mailed to `email`, types `name`, accepts, and checks the browser lands
/// on `landing` signed in as `name`.
async fn accept(
    b: &mut Browser,
    smtp: &SmtpServer,
    base: &str,
    email: &str,
    name: &str,
    landing: &str,
) {
    let mails = smtp.received_to(email, 1);
    assert_eq!(mails.len(), 1, "one invitation to {email}");
    let link = link_in(&mails[0], base, "/invitations/")
        .unwrap_or_else(|| panic!("no invitation link in {}", mails[0]));
    b.goto(&format!("{base}{link}")).await;
    b.wait_for("document.querySelector('#accept')").await;
    b.type_into("#name", name).await;
    b.click("#accept").await;
    b.wait_for(&format!("location.pathname === {}", json!(landing)))
        .await;
    b.wait_for(&format!(
        "document.querySelector('header .account') && document.querySelector('header .account').innerText.includes({})",
        json!(format!("Signed in as {name}"))
    ))
    .await;
}

/// Looks at the current page phone-wide: a screenshot `name`, and nothing wider than the
/// screen (no sideways scrolling). Back to the launch size afterwards.
async fn at_phone_width(b: &mut Browser, name: &str) {
    b.set_width(Some(PHONE)).await;
    // Let the page lay itself out again at the new width (two animation frames).
    b.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
        .await;
    let wide = b.scroll_width().await;
    let culprits = b
        .eval(&format!(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {PHONE} + 0.5)\
             .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')).slice(0, 10)"
        ))
        .await;
    b.screenshot(name).await;
    b.set_width(None).await;
    assert!(
        wide <= u64::from(PHONE),
        "{name}: the page is {wide} px wide at {PHONE} px; too wide: {culprits}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_and_email_links_work_in_a_real_browser() {
    if !chromium_available() {
        return;
    }
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let (listener, addr) = pathledger_server::bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let base = format!("http://{addr}");
    let env = sqlite_env_with_mail(&base, Some(smtp_mail(&smtp.url()))).await;
    let server = tokio::spawn(pathledger_server::serve(listener, env.app.clone()));
    let mut b = Browser::launch().await;

    // (a, b) The admin invites an assessor; the invitation arrives by SMTP; accepting it in the
    // browser creates the account and lands on the review queue.
    let mentor = "new.mentor@riverside.example";
    invite(&mut b, &env, &base, mentor, "assessor").await;
    let mails = smtp.received_to(mentor, 1);
    let link = link_in(&mails[0], &base, "/invitations/").expect("invitation link");
    b.goto(&format!("{base}{link}")).await;
    b.wait_for("document.querySelector('#accept')").await;
    at_phone_width(&mut b, "invitation-phone.png").await;
    accept(&mut b, &smtp, &base, mentor, "Noor Haddad", "/review").await;
    b.screenshot("invite-accepted-review.png").await;
    b.sign_out().await;

    // (c) A district verifier lands on the verify page.
    let verifier = "new.verifier@riverside.example";
    invite(&mut b, &env, &base, verifier, "verifier").await;
    accept(&mut b, &smtp, &base, verifier, "Sam Okafor", "/verify").await;
    b.screenshot("invite-accepted-verify.png").await;
    b.sign_out().await;

    // (d) Email-link sign-in: the educator asks on the sign-in page, opens the mailed link in
    // the same browser, continues, and lands on the dashboard.
    b.goto(&format!("{base}/login")).await;
    at_phone_width(&mut b, "sign-in-phone.png").await;
    b.type_into("#email", JORDAN).await;
    b.click("form[action=\"/login/email\"] button[type=submit]")
        .await;
    b.wait_for("document.querySelector('#link-sent')").await;
    let mails = smtp.received_to(JORDAN, 1);
    assert_eq!(mails.len(), 1, "one sign-in mail");
    let link = link_in(&mails[0], &base, "/login/email/").expect("sign-in link");
    b.goto(&format!("{base}{link}")).await;
    b.wait_for("document.querySelector('#continue')").await;
    b.click("#continue").await;
    b.wait_for("location.pathname === '/dashboard'").await;
    b.wait_for(
        "document.querySelector('header .account') && document.querySelector('header .account').innerText.includes('Signed in as')",
    )
    .await;
    b.screenshot("email-link-dashboard.png").await;

    // The same link a second time is refused: it works once.
    b.goto(&format!("{base}{link}")).await;
    b.wait_for("document.querySelector('#continue')").await;
    b.click("#continue").await;
    b.wait_for("document.querySelector('#link-refused')").await;
    let refused = b
        .eval("document.querySelector('#link-refused').innerText")
        .await;
    assert!(
        refused.as_str().is_some_and(|t| t.contains("used already")),
        "{refused}"
    );
    server.abort();
}
