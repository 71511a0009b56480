//! Photo proofs: the picture and its event commit together, survive a
//! reopen, and wait for upload until the server has them.

use ridewire_engine::event::EventKind;
use ridewire_engine::proof::PhotoProof;
use ridewire_engine::quest::QuestId;
use ridewire_offline_store::{Error, PendingPhoto, Store, sha256_hex};

use crate::support::{T0, random, store};

fn described(jpeg: &[u8]) -> PhotoProof {
    PhotoProof {
        sha256: sha256_hex(jpeg),
        bytes: jpeg.len() as u32,
        width: 640,
        height: 480,
        taken_ms: Some(T0),
        at: None,
    }
}

#[test]
fn a_photo_and_its_event_are_kept_together_and_wait_for_upload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let jpeg = b"\xff\xd8 not really a picture \xff\xd9".to_vec();
    let quest = QuestId::new("lights").unwrap();
    {
        let mut s = store(&path);
        let recorded = s
            .record_photo(quest.clone(), &jpeg, described(&jpeg), T0, 60, random(1))
            .unwrap();
        assert!(matches!(
            recorded.event.kind,
            EventKind::PhotoSubmitted { ref photo, .. } if photo.sha256 == sha256_hex(&jpeg)
        ));
        // The same picture again is a second event but one stored photo.
        s.record_photo(
            quest.clone(),
            &jpeg,
            described(&jpeg),
            T0 + 5_000,
            60,
            random(2),
        )
        .unwrap();
    }
    let mut s = Store::open(&path, T0 + 10_000).unwrap().store;
    assert_eq!(s.outbox().unwrap().len(), 2);
    let sha = sha256_hex(&jpeg);
    assert_eq!(s.photo(&sha).unwrap().as_deref(), Some(&jpeg[..]));
    assert_eq!(
        s.photos_to_upload().unwrap(),
        vec![PendingPhoto {
            sha256: sha.clone(),
            jpeg: jpeg.clone()
        }]
    );
    // Refused for good: no longer offered, still kept.
    let other = b"\xff\xd8 another \xff\xd9".to_vec();
    s.record_photo(quest, &other, described(&other), T0 + 9_000, 60, random(3))
        .unwrap();
    assert_eq!(s.photos_to_upload().unwrap().len(), 2);
    s.mark_photo_refused(&sha256_hex(&other), "photo_has_metadata")
        .unwrap();
    assert_eq!(s.photos_to_upload().unwrap().len(), 1);
    assert!(s.photo(&sha256_hex(&other)).unwrap().is_some());
    s.mark_photo_uploaded(&sha, T0 + 20_000).unwrap();
    assert!(s.photos_to_upload().unwrap().is_empty());
    assert_eq!(s.photo(&sha).unwrap().as_deref(), Some(&jpeg[..]));
}

#[test]
fn a_description_that_does_not_match_the_picture_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir.path().join("rider.db"));
    let jpeg = b"\xff\xd8 picture \xff\xd9".to_vec();
    let mut photo = described(&jpeg);
    photo.bytes += 1;
    let err = s
        .record_photo(
            QuestId::new("lights").unwrap(),
            &jpeg,
            photo,
            T0,
            60,
            random(1),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert!(s.outbox().unwrap().is_empty());
    assert!(s.photos_to_upload().unwrap().is_empty());
}
