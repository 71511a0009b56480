//! Schema migrations for RideWire's SQLite files: numbered SQL scripts,
//! only ever appended, the schema version kept in `PRAGMA user_version`.
//! Each script commits together with its version bump, so a crash leaves
//! the file at a whole version; a file from a newer build is refused
//! untouched. The rider's store and the server share this runner.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

/// Why a file could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The file was written by a newer build; it is left as it is.
    #[error("schema version {found} is newer than the {supported} this build knows")]
    TooNew {
        /// The file's version.
        found: i64,
        /// The newest this build understands.
        supported: i64,
    },
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The file's schema version (`PRAGMA user_version`).
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Applies `migrations[found..target]`, one transaction each. Another
/// connection may be opening the same file at the same moment (the app and
/// its sync thread): each step takes the write lock first and looks at the
/// version again.
pub fn upgrade(
    conn: &mut Connection,
    migrations: &[&str],
    target: usize,
) -> Result<(), MigrateError> {
    let supported = migrations.len() as i64;
    let found = version(conn)?;
    if found > supported {
        return Err(MigrateError::TooNew { found, supported });
    }
    let start = usize::try_from(found).unwrap_or(0);
    for (index, sql) in migrations
        .iter()
        .enumerate()
        .take(target.min(migrations.len()))
        .skip(start)
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if version(&tx)? > index as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Every table, index and trigger as SQLite records it, in a stable order.
pub fn schema(conn: &Connection) -> rusqlite::Result<Vec<(String, String, Option<String>)>> {
    let mut stmt = conn.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// Builds a file at every older version in `dir`, upgrades it, and checks
/// it ends up with exactly the schema of a fresh file. `Err` names the
/// first version whose upgrade differs or fails.
pub fn check_every_upgrade(migrations: &[&str], dir: &Path) -> Result<(), String> {
    let open = |name: String| {
        Connection::open(dir.join(&name)).map_err(|e| format!("{name}: cannot open: {e}"))
    };
    let mut fresh = open("fresh.db".into())?;
    upgrade(&mut fresh, migrations, migrations.len()).map_err(|e| format!("fresh: {e}"))?;
    let want = schema(&fresh).map_err(|e| e.to_string())?;
    for old in 0..migrations.len() {
        let mut conn = open(format!("v{old}.db"))?;
        upgrade(&mut conn, migrations, old).map_err(|e| format!("building v{old}: {e}"))?;
        upgrade(&mut conn, migrations, migrations.len())
            .map_err(|e| format!("upgrading v{old}: {e}"))?;
        if version(&conn).map_err(|e| e.to_string())? != migrations.len() as i64 {
            return Err(format!("v{old} did not reach the newest version"));
        }
        if schema(&conn).map_err(|e| e.to_string())? != want {
            return Err(format!("the upgrade from v{old} differs from a fresh file"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[&str] = &[
        "CREATE TABLE bikes (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        "ALTER TABLE bikes ADD COLUMN year INTEGER;",
        "CREATE INDEX bikes_by_year ON bikes (year);",
    ];

    #[test]
    fn every_older_version_upgrades_to_the_fresh_schema() {
        let dir = tempfile::tempdir().expect("temp dir");
        check_every_upgrade(STEPS, dir.path()).expect("upgrades");
    }

    #[test]
    fn an_upgrade_that_differs_from_a_fresh_file_is_caught() {
        let dir = tempfile::tempdir().expect("temp dir");
        // The version-0 file already holds a table no migration makes.
        let conn = Connection::open(dir.path().join("v0.db")).expect("open");
        conn.execute_batch("CREATE TABLE leftover (x);")
            .expect("leftover");
        drop(conn);
        let err = check_every_upgrade(STEPS, dir.path()).expect_err("difference missed");
        assert!(err.contains("v0"), "{err}");
    }

    #[test]
    fn a_newer_file_is_refused_and_left_alone() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", 4)
            .expect("version");
        let err = upgrade(&mut conn, STEPS, STEPS.len()).expect_err("newer accepted");
        assert!(matches!(
            err,
            MigrateError::TooNew {
                found: 4,
                supported: 3
            }
        ));
        assert_eq!(version(&conn).expect("version"), 4);
        assert!(schema(&conn).expect("schema").is_empty());
    }

    #[test]
    fn a_failing_step_leaves_the_file_at_the_last_whole_version() {
        let mut conn = Connection::open_in_memory().expect("open");
        let steps: &[&str] = &[
            STEPS[0],
            "ALTER TABLE bikes ADD COLUMN year INTEGER; SELECT nonsense(",
        ];
        assert!(upgrade(&mut conn, steps, steps.len()).is_err());
        assert_eq!(version(&conn).expect("version"), 1);
        let columns: i64 = conn
            .query_row("SELECT count(*) FROM pragma_table_info('bikes')", [], |r| {
                r.get(0)
            })
            .expect("columns");
        assert_eq!(columns, 2, "the half-run step was rolled back");
    }
}
