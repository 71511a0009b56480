//! Applying pulled pages: all or nothing, with the cursor; a reset drops
//! only what was pulled.

use ridewire_engine::demo;
use ridewire_engine::event::{DeviceChain, DeviceId, Event, EventId};
use ridewire_engine::progress::Progress;
use ridewire_engine::sync::record::{Field, Record, RecordKind};
use ridewire_engine::sync::{Change, Cursor, ProgressSummary, PullResponse};
use ridewire_offline_store::{Error, Store};
use serde_json::json;
use uuid::Uuid;

use crate::support::{T0, diagnosis, random, store};

fn other_device_events(n: u64) -> Vec<Event> {
    let mut chain = DeviceChain::new(DeviceId(Uuid::from_u128(0xBEEF)));
    (0..n)
        .map(|i| {
            chain
                .append(
                    EventId::v7(T0 + i as i64, random(1000 + i)),
                    T0 + i as i64,
                    0,
                    diagnosis(u128::from(500 + i)),
                )
                .unwrap()
        })
        .collect()
}

fn page(epoch: &str, position: u64, changes: Vec<Change>, reset: bool) -> PullResponse {
    PullResponse {
        cursor: Cursor {
            epoch: epoch.into(),
            position,
        },
        reset,
        changes,
        more: false,
        progress: ProgressSummary {
            xp: 1,
            level: 1,
            achievements: vec![],
            events: 1,
        },
    }
}

fn events(list: &[Event]) -> Vec<Change> {
    list.iter()
        .map(|e| Change::Event { event: e.clone() })
        .collect()
}

fn plan(id: &str, version: u64) -> Change {
    Change::Plan {
        id: id.into(),
        title: format!("Plan {id}"),
        markdown: "# Service\n- [ ] oil".into(),
        version,
    }
}

#[test]
fn a_page_that_cannot_be_applied_leaves_nothing_behind_not_even_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir.path().join("rider.db"));
    s.apply_pull(&page("e1", 1, vec![plan("p0", 1)], false), T0)
        .unwrap();
    let mut remote = other_device_events(3);
    remote[2].at_ms += 1; // edited after hashing
    let mut changes = events(&remote);
    changes.insert(0, plan("p1", 1));
    let err = s
        .apply_pull(&page("e1", 5, changes, false), T0)
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert_eq!(s.cursor().unwrap().to_string(), "e1.1");
    assert_eq!(s.events().unwrap().len(), 0);
    assert_eq!(s.plans().unwrap().len(), 1);
}

#[test]
fn a_reset_drops_what_was_pulled_but_keeps_the_devices_own_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir.path().join("rider.db"));
    let own = s.record(diagnosis(1), T0, 60, random(1)).unwrap().event;
    let remote = other_device_events(4);
    let mut changes = events(&remote);
    changes.push(plan("p1", 2));
    changes.push(Change::OverlayPack {
        vehicle: "harley-street-750-2022".into(),
        body: json!({"components": []}),
        version: 3,
    });
    changes.push(Change::Record {
        record: Record {
            kind: RecordKind::Vehicle,
            key: "bike-1".into(),
            version: 1,
            fields: [(
                "notes".to_owned(),
                Field {
                    value: json!("chain"),
                    changed_in: 1,
                },
            )]
            .into_iter()
            .collect(),
        },
    });
    let applied = s.apply_pull(&page("e1", 7, changes, false), T0).unwrap();
    assert_eq!(applied.events_added, 4);
    assert!(!applied.reset, "a first pull is not a reset of anything");
    assert_eq!(s.events().unwrap().len(), 5);
    assert_eq!(s.progress().unwrap().xp(), 50);
    assert!(s.overlay_pack("harley-street-750-2022").unwrap().is_some());
    assert!(
        s.shared_record(RecordKind::Vehicle, "bike-1")
            .unwrap()
            .is_some()
    );
    assert_eq!(s.server_progress().unwrap().unwrap().xp, 1);

    // The server was restored: it has only two of those events now.
    let applied = s
        .apply_pull(&page("e2", 2, events(&remote[..2]), true), T0)
        .unwrap();
    assert!(applied.reset);
    assert_eq!(s.events().unwrap().len(), 3);
    assert!(s.events().unwrap().contains(&own));
    assert_eq!(s.outbox().unwrap().len(), 1, "own unsent event dropped");
    assert!(s.plans().unwrap().is_empty());
    assert!(s.overlay_pack("harley-street-750-2022").unwrap().is_none());
    assert!(
        s.shared_record(RecordKind::Vehicle, "bike-1")
            .unwrap()
            .is_none()
    );
    assert_eq!(s.progress().unwrap().xp(), 30, "progress not refolded");
    assert_eq!(s.cursor().unwrap().to_string(), "e2.2");
}

#[test]
fn changes_this_version_cannot_read_are_kept_and_applied_by_a_later_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir.path().join("rider.db"));
    // What an app from before `plan` records reads of a page that holds one
    // (the same JSON, seen as unreadable), next to a change of a kind no
    // version knows yet and an ordinary plan.
    let plan_record = json!({"type": "record", "record": {"kind": "plan", "key": "own-1",
        "version": 2, "fields": {"title": {"value": "Spring", "changed_in": 2}}}});
    let seen_by_old_app = Change::Unreadable {
        body: plan_record,
        why: "unknown variant `plan`".into(),
    };
    let from_the_future = Change::read(json!({"type": "badge_shelf", "badges": 3}));
    let changes = vec![seen_by_old_app, from_the_future, plan("p1", 1)];
    let applied = s.apply_pull(&page("e1", 3, changes, false), T0).unwrap();
    assert_eq!(applied.changes_unreadable, 2);
    assert_eq!(s.plans().unwrap().len(), 1, "the readable change waited");
    assert_eq!(s.cursor().unwrap().to_string(), "e1.3");
    let kept = s.skipped_changes().unwrap();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|k| k.unreadable));
    assert!(kept[1].change.contains("badge_shelf"), "{}", kept[1].change);

    // This version reads `plan` records: the kept one goes in, the other
    // stays for a later version still.
    assert_eq!(s.apply_kept_changes(T0 + 1).unwrap(), 1);
    let record = s.shared_record(RecordKind::Plan, "own-1").unwrap().unwrap();
    assert_eq!(record.get("title"), Some(&json!("Spring")));
    let kept = s.skipped_changes().unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].change.contains("badge_shelf"));
    assert_eq!(s.apply_kept_changes(T0 + 2).unwrap(), 0);

    // A reset brings everything again, so what was kept goes.
    s.apply_pull(&page("e2", 0, vec![], true), T0 + 3).unwrap();
    assert!(s.skipped_changes().unwrap().is_empty());
}

#[test]
fn a_page_from_another_epoch_without_a_reset_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir.path().join("rider.db"));
    s.apply_pull(&page("e1", 3, vec![plan("p1", 1)], false), T0)
        .unwrap();
    let err = s
        .apply_pull(&page("e2", 9, vec![plan("p2", 1)], false), T0)
        .unwrap_err();
    assert!(err.to_string().contains("without a reset"), "{err}");
    assert_eq!(s.plans().unwrap().len(), 1);
    // Starting over fetches everything again cleanly.
    s.restart_pull().unwrap();
    assert_eq!(s.cursor().unwrap(), Cursor::START);
    s.apply_pull(&page("e2", 9, vec![plan("p2", 1)], false), T0)
        .unwrap();
    let ids: Vec<String> = s.plans().unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(ids, ["p2"]);
}

#[test]
fn the_pulled_catalogue_is_what_progress_is_folded_against() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut s = Store::open(&path, T0).unwrap().store;
    let remote = other_device_events(2);
    let catalog = demo::catalog().unwrap();
    let mut changes = vec![Change::Catalog {
        body: serde_json::to_value(&catalog).unwrap(),
    }];
    changes.extend(events(&remote));
    s.apply_pull(&page("e1", 3, changes, false), T0).unwrap();
    assert_eq!(s.catalog().unwrap(), Some(catalog.clone()));
    let expected = Progress::from_events(&catalog, &remote);
    assert_eq!(
        s.progress_summary().unwrap(),
        ProgressSummary::of(&expected, 2)
    );
    // Reopening reads it back.
    drop(s);
    let s = Store::open(&path, T0).unwrap().store;
    assert_eq!(s.cursor().unwrap().to_string(), "e1.3");
    assert_eq!(s.last_pull_ms().unwrap(), Some(T0));
}

#[test]
fn a_gap_answer_queues_acknowledged_events_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir.path().join("rider.db"));
    for i in 0..5 {
        s.record(diagnosis(i), T0 + i as i64, 60, random(i as u64))
            .unwrap();
    }
    s.acknowledge(4).unwrap();
    assert_eq!(s.pending_count().unwrap(), 1);
    assert_eq!(s.rewind_outbox(2).unwrap(), 3);
    let batch: Vec<u64> = s
        .next_push_batch(10)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(batch, [2, 3, 4, 5]);
    assert_eq!(s.next_push_batch(2).unwrap().len(), 2);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 16, ..Default::default() })]

    /// The store's streamed fold (rows in SQL order) gives what the engine's
    /// in-memory fold gives, whatever the device ids, times (ties included)
    /// and arrival order.
    #[test]
    fn the_stored_fold_equals_the_engines_fold(
        devices in proptest::collection::vec(proptest::prelude::any::<u128>(), 1..4),
        times in proptest::collection::vec((0usize..3, 0i64..5, 0u8..4), 1..40),
        shuffle in proptest::prelude::any::<u64>(),
    ) {
        let catalog = demo::catalog().unwrap();
        let mut chains: Vec<DeviceChain> =
            devices.iter().map(|d| DeviceChain::new(DeviceId(Uuid::from_u128(*d)))).collect();
        let mut events = Vec::new();
        for (n, (device, minute, what)) in times.into_iter().enumerate() {
            let chain = &mut chains[device % devices.len()];
            let at = T0 + minute * 60_000;
            let kind = match what {
                0 => diagnosis(n as u128),
                1 => crate::support::step("lights", "s1"),
                2 => crate::support::step("lights", "s2"),
                _ => ridewire_engine::event::EventKind::QuestCompleted {
                    quest: ridewire_engine::quest::QuestId::new("lights").unwrap(),
                },
            };
            events.push(chain.append(EventId::v7(at, random(n as u64 * 0x0101_0101_0101_0101)), at, 0, kind).unwrap());
        }
        let mut arrival = events.clone();
        let mut x = shuffle | 1;
        for i in (1..arrival.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            arrival.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(&dir.path().join("rider.db"));
        for e in &arrival {
            s.store_remote(std::slice::from_ref(e)).unwrap();
        }
        // Compared as stored (the set of seen ids is not kept in the cache).
        let stored = serde_json::to_value(s.progress().unwrap()).unwrap();
        let folded = serde_json::to_value(Progress::from_events(&catalog, &events)).unwrap();
        proptest::prop_assert_eq!(stored, folded);
    }
}

/// The app records while the sync thread applies pulls to the same file
/// through its own connection: neither may fail with "database is locked".
#[test]
fn the_app_and_the_sync_thread_write_one_file_without_lock_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut app = store(&path);
    let mut sync = Store::open(&path, T0).unwrap().store;
    let remote = other_device_events(300);
    let syncing = std::thread::spawn(move || {
        for (n, chunk) in remote.chunks(3).enumerate() {
            let cursor = n as u64 + 1;
            sync.apply_pull(&page("e1", cursor, events(chunk), false), T0)
                .unwrap();
            sync.progress().unwrap();
        }
    });
    for i in 0..300u64 {
        app.record(diagnosis(u128::from(i)), T0 + i as i64, 60, random(i))
            .unwrap();
        app.progress().unwrap();
    }
    syncing.join().unwrap();
    assert_eq!(app.events().unwrap().len(), 600);
    assert_eq!(app.progress().unwrap().stats().diagnostics_run, 600);
}
