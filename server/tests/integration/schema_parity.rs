//! The PostgreSQL migrations (`server/migrations-postgres`) against the
//! SQLite ones (`server/migrations`), on a real PostgreSQL (issue 16): the
//! same number of steps, and after all of them the same tables, the same
//! columns and the same unique keys (the keys that decide exactly-once
//! storage and races: an event's device and sequence, one live booking
//! per slot). A SQLite migration added without its PostgreSQL twin fails
//! here.

use std::collections::BTreeSet;
use std::path::Path;

use ridewire_server::Db;

use crate::postgres::Postgres;

fn migrations(folder: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migrations folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
}

/// `table.column` of every column, and `table:col1,col2` of every unique
/// key (primary keys included), of a SQLite database made by the server.
fn sqlite_schema(path: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let conn = rusqlite::Connection::open(path).expect("open");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("tables")
        .collect::<rusqlite::Result<_>>()
        .expect("tables");
    let (mut columns, mut unique) = (BTreeSet::new(), BTreeSet::new());
    for table in &tables {
        let mut key: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn
            .prepare("SELECT name, pk FROM pragma_table_info(?1)")
            .expect("columns");
        let rows = stmt
            .query_map([table], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .expect("columns");
        for row in rows {
            let (column, pk) = row.expect("column");
            columns.insert(format!("{table}.{column}"));
            if pk > 0 {
                key.push((pk, column));
            }
        }
        key.sort();
        if !key.is_empty() {
            let key: Vec<String> = key.into_iter().map(|(_, c)| c).collect();
            unique.insert(format!("{table}:{}", key.join(",")));
        }
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_list(?1) WHERE \"unique\" = 1")
            .expect("indexes")
            .query_map([table], |r| r.get(0))
            .expect("indexes")
            .collect::<rusqlite::Result<_>>()
            .expect("indexes");
        for index in indexes {
            let cols: Vec<String> = conn
                .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .expect("index columns")
                .query_map([&index], |r| r.get(0))
                .expect("index columns")
                .collect::<rusqlite::Result<_>>()
                .expect("index columns");
            unique.insert(format!("{table}:{}", cols.join(",")));
        }
    }
    (columns, unique)
}

/// The same of database `db` on `pg`. An index on an expression names it
/// (`lower(display_name)`, PostgreSQL's form of SQLite's `COLLATE
/// NOCASE UNIQUE`), which is read as its column.
fn postgres_schema(pg: &Postgres, db: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let lines = |sql: &str| -> BTreeSet<String> {
        pg.psql(db, sql)
            .lines()
            .map(|l| l.replace("lower(display_name)", "display_name"))
            .collect()
    };
    let columns = lines(
        "SELECT table_name || '.' || column_name FROM information_schema.columns \
         WHERE table_schema = 'public'",
    );
    let unique = lines(
        "SELECT t.relname || ':' || string_agg( \
             coalesce(a.attname::text, pg_get_indexdef(i.indexrelid, k.ord::int, true)), \
             ',' ORDER BY k.ord) \
         FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE i.indisunique AND n.nspname = 'public' \
         GROUP BY i.indexrelid, t.relname",
    );
    (columns, unique)
}

#[test]
fn the_postgresql_migrations_make_the_same_schema_as_the_sqlite_ones() {
    let (sqlite, postgres) = (migrations("migrations"), migrations("migrations-postgres"));
    let numbers = |files: &[std::path::PathBuf]| -> Vec<String> {
        files
            .iter()
            .map(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.split('_').next())
                    .expect("NNN_name.sql")
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(
        numbers(&sqlite),
        numbers(&postgres),
        "every SQLite migration has its PostgreSQL twin of the same number"
    );
    let Some(pg) = Postgres::start() else {
        return;
    };
    pg.database("parity");
    for file in &postgres {
        let sql = std::fs::read_to_string(file).expect("read migration");
        pg.psql("parity", &sql);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("server.db");
    drop(Db::open(&path).expect("the SQLite schema"));

    let (sqlite_columns, sqlite_unique) = sqlite_schema(&path);
    let (pg_columns, pg_unique) = postgres_schema(&pg, "parity");
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        a.difference(b).cloned().collect()
    };
    assert!(
        sqlite_columns == pg_columns,
        "columns only in SQLite: {:?}; only in PostgreSQL: {:?}",
        only(&sqlite_columns, &pg_columns),
        only(&pg_columns, &sqlite_columns)
    );
    assert!(
        sqlite_unique == pg_unique,
        "unique keys only in SQLite: {:?}; only in PostgreSQL: {:?}",
        only(&sqlite_unique, &pg_unique),
        only(&pg_unique, &sqlite_unique)
    );
    assert!(
        sqlite_unique.contains("events:device,seq"),
        "{sqlite_unique:?}"
    );
    assert!(pg_unique.contains("bookings:bay,start_ms"), "{pg_unique:?}");
    // A fresh epoch of the same shape.
    let epoch = pg.psql(
        "parity",
        "SELECT value FROM server_meta WHERE key = 'epoch'",
    );
    assert_eq!(epoch.len(), 24, "{epoch}");
}
