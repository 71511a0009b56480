//! The sync protocol between a device's offline store and the server: the
//! messages both sides exchange, and the pure rules they follow.
//!
//! - **Push** (`POST /api/v1/sync/push`, [`PushRequest`] → [`PushResponse`]):
//!   a device sends the next events of its own chain. The server keeps each
//!   event once (device + sequence and event id are unique), checks the hash
//!   chain, and answers with the highest sequence it holds contiguously
//!   (`acked_through`). Events it will never accept come back in `rejected`
//!   with a [`RejectReason`]; the device marks them wedged and goes on, and
//!   the server counts their sequence as held so the queue never blocks. A
//!   batch that starts beyond `acked_through + 1` is a gap: `409` with a
//!   [`Gap`] body naming the sequence expected.
//! - **Pull** (`GET /api/v1/sync/pull?cursor=…`, [`PullResponse`]): changes
//!   after the cursor — the user's events from every device, plans, the quest
//!   catalogue, overlay packs, versioned records — and the new cursor. A
//!   [`Cursor`] carries the server's epoch: one from another epoch (data reset
//!   or restored) means the device starts again from [`Cursor::START`].
//! - **Versioned records** ([`record`]): what two terminals may both edit
//!   merges field by field; overlapping edits come back as a conflict.
//!
//! Progress is never synced as a number: both sides fold the same events
//! with [`crate::progress::Progress`].

pub mod api;
pub mod booking_record;
pub mod leaderboard;
pub mod plan_record;
pub mod record;
pub mod runs;
pub mod workshops;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::event::{DeviceId, Event, EventId};

/// Most events one push may carry; larger batches are refused with `413`.
pub const MAX_PUSH_EVENTS: usize = 500;
/// Most changes one pull returns; `more` says whether another page waits.
pub const MAX_PULL_CHANGES: usize = 1_000;
/// Most bytes of changes one pull page carries (a page holds at least one
/// change, whatever its size; no single change is larger than a request
/// body, 1 MiB by default).
pub const MAX_PULL_BYTES: usize = 4 * 1024 * 1024;
/// The longest note a rider can leave on a diagnostic run, in characters:
/// the device keeps no more, and the server takes no more.
pub const MAX_FEEDBACK_CHARS: usize = 2_000;
/// The largest answer a device reads from the server; anything larger is
/// refused unread, so a broken or hostile server cannot exhaust a phone's
/// memory.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// A batch of one device's events, in sequence order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The device that made every event in the batch.
    pub device: DeviceId,
    /// Consecutive events of that device's chain.
    pub events: Vec<Event>,
}

/// The server's answer to a push it could process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The device the answer is about.
    pub device: DeviceId,
    /// Highest sequence the server holds with no gap below it (0 = none).
    pub acked_through: u64,
    /// Events the server will never accept, with why.
    #[serde(default)]
    pub rejected: Vec<Rejected>,
}

/// `409 Conflict` body: the batch does not continue what the server holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The sequence the server expects next from this device.
    pub expected_seq: u64,
}

/// One event the server refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The refused event.
    pub event_id: EventId,
    /// Its place in the device's chain.
    pub seq: u64,
    /// Why, as a stable code.
    pub reason: RejectReason,
}

/// Why the server will never accept an event. The codes are stable: clients
/// store them as the outbox row's last error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The hash does not match the event's content (edited after hashing).
    HashMismatch,
    /// `prev_hash` is not the hash of the device's previous event.
    BrokenChain,
    /// The event names another device than the batch it came in.
    WrongDevice,
    /// The id is already used by a different event.
    DuplicateId,
    /// The same device and sequence already hold a different event.
    ConflictingSequence,
    /// A value no honest device makes (time far in the future, before the
    /// project existed, or an offset beyond ±14 h).
    ForgedValue,
    /// The event could not be read as an event at all.
    BadPayload,
    /// The event is dated more than [`MAX_CLOCK_AHEAD_MS`] after the
    /// server's clock at the time it was pushed.
    FromTheFuture,
    /// The event is dated more than [`MAX_CLOCK_BACK_MS`] before the event
    /// it follows in its device's chain (back-dating).
    ClockWentBack,
    /// A free-text field is longer than the engine's limit for it.
    FieldTooLong,
    /// A diagnostic run the server cannot account for: it carries no
    /// request and decision, or re-running the offline agent on its request
    /// does not reach its decision.
    UnverifiedDiagnosis,
    /// An event only the server writes (a validation by another account),
    /// pushed by a device.
    ServerOnly,
    /// A scan names a vehicle the account does not have and no overlay pack
    /// exists for.
    UnknownVehicle,
    /// A photo proof whose picture the server does not hold: the device
    /// uploads the photo before the event that names it.
    PhotoNotUploaded,
}

impl RejectReason {
    /// The stable code, as serialised.
    pub fn code(self) -> &'static str {
        match self {
            RejectReason::HashMismatch => "hash_mismatch",
            RejectReason::BrokenChain => "broken_chain",
            RejectReason::WrongDevice => "wrong_device",
            RejectReason::DuplicateId => "duplicate_id",
            RejectReason::ConflictingSequence => "conflicting_sequence",
            RejectReason::ForgedValue => "forged_value",
            RejectReason::BadPayload => "bad_payload",
            RejectReason::FromTheFuture => "from_the_future",
            RejectReason::ClockWentBack => "clock_went_back",
            RejectReason::FieldTooLong => "field_too_long",
            RejectReason::UnverifiedDiagnosis => "unverified_diagnosis",
            RejectReason::ServerOnly => "server_only",
            RejectReason::PhotoNotUploaded => "photo_not_uploaded",
            RejectReason::UnknownVehicle => "unknown_vehicle",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Earliest event time the server accepts (2020-01-01T00:00:00Z).
pub const EARLIEST_EVENT_MS: i64 = 1_577_836_800_000;
/// How far ahead of the server's clock an event may be dated when it is
/// pushed: clocks drift a little, nobody honest records next week.
pub const MAX_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1_000;
/// How far an event may be dated before the event it follows on the same
/// device (a clock corrected backwards by the network). More than this is
/// back-dating: a device's chain moves forward in time.
pub const MAX_CLOCK_BACK_MS: i64 = 5 * 60 * 1_000;

/// Checks the values of one event that no honest device gets wrong, given
/// the server's clock and the time of the event it follows on its device
/// (`None` for a device's first event). Hash and chain are checked by
/// [`crate::chain`].
///
/// A device that was offline for days pushes events with their real, past
/// times: they are accepted, as long as each is not earlier than the one
/// before it on that device (beyond [`MAX_CLOCK_BACK_MS`]) and none is
/// later than the server's clock (beyond [`MAX_CLOCK_AHEAD_MS`]).
pub fn check_values(
    event: &Event,
    now_ms: i64,
    previous_at_ms: Option<i64>,
) -> Result<(), RejectReason> {
    let offset_ok = (-14 * 60..=14 * 60).contains(&event.utc_offset_min);
    if !offset_ok || event.seq == 0 || event.at_ms < EARLIEST_EVENT_MS {
        return Err(RejectReason::ForgedValue);
    }
    if event.at_ms > now_ms.saturating_add(MAX_CLOCK_AHEAD_MS) {
        return Err(RejectReason::FromTheFuture);
    }
    if previous_at_ms.is_some_and(|p| event.at_ms < p.saturating_sub(MAX_CLOCK_BACK_MS)) {
        return Err(RejectReason::ClockWentBack);
    }
    if event.kind.check_lengths().is_err() {
        return Err(RejectReason::FieldTooLong);
    }
    Ok(())
}

/// Where a device is in the server's change log: the server's epoch and the
/// last change seen. Written `EPOCH.POSITION`; empty for the start.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Cursor {
    /// The server data's epoch; empty before the first pull.
    pub epoch: String,
    /// The last change the device applied (0 = none).
    pub position: u64,
}

impl Cursor {
    /// Before the first pull.
    pub const START: Cursor = Cursor {
        epoch: String::new(),
        position: 0,
    };

    /// Whether this cursor belongs to the server epoch `epoch`. A cursor
    /// from another epoch must not be used: the device re-fetches from the
    /// start.
    pub fn is_from(&self, epoch: &str) -> bool {
        self.epoch == epoch
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch.is_empty() {
            Ok(())
        } else {
            write!(f, "{}.{}", self.epoch, self.position)
        }
    }
}

/// A cursor string that is not `EPOCH.POSITION`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sync cursor {0:?}: expected EPOCH.POSITION")]
pub struct BadCursor(pub String);

impl FromStr for Cursor {
    type Err = BadCursor;

    fn from_str(s: &str) -> Result<Self, BadCursor> {
        if s.is_empty() {
            return Ok(Cursor::START);
        }
        let bad = || BadCursor(s.chars().take(80).collect());
        let (epoch, position) = s.rsplit_once('.').ok_or_else(bad)?;
        let epoch_ok = !epoch.is_empty()
            && epoch.len() <= 64
            && epoch
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !epoch_ok {
            return Err(bad());
        }
        // Positions are row numbers: 1 to 19 digits, nothing else.
        if position.is_empty()
            || position.len() > 19
            || !position.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let position = position.parse().map_err(|_| bad())?;
        Ok(Cursor {
            epoch: epoch.to_owned(),
            position,
        })
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The server's answer to a pull.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Where the device is after applying `changes`; store it in the same
    /// transaction as the changes.
    pub cursor: Cursor,
    /// True when the cursor sent was from another epoch: the device must drop
    /// what it pulled before and apply these changes from scratch.
    #[serde(default)]
    pub reset: bool,
    /// Changes after the cursor sent, oldest first. One this build cannot
    /// read (a kind of change or record a later version added) is read as
    /// [`Change::Unreadable`] instead of failing the whole page, so an
    /// older app keeps syncing everything else.
    #[serde(deserialize_with = "readable_or_kept")]
    pub changes: Vec<Change>,
    /// Whether more changes wait after these.
    pub more: bool,
    /// The server's progress for the user, folded from every device's
    /// events, for the device to show and compare.
    pub progress: ProgressSummary,
}

/// One change in the server's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// An event of the user's, from any of their devices.
    Event { event: Event },
    /// A maintenance plan (Markdown) was added or changed.
    Plan {
        id: String,
        title: String,
        markdown: String,
        version: u64,
    },
    /// The quest catalogue (JSON of [`crate::quest::Catalog`]) changed.
    Catalog { body: serde_json::Value },
    /// An overlay pack for a vehicle model was added or changed.
    OverlayPack {
        vehicle: String,
        body: serde_json::Value,
        version: u64,
    },
    /// A versioned record two devices may edit.
    Record { record: record::Record },
    /// A change this build cannot read, kept whole (`body`) with why, for a
    /// later version of the app to apply. Only reading a pull page makes
    /// one; it is never sent.
    #[serde(skip)]
    Unreadable {
        body: serde_json::Value,
        why: String,
    },
}

/// Reads a page's changes one by one, keeping those this build cannot read
/// as [`Change::Unreadable`].
fn readable_or_kept<'de, D>(deserializer: D) -> Result<Vec<Change>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let bodies = Vec::<serde_json::Value>::deserialize(deserializer)?;
    Ok(bodies.into_iter().map(Change::read).collect())
}

impl Change {
    /// Reads one change, or keeps it as [`Change::Unreadable`].
    pub fn read(body: serde_json::Value) -> Change {
        match Change::deserialize(&body) {
            Ok(change) => change,
            Err(e) => Change::Unreadable {
                why: e.to_string(),
                body,
            },
        }
    }
}

/// The numbers a rider sees, as the server folded them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressSummary {
    /// Total XP.
    pub xp: u64,
    /// Current level.
    pub level: u32,
    /// Unlocked achievement ids, in unlock order.
    pub achievements: Vec<String>,
    /// How many distinct events were folded.
    pub events: u64,
}

impl ProgressSummary {
    /// The summary of a fold.
    pub fn of(progress: &crate::progress::Progress, events: u64) -> Self {
        ProgressSummary {
            xp: progress.xp(),
            level: progress.level().level,
            achievements: progress
                .achievements()
                .iter()
                .map(|a| a.id.clone())
                .collect(),
            events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_changes_of_a_later_version_is_read_keeping_those_whole() {
        let page = serde_json::json!({
            "cursor": "e.3", "more": false,
            "progress": {"xp": 0, "level": 1, "achievements": [], "events": 0},
            "changes": [
                {"type": "plan", "id": "p", "title": "T", "markdown": "# T", "version": 1},
                {"type": "badge_shelf", "badges": 3},
                {"type": "record", "record": {"kind": "tyre_log", "key": "k",
                    "version": 1, "fields": {}}},
            ],
        });
        let page: PullResponse = serde_json::from_value(page).expect("page read");
        assert!(matches!(page.changes[0], Change::Plan { ref id, .. } if id == "p"));
        for (change, kind) in page.changes[1..].iter().zip(["badge_shelf", "tyre_log"]) {
            let Change::Unreadable { body, why } = change else {
                panic!("read {change:?}");
            };
            assert!(body.to_string().contains(kind), "{body}");
            assert!(why.contains("unknown variant"), "{why}");
        }
    }

    #[test]
    fn cursor_round_trips_and_refuses_garbage() {
        let c: Cursor = "01HX-epoch.42".parse().unwrap();
        assert_eq!(c.epoch, "01HX-epoch");
        assert_eq!(c.position, 42);
        assert_eq!(c.to_string(), "01HX-epoch.42");
        assert_eq!("".parse::<Cursor>().unwrap(), Cursor::START);
        for bad in [
            "42",
            ".5",
            "e.",
            "e.-1",
            "e.x",
            "a b.1",
            "e.18446744073709551616",
        ] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad} accepted");
        }
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"01HX-epoch.42\"");
        assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), c);
    }

    #[test]
    fn cursor_from_another_epoch_is_not_used() {
        let c = Cursor {
            epoch: "a".into(),
            position: 9,
        };
        assert!(c.is_from("a"));
        assert!(!c.is_from("b"));
        assert!(!Cursor::START.is_from("a"));
    }

    #[test]
    fn values_no_honest_device_makes_are_refused() {
        use crate::event::{DeviceChain, EventKind};
        use crate::quest::QuestId;
        let now = 1_780_000_000_000;
        let mut chain = DeviceChain::new(DeviceId(uuid::Uuid::from_u128(1)));
        let kind = EventKind::QuestStarted {
            quest: QuestId::new("q-chain").unwrap(),
        };
        let event = chain
            .append(EventId::v7(now, [1; 10]), now, 60, kind)
            .unwrap();
        assert_eq!(check_values(&event, now, None), Ok(()));
        let forged = [
            Event {
                at_ms: EARLIEST_EVENT_MS - 1,
                ..event.clone()
            },
            Event {
                utc_offset_min: 15 * 60,
                ..event.clone()
            },
            Event {
                seq: 0,
                ..event.clone()
            },
        ];
        for forged in forged {
            assert_eq!(
                check_values(&forged, now, None),
                Err(RejectReason::ForgedValue)
            );
        }
        let ahead = Event {
            at_ms: now + MAX_CLOCK_AHEAD_MS + 1,
            ..event.clone()
        };
        assert_eq!(
            check_values(&ahead, now, None),
            Err(RejectReason::FromTheFuture)
        );
        // A few minutes back is a corrected clock; an hour is back-dating.
        assert_eq!(check_values(&event, now, Some(now + 60_000)), Ok(()));
        assert_eq!(
            check_values(&event, now, Some(now + MAX_CLOCK_BACK_MS + 1)),
            Err(RejectReason::ClockWentBack)
        );
        // Days offline: old times are fine while the chain moves forward.
        let old = Event {
            at_ms: now - 5 * 86_400_000,
            ..event.clone()
        };
        assert_eq!(check_values(&old, now, Some(now - 6 * 86_400_000)), Ok(()));
        let long_step = Event {
            kind: EventKind::StepChecked {
                quest: QuestId::new("q-chain").unwrap(),
                step: "x".repeat(crate::event::MAX_STEP_BYTES + 1),
            },
            ..event.clone()
        };
        assert_eq!(
            check_values(&long_step, now, None),
            Err(RejectReason::FieldTooLong)
        );
    }

    #[test]
    fn reject_reasons_have_stable_codes() {
        let json = serde_json::to_string(&RejectReason::BrokenChain).unwrap();
        assert_eq!(json, "\"broken_chain\"");
        assert_eq!(RejectReason::HashMismatch.to_string(), "hash_mismatch");
    }
}
