//! Recording events: what commits together, and what survives a reopen.

use ridewire_engine::chain;
use ridewire_engine::demo;
use ridewire_engine::event::{DeviceId, EventKind};
use ridewire_engine::quest::QuestId;
use ridewire_offline_store::{SCHEMA_VERSION, Store};

use crate::support::{T0, diagnosis, random, step, store};

#[test]
fn recorded_events_and_progress_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let device = {
        let mut s = store(&path);
        let r = s.record(diagnosis(1), T0, 60, random(1)).unwrap();
        assert_eq!(r.progress.xp(), 10);
        for (i, st) in ["s1", "s2", "s3"].iter().enumerate() {
            s.record(
                step("lights", st),
                T0 + 1000 * (i as i64 + 1),
                60,
                random(10 + i as u64),
            )
            .unwrap();
        }
        let done = s
            .record(
                EventKind::QuestCompleted {
                    quest: QuestId::new("lights").unwrap(),
                },
                T0 + 10_000,
                60,
                random(20),
            )
            .unwrap();
        assert_eq!(done.progress.xp(), 10 + 22);
        assert_eq!(done.event.seq, 5);
        s.device()
    };
    let mut s = Store::open(&path, T0 + 1).unwrap().store;
    assert_eq!(s.device(), device, "device id changed on reopen");
    assert_eq!(s.progress().unwrap().xp(), 32);
    let events = s.events().unwrap();
    assert_eq!(events.len(), 5);
    chain::verify(&events).unwrap();
    // Everything is still waiting to be sent, in order.
    let outbox = s.outbox().unwrap();
    assert_eq!(
        outbox.iter().map(|o| o.event.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    // The next event continues the chain.
    let next = s.record(diagnosis(2), T0 + 20_000, 60, random(30)).unwrap();
    assert_eq!(
        (next.event.seq, next.event.prev_hash),
        (6, events.iter().max_by_key(|e| e.seq).unwrap().hash)
    );
    let user_version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(user_version, SCHEMA_VERSION);
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut s = store(&path);
    s.record(diagnosis(1), T0, 60, random(1)).unwrap();
    // Make the outbox insert fail, as a full disk would, after the event row
    // has been written inside the transaction.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER full_disk BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
    let err = s
        .record(diagnosis(2), T0 + 1000, 60, random(2))
        .unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(
        s.events().unwrap().len(),
        1,
        "event written without its outbox row"
    );
    assert_eq!(
        s.progress().unwrap().xp(),
        10,
        "progress counted an event that was not stored"
    );
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TRIGGER full_disk;")
        .unwrap();
    let r = s.record(diagnosis(2), T0 + 2000, 60, random(3)).unwrap();
    assert_eq!((r.event.seq, r.progress.xp()), (2, 20));
}

#[test]
fn acknowledged_and_wedged_rows_leave_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir.path().join("rider.db"));
    let ids: Vec<_> = (0..4)
        .map(|i| {
            s.record(diagnosis(i), T0 + i as i64, 60, random(i as u64))
                .unwrap()
                .event
                .id
        })
        .collect();
    assert_eq!(s.acknowledge(2).unwrap(), 2);
    s.mark_failed(ids[2], "server said 400: payload", true, 0)
        .unwrap();
    s.mark_failed(ids[3], "connection reset", false, T0 + 60_000)
        .unwrap();
    let outbox = s.outbox().unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(outbox[0].wedged && outbox[0].attempts == 1);
    assert_eq!(
        outbox[0].last_error.as_deref(),
        Some("server said 400: payload")
    );
    assert!(!outbox[1].wedged && outbox[1].next_attempt_at_ms == T0 + 60_000);
}

#[test]
fn remote_events_are_stored_once_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut phone = store(&dir.path().join("phone.db"));
    let mut terminal = store(&dir.path().join("terminal.db"));
    let e1 = phone.record(diagnosis(1), T0, 60, random(1)).unwrap().event;
    let e2 = phone
        .record(diagnosis(2), T0 + 5, 60, random(2))
        .unwrap()
        .event;
    terminal
        .record(diagnosis(3), T0 + 1, 60, random(3))
        .unwrap();
    assert_eq!(terminal.store_remote(&[e1.clone(), e2.clone()]).unwrap(), 2);
    assert_eq!(terminal.store_remote(&[e2, e1]).unwrap(), 0);
    assert_eq!(terminal.progress().unwrap().xp(), 30);
    // Remote events are not this device's to send.
    assert_eq!(terminal.outbox().unwrap().len(), 1);
}

#[test]
fn settings_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    {
        let mut s = store(&path);
        assert_eq!(s.setting("ui_scale").unwrap(), None);
        s.set_setting("ui_scale", "1.25").unwrap();
        s.set_setting("ui_scale", "1.5").unwrap();
    }
    let s = Store::open(&path, T0).unwrap().store;
    assert_eq!(s.setting("ui_scale").unwrap().as_deref(), Some("1.5"));
}

#[test]
fn a_version_1_database_with_events_upgrades_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let recorded = {
        let mut s = store(&path);
        s.record(diagnosis(1), T0, 60, random(1)).unwrap().event
    };
    // Turn the file back into what version 1 made: no settings, no diagnoses,
    // nothing of sync's.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE record_edits; DROP TABLE records; DROP INDEX outbox_unsent_in_order;
         ALTER TABLE sync_state DROP COLUMN server_progress;
         ALTER TABLE sync_state DROP COLUMN diagnoses_walk;
         DROP TABLE skipped_changes;
         ALTER TABLE sync_state DROP COLUMN page_failures;
         DROP TABLE photos;
         DROP TABLE diagnoses; DROP TABLE settings; PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let mut s = Store::open(&path, T0).unwrap().store;
    assert_eq!(s.events().unwrap(), vec![recorded]);
    assert_eq!(s.progress().unwrap().xp(), 10);
    s.set_setting("touch_layout", "true").unwrap();
}

#[test]
fn a_store_in_memory_records_and_folds_like_a_file_and_leaves_nothing_behind() {
    let device = DeviceId(uuid::Uuid::now_v7());
    let mut memory = Store::in_memory(device, T0).unwrap();
    assert_eq!(memory.device(), device);
    assert!(memory.is_in_memory());
    memory.set_catalog(&demo::catalog().unwrap()).unwrap();
    let mark = memory.event_mark().unwrap();
    let recorded = memory.record(diagnosis(1), T0, 60, random(1)).unwrap();
    assert_eq!(recorded.progress.xp(), 10);
    assert_eq!(memory.progress().unwrap().xp(), 10);
    let (after, new_mark) = memory.events_after(mark).unwrap();
    assert_eq!(after, vec![recorded.event.clone()]);
    assert!(new_mark > mark);
    assert_eq!(memory.events_after(new_mark).unwrap().0, vec![]);
    // Two stores in memory are two riders, not one shared file.
    let other = Store::in_memory(DeviceId(uuid::Uuid::now_v7()), T0).unwrap();
    assert_eq!(other.events().unwrap(), vec![]);
    assert_ne!(other.device(), memory.device());
}
