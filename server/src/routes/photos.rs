//! `PUT /api/v1/photos/{sha256}`: the picture of a photo proof, uploaded by
//! the rider's device before the `photo_submitted` event that names it. It
//! must be what the app makes: a JPEG of at most 512 KiB and 1600 px a
//! side, with no metadata (no EXIF, XMP, ICC or comment segments: the
//! app re-encodes every photo, so what is left is the pixels), stored
//! under its own SHA-256. Only the account's devices and whoever holds the
//! id of a completion it proved ([`super::validations`]) see it.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::put;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ridewire_engine::proof::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE, is_sha256_hex};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiJson, ApiPath, In, Param, Route, Values};

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
        summary: "Store the photo of a proof under its SHA-256 before pushing the photo_submitted event that names it: a JPEG of at most 524288 bytes and 1600 px a side without metadata segments (APP1-APP15, COM); 201 when new, 200 when already stored; counts against the account's storage quota",
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
#[derive(Debug, Serialize)]
struct Photo {
    sha256: String,
    bytes: u32,
    width: u32,
    height: u32,
}

/// Longest base64 text of a photo of [`MAX_PHOTO_BYTES`].
pub const MAX_PHOTO_BASE64: usize = (MAX_PHOTO_BYTES as usize).div_ceil(3) * 4;

fn bad_photo(message: impl Into<String>) -> AppError {
    AppError::bad_request("bad_photo", message)
}

/// The frame size of `jpeg` if it is a JPEG the app could have made:
/// metadata-free, within the size limits, decodable.
pub fn check_jpeg(jpeg: &[u8]) -> Result<(u32, u32)> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(bad_photo("the photo is not a JPEG"));
    }
    let cut = || bad_photo("the JPEG is cut short");
    let mut at = 2;
    let mut size = None;
    loop {
        let (mark, marker) = (
            *jpeg.get(at).ok_or_else(cut)?,
            *jpeg.get(at + 1).ok_or_else(cut)?,
        );
        if mark != 0xFF {
            return Err(bad_photo("the JPEG's segments do not read"));
        }
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([
            *jpeg.get(at + 2).ok_or_else(cut)?,
            *jpeg.get(at + 3).ok_or_else(cut)?,
        ]));
        if (0xE1..=0xEF).contains(&marker) || marker == 0xFE {
            return Err(AppError::bad_request(
                "photo_has_metadata",
                "the photo carries metadata (EXIF, XMP, ICC or a comment); the app strips it \
                 by encoding the picture afresh before upload",
            ));
        }
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            let h = u16::from_be_bytes([
                *jpeg.get(at + 5).ok_or_else(cut)?,
                *jpeg.get(at + 6).ok_or_else(cut)?,
            ]);
            let w = u16::from_be_bytes([
                *jpeg.get(at + 7).ok_or_else(cut)?,
                *jpeg.get(at + 8).ok_or_else(cut)?,
            ]);
            size = Some((u32::from(w), u32::from(h)));
        }
        at += 2 + len;
    }
    let (w, h) = size.ok_or_else(|| bad_photo("the JPEG has no frame header"))?;
    let side = 1..=MAX_PHOTO_SIDE;
    if !side.contains(&w) || !side.contains(&h) {
        return Err(bad_photo(format!(
            "the photo is {w}×{h} pixels; each side must be 1 to {MAX_PHOTO_SIDE}"
        )));
    }
    let mut decoder = zune_jpeg::JpegDecoder::new(zune_core::bytestream::ZCursor::new(jpeg));
    decoder
        .decode()
        .map_err(|e| bad_photo(format!("the JPEG does not decode: {e:?}")))?;
    Ok((w, h))
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
    if body.jpeg.len() > MAX_PHOTO_BASE64 {
        return Err(AppError::TooLarge(format!(
            "a photo may be at most {MAX_PHOTO_BYTES} bytes ({MAX_PHOTO_BASE64} characters of base64)"
        )));
    }
    let jpeg = STANDARD
        .decode(body.jpeg.as_bytes())
        .map_err(|e| bad_photo(format!("the photo is not base64: {e}")))?;
    if jpeg.len() > MAX_PHOTO_BYTES as usize {
        return Err(AppError::TooLarge(format!(
            "the photo is {} bytes; at most {MAX_PHOTO_BYTES} are taken",
            jpeg.len()
        )));
    }
    let digest: String = Sha256::digest(&jpeg)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest != sha256 {
        return Err(AppError::bad_request(
            "digest_mismatch",
            format!("the photo's SHA-256 is {digest}, not the {sha256} the path names"),
        ));
    }
    let (width, height) = check_jpeg(&jpeg)?;
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let bytes = jpeg.len() as u32;
    let created = state
        .db
        .write(move |tx| {
            let known: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM photos WHERE user_id = ?1 AND sha256 = ?2",
                    params![user.id, sha256],
                    |r| r.get(0),
                )
                .optional()?;
            if known.is_some() {
                return Ok(false);
            }
            crate::quota::charge(tx, quota, user.id, 1, i64::from(bytes))?;
            tx.execute(
                "INSERT INTO photos (user_id, sha256, jpeg, width, height, bytes, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![user.id, sha256, jpeg, width, height, bytes, now],
            )?;
            Ok(true)
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Photo {
            sha256: digest,
            bytes,
            width,
            height,
        }),
    ))
}
