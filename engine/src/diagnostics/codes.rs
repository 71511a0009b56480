//! The trouble-code database: what each generic code means on a motorcycle,
//! which components it implicates, what to check and what it tends to cost.
//! The app bundles one (`assets/codes/obd2-codes.json`); this module reads
//! and validates it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Dtc;
use crate::vehicle;

/// How urgent a code is for the rider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; no effect on riding.
    Info,
    /// Fix at the next service.
    Moderate,
    /// Fix soon; ride gently to a workshop.
    Serious,
    /// Do not ride until it is fixed.
    Stop,
}

/// One code's entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeEntry {
    pub code: Dtc,
    /// The standard short title.
    pub title: String,
    /// What the ECU saw and what the rider notices.
    pub description: String,
    pub severity: Severity,
    /// Implicated components, most likely first (ids of [`vehicle::COMPONENTS`]).
    pub components: Vec<String>,
    /// Typical causes, most likely first.
    pub causes: Vec<String>,
    /// What to check, in order.
    pub checks: Vec<String>,
    /// Typical workshop cost in euros, parts and labour: `[min, max]`.
    pub cost_eur: [u32; 2],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    codes: Vec<CodeEntry>,
}

/// Why a code database was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeDbError {
    /// Not valid JSON, or not the expected shape.
    #[error("code database is malformed at line {line}, column {column}: {reason}")]
    Malformed {
        line: usize,
        column: usize,
        reason: String,
    },
    /// A format version this build cannot read.
    #[error("code database version {found} is not supported (expected {expected})")]
    Version { found: u32, expected: u32 },
    /// An entry breaks a rule.
    #[error("code database entry {code}: {reason}")]
    Entry { code: String, reason: String },
}

/// The format version this build reads.
pub const VERSION: u32 = 1;

/// All known codes, by code.
#[derive(Debug, Clone, Default)]
pub struct CodeDatabase {
    entries: BTreeMap<Dtc, CodeEntry>,
}

/// The database shipped with the app (`assets/codes/obd2-codes.json`).
pub const BUNDLED_JSON: &str = include_str!("../../../assets/codes/obd2-codes.json");

impl CodeDatabase {
    /// The database shipped with the app, checked.
    pub fn bundled() -> Result<Self, CodeDbError> {
        Self::from_json(BUNDLED_JSON)
    }

    /// Reads and checks a database in the bundled JSON format.
    pub fn from_json(json: &str) -> Result<Self, CodeDbError> {
        let file: File = serde_json::from_str(json).map_err(|e| CodeDbError::Malformed {
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        })?;
        if file.version != VERSION {
            return Err(CodeDbError::Version {
                found: file.version,
                expected: VERSION,
            });
        }
        let mut entries = BTreeMap::new();
        for entry in file.codes {
            check(&entry)?;
            let code = entry.code;
            if entries.insert(code, entry).is_some() {
                return Err(CodeDbError::Entry {
                    code: code.to_string(),
                    reason: "listed twice".into(),
                });
            }
        }
        Ok(Self { entries })
    }

    /// The entry for a code, if the database knows it.
    pub fn get(&self, code: &Dtc) -> Option<&CodeEntry> {
        self.entries.get(code)
    }

    /// Every entry, in code order.
    pub fn entries(&self) -> impl Iterator<Item = &CodeEntry> {
        self.entries.values()
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the database has no codes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn check(e: &CodeEntry) -> Result<(), CodeDbError> {
    let bad = |reason: String| CodeDbError::Entry {
        code: e.code.to_string(),
        reason,
    };
    let texts = [("title", &e.title), ("description", &e.description)];
    if let Some((field, _)) = texts.iter().find(|(_, t)| t.trim().is_empty()) {
        return Err(bad(format!("{field} is empty")));
    }
    for (field, list, max) in [
        ("components", &e.components, 4),
        ("causes", &e.causes, 6),
        ("checks", &e.checks, 6),
    ] {
        if list.is_empty() || list.len() > max {
            return Err(bad(format!("{field} must list 1 to {max} items")));
        }
        if list.iter().any(|t| t.trim().is_empty()) {
            return Err(bad(format!("{field} has an empty item")));
        }
    }
    if let Some(unknown) = e
        .components
        .iter()
        .find(|c| vehicle::component(c).is_none())
    {
        return Err(bad(format!("unknown component {unknown:?}")));
    }
    let [min, max] = e.cost_eur;
    if min > max || max > 20_000 {
        return Err(bad(format!("cost range {min}..{max} EUR is not plausible")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str, components: &str, cost: &str) -> String {
        format!(
            r#"{{"code": "{code}", "title": "t", "description": "d", "severity": "moderate",
               "components": [{components}], "causes": ["c"], "checks": ["k"], "cost_eur": {cost}}}"#
        )
    }

    fn db(entries: &[String]) -> Result<CodeDatabase, CodeDbError> {
        CodeDatabase::from_json(&format!(
            r#"{{"version": 1, "codes": [{}]}}"#,
            entries.join(",")
        ))
    }

    #[test]
    fn a_valid_database_loads_and_looks_up() {
        let d = db(&[
            entry("P0300", r#""spark_plugs", "ignition_coil""#, "[40, 350]"),
            entry("P0562", r#""regulator_rectifier""#, "[80, 400]"),
        ])
        .expect("valid");
        assert_eq!(d.len(), 2);
        let misfire = d.get(&"P0300".parse().expect("code")).expect("known");
        assert_eq!(misfire.components[0], "spark_plugs");
        assert!(d.get(&"P0171".parse().expect("code")).is_none());
    }

    #[test]
    fn the_bundled_database_is_complete_and_well_formed() {
        let d = CodeDatabase::bundled().expect("bundled database loads");
        assert!(d.len() >= 300, "only {} codes", d.len());
        // Every system a bike reports is covered, misfire codes included.
        for code in ["P0300", "P0301", "P0171", "P0562", "U0100", "C0031"] {
            assert!(
                d.get(&code.parse().expect("code")).is_some(),
                "{code} missing"
            );
        }
        // Descriptions are the project's own, one per code.
        let mut descriptions: Vec<&str> = d.entries().map(|e| e.description.as_str()).collect();
        descriptions.sort_unstable();
        let before = descriptions.len();
        descriptions.dedup();
        assert_eq!(descriptions.len(), before, "two codes share a description");
        // The gate must never see the database recommend an unsafe shortcut.
        for e in d.entries() {
            for text in e.checks.iter().chain([&e.description]) {
                let lower = text.to_lowercase();
                assert!(
                    !["bypass", "jumper the", "disable the abs", "keep riding"]
                        .iter()
                        .any(|w| lower.contains(w)),
                    "{}: {text}",
                    e.code
                );
            }
        }
        assert!(d.entries().any(|e| e.severity == Severity::Stop));
    }

    #[test]
    fn broken_databases_say_where() {
        let err = CodeDatabase::from_json("{\"version\": 1,\n \"codes\": [}").expect_err("syntax");
        assert!(
            matches!(err, CodeDbError::Malformed { line: 2, .. }),
            "{err}"
        );
        let err = CodeDatabase::from_json(r#"{"version": 2, "codes": []}"#).expect_err("version");
        assert!(matches!(err, CodeDbError::Version { found: 2, .. }));
        let err = db(&[entry("P0300", r#""flux_capacitor""#, "[1, 2]")]).expect_err("component");
        assert!(err.to_string().contains("flux_capacitor"), "{err}");
        let err = db(&[entry("P0300", r#""chain""#, "[500, 20]")]).expect_err("cost");
        assert!(err.to_string().contains("P0300"), "{err}");
        let err = db(&[
            entry("P0300", r#""chain""#, "[1, 2]"),
            entry("P0300", r#""chain""#, "[1, 2]"),
        ])
        .expect_err("duplicate");
        assert!(err.to_string().contains("twice"), "{err}");
        let err = db(&[entry("Q0300", r#""chain""#, "[1, 2]")]).expect_err("bad code");
        assert!(err.to_string().contains("Q0300"), "{err}");
    }
}
