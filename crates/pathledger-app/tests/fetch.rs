//! The fetcher of other issuers' documents against a real HTTPS server on loopback (hyper over
//! rustls, a certificate from a test CA made here), not a mock: what it fetches, what it refuses
//! and that the server never saw the refused requests, its cache, and a whole verification of a
//! credential whose issuer (did:web) and status list live on that server.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};
use pathledger_app::fetch::{FetchConfig, SafeFetcher};
use pathledger_app::registry::TrustedIssuer;
use pathledger_app::{App, AppConfig};
use pathledger_badges::{self as badges, FetchError, StatusEntry, StatusPurpose};
use pathledger_signing::{
    sign_document, Cryptosuite, DidWebDocument, KeyStatus, ProofOptions, SigningKey,
};
use pathledger_store::Kek;
use serde_json::{json, Value};
use tokio_rustls::rustls;

/// What the test server answers at one path.
#[derive(Clone)]
enum Route {
    Json {
        body: String,
        cache_control: Option<&'static str>,
    },
    Raw {
        content_type: &'static str,
        body: Vec<u8>,
    },
    Redirect(String),
    Slow(Duration),
    /// 410 Gone: a hosted badge its issuer withdrew.
    Gone,
}

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Route>>,
    hits: Mutex<HashMap<String, usize>>,
}

struct TestServer {
    port: u16,
    addr: SocketAddr,
    ca_pem: Vec<u8>,
    state: Arc<State>,
}

impl TestServer {
    /// An HTTPS server on 127.0.0.1 whose certificate (from a fresh test CA) names
    /// `issuer.test`, `evil.test` and `127.0.0.1`, so only the fetcher's own rules can refuse.
    async fn start() -> TestServer {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Pathledger test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let mut leaf_params = CertificateParams::new(vec![
            "issuer.test".to_owned(),
            "evil.test".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "issuer.test");
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();

        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(
                    rustls::pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
                ),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let serving = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, state) = (acceptor.clone(), serving.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(answer(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        TestServer {
            port: addr.port(),
            addr,
            ca_pem: ca.pem().into_bytes(),
            state,
        }
    }

    fn route(&self, path: &str, route: Route) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), route);
    }

    fn json(&self, path: &str, body: &Value, cache_control: Option<&'static str>) {
        self.route(
            path,
            Route::Json {
                body: body.to_string(),
                cache_control,
            },
        );
    }

    fn hits(&self, path: &str) -> usize {
        self.state
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port)
    }

    /// Fetching configured as a test would: the CA trusted, `issuer.test` and `evil.test`
    /// resolved to the server, and only `issuer.test` allowed to be on a private address.
    fn config(&self) -> FetchConfig {
        let mut c = FetchConfig::enabled();
        c.root_certificates.push(self.ca_pem.clone());
        c.resolve.insert("issuer.test".into(), self.addr);
        c.resolve.insert("evil.test".into(), self.addr);
        c.private_hosts.insert("issuer.test".into());
        c.timeout = Duration::from_secs(2);
        c
    }
}

async fn answer(state: &State, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    *state.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let route = state.routes.lock().unwrap().get(&path).cloned();
    let mut response = Response::builder();
    let body = match route {
        None => {
            return response
                .status(404)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(b"{}")))
                .unwrap()
        }
        Some(Route::Json {
            body,
            cache_control,
        }) => {
            response = response.header("content-type", "application/json");
            if let Some(cc) = cache_control {
                response = response.header("cache-control", cc);
            }
            body.into_bytes()
        }
        Some(Route::Raw { content_type, body }) => {
            response = response.header("content-type", content_type);
            body
        }
        Some(Route::Redirect(to)) => {
            return response
                .status(302)
                .header("location", to)
                .body(Full::new(Bytes::new()))
                .unwrap()
        }
        Some(Route::Gone) => {
            return response
                .status(410)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(b"{}")))
                .unwrap()
        }
        Some(Route::Slow(wait)) => {
            tokio::time::sleep(wait).await;
            response = response.header("content-type", "application/json");
            b"{}".to_vec()
        }
    };
    response.body(Full::new(Bytes::from(body))).unwrap()
}

fn not_allowed(r: Result<Arc<Value>, FetchError>) -> String {
    match r {
        Err(FetchError::NotAllowed(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_from_an_allowed_host_and_refuses_everything_else() {
    let server = TestServer::start().await;
    let fetcher = SafeFetcher::new(&server.config()).unwrap();
    server.json("/doc.json", &json!({"hello": "world"}), None);

    // Allowed: the allow-listed test host, over https with the test CA.
    let doc = fetcher
        .fetch_json(&server.url("issuer.test", "/doc.json"))
        .await
        .unwrap();
    assert_eq!(doc["hello"], "world");
    assert_eq!(server.hits("/doc.json"), 1);

    // The same server under a name that is not allowed a private address (a public name
    // rebound to 127.0.0.1): refused in the resolver, so no connection is made.
    server.json("/rebound.json", &json!({}), None);
    let m = not_allowed(
        fetcher
            .fetch_json(&server.url("evil.test", "/rebound.json"))
            .await,
    );
    assert!(m.contains("private or reserved address (127.0.0.1)"), "{m}");
    assert_eq!(server.hits("/rebound.json"), 0);

    // An IP-literal URL (the certificate names 127.0.0.1, so only the rule refuses it).
    server.json("/literal.json", &json!({}), None);
    let m = not_allowed(
        fetcher
            .fetch_json(&server.url("127.0.0.1", "/literal.json"))
            .await,
    );
    assert!(m.contains("private or reserved address"), "{m}");
    let m = not_allowed(
        fetcher
            .fetch_json(&format!(
                "https://[::ffff:127.0.0.1]:{}/literal.json",
                server.port
            ))
            .await,
    );
    assert!(m.contains("private or reserved address"), "{m}");
    assert_eq!(server.hits("/literal.json"), 0);

    // Plain http for a host that is not a configured test host.
    let m = not_allowed(
        fetcher
            .fetch_json(&format!("http://issuer.test:{}/doc.json", server.port))
            .await,
    );
    assert!(m.contains("only https"), "{m}");
    assert_eq!(server.hits("/doc.json"), 1);

    // Redirects: to an allowed host is followed; to an address, to a host that may not be
    // private, or to http is refused, and the target never sees a request.
    server.json("/target.json", &json!({"redirected": true}), None);
    server.route(
        "/to-allowed",
        Route::Redirect(server.url("issuer.test", "/target.json")),
    );
    let doc = fetcher
        .fetch_json(&server.url("issuer.test", "/to-allowed"))
        .await
        .unwrap();
    assert_eq!(doc["redirected"], true);
    assert_eq!(server.hits("/target.json"), 1);
    for (from, to, why) in [
        ("/to-ip", server.url("127.0.0.1", "/target.json"), "private"),
        (
            "/to-metadata",
            "https://169.254.169.254/latest/meta-data".to_owned(),
            "private",
        ),
        (
            "/to-evil",
            server.url("evil.test", "/target.json"),
            "private",
        ),
        (
            "/to-http",
            format!("http://issuer.test:{}/target.json", server.port),
            "only https",
        ),
    ] {
        server.route(from, Route::Redirect(to));
        let m = not_allowed(fetcher.fetch_json(&server.url("issuer.test", from)).await);
        assert!(m.contains(why), "{from}: {m}");
        assert_eq!(server.hits(from), 1);
    }
    assert_eq!(
        server.hits("/target.json"),
        1,
        "no refused redirect arrived"
    );
    // A redirect loop stops after a few.
    server.route("/loop", Route::Redirect(server.url("issuer.test", "/loop")));
    let m = not_allowed(
        fetcher
            .fetch_json(&server.url("issuer.test", "/loop"))
            .await,
    );
    assert!(m.contains("redirects"), "{m}");
    assert_eq!(server.hits("/loop"), 4);

    // Too large: refused while reading.
    let big = json!({"padding": "x".repeat(300 * 1024)});
    server.json("/big.json", &big, None);
    match fetcher
        .fetch_json(&server.url("issuer.test", "/big.json"))
        .await
    {
        Err(FetchError::Invalid(m)) => assert!(m.contains("larger than 256 KiB"), "{m}"),
        other => panic!("{other:?}"),
    }

    // Not JSON: by media type, and by content.
    server.route(
        "/page.html",
        Route::Raw {
            content_type: "text/html",
            body: b"<html></html>".to_vec(),
        },
    );
    match fetcher
        .fetch_json(&server.url("issuer.test", "/page.html"))
        .await
    {
        Err(FetchError::Invalid(m)) => assert!(m.contains("not JSON"), "{m}"),
        other => panic!("{other:?}"),
    }
    server.route(
        "/broken.json",
        Route::Raw {
            content_type: "application/did+json",
            body: b"{\"id\": ".to_vec(),
        },
    );
    match fetcher
        .fetch_json(&server.url("issuer.test", "/broken.json"))
        .await
    {
        Err(FetchError::Invalid(m)) => assert!(m.contains("not valid JSON"), "{m}"),
        other => panic!("{other:?}"),
    }

    // A missing document is "not found".
    assert!(matches!(
        fetcher
            .fetch_json(&server.url("issuer.test", "/nothing.json"))
            .await,
        Err(FetchError::NotFound(_))
    ));
    // A withdrawn one is "gone" (a hosted Open Badges 2.0 assertion so answered is revoked).
    server.route("/withdrawn.json", Route::Gone);
    assert!(matches!(
        fetcher
            .fetch_json(&server.url("issuer.test", "/withdrawn.json"))
            .await,
        Err(FetchError::Gone(_))
    ));

    // Too slow: given up after the time limit (2 s here), well before the server answers.
    server.route("/slow.json", Route::Slow(Duration::from_secs(20)));
    let start = Instant::now();
    match fetcher
        .fetch_json(&server.url("issuer.test", "/slow.json"))
        .await
    {
        Err(FetchError::Unavailable(m)) => {
            assert!(m.contains("in time") || m.contains("within"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_in_flight_are_bounded_for_the_whole_server() {
    let server = TestServer::start().await;
    let mut config = server.config();
    config.max_concurrent = 2;
    config.timeout = Duration::from_secs(5);
    let fetcher = Arc::new(SafeFetcher::new(&config).unwrap());
    server.route("/slow-a.json", Route::Slow(Duration::from_millis(1500)));
    server.route("/slow-b.json", Route::Slow(Duration::from_millis(1500)));
    server.json("/quick.json", &json!({"n": 1}), None);
    // Two slow hosts take both turns.
    let mut hanging = Vec::new();
    for path in ["/slow-a.json", "/slow-b.json"] {
        let (f, url) = (fetcher.clone(), server.url("issuer.test", path));
        hanging.push(tokio::spawn(async move { f.fetch_json(&url).await }));
    }
    while server.hits("/slow-a.json") + server.hits("/slow-b.json") < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A third document waits for a turn: nothing reaches its host meanwhile.
    let (f, url) = (fetcher.clone(), server.url("issuer.test", "/quick.json"));
    let waiting = tokio::spawn(async move { f.fetch_json(&url).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.hits("/quick.json"), 0, "a third fetch went out");
    // When the slow ones have answered, the third gets its turn and its answer, within its
    // own limit.
    for h in hanging {
        assert!(h.await.unwrap().is_ok());
    }
    assert_eq!(waiting.await.unwrap().unwrap()["n"], 1);
    assert_eq!(server.hits("/quick.json"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_honours_cache_control_within_its_ceiling() {
    let server = TestServer::start().await;
    let mut config = server.config();
    config.cache_ceiling = Duration::from_secs(1);
    let fetcher = SafeFetcher::new(&config).unwrap();
    server.json(
        "/max-age.json",
        &json!({"n": 1}),
        Some("public, max-age=60"),
    );
    server.json("/no-store.json", &json!({"n": 2}), Some("no-store"));
    server.json("/no-cache.json", &json!({"n": 3}), Some("no-cache"));
    server.json("/plain.json", &json!({"n": 4}), None);
    for _ in 0..3 {
        for path in [
            "/max-age.json",
            "/no-store.json",
            "/no-cache.json",
            "/plain.json",
        ] {
            fetcher
                .fetch_json(&server.url("issuer.test", path))
                .await
                .unwrap();
        }
    }
    assert_eq!(server.hits("/max-age.json"), 1, "max-age honoured");
    assert_eq!(server.hits("/plain.json"), 1, "cached by default");
    assert_eq!(server.hits("/no-store.json"), 3, "no-store never cached");
    assert_eq!(server.hits("/no-cache.json"), 3, "no-cache never cached");
    assert_eq!(fetcher.network_fetches(), 8);
    // The ceiling (1 s here) cuts max-age=60 short.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    fetcher
        .fetch_json(&server.url("issuer.test", "/max-age.json"))
        .await
        .unwrap();
    assert_eq!(server.hits("/max-age.json"), 2, "the ceiling applies");
}

/// A did:web issuer hosted on the test server: its DID document, a revocation list with
/// index 9 set, and credentials signed by its key.
struct RemoteIssuer {
    did: String,
    key: SigningKey,
    vm: String,
}

impl RemoteIssuer {
    fn publish(server: &TestServer) -> RemoteIssuer {
        let did = format!("did:web:issuer.test%3A{}", server.port);
        let key = SigningKey::generate().unwrap();
        let mut doc = DidWebDocument::new(did.clone()).unwrap();
        doc.add_key("key-1", key.public_key(), KeyStatus::Current);
        let vm = doc.current_verification_method().unwrap();
        server.json("/.well-known/did.json", &doc.to_json(), None);
        let issuer = RemoteIssuer { did, key, vm };
        issuer.publish_list(server, "/status/1", &[9]);
        issuer
    }

    fn publish_list(&self, server: &TestServer, path: &str, set: &[u64]) {
        let mut bits = badges::StatusList::new(131_072).unwrap();
        for i in set {
            bits.set(*i, true).unwrap();
        }
        let url = server.url("issuer.test", path);
        let list = badges::status_list_credential(&badges::StatusListCredentialInput {
            id: &url,
            issuer: &self.did,
            purpose: StatusPurpose::Revocation,
            valid_from: time::OffsetDateTime::now_utc() - time::Duration::days(1),
            valid_until: None,
            ttl_ms: None,
            list: &bits,
        });
        server.json(path, &self.sign(&list), None);
    }

    fn sign(&self, doc: &Value) -> Value {
        sign_document(
            doc,
            &self.key,
            &ProofOptions::assertion(Cryptosuite::EddsaJcs2022, self.vm.clone()),
        )
        .unwrap()
    }

    fn credential(&self, list_url: &str, index: u64) -> Value {
        self.sign(&json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": format!("urn:uuid:00000000-0000-4000-8000-{index:012}"),
            "type": ["VerifiableCredential"],
            "issuer": {"id": self.did, "name": "What the credential calls itself"},
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:teacher"},
            "credentialStatus": StatusEntry::new(list_url, StatusPurpose::Revocation, index).to_json(),
        }))
    }
}

async fn open_app(
    dir: &tempfile::TempDir,
    public_url: &str,
    fetch: FetchConfig,
    trusted: Vec<TrustedIssuer>,
) -> App {
    App::open(AppConfig {
        database_url: dir.path().join("t.db").to_string_lossy().into_owned(),
        kek: Kek::generate().unwrap(),
        public_url: public_url.into(),
        trusted_issuers: trusted,
        host_issuer: None,
        mail: pathledger_app::mail::MailConfig::outbox(dir.path().join("outbox")),
        fetch,
    })
    .await
    .unwrap()
}

fn check<'a>(report: &'a badges::VerificationReport, name: &str) -> &'a badges::CheckResult {
    report
        .checks
        .iter()
        .find(|c| format!("{:?}", c.check).eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no {name} check in {report:?}"))
}

/// A credential naming a host that answers slowly waits for it without a verification CPU
/// slot: more such credentials than there are slots are all waiting on the host at once, and a
/// credential that needs no fetch verifies meanwhile instead of queueing behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_on_a_slow_host_holds_no_verification_slot() {
    let server = TestServer::start().await;
    let issuer = RemoteIssuer::publish(&server);
    let list_url = server.url("issuer.test", "/status/1");
    server.route(
        "/.well-known/did.json",
        Route::Slow(Duration::from_secs(20)),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut config = server.config();
    config.timeout = Duration::from_secs(4);
    let app = open_app(&dir, "http://127.0.0.1:8080", config, Vec::new()).await;

    let n = app.verify_slots() + 1;
    let mut slow = Vec::new();
    for i in 0..n {
        let (app, vc) = (app.clone(), issuer.credential(&list_url, 100 + i as u64));
        slow.push(tokio::spawn(async move { app.verify(&vc).await }));
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while server.hits("/.well-known/did.json") < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        server.hits("/.well-known/did.json"),
        n,
        "{n} verifications should wait on the host together ({} slots)",
        app.verify_slots()
    );

    let key = SigningKey::from_seed([5; 32]);
    let quick = sign_document(
        &json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": key.public_key().did_key(),
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:teacher"},
        }),
        &key,
        &ProofOptions::assertion(
            Cryptosuite::EddsaJcs2022,
            key.public_key().did_key_verification_method(),
        ),
    )
    .unwrap();
    let report = app.verify(&quick).await;
    assert_eq!(
        check(&report, "proof").status,
        badges::CheckStatus::Passed,
        "{report:#?}"
    );
    assert!(
        slow.iter().all(|h| !h.is_finished()),
        "the quick credential waited for the slow ones"
    );
    for h in slow {
        let report = h.await.unwrap();
        assert_eq!(
            report.verdict,
            badges::Verdict::CouldNotCheck,
            "{report:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_issuers_credential_verifies_with_its_did_and_status_list_fetched() {
    let server = TestServer::start().await;
    let issuer = RemoteIssuer::publish(&server);
    let list_url = server.url("issuer.test", "/status/1");
    let dir = tempfile::tempdir().unwrap();
    let trusted = pathledger_app::registry::parse_trust_file(
        &json!([{"id": issuer.did, "name": "Test School"}]).to_string(),
        "trust.json",
    )
    .unwrap();
    let app = open_app(&dir, "http://127.0.0.1:8080", server.config(), trusted).await;

    let good = app.verify(&issuer.credential(&list_url, 7)).await;
    assert_eq!(good.verdict, badges::Verdict::Valid, "{good:#?}");
    assert_eq!(check(&good, "proof").status, badges::CheckStatus::Passed);
    assert_eq!(check(&good, "status").status, badges::CheckStatus::Passed);
    let named = &check(&good, "issuer").message;
    assert!(
        named.contains("Issued by Test School")
            && !named.contains("did:")
            && named.contains("listed in trust.json"),
        "{named}"
    );
    assert!(good.message.contains("Test School"), "{}", good.message);

    let revoked = app.verify(&issuer.credential(&list_url, 9)).await;
    assert_eq!(revoked.verdict, badges::Verdict::Revoked, "{revoked:#?}");
    assert_eq!(check(&revoked, "status").code, "REVOKED");
    // The DID document and the list came from the cache the second time.
    assert_eq!(server.hits("/.well-known/did.json"), 1);
    assert_eq!(server.hits("/status/1"), 1);

    // A changed signature is still caught with the key fetched.
    let mut tampered = issuer.credential(&list_url, 7);
    tampered["credentialSubject"]["id"] = json!("did:example:someone-else");
    let report = app.verify(&tampered).await;
    assert_eq!(report.verdict, badges::Verdict::Tampered, "{report:#?}");

    // Not on the trust list: genuine, but an unknown issuer.
    let dir2 = tempfile::tempdir().unwrap();
    let untrusting = open_app(&dir2, "http://127.0.0.1:8080", server.config(), Vec::new()).await;
    let report = untrusting.verify(&issuer.credential(&list_url, 7)).await;
    assert_eq!(
        report.verdict,
        badges::Verdict::UnknownIssuer,
        "{report:#?}"
    );
    assert_eq!(check(&report, "proof").status, badges::CheckStatus::Passed);

    // Fetching off: could not check, and nothing reaches the server.
    let dir3 = tempfile::tempdir().unwrap();
    let offline = open_app(
        &dir3,
        "http://127.0.0.1:8080",
        FetchConfig::default(),
        Vec::new(),
    )
    .await;
    let before = server.hits("/.well-known/did.json");
    let report = offline.verify(&issuer.credential(&list_url, 7)).await;
    assert_eq!(
        report.verdict,
        badges::Verdict::CouldNotCheck,
        "{report:#?}"
    );
    assert_eq!(server.hits("/.well-known/did.json"), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_own_urls_are_never_fetched() {
    // The deployment's public URL is the test server's: documents there are ours, served
    // from the store or not at all, even though the server would answer.
    let server = TestServer::start().await;
    let issuer = RemoteIssuer::publish(&server);
    let dir = tempfile::tempdir().unwrap();
    let public = format!("https://issuer.test:{}", server.port);
    let app = open_app(&dir, &public, server.config(), Vec::new()).await;
    let report = app
        .verify(&issuer.credential(&server.url("issuer.test", "/status/1"), 7))
        .await;
    assert_eq!(
        report.verdict,
        badges::Verdict::CouldNotCheck,
        "{report:#?}"
    );
    assert_eq!(server.hits("/.well-known/did.json"), 0);
    assert_eq!(server.hits("/status/1"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_fetches_a_bounded_number_of_documents() {
    // 16 credentials, each with a list of its own: with the DID document that is 17 documents,
    // one more than a request may fetch; the last list is never requested.
    let server = TestServer::start().await;
    let issuer = RemoteIssuer::publish(&server);
    let mut docs = Vec::new();
    for i in 0..16 {
        let path = format!("/status/l{i}");
        issuer.publish_list(&server, &path, &[]);
        docs.push(issuer.credential(&server.url("issuer.test", &path), 3));
    }
    let dir = tempfile::tempdir().unwrap();
    let trusted = vec![TrustedIssuer::id(issuer.did.clone())];
    let app = open_app(&dir, "http://127.0.0.1:8080", server.config(), trusted).await;
    let work = app.verify_work();
    let reports = app.verify_many_within(&docs, &work).await;
    assert_eq!(work.fetched(), 16);
    for r in &reports[..15] {
        assert_eq!(r.verdict, badges::Verdict::Valid, "{r:#?}");
    }
    let last = &reports[15];
    assert_eq!(last.verdict, badges::Verdict::CouldNotCheck, "{last:#?}");
    assert!(
        check(last, "status")
            .message
            .contains("at most 16 documents"),
        "{last:#?}"
    );
    assert_eq!(server.hits("/status/l15"), 0);
    // A new request starts a new count (the cache still answers what was fetched).
    let again = app.verify(&docs[15]).await;
    assert_eq!(again.verdict, badges::Verdict::Valid, "{again:#?}");
    assert_eq!(server.hits("/status/l15"), 1);
}
