//! Verifying the per-device hash chains of an event log.
//!
//! Every event names the hash of its device's previous event and carries a
//! gapless sequence number. [`verify`] walks a log in the order it is stored
//! and reports the first place where that stops being true, which is where
//! somebody edited, removed, inserted or reordered an event.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::{DeviceChain, DeviceId, Event, Hash};

/// What is wrong at the first broken link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum BreakKind {
    /// The event's content no longer matches its hash: it was edited.
    ContentChanged { stored: Hash, computed: Hash },
    /// The event could not be encoded for hashing.
    Unhashable { reason: String },
    /// Sequence numbers jump ahead: events before this one are missing.
    Missing { expected_seq: u64, found_seq: u64 },
    /// The sequence number goes back or repeats: events were reordered or
    /// one was inserted.
    OutOfOrder { expected_seq: u64, found_seq: u64 },
    /// The event does not follow the previous one's hash: an event before it
    /// was replaced, removed and renumbered, or this one was inserted.
    LinkBroken {
        expected_prev: Hash,
        found_prev: Hash,
    },
}

/// The first broken link of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    /// Position in the verified slice.
    pub index: usize,
    pub device: DeviceId,
    pub seq: u64,
    pub kind: BreakKind,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "event #{} (device {}, seq {}): ",
            self.index, self.device, self.seq
        )?;
        match &self.kind {
            BreakKind::ContentChanged { .. } => write!(f, "content does not match its hash"),
            BreakKind::Unhashable { reason } => write!(f, "cannot be hashed: {reason}"),
            BreakKind::Missing {
                expected_seq,
                found_seq,
            } => write!(
                f,
                "expected seq {expected_seq}, found {found_seq}: events missing"
            ),
            BreakKind::OutOfOrder {
                expected_seq,
                found_seq,
            } => write!(
                f,
                "expected seq {expected_seq}, found {found_seq}: out of order"
            ),
            BreakKind::LinkBroken { .. } => write!(f, "does not follow the previous event's hash"),
        }
    }
}

impl std::error::Error for ChainBreak {}

/// Checks events one at a time against each device's chain. The server keeps
/// one per account and feeds it each pushed event.
#[derive(Debug, Clone, Default)]
pub struct ChainVerifier {
    tails: BTreeMap<DeviceId, DeviceChain>,
}

impl ChainVerifier {
    /// A verifier that expects every device to start at sequence 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Continues a device's chain from a known tail (events already verified).
    pub fn resume(&mut self, tail: DeviceChain) {
        self.tails.insert(tail.device, tail);
    }

    /// The tail of a device's chain as far as it has been verified.
    pub fn tail(&self, device: &DeviceId) -> DeviceChain {
        self.tails
            .get(device)
            .cloned()
            .unwrap_or_else(|| DeviceChain::new(*device))
    }

    /// Checks the next event; on success the device's chain moves on.
    pub fn check(&mut self, event: &Event) -> Result<(), BreakKind> {
        let computed = event.compute_hash().map_err(|e| BreakKind::Unhashable {
            reason: e.to_string(),
        })?;
        if computed != event.hash {
            return Err(BreakKind::ContentChanged {
                stored: event.hash,
                computed,
            });
        }
        let tail = self.tail(&event.device);
        let expected_seq = tail.last_seq + 1;
        if event.seq > expected_seq {
            return Err(BreakKind::Missing {
                expected_seq,
                found_seq: event.seq,
            });
        }
        if event.seq < expected_seq {
            return Err(BreakKind::OutOfOrder {
                expected_seq,
                found_seq: event.seq,
            });
        }
        if event.prev_hash != tail.last_hash {
            return Err(BreakKind::LinkBroken {
                expected_prev: tail.last_hash,
                found_prev: event.prev_hash,
            });
        }
        self.tails.insert(event.device, DeviceChain::after(event));
        Ok(())
    }
}

/// Verifies a whole log (all devices, each starting at sequence 1) in stored
/// order and returns the first broken link.
pub fn verify(events: &[Event]) -> Result<(), ChainBreak> {
    let mut verifier = ChainVerifier::new();
    for (index, event) in events.iter().enumerate() {
        verifier.check(event).map_err(|kind| ChainBreak {
            index,
            device: event.device,
            seq: event.seq,
            kind,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventId, EventKind};
    use crate::quest::QuestId;
    use proptest::prelude::*;
    use uuid::Uuid;

    /// Two devices interleaved: A1 B1 A2 B2 ...
    fn log(n: usize) -> Vec<Event> {
        let mut a = DeviceChain::new(DeviceId(Uuid::from_u128(1)));
        let mut b = DeviceChain::new(DeviceId(Uuid::from_u128(2)));
        let mut out = Vec::new();
        for i in 0..n {
            let chain = if i % 2 == 0 { &mut a } else { &mut b };
            let at = 1_000 * i as i64;
            let kind = EventKind::StepChecked {
                quest: QuestId::new("q").expect("id"),
                step: format!("s{i}"),
            };
            out.push(
                chain
                    .append(EventId::v7(at, [i as u8; 10]), at, 0, kind)
                    .expect("append"),
            );
        }
        out
    }

    #[test]
    fn an_untouched_log_verifies() {
        assert_eq!(verify(&log(20)), Ok(()));
        assert_eq!(verify(&[]), Ok(()));
    }

    #[test]
    fn an_edit_is_found_at_the_edited_event() {
        let mut events = log(10);
        events[5].at_ms += 1;
        let err = verify(&events).expect_err("edit not detected");
        assert_eq!(err.index, 5);
        assert!(matches!(err.kind, BreakKind::ContentChanged { .. }));
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
        let mut events = log(10);
        events[4].kind = EventKind::QuestCompleted {
            quest: QuestId::new("q").expect("id"),
        };
        events[4].hash = events[4].compute_hash().expect("hash");
        let err = verify(&events).expect_err("edit not detected");
        // Event 6 is the same device's next event.
        assert_eq!(err.index, 6);
        assert!(matches!(err.kind, BreakKind::LinkBroken { .. }));
    }

    #[test]
    fn a_removal_is_found() {
        let mut events = log(10);
        events.remove(4);
        let err = verify(&events).expect_err("removal not detected");
        assert_eq!(err.index, 5);
        assert_eq!(
            err.kind,
            BreakKind::Missing {
                expected_seq: 3,
                found_seq: 4
            }
        );
    }

    #[test]
    fn an_insertion_is_found() {
        let mut events = log(10);
        // A forged event for device A claiming seq 3, rehashed so it looks whole.
        let mut forged = events[4].clone();
        forged.kind = EventKind::QuestCompleted {
            quest: QuestId::new("q").expect("id"),
        };
        forged.id = EventId::v7(4_500, [99; 10]);
        forged.hash = forged.compute_hash().expect("hash");
        events.insert(5, forged);
        let err = verify(&events).expect_err("insertion not detected");
        assert_eq!(err.index, 5);
        assert!(matches!(err.kind, BreakKind::OutOfOrder { .. }));
    }

    #[test]
    fn a_reordering_is_found() {
        let mut events = log(10);
        events.swap(2, 4); // A2 and A3 swap places
        let err = verify(&events).expect_err("reorder not detected");
        assert_eq!(err.index, 2);
        assert_eq!(
            err.kind,
            BreakKind::Missing {
                expected_seq: 2,
                found_seq: 3
            }
        );
    }

    #[test]
    fn a_replacement_with_the_right_seq_breaks_the_link() {
        let mut events = log(6);
        let mut chain = DeviceChain::new(events[0].device);
        // A wholly new first event for device A, correctly hashed on its own.
        events[0] = chain
            .append(
                EventId::v7(0, [42; 10]),
                0,
                0,
                EventKind::QuestStarted {
                    quest: QuestId::new("x").expect("id"),
                },
            )
            .expect("append");
        let err = verify(&events).expect_err("replacement not detected");
        assert_eq!(err.index, 2);
        assert!(matches!(err.kind, BreakKind::LinkBroken { .. }));
    }

    proptest! {
        /// Any single change to any field of any event is caught at or after that event.
        #[test]
        fn every_single_edit_is_detected(n in 2usize..30, pick in any::<prop::sample::Index>(), field in 0u8..5, delta in 1i64..1000) {
            let mut events = log(n);
            let i = pick.index(n);
            match field {
                0 => events[i].at_ms += delta,
                1 => events[i].utc_offset_min = (events[i].utc_offset_min + 1) % 60,
                2 => events[i].seq += delta as u64,
                3 => events[i].prev_hash.0[0] ^= 1,
                _ => events[i].kind = EventKind::ProofValidated { quest: QuestId::new("q").expect("id"), validator: "me".into() },
            }
            let err = verify(&events).expect_err("edit not detected");
            prop_assert_eq!(err.index, i);
        }
    }
}
