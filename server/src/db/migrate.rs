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
    include_str!("../../migrations/008_display_name_keys.sql"),
    include_str!("../../migrations/009_workshops.sql"),
    include_str!("../../migrations/010_bookings.sql"),
    include_str!("../../migrations/011_reviews.sql"),
    include_str!("../../migrations/012_workshop_plans.sql"),
    include_str!("../../migrations/013_workshop_templates.sql"),
    include_str!("../../migrations/014_device_escalations.sql"),
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
            target: path.display().to_string(),
            source: source.into(),
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
    fn names_listed_before_name_keys_get_theirs_and_clashing_ones_stay_listed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("server.db");
        {
            let mut conn = Connection::open(&path).expect("open");
            upgrade(&mut conn, MIGRATIONS, 7).expect("schema 7");
            // Schema 7 compared names ignoring ASCII case only, so these two
            // could both be taken.
            for (id, name) in [(1, "ÅSA"), (2, "åsa"), (3, "Ben")] {
                conn.execute(
                    "INSERT INTO users (id, email, password_hash, created_ms)
                     VALUES (?1, ?2, 'x', 0)",
                    rusqlite::params![id, format!("{id}@example.com")],
                )
                .expect("user");
                conn.execute(
                    "INSERT INTO standings (user_id, display_name) VALUES (?1, ?2)",
                    rusqlite::params![id, name],
                )
                .expect("standing");
            }
        }
        drop(crate::db::Db::open(&path).expect("opened"));
        let conn = Connection::open(&path).expect("open");
        let rows: Vec<(i64, String, Option<String>)> = conn
            .prepare("SELECT user_id, display_name, name_key FROM standings ORDER BY user_id")
            .expect("query")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("read");
        assert_eq!(
            rows,
            vec![
                (1, "ÅSA".into(), Some("åsa".into())),
                (2, "åsa".into(), None),
                (3, "Ben".into(), Some("ben".into())),
            ]
        );
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
