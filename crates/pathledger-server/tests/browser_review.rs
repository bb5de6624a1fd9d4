//! An assessor accepting evidence, clicked through in a real headless Chromium (Debian's
//! `chromium`) driven over the Chrome DevTools Protocol: the career switcher signs in and submits
//! evidence, the mentor signs in and accepts it, and the credential appears, verified, on the
//! career switcher's dashboard. Screenshots go to `test-artifacts/`.

mod common;

use common::cdp::Browser;
use common::journey::serve_demo;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assessor_accepts_evidence_and_the_credential_appears() {
    if !chromium_available() {
        return;
    }
    let (base, env, server) = serve_demo().await;
    // Jordan's demo mc-student-management-1 expires a second after seeding; then it can be
    // earned again through evidence.
    let_expire(&env).await;
    let ach = "mc-student-management-1";
    let mut b = Browser::launch().await;

    // The career switcher submits evidence.
    b.sign_in(&base, &env.token(JORDAN), "/dashboard").await;
    b.goto(&format!("{base}/evidence")).await;
    b.wait_for(&format!(
        "document.querySelector('#achievement option[value=\"{ach}\"]')"
    ))
    .await;
    b.eval(&format!(
        "document.querySelector('#achievement').value = '{ach}';\
         document.querySelector('#narrative').value = 'Built a class charter with my students and kept a behavior log for four weeks.';\
         document.querySelector('#url').value = 'https://portfolio.example/charter';\
         document.querySelector('form[action=\"/evidence\"] button[type=submit]').click(); true"
    ))
    .await;
    b.wait_for("document.querySelector('#notice')").await;
    assert_eq!(
        b.eval("document.querySelectorAll('#submissions tr[data-state=\"submitted\"]').length")
            .await,
        json!(1)
    );
    b.screenshot("evidence-submitted.png").await;
    b.sign_out().await;

    // The mentor reviews and accepts it.
    b.sign_in(&base, &env.token(MENTOR), "/review").await;
    b.goto(&format!("{base}/review")).await;
    b.wait_for("document.querySelector('article[data-submission]')")
        .await;
    assert!(b
        .eval("document.querySelector('#open').innerText")
        .await
        .as_str()
        .is_some_and(|t| t.contains("class charter") && t.contains("Jordan Rivera")));
    b.screenshot("review-waiting.png").await;
    b.eval(
        "const a = document.querySelector('article[data-submission]');\
         a.querySelector('textarea').value = 'Clear routines, and the log shows fewer disruptions.';\
         a.querySelector('button[value=accept]').click(); true",
    )
    .await;
    b.wait_for("document.querySelector('#notice') && document.querySelector('#notice').innerText.includes('The credential was issued')")
        .await;
    let cred_href = b
        .eval("document.querySelector('#notice a').getAttribute('href')")
        .await;
    let cred_path = cred_href
        .as_str()
        .expect("a link to the credential")
        .to_owned();
    b.screenshot("review-accepted.png").await;
    // The credential's public page verifies it on view.
    b.goto(&format!("{base}{cred_path}")).await;
    b.wait_for("document.querySelector('.verdict.big')").await;
    assert_eq!(
        b.eval("document.querySelector('.verdict.big').dataset.verdict")
            .await,
        json!("valid")
    );
    b.sign_out().await;

    // The career switcher sees it on the dashboard, re-verified, with progress moved.
    b.sign_in(&base, &env.token(JORDAN), "/dashboard").await;
    b.wait_for(&format!(
        "document.querySelector('tr[data-achievement=\"{ach}\"] .verdict-valid')"
    ))
    .await;
    assert!(b
        .eval("document.querySelectorAll('[role=progressbar]').length")
        .await
        .as_u64()
        .is_some_and(|n| n >= 5));
    b.screenshot("dashboard-after-acceptance.png").await;
    b.goto(&format!("{base}/evidence")).await;
    assert_eq!(
        b.eval("document.querySelectorAll('#submissions tr[data-state=\"accepted\"]').length")
            .await,
        json!(1)
    );
    server.abort();
}
