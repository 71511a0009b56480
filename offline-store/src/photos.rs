//! Photo proofs: the JPEG a `PhotoSubmitted` event names, kept with the
//! event in one transaction, and where each stands with the server. The
//! sync round uploads every photo the server does not have yet before it
//! pushes the events, because the server refuses a photo event whose
//! picture it does not hold.

use ridewire_engine::event::EventKind;
use ridewire_engine::proof::PhotoProof;
use ridewire_engine::quest::QuestId;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::store::record_in;
use crate::{Error, Recorded, Result, Store};

/// A photo waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPhoto {
    /// SHA-256 of the JPEG, lowercase hex.
    pub sha256: String,
    pub jpeg: Vec<u8>,
}

/// The SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Keeps `jpeg` and records the `PhotoSubmitted` event for `quest` that
    /// names it, both or neither. `photo` must describe `jpeg` (its digest
    /// and size); the same picture twice is kept once.
    pub fn record_photo(
        &mut self,
        quest: QuestId,
        jpeg: &[u8],
        photo: PhotoProof,
        at_ms: i64,
        utc_offset_min: i16,
        random: [u8; 10],
    ) -> Result<Recorded> {
        if sha256_hex(jpeg) != photo.sha256 || jpeg.len() as u64 != u64::from(photo.bytes) {
            return Err(Error::Invalid(
                "the photo's description does not match its bytes".into(),
            ));
        }
        let device = self.device();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO photos (sha256, jpeg, width, height, created_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sha256) DO NOTHING",
                params![photo.sha256, jpeg, photo.width, photo.height, at_ms],
            )?;
            let kind = EventKind::PhotoSubmitted { quest, photo };
            record_in(tx, device, kind, at_ms, utc_offset_min, random)
        })
    }

    /// The JPEG kept under `sha256`, if this device has it.
    pub fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn()
            .query_row("SELECT jpeg FROM photos WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Photos the server does not have yet, oldest first.
    pub fn photos_to_upload(&self) -> Result<Vec<PendingPhoto>> {
        let mut read = self.conn().prepare(
            "SELECT sha256, jpeg FROM photos WHERE uploaded_ms IS NULL AND refused IS NULL \
             ORDER BY created_ms, sha256",
        )?;
        let photos = read
            .query_map([], |r| {
                Ok(PendingPhoto {
                    sha256: r.get(0)?,
                    jpeg: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(photos)
    }

    /// Notes that the server holds the photo `sha256` since `at_ms`.
    pub fn mark_photo_uploaded(&mut self, sha256: &str, at_ms: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE photos SET uploaded_ms = ?2 WHERE sha256 = ?1 AND uploaded_ms IS NULL",
                params![sha256, at_ms],
            )?;
            Ok(())
        })
    }

    /// Notes that the server refused the photo `sha256` for good (`why`, its
    /// answer): the round stops offering it, and the event naming it comes
    /// back refused.
    pub fn mark_photo_refused(&mut self, sha256: &str, why: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE photos SET refused = ?2 WHERE sha256 = ?1",
                params![sha256, why],
            )?;
            Ok(())
        })
    }
}
