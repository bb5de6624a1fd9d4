//! Community profiles (migration 0014) on SQLite and PostgreSQL: unset is empty and unshared,
//! set and changed in place, refused for an unknown educator, and erased with the educator.

mod common;

use common::*;
use pathledger_store::*;

both!(community_profiles_default_off_update_and_erase, |h| {
    let s = &h.store;
    let f = fixture(s).await;
    let id = f.educator.id.to_string();
    // Never set: nothing, and not shared.
    assert_eq!(
        s.community_profile(&id).await.unwrap(),
        CommunityProfile::default()
    );
    assert!(!s.community_profile(&id).await.unwrap().shared);
    let p = CommunityProfile {
        school: Some("Lakeview Middle School".into()),
        years: Some(6),
        contact: Some("ada@lakeview.example".into()),
        shared: false,
    };
    s.set_community_profile(&id, &p).await.unwrap();
    assert_eq!(s.community_profile(&id).await.unwrap(), p);
    let shared = CommunityProfile {
        school: None,
        shared: true,
        ..p.clone()
    };
    s.set_community_profile(&id, &shared).await.unwrap();
    assert_eq!(s.community_profile(&id).await.unwrap(), shared);
    assert!(matches!(
        s.set_community_profile("edu_nobody", &p).await,
        Err(StoreError::NotFound { .. })
    ));
    // Erasing the educator erases the profile.
    s.delete_educator(&id).await.unwrap();
    assert_eq!(
        s.community_profile(&id).await.unwrap(),
        CommunityProfile::default()
    );
});
