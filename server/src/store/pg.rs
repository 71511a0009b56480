//! The PostgreSQL side of the storage interface: a session with its
//! prepared statements, and the placeholder rewrite.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, NoTls};

use super::{Result, Row, Value};

/// A connection and the statements prepared on it, by their SQL.
pub(super) struct Session {
    client: Client,
    statements: HashMap<String, postgres::Statement>,
}

/// Most statements kept prepared per connection; past it the cache starts
/// over (the server has a few hundred distinct statements).
const MAX_STATEMENTS: usize = 1024;

impl Session {
    pub(super) fn connect(url: &str) -> Result<Session> {
        Ok(Session {
            client: Client::connect(url, NoTls)?,
            statements: HashMap::new(),
        })
    }

    pub(super) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&numbered(sql))?;
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    pub(super) fn execute(&mut self, sql: &str, values: &[Value]) -> Result<usize> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        let changed = self.client.execute(&statement, &params)?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    pub(super) fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        self.client
            .query(&statement, &params)?
            .iter()
            .map(|row| {
                let values = (0..row.len())
                    .map(|i| row.try_get::<_, Value>(i))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Ok(Row { values })
            })
            .collect()
    }

    pub(super) fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }
}

/// SQLite's `?N` and `?` placeholders as PostgreSQL's `$N` (outside quoted
/// text and names).
pub(super) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    let mut next = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    next += 1;
                    digits = next.to_string();
                }
                out.push('$');
                out.push_str(&digits);
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_the_postgresql_way_but_not_inside_quotes() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ?1 AND c IN (?2, ?12)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $12)"
        );
        assert_eq!(numbered("VALUES (?, ?)"), "VALUES ($1, $2)");
        assert_eq!(
            numbered("SELECT '?1', \"a?\" WHERE x = ?1"),
            "SELECT '?1', \"a?\" WHERE x = $1"
        );
    }
}
