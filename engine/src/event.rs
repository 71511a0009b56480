//! Events: the only way the rider's state changes.
//!
//! An event is made once, on one device, and never edited. It carries the
//! device's gapless sequence number and the hash of that device's previous
//! event, so any edit, removal, insertion or reordering shows up when the
//! chain is verified (see [`crate::chain`]).

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::diagnostics::evidence::RunEvidence;
use crate::diagnostics::review::{self, Review};
use crate::proof::{LocationProof, PhotoProof};
use crate::quest::QuestId;
use crate::vehicle::ModelKey;
use crate::{Error, Result};

/// A SHA-256 digest, written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash that stands before a device's first event.
    pub const ZERO: Hash = Hash([0; 32]);

    /// The hash as 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)
            .map_err(|e| Error::Encoding(format!("hash {s:?}: {e}")))?;
        Ok(Hash(out))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", &self.to_hex()[..12])
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Hash::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Id of an event: a UUIDv7 made once by the device (time-ordered, unique).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub Uuid);

impl EventId {
    /// A UUIDv7 from the time of the event and ten random bytes the caller drew.
    /// (The engine has no clock and no random source of its own.)
    pub fn v7(at_ms: i64, random: [u8; 10]) -> Self {
        let millis = u64::try_from(at_ms).unwrap_or(0);
        EventId(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Id of a device (phone, terminal), made once when the app is first set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceId(pub Uuid);

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What happened. Serialised as `{"kind": "...", ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// The rider took on a quest.
    QuestStarted { quest: QuestId },
    /// One checklist step was ticked off.
    StepChecked { quest: QuestId, step: String },
    /// The rider says the quest is done; the fold decides whether it counts.
    QuestCompleted { quest: QuestId },
    /// A diagnosis was run (10 XP; the first unlocks ACH-FIRST-DIAG).
    DiagnosticRun {
        diagnostic_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vehicle: Option<ModelKey>,
        /// The quest this run is a proof for, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quest: Option<QuestId>,
        /// The request and the gate's decision, so the server can account
        /// for the run (it re-runs an offline one); a run without it is
        /// refused by the server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<Box<RunEvidence>>,
    },
    /// An AR scan of the bike.
    ArScan {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        diagnostic_id: Option<Uuid>,
        duration_seconds: u32,
        /// The quest this scan is a proof for, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quest: Option<QuestId>,
        /// The bike scanned (its overlay pack's model key).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vehicle: Option<ModelKey>,
    },
    /// A location proof for a quest.
    ProofSubmitted {
        quest: QuestId,
        location: LocationProof,
    },
    /// Another rider or a mechanic vouched for the rider's proof of a quest.
    ProofValidated { quest: QuestId, validator: String },
    /// A photo of the work on a quest (the picture travels apart, named by
    /// its digest).
    PhotoSubmitted { quest: QuestId, photo: PhotoProof },
    /// A mechanic reviewed a run the gate escalated (only the server writes
    /// it, on the rider's server device): who, for which workshop, what
    /// they decided and in their words, and what lights in AR.
    DiagnosisReviewed {
        diagnostic_id: Uuid,
        review: Box<Review>,
    },
}

/// Longest step id a `StepChecked` event may name, in bytes.
pub const MAX_STEP_BYTES: usize = 128;
/// Longest validator name a `ProofValidated` event may carry, in bytes.
pub const MAX_VALIDATOR_BYTES: usize = 128;

/// A free-text field of an event beyond its limit, or evidence that is not
/// a valid request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the event's {field} is {len} bytes; at most {max} are accepted")]
pub struct FieldTooLong {
    /// Which field.
    pub field: &'static str,
    /// Its length in bytes.
    pub len: usize,
    /// The limit.
    pub max: usize,
}

impl EventKind {
    /// Checks the free-text fields against their limits. Ids (quests,
    /// vehicles) are bounded by their own types when read; this covers the
    /// rest, so device and server refuse the same events.
    pub fn check_lengths(&self) -> std::result::Result<(), FieldTooLong> {
        let bounded = |field, text: &str, max| {
            if text.len() > max {
                Err(FieldTooLong {
                    field,
                    len: text.len(),
                    max,
                })
            } else {
                Ok(())
            }
        };
        match self {
            EventKind::StepChecked { step, .. } => bounded("step", step, MAX_STEP_BYTES),
            EventKind::ProofValidated { validator, .. } => {
                bounded("validator", validator, MAX_VALIDATOR_BYTES)
            }
            EventKind::DiagnosisReviewed { review: r, .. } => {
                let names = 4 * review::MAX_NAME_CHARS;
                bounded("workshop_name", &r.workshop_name, names)?;
                bounded("reviewer_name", &r.reviewer_name, names)?;
                bounded("text", &r.text, 4 * review::MAX_ACTION_CHARS)?;
                if r.components.len() > review::MAX_COMPONENTS {
                    return Err(FieldTooLong {
                        field: "components",
                        len: r.components.len(),
                        max: review::MAX_COMPONENTS,
                    });
                }
                r.components
                    .iter()
                    .try_for_each(|c| bounded("component", c, names))
            }
            EventKind::DiagnosticRun {
                evidence: Some(evidence),
                ..
            } => {
                let r = &evidence.request;
                use crate::diagnostics::request as limits;
                bounded("query", &r.query, 4 * limits::MAX_QUERY_CHARS)?;
                bounded("make", &r.vehicle.make, 4 * limits::MAX_VEHICLE_NAME_CHARS)?;
                bounded(
                    "model",
                    &r.vehicle.model,
                    4 * limits::MAX_VEHICLE_NAME_CHARS,
                )?;
                if r.symptoms.len() > limits::MAX_SYMPTOMS {
                    return Err(FieldTooLong {
                        field: "symptoms",
                        len: r.symptoms.len(),
                        max: limits::MAX_SYMPTOMS,
                    });
                }
                if r.codes.len() > limits::MAX_CODES {
                    return Err(FieldTooLong {
                        field: "codes",
                        len: r.codes.len(),
                        max: limits::MAX_CODES,
                    });
                }
                r.symptoms
                    .iter()
                    .try_for_each(|s| bounded("symptom", s, 4 * limits::MAX_SYMPTOM_CHARS))
            }
            _ => Ok(()),
        }
    }

    /// Short name of the kind, as written in the `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::QuestStarted { .. } => "quest_started",
            EventKind::StepChecked { .. } => "step_checked",
            EventKind::QuestCompleted { .. } => "quest_completed",
            EventKind::DiagnosticRun { .. } => "diagnostic_run",
            EventKind::ArScan { .. } => "ar_scan",
            EventKind::ProofSubmitted { .. } => "proof_submitted",
            EventKind::ProofValidated { .. } => "proof_validated",
            EventKind::PhotoSubmitted { .. } => "photo_submitted",
            EventKind::DiagnosisReviewed { .. } => "diagnosis_reviewed",
        }
    }
}

/// One entry of the append-only log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub device: DeviceId,
    /// Gapless per-device sequence number, starting at 1.
    pub seq: u64,
    /// When it happened, by the device's clock (Unix milliseconds, UTC).
    pub at_ms: i64,
    /// The device's UTC offset at that moment, for streaks by local day.
    pub utc_offset_min: i16,
    /// Hash of the device's previous event ([`Hash::ZERO`] for the first).
    pub prev_hash: Hash,
    #[serde(flatten)]
    pub kind: EventKind,
    /// Hash over everything above.
    pub hash: Hash,
}

/// The hashed part of an event, in a fixed field order.
#[derive(Serialize)]
struct HashedBody<'a> {
    id: &'a EventId,
    device: &'a DeviceId,
    seq: u64,
    at_ms: i64,
    utc_offset_min: i16,
    prev_hash: &'a Hash,
    #[serde(flatten)]
    kind: &'a EventKind,
}

const HASH_DOMAIN: &[u8] = b"ridewire/event/v1\0";

impl Event {
    /// The hash this event's content should have.
    pub fn compute_hash(&self) -> Result<Hash> {
        let body = HashedBody {
            id: &self.id,
            device: &self.device,
            seq: self.seq,
            at_ms: self.at_ms,
            utc_offset_min: self.utc_offset_min,
            prev_hash: &self.prev_hash,
            kind: &self.kind,
        };
        let bytes = serde_json::to_vec(&body).map_err(|e| Error::Encoding(e.to_string()))?;
        let mut h = Sha256::new();
        h.update(HASH_DOMAIN);
        h.update(&bytes);
        Ok(Hash(h.finalize().into()))
    }

    /// The local calendar day (days since 1970-01-01 in the device's time zone).
    pub fn local_day(&self) -> i64 {
        (self.at_ms + i64::from(self.utc_offset_min) * 60_000).div_euclid(86_400_000)
    }

    /// The order every fold uses: time, then device, then sequence, then id.
    /// Total and the same on every machine, so the result never depends on
    /// the order events arrived in.
    pub fn canonical_key(&self) -> (i64, DeviceId, u64, EventId) {
        (self.at_ms, self.device, self.seq, self.id)
    }
}

/// The tail of one device's chain: what the next event must follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceChain {
    pub device: DeviceId,
    /// Sequence number of the last event (0 before the first).
    pub last_seq: u64,
    /// Hash of the last event ([`Hash::ZERO`] before the first).
    pub last_hash: Hash,
}

impl DeviceChain {
    /// A device with no events yet.
    pub fn new(device: DeviceId) -> Self {
        Self {
            device,
            last_seq: 0,
            last_hash: Hash::ZERO,
        }
    }

    /// Continues the chain after `last`, its newest event.
    pub fn after(last: &Event) -> Self {
        Self {
            device: last.device,
            last_seq: last.seq,
            last_hash: last.hash,
        }
    }

    /// Makes the device's next event and moves the chain on.
    pub fn append(
        &mut self,
        id: EventId,
        at_ms: i64,
        utc_offset_min: i16,
        kind: EventKind,
    ) -> Result<Event> {
        if !(-18 * 60..=18 * 60).contains(&utc_offset_min) {
            return Err(Error::Chain(format!(
                "UTC offset {utc_offset_min} min is outside ±18 h"
            )));
        }
        let seq = self
            .last_seq
            .checked_add(1)
            .ok_or_else(|| Error::Chain("sequence number overflow".into()))?;
        let mut event = Event {
            id,
            device: self.device,
            seq,
            at_ms,
            utc_offset_min,
            prev_hash: self.last_hash,
            kind,
            hash: Hash::ZERO,
        };
        event.hash = event.compute_hash()?;
        self.last_seq = seq;
        self.last_hash = event.hash;
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> DeviceId {
        DeviceId(Uuid::from_u128(7))
    }

    #[test]
    fn event_ids_are_uuid_v7_ordered_by_time() {
        let a = EventId::v7(1_700_000_000_000, [1; 10]);
        let b = EventId::v7(1_700_000_000_001, [0; 10]);
        assert_eq!(a.0.get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn chain_links_events_and_round_trips_json() {
        let mut chain = DeviceChain::new(device());
        let q = QuestId::new("q1").expect("id");
        let e1 = chain
            .append(
                EventId::v7(1000, [1; 10]),
                1000,
                60,
                EventKind::QuestStarted { quest: q.clone() },
            )
            .expect("append");
        let e2 = chain
            .append(
                EventId::v7(2000, [2; 10]),
                2000,
                60,
                EventKind::QuestCompleted { quest: q },
            )
            .expect("append");
        assert_eq!((e1.seq, e2.seq), (1, 2));
        assert_eq!(e1.prev_hash, Hash::ZERO);
        assert_eq!(e2.prev_hash, e1.hash);
        let json = serde_json::to_string(&e2).expect("json");
        assert!(json.contains("\"kind\":\"quest_completed\""), "{json}");
        let back: Event = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, e2);
        assert_eq!(back.compute_hash().expect("hash"), e2.hash);
    }

    #[test]
    fn local_day_follows_the_offset() {
        let mut chain = DeviceChain::new(device());
        // 2024-01-01T23:30Z is already 2 January in UTC+1.
        let at = 1_704_151_800_000;
        let utc = chain
            .append(
                EventId::v7(at, [0; 10]),
                at,
                0,
                EventKind::QuestStarted {
                    quest: QuestId::new("q").expect("id"),
                },
            )
            .expect("append");
        let plus_one = chain
            .append(
                EventId::v7(at, [1; 10]),
                at,
                60,
                EventKind::QuestStarted {
                    quest: QuestId::new("q").expect("id"),
                },
            )
            .expect("append");
        assert_eq!(plus_one.local_day(), utc.local_day() + 1);
        assert!(
            chain
                .append(
                    EventId::v7(at, [2; 10]),
                    at,
                    24 * 60,
                    EventKind::QuestStarted {
                        quest: QuestId::new("q").expect("id")
                    }
                )
                .is_err()
        );
    }

    #[test]
    fn bad_hash_text_is_refused() {
        assert!(Hash::from_hex("zz").is_err());
        assert!(serde_json::from_str::<Hash>("\"abcd\"").is_err());
    }
}
