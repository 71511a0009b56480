//! Everything this device keeps, as JSON, for the rider's own copy: every
//! table of the file, each row an object by column name (text as text,
//! numbers as numbers, bytes as hex), so nothing the file holds is left
//! out but the settings the caller names (secrets such as a kept session).
//! The schema version says how to read it.

use rusqlite::types::ValueRef;
use serde_json::{Map, Value, json};

use crate::Store;
use crate::error::Result;
use crate::migrate::SCHEMA_VERSION;

/// Names this kind of file.
pub const EXPORT_FORMAT: &str = "ridewire-device-export/1";

/// Rows between two progress reports.
const REPORT_EVERY: u64 = 256;

fn cell(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(b.iter().map(|byte| format!("{byte:02x}")).collect()),
    }
}

impl Store {
    /// The whole file as JSON (see the module). `progress(done, total)`
    /// counts rows as they are read. Settings whose key is in
    /// `leave_out` are not exported; their keys are listed instead.
    pub fn export(&self, leave_out: &[&str], progress: &mut dyn FnMut(u64, u64)) -> Result<Value> {
        let tables: Vec<String> = {
            let mut find = self.conn().prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?;
            find.query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut total = 0u64;
        for table in &tables {
            let rows: i64 =
                self.conn()
                    .query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |r| {
                        r.get(0)
                    })?;
            total += rows.unsigned_abs();
        }
        let mut done = 0u64;
        progress(done, total);
        let mut out = Map::new();
        let mut left_out = Vec::new();
        for table in &tables {
            let mut read = self.conn().prepare(&format!("SELECT * FROM \"{table}\""))?;
            let columns: Vec<String> = read.column_names().map(str::to_owned).collect();
            let mut rows = read.query([])?;
            let mut list = Vec::new();
            while let Some(row) = rows.next()? {
                done += 1;
                if done.is_multiple_of(REPORT_EVERY) {
                    progress(done, total);
                }
                let mut object = Map::new();
                for (i, name) in columns.iter().enumerate() {
                    object.insert(name.clone(), cell(row.get_ref(i)?));
                }
                if table == "settings"
                    && let Some(Value::String(key)) = object.get("key")
                    && leave_out.contains(&key.as_str())
                {
                    left_out.push(key.clone());
                    continue;
                }
                list.push(Value::Object(object));
            }
            out.insert(table.clone(), Value::Array(list));
        }
        progress(total, total);
        Ok(json!({
            "format": EXPORT_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "device": self.device().to_string(),
            "settings_left_out": left_out,
            "tables": out,
        }))
    }
}
