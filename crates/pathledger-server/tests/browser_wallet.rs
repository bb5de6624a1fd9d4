//! Putting a credential into a wallet, in a real headless Chromium at 1280 px and a 390 px
//! phone: the dashboard's "Add to a wallet" link opens the claim page (QR code, the Learner
//! Credential Wallet button, when it expires, the other wallets' link); once a wallet has
//! taken a copy the page lists it; the credential's page offers the same to its holder. Every
//! page passes the journey checks (`common::journey`). Screenshots:
//! `test-artifacts/journey-claim-*`.

mod common;

use common::cdp::Browser;
use common::journey::*;
use common::*;
use pathledger_signing::{sign_document, Cryptosuite, ProofOptions, SigningKey};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claim_page_at_both_widths() {
    if !chromium_available() {
        return;
    }
    let axe = axe_source();
    let (base, env, server) = serve_demo().await;
    let mut b = Browser::launch().await;
    let mut problems = Vec::new();
    b.sign_in(&base, &env.token(JORDAN), "/dashboard").await;

    // The dashboard's link opens the claim page of that credential. A credential that does not
    // expire is taken: the demo's "expired" sample is still valid for its first second, and a
    // claim for it would be refused by the time the click lands.
    let achievement = b
        .eval("[...document.querySelectorAll('#credentials tr[data-achievement]')].find(r => r.querySelector('a.claim') && r.innerText.includes('Does not expire')).dataset.achievement")
        .await;
    let achievement = achievement
        .as_str()
        .expect("a lasting credential with an Add to a wallet link")
        .to_owned();
    let link = format!(
        "#credentials tr[data-achievement={}] a.claim",
        json!(achievement)
    );
    let href = b
        .eval(&format!(
            "document.querySelector({}).getAttribute('href')",
            json!(link)
        ))
        .await;
    let href = href.as_str().expect("an Add to a wallet link").to_owned();
    assert!(href.ends_with("/claim"), "{href}");
    b.click(&link).await;
    b.wait_for(&format!("location.pathname === {}", json!(href)))
        .await;
    let text = b.eval("document.querySelector('main').innerText").await;
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("Open in Learner Credential Wallet"), "{text}");
    assert!(text.contains("This link works once"), "{text}");
    assert_eq!(
        b.eval("!!document.querySelector('#claim-qr svg.qr')").await,
        json!(true)
    );
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}{href}"),
        "claim",
        &mut problems,
    )
    .await;

    // A wallet takes a copy (its presentation signed here with our own signer); the page then
    // lists that wallet.
    let credential = href
        .trim_start_matches("/credentials/")
        .trim_end_matches("/claim")
        .to_owned();
    let deep = b
        .eval("document.querySelector('#open-lcw').getAttribute('href')")
        .await;
    let deep = deep.as_str().expect("deep link").to_owned();
    let exchange = deep
        .rsplit("%2F")
        .next()
        .and_then(|s| s.split("%22").next())
        .expect("exchange id")
        .to_owned();
    let key = SigningKey::from_seed([9; 32]);
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": key.public_key().did_key(),
    });
    let mut opts = ProofOptions::assertion(
        Cryptosuite::EddsaJcs2022,
        key.public_key().did_key_verification_method(),
    );
    opts.proof_purpose = "authentication".into();
    opts.challenge = Some(pathledger_app::wallet_exchange::exchange_challenge(
        &exchange,
    ));
    opts.domain = Some(pathledger_app::wallet_exchange::exchange_domain(&base));
    let vp = sign_document(&vp, &key, &opts).expect("sign");
    env.app
        .answer_claim_exchange(&exchange, vp, false)
        .await
        .expect("the wallet's answer is accepted");
    b.goto(&format!("{base}{href}")).await;
    let wallets = b
        .eval("document.querySelector('#wallets') && document.querySelector('#wallets').innerText")
        .await;
    assert!(
        wallets
            .as_str()
            .is_some_and(|t| t.contains(&key.public_key().did_key())),
        "{wallets}"
    );
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}{href}"),
        "claim-used",
        &mut problems,
    )
    .await;

    // The credential's own page offers it to its holder.
    b.goto(&format!("{base}/credentials/{credential}")).await;
    assert_eq!(
        b.eval("document.querySelector('#add-to-wallet').getAttribute('href')")
            .await,
        json!(href)
    );
    check(
        &mut b,
        axe.as_deref(),
        &format!("{base}/credentials/{credential}"),
        "claim-credential",
        &mut problems,
    )
    .await;

    assert!(problems.is_empty(), "{}", problems.join("\n"));
    server.abort();
}
