//! The links that carry a credential elsewhere: its public page, the wallet claim, LinkedIn's
//! "Add to profile" form. The pages and the award notice build them here, so both say the same.

use time::OffsetDateTime;

use crate::App;

/// What LinkedIn's "Add to profile" form is filled with (a certification).
#[derive(Debug, Clone, Default)]
pub struct LinkedInCert<'a> {
    /// The achievement's name.
    pub name: &'a str,
    /// The issuing organization's name, if known.
    pub organization: Option<&'a str>,
    /// When it was issued.
    pub issued: Option<OffsetDateTime>,
    /// When it expires.
    pub expires: Option<OffsetDateTime>,
    /// The credential's public page.
    pub url: &'a str,
    /// The credential's id.
    pub id: &'a str,
}

/// LinkedIn's "Add to profile" link for a certification (`startTask=CERTIFICATION_NAME`): the
/// achievement as its name, the issuer's name as the organization, issue and expiry year and
/// month (1–12), the credential's page and its id. Every value is percent-encoded (spaces as
/// `%20`).
pub fn linkedin_add_url(c: &LinkedInCert<'_>) -> String {
    let enc = percent_encode;
    let mut url = format!(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name={}",
        enc(c.name)
    );
    if let Some(org) = c.organization {
        url.push_str(&format!("&organizationName={}", enc(org)));
    }
    if let Some(t) = &c.issued {
        url.push_str(&format!(
            "&issueYear={}&issueMonth={}",
            t.year(),
            u8::from(t.month())
        ));
    }
    if let Some(t) = &c.expires {
        url.push_str(&format!(
            "&expirationYear={}&expirationMonth={}",
            t.year(),
            u8::from(t.month())
        ));
    }
    url.push_str(&format!("&certUrl={}&certId={}", enc(c.url), enc(c.id)));
    url
}

/// `s` percent-encoded as one URL component: everything but ASCII letters, digits and `-_.~`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl App {
    /// The public page of one of our credentials (the share link).
    pub fn credential_url(&self, credential_id: &str) -> String {
        format!("{}/credentials/{credential_id}", self.public_url())
    }

    /// Where the holder claims a credential into a wallet app.
    pub fn claim_url(&self, credential_id: &str) -> String {
        format!("{}/credentials/{credential_id}/claim", self.public_url())
    }

    /// The public verify page opened on a credential of ours (what its QR code holds).
    pub fn verify_url(&self, credential_id: &str) -> String {
        format!(
            "{}/verify?id={}",
            self.public_url(),
            percent_encode(credential_id)
        )
    }
}
