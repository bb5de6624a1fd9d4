//! An organization's images (migration 0019): hosted bytes or a link, replaced in place, kept
//! apart per organization, removed, bounded, kept across a reopen; on SQLite and PostgreSQL.

mod common;

use common::*;
use pathledger_store::*;

both!(
    images_are_kept_per_organization_and_replaced_in_place,
    |h| {
        let s = &h.store;
        let f = fixture(s).await;
        let other = s
            .create_organization("Hillcrest", "district", None)
            .await
            .unwrap();
        let ach = ImageSubject::Achievement("mc-tools-1".into());
        assert!(s.image_refs(&f.org.id).await.unwrap().is_empty());
        assert!(s.hosted_image(&f.org.id, &ach).await.unwrap().is_none());

        // Binary bytes survive exactly (NUL, 0xFF, a PNG signature).
        let png = b"\x89PNG\r\n\x1a\n\x00\xff\x00binary".to_vec();
        let r = s
            .put_image(
                &f.org.id,
                &ach,
                &NewImage::Hosted {
                    media_type: "image/png".into(),
                    bytes: png.clone(),
                },
            )
            .await
            .unwrap();
        let ImageLink::Hosted { media_type, sha256 } = &r.link else {
            panic!("hosted: {r:?}")
        };
        assert_eq!(media_type, "image/png");
        assert_eq!(sha256, &hex::encode(sha256_of(&png)));
        let got = s.hosted_image(&f.org.id, &ach).await.unwrap().unwrap();
        assert_eq!(got.bytes, png);
        assert_eq!(&got.sha256, sha256);

        // A logo as a link; the other organization's images are its own.
        s.put_image(
            &f.org.id,
            &ImageSubject::Logo,
            &NewImage::Link("https://riverside.example/logo.svg".into()),
        )
        .await
        .unwrap();
        let refs = s.image_refs(&f.org.id).await.unwrap();
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].subject, ImageSubject::Logo, "logo first");
        assert_eq!(
            refs[0].link,
            ImageLink::Url("https://riverside.example/logo.svg".into())
        );
        assert!(s.image_refs(&other.id).await.unwrap().is_empty());
        assert!(s.hosted_image(&other.id, &ach).await.unwrap().is_none());
        // A link is not hosted bytes.
        assert!(s
            .hosted_image(&f.org.id, &ImageSubject::Logo)
            .await
            .unwrap()
            .is_none());

        // Replacing: a link where bytes were, then bytes again; one row each time.
        s.put_image(
            &f.org.id,
            &ach,
            &NewImage::Link("https://x.example/a.png".into()),
        )
        .await
        .unwrap();
        assert!(s.hosted_image(&f.org.id, &ach).await.unwrap().is_none());
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec();
        s.put_image(
            &f.org.id,
            &ach,
            &NewImage::Hosted {
                media_type: "image/svg+xml".into(),
                bytes: svg.clone(),
            },
        )
        .await
        .unwrap();
        assert_eq!(s.image_refs(&f.org.id).await.unwrap().len(), 2);

        // Refused: empty, over 1 MiB, an unknown organization; nothing changes.
        for bad in [Vec::new(), vec![0u8; MAX_IMAGE_BYTES + 1]] {
            let e = s
                .put_image(
                    &f.org.id,
                    &ach,
                    &NewImage::Hosted {
                        media_type: "image/png".into(),
                        bytes: bad,
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(e, StoreError::InvalidInput { .. }), "{e}");
        }
        let e = s
            .put_image(
                "org-nope",
                &ach,
                &NewImage::Link("https://x.example/a".into()),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
        assert_eq!(
            s.hosted_image(&f.org.id, &ach)
                .await
                .unwrap()
                .unwrap()
                .bytes,
            svg
        );

        // Kept across a reopen; removed once.
        let reopened = h.reopen().await;
        assert_eq!(reopened.image_refs(&f.org.id).await.unwrap().len(), 2);
        assert!(reopened.remove_image(&f.org.id, &ach).await.unwrap());
        assert!(!reopened.remove_image(&f.org.id, &ach).await.unwrap());
        assert_eq!(reopened.image_refs(&f.org.id).await.unwrap().len(), 1);
        reopened.close().await;
    }
);

fn sha256_of(b: &[u8]) -> [u8; 32] {
    pathledger_store::sha256(b)
}
