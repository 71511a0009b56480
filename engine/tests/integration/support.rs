//! Shared builders for the integration tests.

use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId, EventKind};
use ridewire_engine::quest::QuestId;
use uuid::Uuid;

pub const DAY: i64 = 86_400_000;
/// 2026-03-02T08:00Z, a Monday.
pub const T0: i64 = 1_772_438_400_000;

pub fn q(id: &str) -> QuestId {
    QuestId::new(id).expect("quest id")
}

/// One device writing events, with deterministic ids.
pub struct Device {
    pub chain: DeviceChain,
    n: u32,
}

impl Device {
    pub fn new(n: u128) -> Self {
        Self {
            chain: DeviceChain::new(DeviceId(Uuid::from_u128(n))),
            n: 0,
        }
    }

    pub fn at(&mut self, at_ms: i64, kind: EventKind) -> Event {
        self.n += 1;
        let mut random = [0u8; 10];
        random[..4].copy_from_slice(&self.n.to_le_bytes());
        random[4..].copy_from_slice(&self.chain.device.0.as_bytes()[10..]);
        self.chain
            .append(EventId::v7(at_ms, random), at_ms, 60, kind)
            .expect("append")
    }
}
