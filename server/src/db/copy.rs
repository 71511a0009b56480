//! `ridewire-server migrate-to postgres://…`: copies a SQLite server
//! database, whole, into a new PostgreSQL database, so a server that
//! outgrew one file moves to replicas without its riders noticing. Rows
//! keep their ids, the change log its positions and the database its epoch,
//! so every device's cursor and token stays good.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Db, Source, connect};
use crate::error::{AppError, Result};
use crate::store::{Connection, Value};

/// What was copied: rows per table.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub tables: BTreeMap<String, u64>,
}

/// Copies the SQLite database at `from` into the PostgreSQL database at
/// `to`, which must hold nothing yet (a new database, or one a server only
/// opened). All or nothing: one transaction on PostgreSQL, read from one
/// snapshot of SQLite. Both end at the same schema version first.
pub fn sqlite_to_postgres(from: &Path, to: &Source) -> Result<Copied> {
    let Source::Postgres(url) = to else {
        return Err(AppError::Config(
            "migrate-to copies into PostgreSQL: give a postgres:// address".into(),
        ));
    };
    if !from.exists() {
        return Err(AppError::Config(format!(
            "no server database at {}",
            from.display()
        )));
    }
    // Brings both to the newest schema (and PostgreSQL its catalogue seed).
    drop(Db::open(from)?);
    drop(Db::connect(to)?);
    std::thread::scope(|scope| {
        scope
            .spawn(|| copy(from, url, &to.describe()))
            .join()
            .unwrap_or_else(|_| Err(AppError::Internal("the copy panicked".into())))
    })
}

fn copy(from: &Path, url: &str, target: &str) -> Result<Copied> {
    let sqlite = connect(from)?;
    sqlite.execute_batch("BEGIN")?;
    let tables = tables_in_order(&sqlite)?;
    let pg = Connection::postgres(url)?;
    pg.execute_batch(super::postgres::BEGIN_WRITE)?;
    let tx = crate::store::Transaction::begun(&pg);
    let held: i64 = tx.query_row(
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM events)
              + (SELECT count(*) FROM devices)",
        [],
        |r| r.get(0),
    )?;
    if held > 0 {
        return Err(AppError::Config(format!(
            "{target} already holds accounts or events; migrate-to copies into a new database only"
        )));
    }
    // What a server opening it wrote: the catalogue seed and its change.
    for table in tables.iter().rev() {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut copied = Copied::default();
    for table in &tables {
        let n = copy_table(&sqlite, &tx, table)?;
        copied.tables.insert(table.clone(), n);
    }
    continue_identities(&sqlite, &tx)?;
    // SQLite keeps its schema version in the file's header, PostgreSQL in
    // this table, which the copy replaced.
    tx.execute(
        "INSERT INTO server_meta (key, value) VALUES ('schema_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [super::postgres::MIGRATIONS.len().to_string()],
    )?;
    tx.commit()?;
    sqlite.execute_batch("COMMIT")?;
    Ok(copied)
}

/// The server's tables, each after the tables its foreign keys name.
fn tables_in_order(sqlite: &rusqlite::Connection) -> Result<Vec<String>> {
    let names: Vec<String> = sqlite
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in &names {
        let parents: BTreeSet<String> = sqlite
            .prepare(&format!(
                "SELECT \"table\" FROM pragma_foreign_key_list('{name}')"
            ))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        needs.insert(
            name.clone(),
            parents.into_iter().filter(|p| p != name).collect(),
        );
    }
    let mut ordered: Vec<String> = Vec::new();
    while ordered.len() < names.len() {
        let ready: Vec<String> = needs
            .iter()
            .filter(|(name, parents)| {
                !ordered.contains(name) && parents.iter().all(|p| ordered.contains(p))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if ready.is_empty() {
            return Err(AppError::Internal(
                "the tables' foreign keys go round in a circle".into(),
            ));
        }
        ordered.extend(ready);
    }
    Ok(ordered)
}

fn copy_table(sqlite: &rusqlite::Connection, pg: &Connection, table: &str) -> Result<u64> {
    let columns: Vec<String> = sqlite
        .prepare(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let list = columns.join(", ");
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
    let mut stmt = sqlite.prepare(&format!("SELECT {list} FROM {table}"))?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(row) = rows.next()? {
        let values = (0..columns.len())
            .map(|i| row.get_ref(i).map(Value::from))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let params: Vec<&dyn crate::store::ToValue> = values
            .iter()
            .map(|v| v as &dyn crate::store::ToValue)
            .collect();
        pg.execute(&insert, params.as_slice())
            .map_err(|e| AppError::Config(format!("copying {table}: {e}")))?;
        n += 1;
    }
    Ok(n)
}

/// Sets each identity column's sequence past the copied rows: after the
/// largest id, and for the change log after the largest position SQLite
/// ever gave out (its newer changes of a subject replaced older ones), so
/// no device's cursor points beyond the new log's end.
fn continue_identities(sqlite: &rusqlite::Connection, pg: &Connection) -> Result<()> {
    let identities: Vec<(String, String)> = pg
        .prepare(
            "SELECT table_name, column_name FROM information_schema.columns
             WHERE is_identity = 'YES' AND table_schema = current_schema()",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<crate::store::Result<_>>()?;
    for (table, column) in identities {
        let given: i64 = sqlite
            .query_row(
                "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0)",
                [&table],
                |r| r.get(0),
            )
            .unwrap_or(0);
        let largest: i64 = pg.query_row(
            &format!("SELECT coalesce(max({column}), 0) FROM {table}"),
            [],
            |r| r.get(0),
        )?;
        let last = given.max(largest);
        pg.query_row(
            "SELECT setval(pg_get_serial_sequence(?1, ?2), ?3, ?4)",
            crate::params![table, column, last.max(1), last > 0],
            |_| Ok(()),
        )?;
    }
    Ok(())
}
