//! Images: an achievement's image and an organization's logo (an upload, PNG or SVG read from
//! its content, or an https link kept as given and never fetched), the URLs credentials carry
//! for them, and credentials baked into an image (OB 3.0 §5.3) for download.

use pathledger_badges as badges;
use pathledger_store::{
    AccessRole, HostedImage, ImageLink, ImageRef, ImageSubject, NewImage, OrgId,
};
use serde_json::Value;

use crate::evidence::Upload;
use crate::{Actor, App, AppError};

/// The largest image accepted, in bytes (1 MiB).
pub const MAX_IMAGE_BYTES: usize = pathledger_store::MAX_IMAGE_BYTES;

/// The form field of an uploaded image, and of an image link.
pub const FIELD_FILE: &str = "image";
pub const FIELD_URL: &str = "image_url";

/// What an admin asks for an image.
#[derive(Debug, Clone)]
pub enum ImageInput {
    /// A file as uploaded.
    Upload(Upload),
    /// An https link to an image elsewhere.
    Url(String),
    /// No image any more.
    Remove,
}

/// The two image types we host (and can bake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Svg,
}

impl ImageType {
    pub fn media_type(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Svg => "image/svg+xml",
        }
    }
    pub fn of_media_type(m: &str) -> Option<Self> {
        match m {
            "image/png" => Some(ImageType::Png),
            "image/svg+xml" => Some(ImageType::Svg),
            _ => None,
        }
    }
    fn extension(self) -> &'static str {
        match self {
            ImageType::Png => "png",
            ImageType::Svg => "svg",
        }
    }
}

/// The type of an image read from its bytes (never from its name): a PNG by its signature, an
/// SVG when the bytes are UTF-8 XML whose root element is `svg`.
pub fn sniff_image(bytes: &[u8]) -> Option<ImageType> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ImageType::Png);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let head = text.trim_start();
    if !head.starts_with('<') {
        return None;
    }
    // A cheap look before parsing: the root element's name must be svg.
    let doc = parse_svg(text).ok()?;
    (doc.root_element().tag_name().name() == "svg").then_some(ImageType::Svg)
}

fn parse_svg(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            // No DTD: no entities, no external subsets.
            allow_dtd: false,
            nodes_limit: 100_000,
        },
    )
}

/// Whether a reference inside an SVG stays inside it: a fragment (`#id`) or an embedded image.
fn internal_reference(v: &str) -> bool {
    let v = v.trim();
    v.starts_with('#') || v.to_ascii_lowercase().starts_with("data:image/")
}

/// Every `url(…)` reference in a style or presentation attribute value must stay inside the
/// image; `@import` never does.
fn css_is_internal(css: &str) -> bool {
    let lower = css.to_ascii_lowercase();
    if lower.contains("@import") {
        return false;
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("url(") {
        let after = rest[i + 4..].trim_start_matches([' ', '"', '\'']);
        if !internal_reference(after) {
            return false;
        }
        rest = &rest[i + 4..];
    }
    true
}

/// Checks an SVG is safe to host and to show: no script, no event handler, no
/// `foreignObject`, no reference outside the image (links, `<use>`, `<image>`, CSS `url()`,
/// `@import`), no DTD, no processing instruction, no badge already baked in. `Err` says why, for
/// the person uploading it.
pub fn check_svg(text: &str) -> Result<(), String> {
    let doc = parse_svg(text).map_err(|e| {
        format!(
            "This SVG file is not well-formed XML ({e}), or declares a DTD, which is not accepted."
        )
    })?;
    if doc.root_element().tag_name().name() != "svg" {
        return Err("This file's root element is not <svg>.".into());
    }
    for node in doc.descendants() {
        if node.is_pi() {
            return Err("This SVG contains a processing instruction (such as xml-stylesheet), which could load something from elsewhere.".into());
        }
        if !node.is_element() {
            if node.is_text() {
                if let Some(p) = node.parent_element() {
                    if p.tag_name().name().eq_ignore_ascii_case("style")
                        && !css_is_internal(node.text().unwrap_or(""))
                    {
                        return Err("This SVG's stylesheet loads something from elsewhere (url() or @import).".into());
                    }
                }
            }
            continue;
        }
        let name = node.tag_name().name();
        let lname = name.to_ascii_lowercase();
        if lname == "script" {
            return Err(
                "This SVG contains a <script> element; scripts are not allowed in images.".into(),
            );
        }
        if lname == "foreignobject" {
            return Err("This SVG contains a <foreignObject> element, which can embed HTML; it is not allowed.".into());
        }
        if matches!(
            node.tag_name().namespace(),
            Some(badges::input::OB3_SVG_NS) | Some("http://openbadges.org")
        ) {
            return Err("This SVG already carries a baked badge; upload the plain image.".into());
        }
        if matches!(lname.as_str(), "set" | "animate")
            && node
                .attribute("attributeName")
                .is_some_and(|a| a.to_ascii_lowercase().ends_with("href"))
        {
            return Err("This SVG animates a link target, which could turn into a script; it is not allowed.".into());
        }
        for a in node.attributes() {
            let an = a.name().to_ascii_lowercase();
            if an.starts_with("on") {
                return Err(format!(
                    "This SVG has an event handler ({}=) on <{name}>; scripts are not allowed in images.",
                    a.name()
                ));
            }
            if an == "href" && !internal_reference(a.value()) {
                return Err(format!(
                    "This SVG refers to something outside the image (href=\"{}\" on <{name}>); only references inside it (#…) or embedded images (data:image/…) are allowed.",
                    a.value().chars().take(80).collect::<String>()
                ));
            }
            if a.value().to_ascii_lowercase().contains("url(") && !css_is_internal(a.value()) {
                return Err(format!(
                    "This SVG refers to something outside the image ({}=\"…url(…)\" on <{name}>).",
                    a.name()
                ));
            }
        }
    }
    Ok(())
}

/// An upload checked: not empty, at most [`MAX_IMAGE_BYTES`], a PNG or a safe SVG by its
/// content, and not named as the other type (a PNG named `.svg` is refused, so what people
/// see in their file list is what they upload).
pub fn check_image_upload(u: &Upload) -> Result<NewImage, AppError> {
    let f = FIELD_FILE;
    if u.bytes.is_empty() {
        return Err(AppError::invalid(f, "This file is empty."));
    }
    if u.bytes.len() > MAX_IMAGE_BYTES {
        return Err(AppError::invalid(
            f,
            format!(
                "This file is larger than {} MB: upload a smaller image, or give a link to it instead.",
                MAX_IMAGE_BYTES / (1024 * 1024)
            ),
        ));
    }
    let Some(kind) = sniff_image(&u.bytes) else {
        return Err(AppError::invalid(
            f,
            "This file is not a PNG or SVG image: upload one of those, or give a link.",
        ));
    };
    let named = u
        .name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    if let Some(ext) = named.as_deref().filter(|e| matches!(*e, "png" | "svg")) {
        if ext != kind.extension() {
            return Err(AppError::invalid(
                f,
                format!(
                    "This file is named .{ext} but its content is a{} {} image: rename it .{} or upload the right file.",
                    if kind == ImageType::Svg { "n" } else { "" },
                    kind.extension().to_uppercase(),
                    kind.extension()
                ),
            ));
        }
    }
    if kind == ImageType::Svg {
        let text = std::str::from_utf8(&u.bytes).unwrap_or_default();
        check_svg(text).map_err(|why| AppError::invalid(f, why))?;
    }
    Ok(NewImage::Hosted {
        media_type: kind.media_type().to_owned(),
        bytes: u.bytes.clone(),
    })
}

/// An image link checked: https, a host, no spaces or control characters, at most 2048 bytes.
pub fn check_image_url(url: &str) -> Result<NewImage, AppError> {
    let u = url.trim();
    let rest = u.strip_prefix("https://").ok_or_else(|| {
        AppError::invalid(
            FIELD_URL,
            "The image link must start with https:// (plain http and other schemes are not accepted).",
        )
    })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty()
        || host.contains('@')
        || u.len() > 2048
        || u.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AppError::invalid(
            FIELD_URL,
            "The image link must be an https address with a host name, no spaces, at most 2048 characters.",
        ));
    }
    Ok(NewImage::Link(u.to_owned()))
}

/// An organization's images as credentials and pages name them.
#[derive(Debug, Clone, Default)]
pub struct OrgImages {
    org_id: String,
    public_url: String,
    refs: Vec<ImageRef>,
}

impl OrgImages {
    fn find(&self, subject: &ImageSubject) -> Option<&ImageRef> {
        self.refs.iter().find(|r| &r.subject == subject)
    }

    /// The URL of `subject`'s image: ours (with the image's digest, so a new image is a new
    /// URL and a credential names the image it was issued with) or the admin's link.
    pub fn url(&self, subject: &ImageSubject) -> Option<String> {
        let r = self.find(subject)?;
        Some(match &r.link {
            ImageLink::Url(u) => u.clone(),
            ImageLink::Hosted { sha256, .. } => format!(
                "{}?v={}",
                hosted_path(&self.public_url, &self.org_id, subject),
                &sha256[..sha256.len().min(16)]
            ),
        })
    }

    /// Whether `subject`'s image is hosted here (a page may show it: images load from this
    /// site only).
    pub fn hosted(&self, subject: &ImageSubject) -> bool {
        self.find(subject)
            .is_some_and(|r| matches!(r.link, ImageLink::Hosted { .. }))
    }

    /// The OB 3.0 `Image` of an achievement, captioned with its name.
    pub fn achievement_image(&self, id: &str, name: &str) -> Option<badges::Image> {
        self.url(&ImageSubject::Achievement(id.to_owned()))
            .map(|u| badges::Image {
                id: u,
                caption: Some(name.to_owned()),
            })
    }

    /// The OB 3.0 `Image` of the organization's logo, captioned with the issuer's name.
    pub fn logo_image(&self, issuer_name: &str) -> Option<badges::Image> {
        self.url(&ImageSubject::Logo).map(|u| badges::Image {
            id: u,
            caption: Some(issuer_name.to_owned()),
        })
    }

    /// Every image (logo first).
    pub fn refs(&self) -> &[ImageRef] {
        &self.refs
    }
}

/// The stable public address of a hosted image (without the digest).
pub fn hosted_path(public_url: &str, org_id: &str, subject: &ImageSubject) -> String {
    match subject {
        ImageSubject::Logo => format!("{public_url}/orgs/{org_id}/logo"),
        ImageSubject::Achievement(id) => {
            format!("{public_url}/orgs/{org_id}/achievements/{id}/image")
        }
    }
}

/// The image a credential download carries, in one of the two bakeable types.
#[derive(Debug, Clone)]
pub struct Baked {
    pub bytes: Vec<u8>,
    pub kind: ImageType,
    /// A file name: the achievement's id and the extension.
    pub file_name: String,
}

impl App {
    /// Sets, replaces or removes an organization's logo or an achievement's image; only an org
    /// admin of that organization may, and only for an achievement its definitions have.
    /// Returns the image kept (`None` after a removal).
    pub async fn set_image(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        subject: &ImageSubject,
        input: ImageInput,
    ) -> Result<Option<ImageRef>, AppError> {
        actor.require(self, org_id, AccessRole::OrgAdmin).await?;
        if let ImageSubject::Achievement(id) = subject {
            let defs = self.definitions(org_id).await?;
            if defs.achievement(id).is_none() {
                return Err(AppError::NotFound(format!("achievement {id}")));
            }
        }
        let store = self.store();
        let kept = match input {
            ImageInput::Remove => {
                store.remove_image(org_id, subject).await?;
                None
            }
            ImageInput::Upload(u) => {
                let img = check_image_upload(&u)?;
                Some(store.put_image(org_id, subject, &img).await?)
            }
            ImageInput::Url(u) => {
                let img = check_image_url(&u)?;
                Some(store.put_image(org_id, subject, &img).await?)
            }
        };
        tracing::info!(org = %org_id, by = %actor.user.id, ?subject, removed = kept.is_none(), "image changed");
        Ok(kept)
    }

    /// An organization's images (without bytes), to name in credentials and pages.
    pub async fn org_images(&self, org_id: &str) -> Result<OrgImages, AppError> {
        Ok(OrgImages {
            org_id: org_id.to_owned(),
            public_url: self.public_url().to_owned(),
            refs: self.store().image_refs(org_id).await?,
        })
    }

    /// A hosted image's bytes (public, as the credentials naming it are).
    pub async fn hosted_image(
        &self,
        org_id: &str,
        subject: &ImageSubject,
    ) -> Result<Option<HostedImage>, AppError> {
        Ok(self.store().hosted_image(org_id, subject).await?)
    }

    /// A credential baked into an image (OB 3.0 §5.3: PNG `iTXt` `openbadgecredential`, SVG
    /// `openbadges:credential` with the JSON in CDATA): the exact stored bytes, in the
    /// achievement's hosted image when it is of that type, else in a generated emblem.
    /// Public by id, as the credential's page is; an unknown or erased credential is not found.
    pub async fn baked_credential(
        &self,
        credential_id: &str,
        kind: ImageType,
    ) -> Result<Baked, AppError> {
        let rec = self.store().credential(credential_id).await?;
        let doc: Value = serde_json::from_str(&rec.document)
            .map_err(|e| AppError::Build(format!("stored credential is not JSON: {e}")))?;
        let subject = match &doc["credentialSubject"] {
            Value::Array(a) => a.first().cloned().unwrap_or_default(),
            other => other.clone(),
        };
        let name = subject["achievement"]["name"]
            .as_str()
            .or_else(|| doc["name"].as_str())
            .unwrap_or("Credential")
            .to_owned();
        let hosted = if rec.achievement_id == pathledger_store::NO_ACHIEVEMENT {
            None
        } else {
            self.store()
                .hosted_image(
                    &rec.org_id,
                    &ImageSubject::Achievement(rec.achievement_id.clone()),
                )
                .await?
                .filter(|h| ImageType::of_media_type(&h.media_type) == Some(kind))
        };
        let bake_err = |e: badges::InputError| AppError::Build(format!("baking: {e}"));
        let bytes = match kind {
            ImageType::Png => {
                let base = hosted
                    .map(|h| h.bytes)
                    .unwrap_or_else(|| badges::emblem_png(256));
                badges::bake_png(&base, &rec.document).map_err(bake_err)?
            }
            ImageType::Svg => {
                let base = match hosted {
                    Some(h) => String::from_utf8(h.bytes)
                        .map_err(|_| AppError::Build("a hosted SVG is not UTF-8".into()))?,
                    None => badges::emblem_svg(&name),
                };
                badges::bake_svg(&base, &rec.document)
                    .map_err(bake_err)?
                    .into_bytes()
            }
        };
        let stem: String = if rec.achievement_id.is_empty() {
            "credential".into()
        } else {
            rec.achievement_id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .take(80)
                .collect()
        };
        Ok(Baked {
            bytes,
            kind,
            file_name: format!("{stem}.{}", kind.extension()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_checks_refuse_what_could_run_or_load() {
        let ok = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="1" height="1"/><use xlink:href="#g"/><image href="data:image/png;base64,AAAA"/></svg>"##;
        assert_eq!(check_svg(ok), Ok(()));
        for (bad, word) in [
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
                "script",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
                "onload",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><a x:href="javascript:alert(1)"><text>x</text></a></svg>"#,
                "javascript:",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>"#,
                "foreignObject",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>"#,
                "outside",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://e.example/a)"/></svg>"#,
                "outside",
            ),
            (
                r#"<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://e.example/a.css);</style></svg>"#,
                "elsewhere",
            ),
            (
                r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>"#,
                "DTD",
            ),
            (
                r#"<?xml-stylesheet href="https://e.example/a.css"?><svg xmlns="http://www.w3.org/2000/svg"/>"#,
                "processing instruction",
            ),
            (
                r##"<svg xmlns="http://www.w3.org/2000/svg"><a href="#x"><set attributeName="href" to="javascript:alert(1)"/></a></svg>"##,
                "animates",
            ),
        ] {
            let why = check_svg(bad).expect_err(bad);
            assert!(why.contains(word), "{bad}: {why}");
        }
    }

    #[test]
    fn uploads_are_typed_by_content_and_name_must_agree() {
        let png = badges::emblem_png(16);
        let up = |name: &str, bytes: &[u8]| Upload {
            name: name.into(),
            bytes: bytes.to_vec(),
        };
        assert!(matches!(
            check_image_upload(&up("a.png", &png)),
            Ok(NewImage::Hosted { ref media_type, .. }) if media_type == "image/png"
        ));
        let e = check_image_upload(&up("a.svg", &png)).unwrap_err();
        assert!(
            matches!(&e, AppError::Invalid { field, message } if field == "image" && message.contains("named .svg")),
            "{e}"
        );
        let svg = badges::emblem_svg("A B");
        assert!(check_image_upload(&up("logo", svg.as_bytes())).is_ok());
        assert!(check_image_upload(&up("a.png", b"hello")).is_err());
        let big = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert!(check_image_upload(&up("a.png", &big)).is_err());
        assert!(check_image_url("http://x.example/a.png").is_err());
        assert!(check_image_url("https:///a.png").is_err());
        assert!(check_image_url("https://x.example/a b.png").is_err());
        assert_eq!(
            check_image_url(" https://x.example/a.png ").unwrap(),
            NewImage::Link("https://x.example/a.png".into())
        );
    }
}
