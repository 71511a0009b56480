//! `PUT /api/v1/photos/{sha256}`: the picture of a photo proof, uploaded by
//! the rider's device before the `photo_submitted` event that names it. It
//! must be what the app makes ([`crate::jpeg`]): a JPEG of at most 512 KiB
//! and 1600 px a side, with no metadata (no EXIF, XMP, ICC or comment
//! segments: the app re-encodes every photo, so what is left is the
//! pixels), stored under its own SHA-256. An account keeps at most
//! [`MAX_PHOTOS`] photos, each charged to its storage quota. Nobody lists
//! them: only whoever holds the id of a completion a photo proved sees it
//! ([`super::validations`]), and the account's own export.

use crate::store::{OptionalExtension, params};
use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::put;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ridewire_engine::proof::{MAX_PHOTO_BYTES, is_sha256_hex};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::jpeg::{Frame, Refusal, inspect};
use crate::routes::{Access, ApiJson, ApiPath, In, Param, Route, Values};

/// The most photos one account keeps.
pub const MAX_PHOTOS: i64 = 1_000;

/// Longest base64 text of a photo of [`MAX_PHOTO_BYTES`], padding included.
pub const MAX_PHOTO_BASE64: usize = (MAX_PHOTO_BYTES as usize).div_ceil(3) * 4;

/// Standard base64 with padding, as a regular expression.
pub const BASE64_PATTERN: &str = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";

/// The path's digest: 64 lowercase hex digits.
pub const SHA256: Param = Param {
    name: "sha256",
    place: In::Path,
    required: true,
    description: "SHA-256 of the JPEG, 64 lowercase hex digits",
    values: Values::Text {
        min: 64,
        max: 64,
        pattern: "^[0-9a-f]{64}$",
    },
};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route {
        method: Method::PUT,
        path: "/api/v1/photos/{sha256}",
        summary: "Store the photo of a proof under its SHA-256, before pushing the photo_submitted event that names it: a JPEG without metadata (no APP1-APP15 or COM segment) of at most 524288 bytes and 1 to 1600 px a side that decodes (400 bad_photo, photo_has_metadata or digest_mismatch otherwise; 413 photo_too_large); at most 1,000 photos per account (then 413 photo_quota); 201 when new, 200 when the account already holds it; each counts against the account's storage quota",
        access: Access::User,
        params: &[SHA256],
        request: Some("NewPhoto"),
        responses: &[
            (200, "Photo"),
            (201, "Photo"),
            (400, "Error"),
            (401, "Error"),
            (413, "Error"),
            (429, "Error"),
        ],
        handler: put(upload),
    }]
}

/// The body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPhoto {
    /// The JPEG, standard base64 with padding.
    jpeg: String,
}

/// What is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Photo {
    sha256: String,
    bytes: u32,
    width: u32,
    height: u32,
}

fn bad_photo(message: impl Into<String>) -> AppError {
    AppError::bad_request("bad_photo", message)
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Metadata(_) => {
                AppError::bad_request("photo_has_metadata", refusal.to_string())
            }
            Refusal::NotJpeg(_) | Refusal::Size { .. } => bad_photo(refusal.to_string()),
        }
    }
}

fn too_large(bytes: usize) -> AppError {
    AppError::over_limit(
        "photo_too_large",
        format!(
            "the photo is {bytes} bytes; at most {MAX_PHOTO_BYTES} (512 KiB, \
             {MAX_PHOTO_BASE64} characters of base64) are taken"
        ),
    )
}

/// Reads an upload: `base64` decodes to a JPEG within the limits whose
/// SHA-256 is `sha256` and that [`inspect`] passes. Returns the JPEG and
/// its frame. Pure and slow (it decodes the picture): run it off the
/// async threads.
fn check(sha256: &str, base64: &str) -> Result<(Vec<u8>, Frame)> {
    if base64.len() > MAX_PHOTO_BASE64 {
        // Larger than any photo within the limit, whatever it decodes to.
        return Err(too_large(base64.len() / 4 * 3));
    }
    let jpeg = STANDARD
        .decode(base64.as_bytes())
        .map_err(|e| bad_photo(format!("`jpeg` is not standard base64 with padding: {e}")))?;
    if jpeg.len() > MAX_PHOTO_BYTES as usize {
        return Err(too_large(jpeg.len()));
    }
    let digest = hex::encode(Sha256::digest(&jpeg));
    if digest != sha256 {
        return Err(AppError::bad_request(
            "digest_mismatch",
            format!("the photo's SHA-256 is {digest}, not the {sha256} the path names"),
        ));
    }
    let frame = inspect(&jpeg)?;
    Ok((jpeg, frame))
}

async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(sha256): ApiPath<String>,
    ApiJson(body): ApiJson<NewPhoto>,
) -> Result<(StatusCode, Json<Photo>)> {
    if !is_sha256_hex(&sha256) {
        return Err(AppError::bad_request(
            "invalid_digest",
            "the path names a photo by its SHA-256: 64 lowercase hex digits",
        ));
    }
    let named = sha256.clone();
    let (jpeg, frame) = tokio::task::spawn_blocking(move || check(&named, &body.jpeg)).await??;
    let photo = Photo {
        sha256,
        bytes: u32::try_from(jpeg.len()).unwrap_or(u32::MAX),
        width: frame.width,
        height: frame.height,
    };
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let (created, stored) = state
        .db
        .write(move |tx| {
            let held: Option<(u32, u32, u32)> = tx
                .query_row(
                    "SELECT bytes, width, height FROM photos WHERE user_id = ?1 AND sha256 = ?2",
                    params![user.id, photo.sha256],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((bytes, width, height)) = held {
                // The same digest is the same picture: a re-sent upload.
                let stored = Photo {
                    bytes,
                    width,
                    height,
                    ..photo
                };
                return Ok((false, stored));
            }
            let count: i64 = tx.query_row(
                "SELECT count(*) FROM photos WHERE user_id = ?1",
                [user.id],
                |r| r.get(0),
            )?;
            if count >= MAX_PHOTOS {
                return Err(AppError::over_limit(
                    "photo_quota",
                    format!(
                        "this account stores {count} photos, the most it may keep \
                         ({MAX_PHOTOS}); nothing was stored"
                    ),
                ));
            }
            tx.execute(
                "INSERT INTO photos (user_id, sha256, jpeg, width, height, bytes, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    user.id,
                    photo.sha256,
                    jpeg,
                    photo.width,
                    photo.height,
                    photo.bytes,
                    now
                ],
            )?;
            crate::quota::charge(tx, quota, user.id, 1, i64::from(photo.bytes))?;
            Ok((true, photo))
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(stored)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridewire_engine::proof::MAX_PHOTO_SIDE;

    #[test]
    fn the_summary_states_the_limits_the_server_holds() {
        let summary = routes()[0].summary;
        for limit in [
            MAX_PHOTO_BYTES.to_string(),
            MAX_PHOTO_SIDE.to_string(),
            "1,000".to_owned(),
        ] {
            assert!(summary.contains(&limit), "{limit} missing: {summary}");
        }
        assert_eq!(MAX_PHOTOS, 1_000);
        assert_eq!(MAX_PHOTO_BASE64, 699_052);
    }

    #[test]
    fn uploads_are_refused_in_order_with_their_codes() {
        let code = |sha: &str, text: &str| {
            check(sha, text)
                .map(|_| "accepted")
                .unwrap_or_else(|e| e.code())
        };
        let zeros = "0".repeat(64);
        assert_eq!(code(&zeros, "not base64!"), "bad_photo");
        assert_eq!(code(&zeros, "AAA"), "bad_photo", "padding is required");
        assert_eq!(
            code(&zeros, &"A".repeat(MAX_PHOTO_BASE64 + 4)),
            "photo_too_large"
        );
        // 699,052 characters without padding decode to one byte too many.
        assert_eq!(
            code(&zeros, &"A".repeat(MAX_PHOTO_BASE64)),
            "photo_too_large"
        );
        assert_eq!(code(&zeros, "/9j/"), "digest_mismatch");
        let not_jpeg = b"GIF89a";
        let sha = hex::encode(Sha256::digest(not_jpeg));
        assert_eq!(code(&sha, &STANDARD.encode(not_jpeg)), "bad_photo");
    }

    #[test]
    fn the_base64_pattern_is_what_the_decoder_reads() {
        // Every text the pattern refuses, the decoder refuses too.
        for text in [
            "A", "AA", "AAA", "AAAAA", "AA=A", "A===", "AA==AAAA", " AAAA", "AA-_",
        ] {
            assert!(STANDARD.decode(text).is_err(), "{text:?} decodes");
        }
        for text in ["", "AAAA", "AA==", "AAA=", "/9j/4AAQ"] {
            assert!(STANDARD.decode(text).is_ok(), "{text:?} does not decode");
        }
    }
}
