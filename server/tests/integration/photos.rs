//! Photo proofs: the picture is uploaded under its SHA-256 (a clean JPEG
//! only), the event naming it is taken only once it is there, and whoever
//! holds the id of the completion it proved sees it and may vouch.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ridewire_engine::event::{Event, EventKind};
use ridewire_engine::geo::GeoPoint;
use ridewire_engine::proof::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE, PhotoProof};
use ridewire_engine::quest::QuestId;
use ridewire_engine::sync::{PushResponse, RejectReason};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{Device, NOW, Reply, TestServer};
use crate::openapi::conforms;

/// A real JPEG of `w × h` pixels, encoded as the app encodes its photos.
pub(crate) fn picture(w: u16, h: u16, shade: u8) -> Vec<u8> {
    let pixels: Vec<u8> = (0..usize::from(w) * usize::from(h))
        .flat_map(|i| [(i % 241) as u8, shade, (i / 7 % 256) as u8])
        .collect();
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 80)
        .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    jpeg
}

/// `jpeg` with an EXIF segment (camera, time, place) right after SOI, as a
/// phone's camera writes it.
fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    let exif = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x88\x25\0\x04\0\0\0\x01\0\0\0\x1a";
    let length = u16::try_from(exif.len() + 2).expect("short");
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(length.to_be_bytes());
    out.extend(exif);
    out.extend(&jpeg[2..]);
    out
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) async fn upload(server: &TestServer, token: &str, digest: &str, jpeg: &[u8]) -> Reply {
    server
        .call(
            Method::PUT,
            &format!("/api/v1/photos/{digest}"),
            Some(token),
            Some(json!({"jpeg": STANDARD.encode(jpeg)})),
        )
        .await
}

/// What the app's event says of `jpeg`, a `w × h` picture.
pub(crate) fn proof(jpeg: &[u8], w: u32, h: u32) -> PhotoProof {
    PhotoProof {
        sha256: sha256(jpeg),
        bytes: u32::try_from(jpeg.len()).expect("size"),
        width: w,
        height: h,
        taken_ms: Some(NOW - 3 * 86_400_000),
        at: Some(GeoPoint {
            lat: 48.8584,
            lon: 2.2945,
        }),
    }
}

fn quest() -> QuestId {
    QuestId::new("tyre-pressure").expect("quest")
}

fn photo_event(phone: &mut Device, photo: PhotoProof) -> Event {
    phone.next(EventKind::PhotoSubmitted {
        quest: quest(),
        photo,
    })
}

fn answer(reply: &Reply) -> PushResponse {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    serde_json::from_value(reply.body.clone()).expect("push response")
}

fn reasons(answer: &PushResponse) -> Vec<RejectReason> {
    answer.rejected.iter().map(|r| r.reason).collect()
}

/// The document's schemas, to check answers against.
fn schemas() -> serde_json::Map<String, Value> {
    ridewire_server::routes::openapi::document()["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .clone()
}

fn check_schema(name: &str, value: &Value) {
    let schema = json!({"$ref": format!("#/components/schemas/{name}")});
    conforms(&schemas(), &schema, value).unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// What `users` says the account stores (its quota).
fn stored(server: &TestServer) -> (i64, i64) {
    server
        .state
        .db
        .write_blocking(|conn| {
            Ok(conn.query_row(
                "SELECT CAST(sum(stored_rows) AS BIGINT), CAST(sum(stored_bytes) AS BIGINT) FROM users",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .expect("stored")
}

#[tokio::test]
async fn a_photo_is_stored_once_and_uploading_it_again_is_harmless() {
    let server = TestServer::new();
    let rider = server.user("rider@ridewire.test").await;
    let jpeg = picture(64, 48, 10);
    let digest = sha256(&jpeg);
    let (rows, bytes) = stored(&server);
    let first = upload(&server, &rider, &digest, &jpeg).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(
        first.body,
        json!({"sha256": digest, "bytes": jpeg.len(), "width": 64, "height": 48})
    );
    check_schema("Photo", &first.body);
    // The answer was lost; the app uploads it again.
    let again = upload(&server, &rider, &digest, &jpeg).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body, first.body);
    assert_eq!(server.count("photos"), 1);
    // Charged to the account's quota once: one row, the JPEG's bytes.
    assert_eq!(stored(&server), (rows + 1, bytes + jpeg.len() as i64));
}

#[tokio::test]
async fn an_upload_that_is_not_a_clean_jpeg_within_the_limits_is_refused_and_nothing_kept() {
    let server = TestServer::new();
    let rider = server.user("rider@ridewire.test").await;
    let before = server.snapshot();
    let jpeg = picture(32, 32, 20);
    let other = picture(32, 32, 200);

    let mismatch = upload(&server, &rider, &sha256(&other), &jpeg).await;
    assert_eq!(
        (mismatch.status, mismatch.code()),
        (StatusCode::BAD_REQUEST, "digest_mismatch")
    );

    let exif = with_exif(&jpeg);
    let metadata = upload(&server, &rider, &sha256(&exif), &exif).await;
    assert_eq!(
        (metadata.status, metadata.code()),
        (StatusCode::BAD_REQUEST, "photo_has_metadata")
    );
    let message = metadata.body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("EXIF") && message.contains("strips metadata"),
        "{message}"
    );

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let not_jpeg = upload(&server, &rider, &sha256(&png), &png).await;
    assert_eq!(
        (not_jpeg.status, not_jpeg.code()),
        (StatusCode::BAD_REQUEST, "bad_photo")
    );

    let huge = vec![0xFF; MAX_PHOTO_BYTES as usize + 1];
    let too_large = upload(&server, &rider, &sha256(&huge), &huge).await;
    assert_eq!(
        (too_large.status, too_large.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "photo_too_large")
    );

    let side = u16::try_from(MAX_PHOTO_SIDE + 1).expect("side");
    let wide = picture(side, 8, 30);
    let too_wide = upload(&server, &rider, &sha256(&wide), &wide).await;
    assert_eq!(
        (too_wide.status, too_wide.code()),
        (StatusCode::BAD_REQUEST, "bad_photo")
    );
    let message = too_wide.body["error"]["message"].as_str().expect("message");
    assert!(message.contains("1601×8"), "{message}");

    let not_base64 = server
        .call(
            Method::PUT,
            &format!("/api/v1/photos/{}", sha256(&jpeg)),
            Some(&rider),
            Some(json!({"jpeg": "/9j/ not base64"})),
        )
        .await;
    assert_eq!(
        (not_base64.status, not_base64.code()),
        (StatusCode::BAD_REQUEST, "bad_photo")
    );

    let unknown_field = server
        .call(
            Method::PUT,
            &format!("/api/v1/photos/{}", sha256(&jpeg)),
            Some(&rider),
            Some(json!({"jpeg": STANDARD.encode(&jpeg), "exif": {}})),
        )
        .await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);

    for path in [sha256(&jpeg).to_uppercase(), "abc".to_owned()] {
        let reply = upload(&server, &rider, &path, &jpeg).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::BAD_REQUEST, "invalid_digest"),
            "{path}"
        );
    }

    assert_eq!(server.count("photos"), 0);
    assert_eq!(server.snapshot(), before);
}

#[tokio::test]
async fn an_account_keeps_at_most_a_thousand_photos() {
    let server = TestServer::new();
    let rider = server.user("rider@ridewire.test").await;
    let kept = picture(16, 16, 1);
    let kept_digest = sha256(&kept);
    assert_eq!(
        upload(&server, &rider, &kept_digest, &kept).await.status,
        StatusCode::CREATED
    );
    // 999 more, straight into the database.
    server
        .state
        .db
        .write_blocking(|conn| {
            for n in 1..1_000 {
                conn.execute(
                    "INSERT INTO photos (user_id, sha256, jpeg, width, height, bytes, created_ms)
                     SELECT user_id, ?1, jpeg, width, height, bytes, created_ms FROM photos
                     LIMIT 1",
                    [format!("{n:064x}")],
                )?;
            }
            Ok(())
        })
        .expect("fill");
    let one_more = picture(16, 16, 2);
    let full = upload(&server, &rider, &sha256(&one_more), &one_more).await;
    assert_eq!(
        (full.status, full.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "photo_quota")
    );
    let message = full.body["error"]["message"].as_str().expect("message");
    assert!(message.contains("1000 photos"), "{message}");
    assert_eq!(server.count("photos"), 1_000);
    // A photo already kept is still answered.
    let again = upload(&server, &rider, &kept_digest, &kept).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    // Another account has its own thousand.
    let friend = server.user("friend@ridewire.test").await;
    let theirs = upload(&server, &friend, &sha256(&one_more), &one_more).await;
    assert_eq!(theirs.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_photo_event_is_refused_until_its_photo_is_uploaded() {
    let server = TestServer::new();
    let rider = server.user("rider@ridewire.test").await;
    let friend = server.user("friend@ridewire.test").await;
    let jpeg = picture(40, 30, 50);
    let mut phone = Device::new(1);

    let early = photo_event(&mut phone, proof(&jpeg, 40, 30));
    let reply = answer(&server.push(&rider, phone.id(), &[early]).await);
    assert_eq!(reasons(&reply), [RejectReason::PhotoNotUploaded]);
    assert_eq!(
        reply.acked_through, 1,
        "a refused event does not block the queue"
    );

    // Another account holding the same picture does not count.
    let digest = sha256(&jpeg);
    assert_eq!(
        upload(&server, &friend, &digest, &jpeg).await.status,
        StatusCode::CREATED
    );
    let theirs = photo_event(&mut phone, proof(&jpeg, 40, 30));
    let reply = answer(&server.push(&rider, phone.id(), &[theirs]).await);
    assert_eq!(reasons(&reply), [RejectReason::PhotoNotUploaded]);

    // The app uploads it; the event that follows is taken, one that
    // describes the picture wrongly is not.
    assert_eq!(
        upload(&server, &rider, &digest, &jpeg).await.status,
        StatusCode::CREATED
    );
    let wrong_size = photo_event(
        &mut phone,
        PhotoProof {
            width: 41,
            ..proof(&jpeg, 40, 30)
        },
    );
    let malformed = photo_event(
        &mut phone,
        PhotoProof {
            at: Some(GeoPoint {
                lat: 123.0,
                lon: 0.0,
            }),
            ..proof(&jpeg, 40, 30)
        },
    );
    let taken = photo_event(&mut phone, proof(&jpeg, 40, 30));
    let reply = answer(
        &server
            .push(&rider, phone.id(), &[wrong_size, malformed, taken.clone()])
            .await,
    );
    assert_eq!(
        reasons(&reply),
        [RejectReason::PhotoNotUploaded, RejectReason::ForgedValue]
    );
    assert_eq!(reply.acked_through, 5);
    let pulled = server.pull(&rider, "", None).await;
    let events: Vec<&Value> = pulled.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["type"] == "event")
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"]["id"], json!(taken.id));
    assert_eq!(events[0]["event"]["kind"], "photo_submitted");
}

/// The rider's phone: ticks the quest's steps, photographs the work and
/// completes it; the photo is uploaded first. Returns the completion.
async fn complete_with_photo(
    server: &TestServer,
    token: &str,
    phone: &mut Device,
    jpeg: &[u8],
) -> Event {
    assert!(
        upload(server, token, &sha256(jpeg), jpeg)
            .await
            .status
            .is_success()
    );
    let mut events = phone.steps(2);
    events.push(photo_event(phone, proof(jpeg, 48, 32)));
    let completion = phone.next(EventKind::QuestCompleted { quest: quest() });
    events.push(completion.clone());
    let reply = answer(&server.push(token, phone.id(), &events).await);
    assert!(reply.rejected.is_empty(), "{:?}", reply.rejected);
    completion
}

#[tokio::test]
async fn another_rider_sees_the_completions_photo_and_vouches_for_it() {
    let server = TestServer::new();
    let rider = server.user("rider@ridewire.test").await;
    let friend = server.user("friend@ridewire.test").await;
    let jpeg = picture(48, 32, 90);
    let mut phone = Device::new(1);
    let completion = complete_with_photo(&server, &rider, &mut phone, &jpeg).await;
    let path = format!("/api/v1/validations/{}", completion.id);

    let shown = server.call(Method::GET, &path, Some(&friend), None).await;
    assert_eq!(shown.status, StatusCode::OK, "{:?}", shown.body);
    check_schema("CompletionProof", &shown.body);
    assert_eq!(shown.body["completion"], json!(completion.id));
    assert_eq!(shown.body["quest"], "tyre-pressure");
    assert_eq!(shown.body["completed_ms"], completion.at_ms);
    assert_eq!(shown.body["validators"], 0);
    assert_eq!(shown.body["validated_by_you"], false);
    let photo = &shown.body["photo"];
    assert_eq!(photo["sha256"], sha256(&jpeg));
    assert_eq!(photo["bytes"], jpeg.len());
    assert_eq!(
        (&photo["width"], &photo["height"]),
        (&json!(48), &json!(32))
    );
    assert_eq!(photo["taken_ms"], NOW - 3 * 86_400_000);
    assert_eq!(photo["at"], json!({"lat": 48.8584, "lon": 2.2945}));
    let sent = STANDARD
        .decode(photo["jpeg"].as_str().expect("jpeg"))
        .expect("base64");
    assert_eq!(sent, jpeg, "the very picture the rider uploaded");

    let vouched = server
        .call(
            Method::POST,
            "/api/v1/validations",
            Some(&friend),
            Some(json!({"completion": completion.id})),
        )
        .await;
    assert_eq!(vouched.status, StatusCode::CREATED, "{:?}", vouched.body);
    let after = server.call(Method::GET, &path, Some(&friend), None).await;
    assert_eq!(after.body["validators"], 1);
    assert_eq!(after.body["validated_by_you"], true);
    // The rider sees the same completion, vouched for by someone else.
    let own = server.call(Method::GET, &path, Some(&rider), None).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["validators"], 1);
    assert_eq!(own.body["validated_by_you"], false);
    assert_eq!(own.body["photo"]["sha256"], sha256(&jpeg));

    // Done again without a new photo: that completion shows none, the
    // first one still shows its own.
    let mut events = phone.steps(2);
    let again = phone.next(EventKind::QuestCompleted { quest: quest() });
    events.push(again.clone());
    answer(&server.push(&rider, phone.id(), &events).await);
    let second = server
        .call(
            Method::GET,
            &format!("/api/v1/validations/{}", again.id),
            Some(&friend),
            None,
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    assert_eq!(second.body["photo"], Value::Null);
    assert_eq!(second.body["validators"], 0);
    check_schema("CompletionProof", &second.body);
    let first = server.call(Method::GET, &path, Some(&friend), None).await;
    assert_eq!(first.body["photo"]["sha256"], sha256(&jpeg));
}

#[tokio::test]
async fn photos_are_seen_only_through_a_completions_id() {
    let server = TestServer::new();
    let rider = server.user("rider@ridewire.test").await;
    let stranger = server.user("stranger@ridewire.test").await;
    let jpeg = picture(48, 32, 120);
    let mut phone = Device::new(1);
    complete_with_photo(&server, &rider, &mut phone, &jpeg).await;
    let digest = sha256(&jpeg);

    // A guessed id, the photo event's own id, and a refused event's id.
    let photo_event_id = server.state.db.write_blocking(|conn| {
        Ok(conn.query_row(
            &format!(
                "SELECT event_id FROM events WHERE {} = 'photo_submitted'",
                conn.json_text("body", "kind")
            ),
            [],
            |r| r.get::<_, String>(0),
        )?)
    });
    let refused = phone.next(EventKind::QuestCompleted { quest: quest() });
    let mut forged = refused.clone();
    forged.at_ms += 1;
    let reply = answer(&server.push(&rider, phone.id(), &[forged]).await);
    assert_eq!(reasons(&reply), [RejectReason::HashMismatch]);
    for id in [
        uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_1234_5678_9abc).to_string(),
        photo_event_id.expect("photo event"),
        refused.id.to_string(),
        "not-a-uuid".to_owned(),
    ] {
        let reply = server
            .call(
                Method::GET,
                &format!("/api/v1/validations/{id}"),
                Some(&stranger),
                None,
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{id}"
        );
        assert_eq!(
            reply.body["error"]["message"], "no such quest completion",
            "the same answer as vouching for it"
        );
    }

    // Photos are not listed or fetched by digest.
    for path in [
        "/api/v1/photos".to_owned(),
        format!("/api/v1/photos/{digest}"),
    ] {
        let reply = server.call(Method::GET, &path, Some(&stranger), None).await;
        assert!(reply.status.is_client_error(), "{path}: {:?}", reply.status);
        assert!(reply.body.get("jpeg").is_none());
    }
    // Uploading the same picture tells the stranger nothing: it is a new
    // photo of their own (201), not one the server already holds (200).
    let own = upload(&server, &stranger, &digest, &jpeg).await;
    assert_eq!(own.status, StatusCode::CREATED);
    // And their export holds only that one.
    let export = server
        .call(Method::GET, "/api/v1/me/export", Some(&stranger), None)
        .await;
    assert_eq!(export.body["photos"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_export_holds_the_photos_and_deleting_the_account_removes_them() {
    let server = TestServer::new();
    let rider = server.user("rider@ridewire.test").await;
    let friend = server.user("friend@ridewire.test").await;
    let pictures = [picture(48, 32, 1), picture(20, 30, 2)];
    for jpeg in &pictures {
        assert_eq!(
            upload(&server, &rider, &sha256(jpeg), jpeg).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        upload(&server, &friend, &sha256(&pictures[0]), &pictures[0])
            .await
            .status,
        StatusCode::CREATED
    );

    let export = server
        .call(Method::GET, "/api/v1/me/export", Some(&rider), None)
        .await;
    assert_eq!(export.status, StatusCode::OK, "{:?}", export.body);
    check_schema("Export", &export.body);
    let photos = export.body["photos"].as_array().expect("photos");
    assert_eq!(photos.len(), 2);
    for jpeg in &pictures {
        let listed = photos
            .iter()
            .find(|p| p["sha256"] == sha256(jpeg))
            .expect("listed");
        assert_eq!(listed["bytes"], jpeg.len());
        assert_eq!(listed["created_ms"], NOW);
        let bytes = STANDARD
            .decode(listed["jpeg"].as_str().expect("jpeg"))
            .expect("base64");
        assert_eq!(&bytes, jpeg);
    }
    let second = photos
        .iter()
        .find(|p| p["sha256"] == sha256(&pictures[1]))
        .expect("listed");
    assert_eq!(
        (&second["width"], &second["height"]),
        (&json!(20), &json!(30))
    );

    assert_eq!(server.count("photos"), 3);
    let deleted = server
        .call(Method::DELETE, "/api/v1/me", Some(&rider), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
    assert_eq!(server.count("photos"), 1, "only the friend's photo is left");
}
