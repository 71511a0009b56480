//! Photo proofs: a quest tagged `#photo` counts once the rider adds a
//! photo of the work — taken with the scanner's camera or picked from a
//! file — that another rider or a workshop can look at and vouch for.
//!
//! - [`Prepared`]: the picture as a proof carries it: decoded, turned
//!   upright, at most 1600 px a side, encoded afresh as a JPEG of at most
//!   512 KiB, which drops every bit of the source's metadata. What the
//!   source said about when and where it was taken is read first and kept
//!   apart ([`Prepared::found`]); it goes with the proof only as far as the
//!   rider allows ([`Share`]).
//! - [`complete_with_photo`]: records the photo (JPEG and event in one
//!   transaction) and, when nothing else is missing, the completion. The
//!   sync round uploads the photo before it pushes the event.
//! - [`look`] and [`vouch`]: another rider, given the completion's id,
//!   sees its photo and vouches for it through the server (`POST
//!   /api/v1/validations`); the rider's community multiplier comes from
//!   that.

mod exif;
mod picture;

use std::path::Path;

use ridewire_ar::image::RgbaImage;
use ridewire_engine::event::EventId;
use ridewire_engine::geo::GeoPoint;
use ridewire_engine::progress::RejectReason;
use ridewire_engine::proof::{MAX_PHOTO_SIDE, PhotoProof};
use ridewire_engine::quest::{ProofRequirement, QuestId};
use ridewire_offline_store::sha256_hex;
use ridewire_sync_client::{CompletionProof, Vouched};
use uuid::Uuid;

pub use exif::Facts;
pub use picture::MAX_SOURCE_BYTES;

use crate::account::Saved;
use crate::proofs::AfterProof;
use crate::rider::{Outcome, Rider, explain};
use crate::task::Pending;
use crate::{Error, Result};

/// A picture made ready to be a photo proof.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The JPEG as it will be kept and uploaded: no metadata.
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// When and where the source says it was taken (a camera photo: now,
    /// and wherever the caller knows the rider is).
    pub found: Facts,
}

/// What of [`Prepared::found`] the rider lets go with the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Share {
    pub time: bool,
    pub place: bool,
}

impl Prepared {
    /// A picture from a file's bytes (JPEG or PNG). A date without its own
    /// offset is taken at `utc_offset_min`.
    pub fn from_bytes(bytes: &[u8], utc_offset_min: i16) -> Result<Self> {
        let found = exif::read(bytes, utc_offset_min);
        let image = picture::decode(bytes)?;
        Self::from_image(picture::upright(image, found.orientation), found)
    }

    /// A picture from a file.
    pub fn from_file(path: &Path, utc_offset_min: i16) -> Result<Self> {
        let unreadable = |e: std::io::Error| {
            Error::Input(format!("cannot read the picture {}: {e}", path.display()))
        };
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if size > MAX_SOURCE_BYTES as u64 {
            return Err(Error::Input(format!(
                "{} is {} MiB; at most {} MiB can be read",
                path.display(),
                size / (1024 * 1024),
                MAX_SOURCE_BYTES / (1024 * 1024)
            )));
        }
        let bytes = std::fs::read(path).map_err(unreadable)?;
        Self::from_bytes(&bytes, utc_offset_min)
    }

    /// The camera's colour frame, taken at `taken_ms`, at `at` when the
    /// caller knows where the rider is.
    pub fn from_camera(frame: &RgbaImage, taken_ms: i64, at: Option<GeoPoint>) -> Result<Self> {
        let found = Facts {
            taken_ms: Some(taken_ms),
            at,
            orientation: 1,
        };
        Self::from_image(frame.clone(), found)
    }

    fn from_image(image: RgbaImage, found: Facts) -> Result<Self> {
        if image.width() == 0 || image.height() == 0 {
            return Err(Error::NoPicture);
        }
        let image = picture::fit(image, MAX_PHOTO_SIDE as usize);
        let (jpeg, width, height) = picture::encode(image)?;
        Ok(Prepared {
            jpeg,
            width,
            height,
            found,
        })
    }

    /// The proof's description of this photo, with what `share` allows.
    pub fn proof(&self, share: Share) -> PhotoProof {
        PhotoProof {
            sha256: sha256_hex(&self.jpeg),
            bytes: self.jpeg.len() as u32,
            width: self.width,
            height: self.height,
            taken_ms: self.found.taken_ms.filter(|_| share.time),
            at: self.found.at.filter(|_| share.place),
        }
    }
}

/// What came of adding a photo to a quest.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoAttempt {
    /// The photo was kept and the quest completed; `completion` is the id
    /// to give to whoever is to vouch for it.
    Completed {
        xp: u64,
        achievements: Vec<String>,
        completion: EventId,
    },
    /// The photo was kept; the quest is not done until this is.
    PhotoKept { waiting: RejectReason },
    /// Nothing kept: the quest asks for no photo.
    NoPhotoNeeded,
    /// Nothing kept: the quest cannot be completed now.
    Refused(RejectReason),
    /// Keeping it failed (the store's message).
    Failed(String),
}

impl PhotoAttempt {
    /// What happened, in the rider's words, for the quest titled `quest`.
    pub fn words(&self, quest: &str) -> String {
        match self {
            PhotoAttempt::Completed {
                xp, achievements, ..
            } if achievements.is_empty() => format!("{quest}: completed with a photo, +{xp} XP"),
            PhotoAttempt::Completed {
                xp, achievements, ..
            } => format!(
                "{quest}: completed with a photo, +{xp} XP; unlocked {}",
                achievements.join(", ")
            ),
            PhotoAttempt::PhotoKept { waiting } => {
                format!("{quest}: photo kept; to complete it, {}", explain(waiting))
            }
            PhotoAttempt::NoPhotoNeeded => {
                format!("{quest} needs no photo: complete it from the quest list")
            }
            PhotoAttempt::Refused(reason) => format!("{quest}: {}", explain(reason)),
            PhotoAttempt::Failed(why) => format!("{quest}: the photo could not be kept: {why}"),
        }
    }
}

/// Adds `photo` to quest `quest` at `at_ms`, sharing what `share` allows,
/// and completes the quest when nothing else is missing.
pub fn complete_with_photo(
    rider: &mut Rider,
    quest: &QuestId,
    photo: &Prepared,
    share: Share,
    at_ms: i64,
    utc_offset_min: i16,
) -> PhotoAttempt {
    match rider.takes_proof(quest, ProofRequirement::Photo) {
        Ok(Some(_)) => {}
        Ok(None) => return PhotoAttempt::NoPhotoNeeded,
        Err(reason) => return PhotoAttempt::Refused(reason),
    }
    let proof = photo.proof(share);
    match rider.record_photo(quest.clone(), &photo.jpeg, proof, at_ms, utc_offset_min) {
        Outcome::Counted { .. } => {}
        Outcome::NotCounted(reason) => return PhotoAttempt::Refused(reason),
        Outcome::Failed(why) => return PhotoAttempt::Failed(why),
    }
    match rider.complete_after_proof(quest, at_ms, utc_offset_min) {
        AfterProof::Completed {
            xp,
            achievements,
            completion,
        } => PhotoAttempt::Completed {
            xp,
            achievements,
            completion,
        },
        AfterProof::Waiting(waiting) => PhotoAttempt::PhotoKept { waiting },
        AfterProof::Failed(why) => PhotoAttempt::Failed(why),
    }
}

/// Reads a completion id as the rider was given it (the UUID, with or
/// without `ridewire:vouch/` in front).
pub fn parse_completion(text: &str) -> Result<Uuid> {
    let text = text.trim();
    let id = text.strip_prefix("ridewire:vouch/").unwrap_or(text);
    Uuid::parse_str(id).map_err(|_| {
        Error::Input(format!(
            "{text:?} is not a completion id: it looks like 0193a4c2-7d1e-7b3a-9f00-1c2d3e4f5a6b"
        ))
    })
}

fn not_signed_in() -> Error {
    Error::NotSignedIn(
        "vouching goes through the server: sign in first (Settings, or `ridewire sync`)".into(),
    )
}

/// Asks the server, with the rider's session in `database`, what another
/// rider's completion `completion` shows.
pub fn look(database: &Path, completion: Uuid) -> Result<CompletionProof> {
    ask(database, |handle| handle.completion_proof(completion))
}

/// Vouches for another rider's completion `completion`.
pub fn vouch(database: &Path, completion: Uuid) -> Result<Vouched> {
    ask(database, |handle| handle.vouch(completion))
}

fn ask<T>(
    database: &Path,
    question: impl FnOnce(
        &ridewire_sync_client::SyncHandle,
    ) -> ridewire_sync_client::Result<
        std::sync::mpsc::Receiver<ridewire_sync_client::Result<T>>,
    >,
) -> Result<T> {
    let signed = Saved::read_file(database)
        .signed_in()
        .ok_or_else(not_signed_in)?;
    let syncer = crate::account::start_syncer(database, &signed)?;
    let answer = Pending::from("the sync thread", question(&syncer.handle())?).wait();
    syncer.stop();
    Ok(answer??)
}
