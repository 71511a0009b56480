//! The store's schema: numbered SQL files in `offline-store/migrations`,
//! only ever appended, run by `ridewire-sqlite-migrate` (each commits with
//! its version bump; a newer file is refused untouched).

use std::path::Path;

use ridewire_sqlite_migrate::{MigrateError, upgrade};
use rusqlite::Connection;

use crate::{Error, Result};

pub(crate) use ridewire_sqlite_migrate::version;

/// The migrations, in order; the schema version is how many have run.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_initial.sql"),
    include_str!("../migrations/002_settings.sql"),
    include_str!("../migrations/003_diagnoses.sql"),
    include_str!("../migrations/004_sync.sql"),
    include_str!("../migrations/005_diagnosis_sync.sql"),
    include_str!("../migrations/006_pull_skips.sql"),
    include_str!("../migrations/007_photos.sql"),
    include_str!("../migrations/008_unreadable_changes.sql"),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`], refusing newer ones.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    upgrade(conn, MIGRATIONS, MIGRATIONS.len()).map_err(|e| match e {
        MigrateError::TooNew { found, supported } => Error::TooNew {
            path: path.to_owned(),
            found,
            supported,
        },
        MigrateError::Sqlite(e) => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_older_version_upgrades_to_the_fresh_schema() {
        let dir = tempfile::tempdir().expect("temp dir");
        ridewire_sqlite_migrate::check_every_upgrade(MIGRATIONS, dir.path()).expect("upgrades");
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("new.db");
        let mut conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set version");
        let err = migrate(&mut conn, &path).expect_err("newer accepted");
        assert!(matches!(err, Error::TooNew { found, .. } if found == SCHEMA_VERSION + 1));
        assert!(
            err.to_string().contains("newer version of RideWire"),
            "{err}"
        );
    }
}
