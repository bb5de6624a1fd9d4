//! OpenID Connect sign-in configured per organization: an org admin names the organization's
//! provider (issuer URL, client id and secret, a label for the sign-in button); a person signs in
//! there (authorization code with PKCE S256, state and nonce), and the rules below decide whom
//! the verified email address may sign in as. This module is an OIDC *client*, like the mail
//! module is an SMTP client: it calls out to the provider through one bounded HTTP client, and
//! never sees an incoming request (the server's `oidc` module does).
//!
//! Trust rule: an organization's provider speaks only for that organization's own people. The
//! account with the verified email must belong to the organization (a role there or in an
//! organization under it, or an educator record there) and to no other organization; otherwise
//! an org admin who configures a provider of their own could sign in as anyone. A person with
//! no account is enrolled as an educator when the organization has open enrollment, and refused
//! otherwise. Every sign-in started is single use, expires after [`LOGIN_TTL_MS`] and can be
//! finished only in the browser that started it.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse as _,
};
use pathledger_store::{
    AccessRole, LinkRefusal, NewOidcLogin, NewOidcProvider, OidcProvider, OrgId, Organization,
    StoreError, User,
};
use serde::Deserialize;

use crate::{Actor, App, AppError};

/// How long a sign-in at a provider may take: 10 minutes.
pub const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;
/// How long one call to a provider may take (connecting, sending, reading the answer).
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read from a provider (discovery document, keys, tokens).
pub const MAX_PROVIDER_RESPONSE: usize = 256 * 1024;
/// The longest button label.
pub const MAX_LABEL_CHARS: usize = 80;

/// Where providers send people back: to be registered at the provider as the redirect URI.
pub fn redirect_uri(app: &App) -> String {
    format!("{}/login/oidc/callback", app.public_url())
}

/// An organization's provider settings, as an org admin gives them.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcInput {
    /// The provider's issuer URL (https; its discovery document is fetched to check it).
    pub issuer_url: String,
    /// This deployment's client id at the provider.
    pub client_id: String,
    /// The client secret (stored sealed, never shown again).
    pub client_secret: String,
    /// What the sign-in button says after "Sign in with", e.g. "Riverside Google".
    pub label: String,
}

impl std::fmt::Debug for OidcInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcInput")
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// An organization's provider settings (never the secret), for its admins.
pub async fn provider(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
) -> Result<Option<OidcProvider>, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    Ok(app.store().oidc_provider(org_id).await?)
}

/// An org admin configures (or replaces) the organization's provider. The issuer must be https
/// (`allow_http`: plain http too, for tests and development) and answer discovery for exactly
/// that issuer; a provider that does not is refused at `issuer_url`.
pub async fn configure(
    app: &App,
    actor: &Actor,
    org_id: &OrgId,
    input: &OidcInput,
    allow_http: bool,
) -> Result<OidcProvider, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let issuer = parse_issuer(&input.issuer_url, allow_http)?;
    let client_id = required("client_id", &input.client_id, 1024)?;
    let client_secret = required("client_secret", &input.client_secret, 4096)?;
    let label = required("label", &input.label, MAX_LABEL_CHARS * 4)?;
    if label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "label",
            format!("one line of at most {MAX_LABEL_CHARS} characters"),
        ));
    }
    discover(&issuer, allow_http).await.map_err(|e| {
        AppError::invalid(
            "issuer_url",
            format!("the provider's discovery document could not be used: {e}"),
        )
    })?;
    let saved = app
        .store()
        .put_oidc_provider(NewOidcProvider {
            org_id: org_id.clone(),
            issuer_url: issuer.as_str().to_owned(),
            client_id,
            client_secret,
            label,
        })
        .await?;
    tracing::info!(org = %org_id, issuer = %saved.issuer_url, by = %actor.user.id, "OIDC provider configured");
    Ok(saved)
}

/// An org admin removes the organization's provider; whether there was one.
pub async fn remove(app: &App, actor: &Actor, org_id: &OrgId) -> Result<bool, AppError> {
    actor.require(app, org_id, AccessRole::OrgAdmin).await?;
    let removed = app.store().delete_oidc_provider(org_id).await?;
    if removed {
        tracing::info!(org = %org_id, by = %actor.user.id, "OIDC provider removed");
    }
    Ok(removed)
}

/// The organizations people can sign in through, with their button labels (by label).
pub async fn sign_in_choices(app: &App) -> Result<Vec<(OrgId, String)>, AppError> {
    Ok(app
        .store()
        .oidc_providers()
        .await?
        .into_iter()
        .map(|p| (p.org_id, p.label))
        .collect())
}

/// Starts a sign-in at `org_id`'s provider for the browser whose binding hashes to `browser`:
/// stores state (hashed), nonce and PKCE verifier, and returns the provider's authorization URL
/// to send the browser to.
pub async fn begin(
    app: &App,
    org_id: &OrgId,
    browser: [u8; 32],
    allow_http: bool,
) -> Result<String, AppError> {
    let (provider, secret) = app
        .store()
        .oidc_provider_with_secret(org_id)
        .await?
        .ok_or_else(not_configured)?;
    let client = client(app, &provider, secret, allow_http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    app.store()
        .create_oidc_login(NewOidcLogin {
            state: state.secret().clone(),
            org_id: org_id.clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            browser_hash: browser,
            ttl_ms: LOGIN_TTL_MS,
        })
        .await?;
    Ok(url.to_string())
}

/// What the provider sent back to the callback.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The state we sent.
    pub state: Option<String>,
    /// The issuer (RFC 9207), when the provider says.
    pub iss: Option<String>,
    /// The provider's error code, when the person or the provider refused.
    pub error: Option<String>,
}

/// Finishes a sign-in in the browser whose binding hashes to `browser` (`None`: it has no
/// binding cookie): takes the sign-in back once, exchanges the code (with the PKCE verifier),
/// verifies the ID token (signature, issuer, audience, nonce, expiry) and applies the trust
/// rule of this module to its verified email. Returns the user to start a session for.
pub async fn finish(
    app: &App,
    callback: &Callback,
    browser: Option<[u8; 32]>,
    allow_http: bool,
) -> Result<User, AppError> {
    let state = callback
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= 512)
        .ok_or(LinkRefusal::Unknown)?;
    let browser = browser.ok_or(LinkRefusal::OtherBrowser)?;
    let login = app
        .store()
        .use_oidc_login(state, &browser)
        .await?
        .map_err(AppError::Link)?;
    if let Some(error) = &callback.error {
        let error: String = error
            .chars()
            .filter(char::is_ascii_graphic)
            .take(64)
            .collect();
        tracing::info!(org = %login.org_id, %error, "OIDC sign-in refused at the provider");
        return Err(refused(
            "oidc_provider_refused",
            format!("The sign-in was not completed at the provider ({error}). Try again."),
        ));
    }
    let code = callback
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 4096)
        .ok_or_else(|| AppError::invalid("code", "the provider sent no authorization code"))?;
    let (provider, secret) = app
        .store()
        .oidc_provider_with_secret(&login.org_id)
        .await?
        .ok_or_else(not_configured)?;
    // RFC 9207: a provider that names itself must be the one this sign-in went to.
    if callback
        .iss
        .as_deref()
        .is_some_and(|iss| iss != provider.issuer_url)
    {
        tracing::warn!(org = %login.org_id, "OIDC callback from another issuer");
        return Err(refused(
            "oidc_wrong_issuer",
            "The answer came from another provider than the one this sign-in went to.",
        ));
    }
    let client = client(app, &provider, secret, allow_http).await?;
    let http = Http { allow_http };
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| upstream(&provider, "has no token endpoint", &e))?
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| upstream(&provider, "refused the code exchange", &e))?;
    let id_token = token
        .id_token()
        .ok_or_else(|| upstream(&provider, "sent no ID token", &"missing id_token"))?;
    let claims = id_token
        .claims(
            &client.id_token_verifier(),
            &Nonce::new(login.nonce.clone()),
        )
        .map_err(|e| {
            tracing::warn!(org = %provider.org_id, error = %e, "OIDC ID token refused");
            refused(
                "oidc_token_invalid",
                format!(
                    "{} sent an ID token that did not pass its checks. Try again.",
                    provider.label
                ),
            )
        })?;
    let email = claims
        .email()
        .map(|e| e.as_str().to_owned())
        .ok_or_else(|| {
            refused(
                "oidc_no_email",
                format!("{} did not tell us your email address.", provider.label),
            )
        })?;
    if claims.email_verified() != Some(true) {
        return Err(refused(
            "oidc_email_unverified",
            format!(
                "{} has not verified the email address {email}; verify it there, or sign in with an email link.",
                provider.label
            ),
        ));
    }
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().trim().to_owned())
        .filter(|n| !n.is_empty() && n.len() <= 512)
        .unwrap_or_else(|| email.clone());
    let org = app.store().organization(&login.org_id).await?;
    let user = account_for(app, &org, &email, &name).await?;
    tracing::info!(org = %org.id, user = %user.id, "signed in through OIDC");
    Ok(user)
}

/// The trust rule (see the module): who the verified `email` may sign in as through `org`'s
/// provider.
async fn account_for(
    app: &App,
    org: &Organization,
    email: &str,
    name: &str,
) -> Result<User, AppError> {
    let store = app.store();
    let existing = match store.user_by_email(email).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(user) = existing {
        if store.user_deactivated(&user.id).await? {
            return Err(LinkRefusal::Deactivated.into());
        }
        let mut orgs: Vec<OrgId> = store
            .memberships(&user.id)
            .await?
            .into_iter()
            .map(|m| m.org_id)
            .collect();
        orgs.extend(user.educators.iter().map(|l| l.org_id.clone()));
        orgs.sort();
        orgs.dedup();
        let mut inside = false;
        let mut elsewhere = None;
        for o in &orgs {
            if within(app, o, &org.id).await? {
                inside = true;
            } else if elsewhere.is_none() {
                elsewhere = Some(o.clone());
            }
        }
        if let Some(other) = elsewhere {
            // Never enrolled either: that would let this provider sign in someone another
            // organization vouches for.
            tracing::warn!(org = %org.id, user = %user.id, %other, "OIDC sign-in refused: the account belongs to another organization");
            return Err(if inside {
                refused(
                    "oidc_other_organizations",
                    "This account also belongs to other organizations; sign in with an email link.",
                )
            } else {
                refused(
                    "oidc_other_organization",
                    format!(
                        "The account for {email} belongs to another organization, not to {}; sign in with an email link.",
                        org.name
                    ),
                )
            });
        }
        if inside {
            return Ok(user);
        }
        // An account that belongs to no organization (every role withdrawn, perhaps kept aside
        // by a deactivation) is still someone's: a provider never signs into it or enrolls it.
        tracing::warn!(org = %org.id, user = %user.id, "OIDC sign-in refused: the account does not belong to this organization");
        return Err(refused(
            "oidc_other_organization",
            format!(
                "The account for {email} does not belong to {}; sign in with an email link.",
                org.name
            ),
        ));
    }
    // No account yet.
    if store.open_enrollment(&org.id).await? {
        return match store.enroll_verified_educator(&org.id, email, name).await? {
            Some(user) => {
                tracing::info!(org = %org.id, user = %user.id, "enrolled through OIDC");
                Ok(user)
            }
            None => Err(LinkRefusal::Deactivated.into()),
        };
    }
    Err(refused(
        "oidc_no_account",
        format!(
            "No account at {} for {email}; ask its administrator for an invitation.",
            org.name
        ),
    ))
}

/// Whether `org` is `root` or an organization under it.
async fn within(app: &App, org: &OrgId, root: &OrgId) -> Result<bool, AppError> {
    let mut current = Some(org.clone());
    for _ in 0..32 {
        let Some(o) = current else {
            return Ok(false);
        };
        if &o == root {
            return Ok(true);
        }
        current = match app.store().organization(&o).await {
            Ok(found) => found.parent_id.map(Into::into),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
    }
    Ok(false)
}

fn refused(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Forbidden {
        code,
        message: message.into(),
    }
}

fn not_configured() -> AppError {
    AppError::Missing("This organization has no OpenID Connect sign-in.".into())
}

fn upstream(provider: &OidcProvider, what: &str, e: &dyn std::fmt::Display) -> AppError {
    tracing::warn!(org = %provider.org_id, issuer = %provider.issuer_url, error = %e, "OIDC provider {what}");
    AppError::Upstream(format!(
        "{} {what}; the sign-in could not be completed. Try again, or sign in with an email link.",
        provider.label
    ))
}

fn required(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if v.len() > max {
        return Err(AppError::invalid(field, format!("longer than {max} bytes")));
    }
    if v.contains('\0') {
        return Err(AppError::invalid(field, "contains a NUL character"));
    }
    Ok(v.to_owned())
}

/// An issuer URL: absolute https (http only when allowed), with a host, and no credentials,
/// query or fragment (OpenID Connect Discovery §2).
fn parse_issuer(s: &str, allow_http: bool) -> Result<IssuerUrl, AppError> {
    let s = required("issuer_url", s, 2048)?;
    let url = openidconnect::url::Url::parse(&s)
        .map_err(|e| AppError::invalid("issuer_url", format!("not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err(AppError::invalid("issuer_url", "must be an https URL")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(AppError::invalid("issuer_url", "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid("issuer_url", "must not hold credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(AppError::invalid(
            "issuer_url",
            "must have no query or fragment",
        ));
    }
    IssuerUrl::new(s).map_err(|e| AppError::invalid("issuer_url", e.to_string()))
}

/// The provider's discovery document (and keys), fetched through the bounded client.
async fn discover(issuer: &IssuerUrl, allow_http: bool) -> Result<CoreProviderMetadata, String> {
    CoreProviderMetadata::discover_async(issuer.clone(), &Http { allow_http })
        .await
        .map_err(|e| error_chain(&e))
}

/// A client for `provider`, from its discovery document fetched now.
async fn client(
    app: &App,
    provider: &OidcProvider,
    secret: String,
    allow_http: bool,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    AppError,
> {
    let issuer = parse_issuer(&provider.issuer_url, allow_http)?;
    let metadata = discover(&issuer, allow_http)
        .await
        .map_err(|e| upstream(provider, "could not be reached", &e))?;
    let redirect = RedirectUrl::new(redirect_uri(app))
        .map_err(|e| AppError::internal(format!("redirect URI: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(redirect))
}

/// An error and its sources, as one line (no secrets are in these: URLs, statuses, parse errors).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.chars().take(500).collect()
}

// ----- the one HTTP client for providers --------------------------------------------------------

/// Why a call to a provider failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderHttpError {
    /// The URL is not one we call (plain http when not allowed, or not http at all).
    #[error("refused to call {0}: only https URLs are called")]
    Scheme(String),
    /// The answer was larger than [`MAX_PROVIDER_RESPONSE`].
    #[error("the answer is larger than {MAX_PROVIDER_RESPONSE} bytes")]
    TooLarge,
    /// Connecting, sending or reading failed (or took longer than [`PROVIDER_TIMEOUT`]).
    #[error("{0}")]
    Transport(String),
}

/// The bounded client: a timeout for each whole call, no redirects followed (a provider's
/// endpoints are named in its discovery document), answers read up to a size limit, https only
/// unless the deployment allows plain http.
struct Http {
    allow_http: bool,
}

fn shared_client() -> Result<&'static reqwest::Client, ProviderHttpError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent("Pathledger")
        .build()
        .map_err(|e| ProviderHttpError::Transport(e.to_string()))?;
    Ok(CLIENT.get_or_init(|| c))
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = ProviderHttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<HttpResponse, ProviderHttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let scheme = request.uri().scheme_str().unwrap_or("");
            if !(scheme == "https" || (scheme == "http" && self.allow_http)) {
                return Err(ProviderHttpError::Scheme(request.uri().to_string()));
            }
            let client = shared_client()?;
            let request = reqwest::Request::try_from(request)
                .map_err(|e| ProviderHttpError::Transport(e.to_string()))?;
            let mut response = client
                .execute(request)
                .await
                .map_err(|e| ProviderHttpError::Transport(error_chain(&e)))?;
            if response
                .content_length()
                .is_some_and(|n| n > MAX_PROVIDER_RESPONSE as u64)
            {
                return Err(ProviderHttpError::TooLarge);
            }
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| ProviderHttpError::Transport(error_chain(&e)))?
            {
                if body.len() + chunk.len() > MAX_PROVIDER_RESPONSE {
                    return Err(ProviderHttpError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            builder
                .body(body)
                .map_err(|e| ProviderHttpError::Transport(e.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_unless_allowed() {
        assert!(parse_issuer("https://accounts.example", false).is_ok());
        assert!(parse_issuer(" https://login.example/tenant/v2.0 ", false).is_ok());
        for bad in [
            "http://127.0.0.1:8080",
            "ftp://accounts.example",
            "accounts.example",
            "",
            "https://user:pw@accounts.example",
            "https://accounts.example/?a=b",
            "https://accounts.example/#x",
        ] {
            match parse_issuer(bad, false) {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, "issuer_url", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(parse_issuer("http://127.0.0.1:8080", true).is_ok());
    }

    #[tokio::test]
    async fn the_client_calls_only_allowed_schemes() {
        let req = |uri: &str| {
            openidconnect::http::Request::builder()
                .uri(uri)
                .body(Vec::new())
                .unwrap()
        };
        let http = Http { allow_http: false };
        assert!(matches!(
            http.call(req("http://127.0.0.1:9/x")).await,
            Err(ProviderHttpError::Scheme(_))
        ));
        assert!(matches!(
            http.call(req("ftp://127.0.0.1:9/x")).await,
            Err(ProviderHttpError::Scheme(_))
        ));
    }
}
