//! A deployment without the demo, through the `pathledger` binary: `init --no-demo`, then
//! `org create` invites the first administrator (the invitation lands in the outbox, the link
//! is printed too), the server is started and the link signs the administrator in on the admin
//! page; and `serve` on an empty database opens the first-run page with the setup code it
//! prints.

mod common;

use std::path::Path;

use common::*;

/// `serve` without the demo on a free loopback port.
fn serve(dir: &Path) -> Server {
    let mut cmd = command(dir);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--no-demo"]);
    Server::spawn(cmd, None)
}

#[test]
fn org_create_invites_the_first_admin_who_signs_in_from_the_outbox() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let out = run(d, &["init", "--no-demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Nothing to issue from yet, and the message says what to do.
    let out = run(
        d,
        &[
            "issue",
            "--achievement",
            "mc-tools-1",
            "--recipient",
            "x@example.org",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("org create"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        d,
        &[
            "org",
            "create",
            "Lakeside Teacher Residency",
            "--admin",
            "Director@Lakeside.example",
            "--admin-name",
            "Morgan Lee",
            "--kind",
            "preparation_program",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("written to the outbox"), "{printed}");
    let link = printed
        .lines()
        .find_map(|l| l.strip_prefix("Invitation link (works once): "))
        .expect("the invitation link is printed")
        .to_owned();
    let path = link
        .find("/invitations/")
        .map(|i| link[i..].to_owned())
        .expect("an invitation path");

    // The same link is in the one message in the outbox, addressed to the administrator.
    let mails: Vec<_> = std::fs::read_dir(d.join("outbox"))
        .expect("outbox")
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).expect("read .eml"))
        .collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails.len(), 1);
    assert!(pathledger_test_support::mail_to(&mails[0]).contains("director@lakeside.example"));
    assert!(
        pathledger_test_support::mail_text(&mails[0]).contains(&link),
        "{}",
        mails[0]
    );

    // A roster: good rows are invited, a bad row is named by line and column (exit 1).
    let roster = d.join("staff.csv");
    std::fs::write(
        &roster,
        "email,name,roles\nres.one@lakeside.example,Res One,educator\nbroken,Bad,educator\n",
    )
    .expect("write roster");
    let out = run(d, &["invite", "--roster", roster.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("line 2: invited res.one@lakeside.example"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("line 3, column 1 (email)"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        d,
        &["invite", "mentor@lakeside.example", "--role", "assessor"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Invitation link"),
        "{}",
        text(&out.stdout)
    );
    let out = run(d, &["invite", "nobody@lakeside.example"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--role"),
        "{}",
        text(&out.stderr)
    );

    let listed = text(&run(d, &["org", "list"]).stdout);
    assert!(listed.contains("Lakeside Teacher Residency"), "{listed}");

    // Issuing works now, from the new organization's own issuer and key.
    let cred = d.join("c.json");
    let out = run(
        d,
        &[
            "issue",
            "--achievement",
            "mc-tools-1",
            "--recipient",
            "first.resident@lakeside.example",
            "--out",
            cred.to_str().expect("utf-8"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(d, &["verify", cred.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // The server has an organization: no setup page. The link signs the admin in on /admin.
    let server = serve(d);
    assert!(!server.banner.contains("setup code"), "{}", server.banner);
    let (status, _, _) = server.request("GET", "/setup", &[], "");
    assert_eq!(status, 404);
    let (status, _, page) = server.request("GET", &path, &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("Lakeside Teacher Residency"), "{page}");
    let (status, head, body) = server.request(
        "POST",
        &path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "name=Morgan+Lee",
    );
    assert_eq!(status, 303, "{head}\n{body}");
    assert_eq!(header(&head, "location"), Some("/admin"));
    let cookie = header(&head, "set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();
    let (status, _, admin) = server.request("GET", "/admin", &[("Cookie", &cookie)], "");
    assert_eq!(status, 200);
    assert!(
        admin.contains("Invitations") && admin.contains("Members"),
        "{admin}"
    );
    assert!(admin.contains("director@lakeside.example"), "{admin}");

    // Used once; a second use is refused.
    let (status, _, _) = server.request(
        "POST",
        &path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "",
    );
    assert_eq!(status, 410);
}

#[test]
fn serve_on_an_empty_database_prints_a_setup_code_for_the_first_run_page() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let server = serve(d);
    let code = server
        .banner
        .split("setup code ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("a setup code is printed")
        .to_owned();
    assert_eq!(code.len(), 24, "{}", server.banner);
    let (status, _, page) = server.request("GET", "/setup", &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("Setup code"));
    let form = |code: &str| {
        format!(
            "code={code}&name=Hill+District&kind=district&email=it%40hill.example&admin_name=Ari"
        )
    };
    let ct = [("Content-Type", "application/x-www-form-urlencoded")];
    let (status, _, _) = server.request("POST", "/setup", &ct, &form("000000000000000000000000"));
    assert_eq!(status, 403);
    let (status, head, _) = server.request("POST", "/setup", &ct, &form(&code));
    assert_eq!(status, 303, "{head}");
    assert_eq!(header(&head, "location"), Some("/admin"));
    let (status, _, _) = server.request("GET", "/setup", &[], "");
    assert_eq!(status, 404, "the first-run page closes once used");
    // The administrator's invitation also went to the outbox.
    assert_eq!(
        std::fs::read_dir(d.join("outbox")).expect("outbox").count(),
        1
    );
}
