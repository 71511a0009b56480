//! Damaged, foreign and newer database files: clear errors, nothing lost.

use ridewire_offline_store::{Error, SCHEMA_VERSION, Store};

use crate::support::{T0, diagnosis, random, store};

#[test]
fn a_file_that_is_not_a_database_is_moved_aside_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let garbage = b"this is a photo of my bike, not a database\n".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    let opened = Store::open(&path, T0).unwrap();
    let recovery = opened.recovery.expect("damage not reported");
    assert_eq!(
        std::fs::read(&recovery.moved_to).unwrap(),
        garbage,
        "damaged file not kept as it was"
    );
    assert!(recovery.moved_to.to_string_lossy().contains("damaged"));
    assert_eq!(recovery.events_carried_over, 0);
    let mut s = opened.store;
    assert_eq!(
        s.record(diagnosis(1), T0, 60, random(1)).unwrap().event.seq,
        1
    );
}

#[test]
fn a_damaged_file_gives_back_the_events_it_still_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let (device, recorded) = {
        let mut s = store(&path);
        let recorded: Vec<_> = (0..200)
            .map(|i| {
                s.record(diagnosis(i), T0 + i as i64 * 1000, 60, random(i as u64))
                    .unwrap()
                    .event
            })
            .collect();
        s.acknowledge(50).unwrap();
        (s.device(), recorded)
    };
    // Wreck the last pages (the newest part of the file).
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    assert!(len > 16 * 4096, "test database is too small: {len} bytes");
    for b in &mut bytes[len - 8 * 4096..] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();

    let opened = Store::open(&path, T0 + 1).unwrap();
    let recovery = opened.recovery.expect("damage not reported");
    assert!(recovery.moved_to.exists());
    assert!(
        recovery.events_carried_over > 0,
        "nothing salvaged: {recovery:?}"
    );
    let s = opened.store;
    assert_eq!(
        s.device(),
        device,
        "the device must keep its identity and chain"
    );
    let carried = s.events().unwrap();
    assert_eq!(carried.len(), recovery.events_carried_over);
    // Whatever came back is genuine: every event is one that was recorded.
    for e in &carried {
        assert!(recorded.contains(e), "event {} was not recorded", e.id);
    }
    let outbox = s.outbox().unwrap();
    assert_eq!(outbox.len(), recovery.unsent_carried_over);
    assert!(
        outbox.iter().all(|o| o.event.seq > 50),
        "acknowledged events are back in the outbox"
    );
}

#[test]
fn a_newer_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    drop(store(&path));
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 5)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path, T0).unwrap_err();
    assert!(
        matches!(err, Error::TooNew { found, .. } if found == SCHEMA_VERSION + 5),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(
        !dir.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("damaged"))
    );
}

#[test]
fn an_unreachable_folder_is_an_error_not_a_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(dir.path().join("no/such/folder/rider.db"), T0).unwrap_err();
    assert!(matches!(err, Error::Open { .. }), "{err}");
}

#[test]
fn a_file_left_mid_transaction_by_a_crash_is_rolled_back_and_opens() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let conn = rusqlite::Connection::open(&live).unwrap();
    // Before the store switches a new file to WAL, SQLite writes through a
    // rollback journal: a crash then leaves a "hot" journal beside the file.
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE;
         PRAGMA cache_size = 1;
         CREATE TABLE notes (text TEXT);
         INSERT INTO notes VALUES ('kept 1'), ('kept 2'), ('kept 3');
         BEGIN;
         INSERT INTO notes
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
           SELECT hex(randomblob(500)) FROM n;",
    )
    .unwrap();
    // The process dies here: the file and its journal stay as they are.
    let crashed = dir.path().join("rider.db");
    std::fs::copy(&live, &crashed).unwrap();
    std::fs::copy(
        dir.path().join("live.db-journal"),
        dir.path().join("rider.db-journal"),
    )
    .expect("a journal mid-transaction");
    drop(conn);

    let opened = Store::open(&crashed, T0).unwrap();
    assert!(opened.recovery.is_none(), "{:?}", opened.recovery);
    let mut s = opened.store;
    assert_eq!(
        s.record(diagnosis(1), T0, 60, random(1)).unwrap().event.seq,
        1
    );
    drop(s);
    // The unfinished transaction was undone; what was committed is there.
    let check = rusqlite::Connection::open(&crashed).unwrap();
    let rows: i64 = check
        .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 3);
}
