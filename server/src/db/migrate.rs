//! The server's schema: numbered SQL files in `server/migrations`, only
//! ever appended, run by `ridewire-sqlite-migrate` (each commits with its
//! version bump; a newer database is refused untouched).

use std::path::Path;

use ridewire_sqlite_migrate::{MigrateError, upgrade};
use rusqlite::Connection;

use crate::error::{AppError, Result};

pub(crate) use ridewire_sqlite_migrate::version;

/// The migrations, in order; the schema version is how many have run.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_initial.sql"),
    include_str!("../../migrations/002_diagnostic_runs.sql"),
    include_str!("../../migrations/003_diagnostic_feedback.sql"),
    include_str!("../../migrations/004_trust.sql"),
    include_str!("../../migrations/005_email_at_rest.sql"),
    include_str!("../../migrations/006_leaderboards.sql"),
    include_str!("../../migrations/007_photos.sql"),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`], refusing newer ones.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    upgrade(conn, MIGRATIONS, MIGRATIONS.len()).map_err(|e| match e {
        MigrateError::TooNew { found, supported } => AppError::DatabaseTooNew {
            path: path.to_owned(),
            found,
            supported,
        },
        MigrateError::Sqlite(source) => AppError::DatabaseOpen {
            path: path.to_owned(),
            source,
        },
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
    fn a_newer_database_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("new.db");
        let mut conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set version");
        let err = migrate(&mut conn, &path).expect_err("newer accepted");
        assert!(
            matches!(err, AppError::DatabaseTooNew { found, .. } if found == SCHEMA_VERSION + 1)
        );
        assert!(err.to_string().contains("newer version"), "{err}");
        assert_eq!(version(&conn).expect("version"), SCHEMA_VERSION + 1);
    }
}
