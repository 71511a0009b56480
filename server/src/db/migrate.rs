//! Schema migrations: numbered SQL files in `server/migrations`, only ever
//! appended. Each one commits together with its `user_version` bump, so a
//! crash leaves the database at a whole version.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{AppError, Result};

/// The migrations, in order; the schema version is how many have run.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_initial.sql"),
    include_str!("../../migrations/002_diagnostic_runs.sql"),
    include_str!("../../migrations/003_diagnostic_feedback.sql"),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The database's schema version (`PRAGMA user_version`).
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Brings the database up to [`SCHEMA_VERSION`], refusing newer ones.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    upgrade_to(conn, path, SCHEMA_VERSION)
}

/// Applies migrations up to `target` (tests build every older version).
pub(crate) fn upgrade_to(conn: &mut Connection, path: &Path, target: i64) -> Result<()> {
    let open_error = |source| AppError::DatabaseOpen {
        path: path.to_owned(),
        source,
    };
    let found = version(conn).map_err(open_error)?;
    if found > SCHEMA_VERSION {
        return Err(AppError::DatabaseTooNew {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(usize::try_from(target).unwrap_or(0))
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let mut step = || -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()
        };
        step().map_err(open_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table, index and trigger as SQLite records it.
    fn schema(conn: &Connection) -> Vec<(String, String, Option<String>)> {
        let mut stmt = conn
            .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .expect("schema query");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("schema")
    }

    #[test]
    fn every_older_version_upgrades_to_the_fresh_schema() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fresh_path = dir.path().join("fresh.db");
        let mut fresh = Connection::open(&fresh_path).expect("open");
        migrate(&mut fresh, &fresh_path).expect("fresh");
        assert_eq!(version(&fresh).expect("version"), SCHEMA_VERSION);
        for old in 0..SCHEMA_VERSION {
            let path = dir.path().join(format!("v{old}.db"));
            let mut conn = Connection::open(&path).expect("open");
            upgrade_to(&mut conn, &path, old).expect("build old version");
            assert_eq!(version(&conn).expect("version"), old);
            migrate(&mut conn, &path).expect("upgrade");
            assert_eq!(schema(&conn), schema(&fresh), "upgrade from v{old} differs");
        }
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
        assert!(schema(&conn).is_empty());
    }
}
