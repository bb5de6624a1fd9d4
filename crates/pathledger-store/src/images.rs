//! An organization's images (migration 0019): its logo and its achievements' images, each
//! either hosted here (bytes whose type the app read from the content) or a link the admin gave.

use crate::crypto::now_ms;
use crate::error::StoreError;
use crate::sql::args;
use crate::store::Store;
use crate::validate::check_text;

/// The most bytes a hosted image may have (1 MiB); the app refuses bigger uploads first, with
/// words for people.
pub const MAX_IMAGE_BYTES: usize = 1024 * 1024;

/// Whose image: the organization's logo or one achievement's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageSubject {
    /// The organization's logo (the issuer's `image`).
    Logo,
    /// An achievement's image, by the achievement's id.
    Achievement(String),
}

impl ImageSubject {
    fn columns(&self) -> (&'static str, &str) {
        match self {
            ImageSubject::Logo => ("logo", ""),
            ImageSubject::Achievement(id) => ("achievement", id.as_str()),
        }
    }
}

/// An image to keep: bytes to host, or a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewImage {
    /// Hosted here: its media type (read from the content by the caller) and bytes.
    Hosted { media_type: String, bytes: Vec<u8> },
    /// A link to an image elsewhere, kept as given.
    Link(String),
}

/// Where an image is, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageLink {
    /// Hosted here: its media type and the hex SHA-256 of its bytes.
    Hosted { media_type: String, sha256: String },
    /// A link to an image elsewhere.
    Url(String),
}

/// An organization's image, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub subject: ImageSubject,
    pub link: ImageLink,
    pub updated_ms: i64,
}

/// A hosted image's bytes, to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedImage {
    pub media_type: String,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
    pub bytes: Vec<u8>,
    pub updated_ms: i64,
}

fn row_to_ref(r: &crate::sql::Row) -> Result<ImageRef, StoreError> {
    let subject = match r.text("kind")?.as_str() {
        "logo" => ImageSubject::Logo,
        _ => ImageSubject::Achievement(r.text("item_id")?),
    };
    let link = match (
        r.opt_text("url")?,
        r.opt_text("media_type")?,
        r.opt_text("sha256")?,
    ) {
        (Some(url), _, _) => ImageLink::Url(url),
        (None, Some(media_type), Some(sha256)) => ImageLink::Hosted { media_type, sha256 },
        _ => {
            return Err(StoreError::integrity(
                "an image row has neither bytes nor a link",
            ))
        }
    };
    Ok(ImageRef {
        subject,
        link,
        updated_ms: r.i64("updated_ms")?,
    })
}

impl Store {
    /// Sets (or replaces) an organization's logo or an achievement's image.
    pub async fn put_image(
        &self,
        org_id: &str,
        subject: &ImageSubject,
        image: &NewImage,
    ) -> Result<ImageRef, StoreError> {
        let (kind, item) = subject.columns();
        if let ImageSubject::Achievement(id) = subject {
            check_text("achievement", id, 2048)?;
        }
        let now = now_ms();
        let (media_type, bytes, sha, url, link) = match image {
            NewImage::Hosted { media_type, bytes } => {
                check_text("media_type", media_type, 100)?;
                if bytes.is_empty() {
                    return Err(StoreError::invalid("image", "is empty"));
                }
                if bytes.len() > MAX_IMAGE_BYTES {
                    return Err(StoreError::invalid(
                        "image",
                        format!("is larger than {MAX_IMAGE_BYTES} bytes"),
                    ));
                }
                let sha = hex::encode(crate::crypto::sha256(bytes));
                let link = ImageLink::Hosted {
                    media_type: media_type.clone(),
                    sha256: sha.clone(),
                };
                (
                    Some(media_type.clone()),
                    Some(bytes.clone()),
                    Some(sha),
                    None,
                    link,
                )
            }
            NewImage::Link(url) => {
                check_text("image_url", url, 2048)?;
                (
                    None,
                    None,
                    None,
                    Some(url.clone()),
                    ImageLink::Url(url.clone()),
                )
            }
        };
        let mut tx = self.db().begin().await?;
        if tx
            .fetch_optional("SELECT id FROM organizations WHERE id = $1", args![org_id])
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("organization", org_id));
        }
        // Literal NULLs rather than typed null binds: PostgreSQL needs no type for them.
        let upsert = " ON CONFLICT (org_id, kind, item_id) DO UPDATE SET media_type = excluded.media_type, bytes = excluded.bytes, sha256 = excluded.sha256, url = excluded.url, updated_ms = excluded.updated_ms";
        match (&bytes, &url) {
            (Some(b), _) => {
                tx.execute(
                    &format!("INSERT INTO org_images (org_id, kind, item_id, media_type, bytes, sha256, url, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7){upsert}"),
                    args![org_id, kind, item, media_type.as_deref(), b.clone(), sha.as_deref(), now],
                )
                .await?;
            }
            (None, _) => {
                tx.execute(
                    &format!("INSERT INTO org_images (org_id, kind, item_id, media_type, bytes, sha256, url, updated_ms) VALUES ($1, $2, $3, NULL, NULL, NULL, $4, $5){upsert}"),
                    args![org_id, kind, item, url.as_deref(), now],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(ImageRef {
            subject: subject.clone(),
            link,
            updated_ms: now,
        })
    }

    /// Removes an image; true when there was one.
    pub async fn remove_image(
        &self,
        org_id: &str,
        subject: &ImageSubject,
    ) -> Result<bool, StoreError> {
        let (kind, item) = subject.columns();
        let mut tx = self.db().begin().await?;
        let n = tx
            .execute(
                "DELETE FROM org_images WHERE org_id = $1 AND kind = $2 AND item_id = $3",
                args![org_id, kind, item],
            )
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Every image of an organization, without bytes (logo first, then achievements by id).
    pub async fn image_refs(&self, org_id: &str) -> Result<Vec<ImageRef>, StoreError> {
        self.db()
            .fetch_all(
                "SELECT kind, item_id, media_type, sha256, url, updated_ms FROM org_images WHERE org_id = $1 ORDER BY kind DESC, item_id",
                args![org_id],
            )
            .await?
            .iter()
            .map(row_to_ref)
            .collect()
    }

    /// A hosted image's bytes; `None` when there is no image or it is a link.
    pub async fn hosted_image(
        &self,
        org_id: &str,
        subject: &ImageSubject,
    ) -> Result<Option<HostedImage>, StoreError> {
        let (kind, item) = subject.columns();
        let Some(r) = self
            .db()
            .fetch_optional(
                "SELECT media_type, sha256, bytes, updated_ms FROM org_images WHERE org_id = $1 AND kind = $2 AND item_id = $3 AND bytes IS NOT NULL",
                args![org_id, kind, item],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(HostedImage {
            media_type: r.text("media_type")?,
            sha256: r.text("sha256")?,
            bytes: r.bytes("bytes")?,
            updated_ms: r.i64("updated_ms")?,
        }))
    }
}
