//! Photo proofs with the server: the round uploads every photo this device
//! keeps that the server does not hold yet, before it pushes the events
//! (the server refuses a `PhotoSubmitted` event whose picture it does not
//! have); and what another rider sees of a completion they are asked to
//! vouch for.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ridewire_engine::geo::GeoPoint;
use ridewire_offline_store::Store;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Error, Result, Transport};

/// `PUT /api/v1/photos/{sha256}`'s body.
#[derive(Debug, Serialize)]
pub(crate) struct NewPhoto {
    /// The JPEG, standard base64.
    pub jpeg: String,
}

impl NewPhoto {
    pub(crate) fn of(jpeg: &[u8]) -> Self {
        NewPhoto {
            jpeg: STANDARD.encode(jpeg),
        }
    }
}

/// The photo of a completion, as the server shows it to whoever holds the
/// completion's id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShownPhoto {
    pub sha256: String,
    pub bytes: u32,
    pub width: u32,
    pub height: u32,
    /// When it was taken, if the rider shared that.
    #[serde(default)]
    pub taken_ms: Option<i64>,
    /// Where it was taken, if the rider shared that.
    #[serde(default)]
    pub at: Option<GeoPoint>,
    /// The JPEG, standard base64 (see [`ShownPhoto::jpeg`]).
    #[serde(rename = "jpeg")]
    jpeg_base64: String,
}

impl ShownPhoto {
    /// The JPEG itself.
    pub fn jpeg(&self) -> Result<Vec<u8>> {
        STANDARD
            .decode(&self.jpeg_base64)
            .map_err(|e| Error::Invalid(format!("the server sent a photo that does not read: {e}")))
    }
}

/// `GET /api/v1/validations/{completion}`: what a rider is asked to vouch
/// for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CompletionProof {
    pub completion: Uuid,
    /// The quest's id.
    pub quest: String,
    pub completed_ms: i64,
    /// The photo that proved it, if the quest had one.
    pub photo: Option<ShownPhoto>,
    /// Accounts that vouched for it so far.
    pub validators: u32,
    /// Whether the asking account already vouched.
    pub validated_by_you: bool,
}

/// `POST /api/v1/validations`' answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Vouched {
    pub completion: Uuid,
    pub quest: String,
    /// The `ProofValidated` event the server recorded for the rider.
    pub event_id: Uuid,
}

/// What a round did with the photos waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Uploaded {
    pub taken: usize,
    pub refused: usize,
}

/// Uploads the photos the server does not hold yet. A photo the server
/// refuses for good is marked so (its event then comes back refused with
/// the push); a failure that may pass ends the round, to try again later.
pub(crate) async fn upload_photos<T: Transport + ?Sized>(
    store: &mut Store,
    transport: &T,
) -> Result<Uploaded> {
    let mut report = Uploaded::default();
    for photo in store.photos_to_upload()? {
        match transport.upload_photo(&photo.sha256, &photo.jpeg).await {
            Ok(()) => {
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                store.mark_photo_uploaded(&photo.sha256, now_ms)?;
                report.taken += 1;
            }
            // A picture the server will never take (not a clean JPEG, too
            // big, over the account's photos).
            Err(Error::Refused { status, code, .. }) if status == 400 || status == 413 => {
                store.mark_photo_refused(&photo.sha256, &code)?;
                report.refused += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}
