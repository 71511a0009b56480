//! The storage interface: one connection type over SQLite or PostgreSQL,
//! so the server's rules (push, pull, bookings, …) are written once and run
//! on either backend. No SQL runs outside it.
//!
//! Its calls mirror rusqlite's (`execute`, `query_row`, `prepare_cached`,
//! `query_map`, `optional`), with SQL written once in the dialect both
//! backends share: numbered `?N` placeholders (rewritten to `$N` for
//! PostgreSQL), `ON CONFLICT … DO …`, `RETURNING`, `IS NOT DISTINCT FROM`,
//! `CAST(… AS BIGINT)` around sums. The few functions the two spell
//! differently ([`Connection::json_text`]) are asked of the connection.
//!
//! Values cross the boundary as [`Value`]s (integer, real, text, bytes,
//! null): the same five SQLite stores, which PostgreSQL's columns convert
//! to and from (BIGINT and smaller integers, BOOLEAN, DOUBLE PRECISION,
//! TEXT, BYTEA).

mod pg;
mod value;

use std::cell::RefCell;

pub use value::{FromValue, ToValue, Value};

/// Builds the parameter list of a statement, as rusqlite's `params!`.
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::store::ToValue]
    };
    ($($param:expr),+ $(,)?) => {
        &[$(&$param as &dyn $crate::store::ToValue),+] as &[&dyn $crate::store::ToValue]
    };
}
pub use crate::params;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", postgres_words(.0))]
    Postgres(#[from] postgres::Error),
    /// `query_row` found nothing ([`OptionalExtension::optional`] turns it
    /// into `None`).
    #[error("the query returned no rows")]
    NoRows,
    /// A column held something the caller cannot read as the asked type.
    #[error("column {column}: {message}")]
    Column { column: usize, message: String },
}

impl Error {
    /// Whether a unique or primary key refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::ConstraintViolation
            }
            Error::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }

    /// Whether another transaction held what this one needed and it should
    /// be tried again (SQLite busy, a PostgreSQL serialization failure or
    /// deadlock).
    pub fn is_busy(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DatabaseBusy
            }
            Error::Postgres(e) => matches!(
                e.code(),
                Some(c) if *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            ),
            _ => false,
        }
    }
}

/// What PostgreSQL said, with its details (the error's own text is only
/// "db error" for a refusal from the server).
fn postgres_words(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {} ({detail})", db.code().code(), db.message()),
            None => format!("{}: {}", db.code().code(), db.message()),
        },
        None => e.to_string(),
    }
}

/// A storage result.
pub type Result<T> = std::result::Result<T, Error>;

/// `optional()` on a single-row answer, as rusqlite's.
pub trait OptionalExtension<T> {
    /// `Ok(None)` where the query found no row.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The parameters of one statement.
pub trait Params {
    /// The values, in placeholder order.
    fn values(self) -> Vec<Value>;
}

impl Params for &[&dyn ToValue] {
    fn values(self) -> Vec<Value> {
        self.iter().map(|p| p.to_value()).collect()
    }
}

/// No parameters: `[]`.
impl Params for [&dyn ToValue; 0] {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}

macro_rules! arrays {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }

        impl<T: ToValue> Params for &[T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}
arrays!(1, 2, 3, 4, 5, 6, 7, 8);

/// The SQL dialect of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// How a column is named: by its position, from 0.
pub trait ColumnIndex {
    /// The position.
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row of an answer.
#[derive(Debug)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    /// Column `idx` (from 0) as a `T`.
    pub fn get<I: ColumnIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let column = idx.index();
        let value = self.values.get(column).ok_or_else(|| Error::Column {
            column,
            message: format!("the row has {} columns", self.values.len()),
        })?;
        T::from_value(value).map_err(|message| Error::Column { column, message })
    }
}

/// The rows of an answer, read one at a time (as rusqlite's `Rows`).
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    /// The next row, or `None` after the last. Not an `Iterator`: the row
    /// is lent until the next call, as rusqlite's.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<&Row>> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
    }
}

enum Backend {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<pg::Session>>),
}

/// A connection to the server's database.
pub struct Connection {
    backend: Backend,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("dialect", &self.dialect())
            .finish()
    }
}

fn sqlite_rows(
    conn: &rusqlite::Connection,
    sql: &str,
    values: &[Value],
    most: usize,
) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
    let mut out = Vec::new();
    while out.len() < most {
        let Some(row) = rows.next()? else { break };
        let values = (0..columns)
            .map(|i| row.get_ref(i).map(Value::from))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(Row { values });
    }
    Ok(out)
}

impl Connection {
    /// Wraps an open SQLite connection.
    pub fn sqlite(conn: rusqlite::Connection) -> Connection {
        Connection {
            backend: Backend::Sqlite(conn),
        }
    }

    /// Connects to the PostgreSQL database at `url`.
    pub fn postgres(url: &str) -> Result<Connection> {
        Ok(Connection {
            backend: Backend::Postgres(Box::new(RefCell::new(pg::Session::connect(url)?))),
        })
    }

    /// The dialect this connection speaks.
    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection underneath, for SQLite-only upkeep
    /// (checkpoints, migrations, pragmas).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.backend {
            Backend::Sqlite(conn) => Some(conn),
            Backend::Postgres(_) => None,
        }
    }

    /// Whether the connection is gone (a PostgreSQL server restarted): open
    /// another instead of using it again.
    pub fn is_broken(&self) -> bool {
        match &self.backend {
            Backend::Sqlite(_) => false,
            Backend::Postgres(session) => session.borrow_mut().client().is_closed(),
        }
    }

    /// The text at `path` (dot-separated keys) of the JSON document in
    /// `column`, as an SQL expression.
    pub fn json_text(&self, column: &str, path: &str) -> String {
        match self.dialect() {
            Dialect::Sqlite => format!("json_extract({column}, '$.{path}')"),
            Dialect::Postgres => {
                format!("(({column})::jsonb #>> '{{{}}}')", path.replace('.', ","))
            }
        }
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        let values = params.values();
        match &self.backend {
            Backend::Sqlite(conn) => Ok(conn
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(values.iter()))?),
            Backend::Postgres(session) => session.borrow_mut().execute(sql, &values),
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Backend::Postgres(session) => session.borrow_mut().batch(sql),
        }
    }

    fn rows(&self, sql: &str, params: impl Params, most: usize) -> Result<Vec<Row>> {
        let values = params.values();
        match &self.backend {
            Backend::Sqlite(conn) => sqlite_rows(conn, sql, &values, most),
            Backend::Postgres(session) => {
                let mut rows = session.borrow_mut().query(sql, &values)?;
                rows.truncate(most);
                Ok(rows)
            }
        }
    }

    /// The first row of the answer through `f`; [`Error::NoRows`] when
    /// there is none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let row = self
            .rows(sql, params, 1)?
            .into_iter()
            .next()
            .ok_or(Error::NoRows)?;
        f(&row)
    }

    /// A statement to run (prepared, and cached per connection, on first
    /// use).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    /// [`Connection::prepare`]; every statement is cached.
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare(sql)
    }

    /// Opens a transaction on a shared connection (reads that need one
    /// snapshot): rolled back when dropped uncommitted.
    pub fn unchecked_transaction(&self) -> Result<Transaction<'_>> {
        self.execute_batch(match self.dialect() {
            Dialect::Sqlite => "BEGIN DEFERRED",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ",
        })?;
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }

    /// Runs `f` in a savepoint of the open transaction: undone alone when
    /// it fails (PostgreSQL otherwise refuses everything after a failed
    /// statement until the transaction ends).
    pub fn savepoint<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.execute_batch("SAVEPOINT attempt")?;
        match f(self) {
            Ok(value) => {
                self.execute_batch("RELEASE attempt")?;
                Ok(value)
            }
            Err(e) => {
                self.execute_batch("ROLLBACK TO attempt; RELEASE attempt")?;
                Err(e)
            }
        }
    }
}

/// An open transaction; derefs to its connection.
pub struct Transaction<'c> {
    conn: &'c Connection,
    done: bool,
}

impl<'c> Transaction<'c> {
    /// A transaction the caller has already begun on `conn` (its own
    /// `BEGIN …`).
    pub fn begun(conn: &'c Connection) -> Transaction<'c> {
        Transaction { conn, done: false }
    }

    /// Commits it.
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.execute_batch("COMMIT")
    }

    /// Ends a transaction that only read ([`Transaction::commit`]).
    pub fn finish(self) -> Result<()> {
        self.commit()
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to do if it fails: the connection is dropped or the
            // next BEGIN reports it.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// A statement of a connection.
pub struct Statement<'c> {
    conn: &'c Connection,
    sql: String,
}

impl Statement<'_> {
    /// Runs it; the number of rows it changed.
    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    /// [`Connection::query_row`].
    pub fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Every row of the answer through `f`.
    pub fn query_map<T>(
        &mut self,
        params: impl Params,
        f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.conn.rows(&self.sql, params, usize::MAX)?;
        Ok(rows.iter().map(f).collect::<Vec<_>>().into_iter())
    }

    /// The rows of the answer.
    pub fn query(&mut self, params: impl Params) -> Result<Rows> {
        Ok(Rows {
            rows: self.conn.rows(&self.sql, params, usize::MAX)?.into_iter(),
            current: None,
        })
    }
}
