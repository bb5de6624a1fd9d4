//! OpenID for Verifiable Credential Issuance 1.0 (Final), pre-authorized code flow, over wallet
//! claims: the issuer and authorization server metadata, the credential offer, the token
//! exchange (transaction code, 5 wrong codes kill the offer), c_nonces, the `jwt` key proof
//! (App. F.1) and the credential request, which redeems the claim for the DID of the proof's
//! key. The protocol's own errors are [`ProtocolError`]s (OAuth's `error` and
//! `error_description`); the server puts them on the wire.

use std::time::Duration;

use pathledger_badges::jose::{self, PublicJwk};
use pathledger_store::{GrantRefusal, NewOid4vciOffer};
use serde_json::{json, Value};

use crate::claims::{ClaimProtocol, ClaimStatus, WalletClaim};
use crate::{Actor, App, AppError};

/// The one credential configuration offered: the holder's Open Badge, as `ldp_vc`.
pub const CONFIGURATION_ID: &str = "OpenBadgeCredential";
/// The pre-authorized code grant type (OID4VCI §4.1.1).
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// The key proof's JWT type (App. F.1).
pub const PROOF_TYP: &str = "openid4vci-proof+jwt";
/// The VC 2.0 context, first in every credential we issue.
const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// How long an access token works.
pub const TOKEN_TTL: Duration = Duration::from_secs(300);
/// How long a c_nonce works.
pub const NONCE_TTL: Duration = Duration::from_secs(300);
/// How old a key proof's `iat` may be.
pub const PROOF_MAX_AGE: Duration = Duration::from_secs(300);
/// How far ahead of our clock a key proof's `iat` may be (the wallet's clock skew).
pub const PROOF_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// Longest key proof JWT read.
pub const MAX_PROOF_JWT: usize = 16 * 1024;
/// Longest pre-authorized code or transaction code read.
const MAX_CODE: usize = 512;

/// The paths of the protocol's endpoints, under the public URL.
pub mod paths {
    /// Issuer metadata (§12.2.2: inserted after the host; our issuer id has no path).
    pub const ISSUER_METADATA: &str = "/.well-known/openid-credential-issuer";
    /// RFC 8414 authorization server metadata.
    pub const AS_METADATA: &str = "/.well-known/oauth-authorization-server";
    /// Credential offers by reference (`/oid4vci/offers/{offer id}`).
    pub const OFFERS: &str = "/oid4vci/offers";
    /// Token endpoint.
    pub const TOKEN: &str = "/oid4vci/token";
    /// Nonce endpoint.
    pub const NONCE: &str = "/oid4vci/nonce";
    /// Credential endpoint.
    pub const CREDENTIAL: &str = "/oid4vci/credential";
}

/// An error in the protocol's own words: OAuth 2.0 (`invalid_grant`, `invalid_request`,
/// `unsupported_grant_type`), RFC 6750 (`invalid_token`) or OID4VCI §8.3.1.2
/// (`invalid_proof`, `invalid_nonce`, `unknown_credential_configuration`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct ProtocolError {
    /// The registered error code.
    pub error: &'static str,
    /// A sentence for the wallet's developer.
    pub description: String,
}

impl ProtocolError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }
    /// `invalid_request`.
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new("invalid_request", d)
    }
    /// `invalid_grant`.
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new("invalid_grant", d)
    }
    /// `invalid_token` (RFC 6750: answered 401 with `WWW-Authenticate`).
    pub fn invalid_token(d: impl Into<String>) -> Self {
        Self::new("invalid_token", d)
    }
    /// `invalid_proof`.
    pub fn invalid_proof(d: impl Into<String>) -> Self {
        Self::new("invalid_proof", d)
    }
    /// `invalid_nonce`.
    pub fn invalid_nonce(d: impl Into<String>) -> Self {
        Self::new("invalid_nonce", d)
    }
    /// `invalid_credential_request`.
    pub fn invalid_credential_request(d: impl Into<String>) -> Self {
        Self::new("invalid_credential_request", d)
    }
    /// Whether this refuses the access token itself (401) rather than the request (400).
    pub fn is_token_error(&self) -> bool {
        self.error == "invalid_token"
    }
}

/// The credential issuer metadata (§12.2.4) of the deployment at `public_url`, which is the
/// credential issuer identifier and its own authorization server.
pub fn issuer_metadata(public_url: &str) -> Value {
    json!({
        "credential_issuer": public_url,
        "credential_endpoint": format!("{public_url}{}", paths::CREDENTIAL),
        "nonce_endpoint": format!("{public_url}{}", paths::NONCE),
        "display": [{"name": "Pathledger", "locale": "en-US"}],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": "ldp_vc",
                "credential_definition": {
                    "@context": [VC_V2_CONTEXT, pathledger_badges::ob::OB_CONTEXT],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"]
                },
                "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
                "credential_signing_alg_values_supported": ["eddsa-jcs-2022", "eddsa-rdfc-2022"],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}
                },
                "credential_metadata": {
                    "display": [{
                        "name": "Open Badge",
                        "locale": "en-US",
                        "description": "A credential earned on a Pathledger career pathway (Open Badges 3.0)."
                    }]
                }
            }
        }
    })
}

/// The RFC 8414 authorization server metadata: the pre-authorized code grant, anonymous.
pub fn authorization_server_metadata(public_url: &str) -> Value {
    json!({
        "issuer": public_url,
        "token_endpoint": format!("{public_url}{}", paths::TOKEN),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": true
    })
}

/// A credential offer made for the holder: the claim, the offer's URL, the deep link a wallet
/// opens (also the QR code's text) and the transaction code to type into the wallet.
#[derive(Clone)]
pub struct WalletOffer {
    /// The claim the offer spends.
    pub claim: WalletClaim,
    /// `credential_offer_uri`: where the offer document is.
    pub offer_uri: String,
    /// `openid-credential-offer://?credential_offer_uri=…`.
    pub deep_link: String,
    /// The transaction code (digits).
    pub tx_code: String,
}

impl std::fmt::Debug for WalletOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletOffer")
            .field("claim", &self.claim.id)
            .finish_non_exhaustive()
    }
}

/// What the token endpoint answers.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub access_token: String,
    /// Seconds it works.
    pub expires_in: u64,
}

/// A key proof that checked out: the holder's DID and the c_nonce it carries (not yet spent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProof {
    /// The DID the credential is bound to (no fragment).
    pub holder_did: String,
    /// The proof's `nonce`.
    pub nonce: String,
}

/// Percent-encodes a URL for a query value (RFC 3986 unreserved characters pass).
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks a `jwt` key proof (App. F.1) for the issuer `audience` at `now_s` (Unix seconds):
/// `typ` `openid4vci-proof+jwt`, `alg` `EdDSA`, exactly one of `kid` (a did:key or did:jwk DID
/// URL) and `jwk` (an Ed25519 OKP key, bound as its did:key), a signature by that key, `aud`
/// the issuer, `iat` recent and a `nonce`.
pub fn check_proof_jwt(
    jwt: &str,
    audience: &str,
    now_s: i64,
) -> Result<CheckedProof, ProtocolError> {
    let bad = |d: String| ProtocolError::invalid_proof(d);
    if jwt.len() > MAX_PROOF_JWT {
        return Err(bad(format!(
            "the proof JWT is longer than {MAX_PROOF_JWT} bytes"
        )));
    }
    let jws = jose::decode(jwt).map_err(|e| bad(format!("the proof is not a usable JWT: {e}")))?;
    let header = |name: &str| jws.header.get(name);
    if header("typ").and_then(Value::as_str) != Some(PROOF_TYP) {
        return Err(bad(format!("the proof's typ must be {PROOF_TYP}")));
    }
    if jws.alg() != "EdDSA" {
        return Err(bad(format!(
            "the proof is signed with {:?}; EdDSA (Ed25519) is supported",
            jws.alg()
        )));
    }
    let (key, holder_did) = match (header("kid"), header("jwk"), header("x5c")) {
        (Some(kid), None, None) => {
            let kid = kid
                .as_str()
                .ok_or_else(|| bad("the proof's kid is not a string".into()))?;
            key_of_kid(kid).map_err(bad)?
        }
        (None, Some(jwk), None) => {
            let key = PublicJwk::from_jwk(jwk)
                .map_err(|e| bad(format!("the proof's jwk is not usable: {e}")))?;
            let PublicJwk::Ed25519(x) = key else {
                return Err(bad("the proof's jwk must be an Ed25519 (OKP) key".into()));
            };
            let did = pathledger_signing::PublicKey::from_bytes(x)
                .map_err(|_| bad("the proof's jwk is not a valid Ed25519 key".into()))?
                .did_key();
            (key, did)
        }
        (None, None, Some(_)) => {
            return Err(bad(
                "x5c key proofs are not supported; use kid (did:key, did:jwk) or jwk".into(),
            ))
        }
        _ => {
            return Err(bad(
                "the proof's header must carry exactly one of kid, jwk and x5c".into(),
            ))
        }
    };
    jose::verify(&jws, &key).map_err(|e| bad(format!("the proof's signature: {e}")))?;
    let claims = &jws.payload;
    let aud_ok = match &claims["aud"] {
        Value::String(s) => s == audience,
        Value::Array(a) => a.iter().any(|v| v.as_str() == Some(audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(bad(format!(
            "the proof's aud must be the credential issuer {audience}"
        )));
    }
    let Some(iat) = claims["iat"].as_i64() else {
        return Err(bad("the proof has no iat (a number of seconds)".into()));
    };
    if iat < now_s - PROOF_MAX_AGE.as_secs() as i64 {
        return Err(bad("the proof is too old (iat); make a new one".into()));
    }
    if iat > now_s + PROOF_CLOCK_SKEW.as_secs() as i64 {
        return Err(bad("the proof's iat is in the future".into()));
    }
    if let Some(exp) = claims.get("exp") {
        if exp.as_i64().is_none_or(|e| e <= now_s) {
            return Err(bad("the proof has expired (exp)".into()));
        }
    }
    let Some(nonce) = claims["nonce"].as_str() else {
        return Err(ProtocolError::invalid_nonce(
            "the proof carries no nonce; get one from the nonce endpoint",
        ));
    };
    Ok(CheckedProof {
        holder_did,
        nonce: nonce.to_owned(),
    })
}

/// The key and DID a `kid` names: `did:key:z6Mk…[#z6Mk…]` or `did:jwk:…[#0]` (Ed25519).
fn key_of_kid(kid: &str) -> Result<(PublicJwk, String), String> {
    let did = kid.split('#').next().unwrap_or(kid).to_owned();
    if kid.starts_with("did:key:") {
        let pk = pathledger_signing::resolve_did_key(kid)
            .map_err(|e| format!("the proof's kid is not a usable did:key: {e}"))?;
        return Ok((PublicJwk::Ed25519(pk.to_bytes()), did));
    }
    if kid.starts_with("did:jwk:") {
        if kid.split_once('#').is_some_and(|(_, f)| f != "0") {
            return Err("a did:jwk kid's fragment must be #0".into());
        }
        let jwk = jose::did_jwk_key(kid).map_err(|e| format!("the proof's kid: {e}"))?;
        return match PublicJwk::from_jwk(&jwk) {
            Ok(key @ PublicJwk::Ed25519(_)) => Ok((key, did)),
            Ok(_) => Err("the proof's did:jwk must hold an Ed25519 (OKP) key".into()),
            Err(e) => Err(format!("the proof's did:jwk key is not usable: {e}")),
        };
    }
    Err("the proof's kid must be a did:key or did:jwk DID URL".into())
}

/// The one `jwt` key proof of a credential request: `proofs.jwt` with one element (Final), or
/// the single `proof` object of drafts up to 15 (which wallets still send).
fn proof_jwt(req: &serde_json::Map<String, Value>) -> Result<&str, ProtocolError> {
    let invalid = ProtocolError::invalid_credential_request;
    match (req.get("proofs"), req.get("proof")) {
        (Some(_), Some(_)) => Err(invalid("send proofs or proof, not both")),
        (Some(Value::Object(p)), None) => {
            let (kind, list) = match p.iter().collect::<Vec<_>>()[..] {
                [(kind, list)] => (kind, list),
                _ => return Err(invalid("proofs must hold exactly one proof type")),
            };
            if kind != "jwt" {
                return Err(ProtocolError::invalid_proof(format!(
                    "proof type {kind} is not supported; jwt is"
                )));
            }
            match list.as_array().map(Vec::as_slice) {
                Some([Value::String(jwt)]) => Ok(jwt),
                Some([_]) => Err(invalid("proofs.jwt must hold a JWT string")),
                Some(a) if a.len() > 1 => Err(invalid(
                    "one credential is issued per request: proofs.jwt must hold one proof",
                )),
                _ => Err(invalid("proofs.jwt must be an array of one JWT")),
            }
        }
        (None, Some(Value::Object(p))) => {
            if p.get("proof_type").and_then(Value::as_str) != Some("jwt") {
                return Err(ProtocolError::invalid_proof(
                    "only the jwt proof type is supported",
                ));
            }
            p.get("jwt")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("proof.jwt must be a JWT string"))
        }
        (None, None) => Err(invalid(
            "the request has no proofs (a jwt key proof is required)",
        )),
        _ => Err(invalid("proofs must be an object")),
    }
}

impl App {
    /// Makes a wallet claim of the actor's own `credential_id` (see
    /// [`App::create_wallet_claim`]: anyone else is told it does not exist) and its offer.
    pub async fn create_oid4vci_offer(
        &self,
        actor: &Actor,
        credential_id: &str,
    ) -> Result<WalletOffer, AppError> {
        let claim = self
            .create_wallet_claim(actor, credential_id, ClaimProtocol::Oid4vci)
            .await?;
        let created = self
            .store()
            .create_oid4vci_offer(NewOid4vciOffer {
                claim_id: claim.id.clone(),
                code: claim.secret.clone(),
                expires_ms: claim.expires_ms,
            })
            .await?;
        let offer_uri = format!(
            "{}{}/{}",
            self.public_url(),
            paths::OFFERS,
            created.offer_id
        );
        let deep_link = format!(
            "openid-credential-offer://?credential_offer_uri={}",
            encode_component(&offer_uri)
        );
        Ok(WalletOffer {
            claim,
            offer_uri,
            deep_link,
            tx_code: created.tx_code,
        })
    }

    /// The credential offer document (§4.1.1) of `offer_id`, while its code can still be
    /// exchanged; `None` otherwise (unknown, used, expired or killed by wrong codes).
    pub async fn oid4vci_offer_document(&self, offer_id: &str) -> Result<Option<Value>, AppError> {
        if offer_id.len() > MAX_CODE {
            return Ok(None);
        }
        let Some(offer) = self.store().oid4vci_offer(offer_id).await? else {
            return Ok(None);
        };
        if offer.used || offer.dead || offer.expires_ms <= now_ms() {
            return Ok(None);
        }
        // The claim itself must still be open (an erasure removes claims, not their offers).
        match self.wallet_claim(&offer.code).await {
            Ok(c) if c.status == ClaimStatus::Open => {}
            Ok(_) | Err(AppError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        Ok(Some(json!({
            "credential_issuer": self.public_url(),
            "credential_configuration_ids": [CONFIGURATION_ID],
            "grants": {
                PRE_AUTHORIZED_GRANT: {
                    "pre-authorized_code": offer.code,
                    "tx_code": {
                        "input_mode": "numeric",
                        "length": pathledger_store::TX_CODE_LENGTH,
                        "description": "The 6-digit code shown beside the QR code on your Pathledger page"
                    }
                }
            }
        })))
    }

    /// The token request (§6.1): the pre-authorized code and its transaction code, exchanged
    /// once for an access token.
    pub async fn oid4vci_token(
        &self,
        grant_type: Option<&str>,
        code: Option<&str>,
        tx_code: Option<&str>,
    ) -> Result<Result<AccessToken, ProtocolError>, AppError> {
        let Some(grant_type) = grant_type else {
            return Ok(Err(ProtocolError::invalid_request("grant_type is missing")));
        };
        if grant_type != PRE_AUTHORIZED_GRANT {
            return Ok(Err(ProtocolError::new(
                "unsupported_grant_type",
                format!("only the grant type {PRE_AUTHORIZED_GRANT} is supported"),
            )));
        }
        let Some(code) = code.filter(|c| !c.is_empty()) else {
            return Ok(Err(ProtocolError::invalid_request(
                "pre-authorized_code is missing",
            )));
        };
        let Some(tx_code) = tx_code.filter(|c| !c.is_empty()) else {
            return Ok(Err(ProtocolError::invalid_request(
                "tx_code is missing: the offer asks for the code shown beside its QR code",
            )));
        };
        if code.len() > MAX_CODE || tx_code.len() > MAX_CODE {
            return Ok(Err(ProtocolError::invalid_grant(
                "the pre-authorized code or transaction code is not valid",
            )));
        }
        // The claim itself must still be open (not spent another way, not expired).
        match self.wallet_claim(code).await {
            Ok(c) if c.protocol == ClaimProtocol::Oid4vci && c.status == ClaimStatus::Open => {}
            Ok(c) if c.status == ClaimStatus::Expired => {
                return Ok(Err(ProtocolError::invalid_grant(
                    "the pre-authorized code has expired; make a new offer",
                )))
            }
            Ok(_) => {
                return Ok(Err(ProtocolError::invalid_grant(
                    "the pre-authorized code was already used",
                )))
            }
            Err(AppError::NotFound(_)) => {
                return Ok(Err(ProtocolError::invalid_grant(
                    "the pre-authorized code is not valid",
                )))
            }
            Err(e) => return Err(e),
        }
        let ttl = TOKEN_TTL.as_millis() as i64;
        Ok(
            match self.store().exchange_oid4vci_code(code, tx_code, ttl).await? {
                Ok(t) => {
                    tracing::info!(claim = %t.claim_id, "oid4vci access token issued");
                    Ok(AccessToken {
                        access_token: t.access_token,
                        expires_in: TOKEN_TTL.as_secs(),
                    })
                }
                Err(r) => Err(ProtocolError::invalid_grant(match r {
                    GrantRefusal::Unknown => "the pre-authorized code is not valid".to_owned(),
                    GrantRefusal::Expired => {
                        "the pre-authorized code has expired; make a new offer".to_owned()
                    }
                    GrantRefusal::Used => "the pre-authorized code was already used".to_owned(),
                    GrantRefusal::Dead => {
                        "too many wrong transaction codes: this offer no longer works; make a new one"
                            .to_owned()
                    }
                    GrantRefusal::WrongTxCode { remaining } => format!(
                        "the transaction code is wrong ({remaining} attempts left)"
                    ),
                })),
            },
        )
    }

    /// A fresh c_nonce (§7).
    pub async fn oid4vci_nonce(&self) -> Result<String, AppError> {
        Ok(self
            .store()
            .mint_oid4vci_nonce(NONCE_TTL.as_millis() as i64)
            .await?)
    }

    /// The credential request (§8): the bearer `access_token`, the request JSON `req`. Redeems
    /// the token's claim for the DID of the proof's key; answers the credential response.
    pub async fn oid4vci_credential(
        &self,
        access_token: Option<&str>,
        req: &Value,
    ) -> Result<Result<Value, ProtocolError>, AppError> {
        let Some(token) = access_token.filter(|t| !t.is_empty() && t.len() <= MAX_CODE) else {
            return Ok(Err(ProtocolError::invalid_token(
                "send the access token from the token endpoint as a Bearer token",
            )));
        };
        let Some(grant) = self.store().oid4vci_grant(token).await? else {
            return Ok(Err(ProtocolError::invalid_token(
                "the access token is not valid or has expired",
            )));
        };
        let Some(req) = req.as_object() else {
            return Ok(Err(ProtocolError::invalid_credential_request(
                "the request must be a JSON object",
            )));
        };
        if req.contains_key("credential_response_encryption") {
            return Ok(Err(ProtocolError::new(
                "invalid_encryption_parameters",
                "credential response encryption is not supported",
            )));
        }
        match (
            req.get("credential_configuration_id"),
            req.get("credential_identifier"),
        ) {
            (Some(Value::String(id)), None) if id == CONFIGURATION_ID => {}
            (Some(Value::String(id)), None) => {
                return Ok(Err(ProtocolError::new(
                    "unknown_credential_configuration",
                    format!("{id:?} is not offered; {CONFIGURATION_ID} is"),
                )))
            }
            (None, Some(_)) => {
                return Ok(Err(ProtocolError::new(
                    "unknown_credential_identifier",
                    "no credential identifiers are issued; use credential_configuration_id",
                )))
            }
            _ => {
                return Ok(Err(ProtocolError::invalid_credential_request(
                    "send credential_configuration_id (a string), and not credential_identifier",
                )))
            }
        }
        let jwt = match proof_jwt(req) {
            Ok(j) => j,
            Err(e) => return Ok(Err(e)),
        };
        let proof = match check_proof_jwt(jwt, self.public_url(), now_ms() / 1000) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        if self
            .store()
            .spend_oid4vci_nonce(&proof.nonce)
            .await?
            .is_err()
        {
            return Ok(Err(ProtocolError::invalid_nonce(
                "the proof's nonce is unknown, expired or already used; get a new one from the nonce endpoint",
            )));
        }
        match self
            .redeem_wallet_claim(&grant.code, &proof.holder_did)
            .await
        {
            Ok(issued) => {
                tracing::info!(claim = %grant.claim_id, copy = %issued.record.id, "oid4vci credential issued");
                Ok(Ok(
                    json!({"credentials": [{"credential": issued.credential}]}),
                ))
            }
            Err(e @ (AppError::Conflict(_) | AppError::Invalid { .. } | AppError::NotFound(_))) => {
                Ok(Err(ProtocolError::new(
                    "credential_request_denied",
                    e.detail(),
                )))
            }
            Err(e) => Err(e),
        }
    }
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const ISSUER: &str = "https://ledger.example";

    fn sign(header: Value, claims: Value, key: &pathledger_signing::SigningKey) -> String {
        let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
        let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        let sig = key.sign_raw(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn key() -> pathledger_signing::SigningKey {
        pathledger_signing::SigningKey::from_seed([7u8; 32])
    }

    fn claims(now: i64) -> Value {
        json!({"aud": ISSUER, "iat": now, "nonce": "n-1"})
    }

    #[test]
    fn a_kid_proof_binds_its_did_key() {
        let k = key();
        let vm = k.public_key().did_key_verification_method();
        let jwt = sign(
            json!({"typ": PROOF_TYP, "alg": "EdDSA", "kid": vm}),
            claims(1_000),
            &k,
        );
        let p = check_proof_jwt(&jwt, ISSUER, 1_000).unwrap();
        assert_eq!(p.holder_did, k.public_key().did_key());
        assert_eq!(p.nonce, "n-1");
    }

    #[test]
    fn a_jwk_proof_binds_the_did_key_of_its_key_and_did_jwk_binds_itself() {
        let k = key();
        let x = URL_SAFE_NO_PAD.encode(k.public_key().to_bytes());
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x});
        let jwt = sign(
            json!({"typ": PROOF_TYP, "alg": "EdDSA", "jwk": jwk}),
            claims(1_000),
            &k,
        );
        assert_eq!(
            check_proof_jwt(&jwt, ISSUER, 1_000).unwrap().holder_did,
            k.public_key().did_key()
        );
        let did = format!(
            "did:jwk:{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&jwk).unwrap())
        );
        let jwt = sign(
            json!({"typ": PROOF_TYP, "alg": "EdDSA", "kid": format!("{did}#0")}),
            claims(1_000),
            &k,
        );
        assert_eq!(
            check_proof_jwt(&jwt, ISSUER, 1_000).unwrap().holder_did,
            did
        );
    }

    #[test]
    fn each_broken_rule_is_refused_for_its_reason() {
        let k = key();
        let other = pathledger_signing::SigningKey::from_seed([8u8; 32]);
        let vm = k.public_key().did_key_verification_method();
        let good_header = json!({"typ": PROOF_TYP, "alg": "EdDSA", "kid": vm});
        let cases: Vec<(&str, String, &str)> = vec![
            (
                "wrong typ",
                sign(
                    json!({"typ": "JWT", "alg": "EdDSA", "kid": vm}),
                    claims(1_000),
                    &k,
                ),
                "typ",
            ),
            (
                "wrong alg",
                sign(
                    json!({"typ": PROOF_TYP, "alg": "ES256", "kid": vm}),
                    claims(1_000),
                    &k,
                ),
                "EdDSA",
            ),
            (
                "no key",
                sign(json!({"typ": PROOF_TYP, "alg": "EdDSA"}), claims(1_000), &k),
                "exactly one",
            ),
            (
                "kid and jwk",
                sign(
                    json!({"typ": PROOF_TYP, "alg": "EdDSA", "kid": vm, "jwk": {}}),
                    claims(1_000),
                    &k,
                ),
                "exactly one",
            ),
            (
                "did:web kid",
                sign(
                    json!({"typ": PROOF_TYP, "alg": "EdDSA", "kid": "did:web:x#k"}),
                    claims(1_000),
                    &k,
                ),
                "did:key or did:jwk",
            ),
            (
                "someone else's key",
                sign(good_header.clone(), claims(1_000), &other),
                "signature",
            ),
            (
                "wrong aud",
                sign(
                    good_header.clone(),
                    json!({"aud": "https://evil.example", "iat": 1_000, "nonce": "n"}),
                    &k,
                ),
                "aud",
            ),
            (
                "no iat",
                sign(
                    good_header.clone(),
                    json!({"aud": ISSUER, "nonce": "n"}),
                    &k,
                ),
                "iat",
            ),
            (
                "old iat",
                sign(
                    good_header.clone(),
                    json!({"aud": ISSUER, "iat": 1_000 - 301, "nonce": "n"}),
                    &k,
                ),
                "too old",
            ),
            (
                "future iat",
                sign(
                    good_header.clone(),
                    json!({"aud": ISSUER, "iat": 1_000 + 61, "nonce": "n"}),
                    &k,
                ),
                "future",
            ),
            (
                "expired",
                sign(
                    good_header.clone(),
                    json!({"aud": ISSUER, "iat": 1_000, "exp": 999, "nonce": "n"}),
                    &k,
                ),
                "exp",
            ),
            ("not a JWT", "abc".into(), "not a usable JWT"),
        ];
        for (name, jwt, why) in cases {
            let e = check_proof_jwt(&jwt, ISSUER, 1_000).unwrap_err();
            assert_eq!(e.error, "invalid_proof", "{name}: {e}");
            assert!(e.description.contains(why), "{name}: {e}");
        }
        let no_nonce = sign(good_header, json!({"aud": ISSUER, "iat": 1_000}), &k);
        assert_eq!(
            check_proof_jwt(&no_nonce, ISSUER, 1_000).unwrap_err().error,
            "invalid_nonce"
        );
    }

    #[test]
    fn requests_carry_one_jwt_proof_final_or_draft_form() {
        let obj = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            proof_jwt(&obj(json!({"proofs": {"jwt": ["a.b.c"]}}))).unwrap(),
            "a.b.c"
        );
        assert_eq!(
            proof_jwt(&obj(
                json!({"proof": {"proof_type": "jwt", "jwt": "a.b.c"}})
            ))
            .unwrap(),
            "a.b.c"
        );
        for (bad, code) in [
            (json!({}), "invalid_credential_request"),
            (
                json!({"proofs": {"jwt": ["a", "b"]}}),
                "invalid_credential_request",
            ),
            (json!({"proofs": {"jwt": []}}), "invalid_credential_request"),
            (json!({"proofs": {"di_vp": [{}]}}), "invalid_proof"),
            (
                json!({"proofs": {"jwt": ["a"]}, "proof": {}}),
                "invalid_credential_request",
            ),
            (json!({"proofs": ["a"]}), "invalid_credential_request"),
        ] {
            assert_eq!(
                proof_jwt(&obj(bad.clone())).unwrap_err().error,
                code,
                "{bad}"
            );
        }
    }

    #[test]
    fn metadata_names_our_endpoints_and_the_configuration() {
        let m = issuer_metadata(ISSUER);
        assert_eq!(m["credential_issuer"], ISSUER);
        assert_eq!(
            m["credential_endpoint"],
            "https://ledger.example/oid4vci/credential"
        );
        let c = &m["credential_configurations_supported"][CONFIGURATION_ID];
        assert_eq!(c["format"], "ldp_vc");
        assert_eq!(
            c["credential_definition"]["@context"][1],
            pathledger_badges::ob::OB_CONTEXT
        );
        let a = authorization_server_metadata(ISSUER);
        assert_eq!(a["grant_types_supported"][0], PRE_AUTHORIZED_GRANT);
        assert_eq!(a["pre-authorized_grant_anonymous_access_supported"], true);
    }
}
