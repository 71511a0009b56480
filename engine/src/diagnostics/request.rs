//! What a rider or a workshop asks the diagnosis agents: a free-text query,
//! the bike, the symptoms picked from a list and the trouble codes read from
//! the bike. Checked once, at the edge, before any agent is asked.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Dtc;

/// Longest query accepted, in characters: a paragraph, not a document.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Longest make or model name, in characters.
pub const MAX_VEHICLE_NAME_CHARS: usize = 64;
/// Most symptoms one request may list.
pub const MAX_SYMPTOMS: usize = 20;
/// Longest symptom key, in characters.
pub const MAX_SYMPTOM_CHARS: usize = 48;
/// Most trouble codes one request may carry; an adapter that reports more is
/// reading noise, and the agents' prompts must stay small.
pub const MAX_CODES: usize = 20;
/// Model years accepted, the same range as [`crate::vehicle::Vehicle`].
pub const YEARS: std::ops::RangeInclusive<u16> = 1885..=2100;

/// The bike a diagnosis is about, as the rider names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleInfo {
    /// Manufacturer, e.g. "Harley-Davidson".
    pub make: String,
    /// Model name, e.g. "Street 750".
    pub model: String,
    /// Model year.
    pub year: u16,
}

/// A diagnosis request (SPEC, "Diagnostics"): `{ query, vehicle: {make,
/// model, year}, symptoms: [..], codes: [..] }`. Symptoms and codes may be
/// left out; the query may be empty when codes are given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticRequest {
    /// The rider's words, e.g. "Check engine light on, code P0300".
    #[serde(default)]
    pub query: String,
    /// The bike.
    pub vehicle: VehicleInfo,
    /// Symptom keys such as `rough_idle` or `check_engine_light`.
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// Trouble codes read from the bike. Repeats are allowed: adapters report
    /// a code both as stored and as pending.
    #[serde(default)]
    pub codes: Vec<Dtc>,
}

/// Why a request was refused; each variant names what the rider must change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    /// No query, no trouble code and no symptom: there is nothing to diagnose.
    #[error("describe the problem, give a trouble code or pick a symptom")]
    NothingToDiagnose,
    /// The query is longer than [`MAX_QUERY_CHARS`].
    #[error("the query has {chars} characters; at most {max} are allowed")]
    QueryTooLong { chars: usize, max: usize },
    /// The query holds control characters other than line breaks and tabs.
    #[error("the query contains control characters")]
    QueryControlCharacters,
    /// Make or model is blank or too long.
    #[error("vehicle {field} {reason}")]
    VehicleName {
        field: &'static str,
        reason: &'static str,
    },
    /// A model year outside [`YEARS`].
    #[error("model year {0} is outside 1885..=2100")]
    InvalidYear(u16),
    /// More than [`MAX_SYMPTOMS`] symptoms.
    #[error("{count} symptoms given; at most {max} are allowed")]
    TooManySymptoms { count: usize, max: usize },
    /// A symptom that is not a snake_case key.
    #[error("symptom {symptom:?} {reason}")]
    InvalidSymptom {
        symptom: String,
        reason: &'static str,
    },
    /// More than [`MAX_CODES`] trouble codes.
    #[error("{count} trouble codes given; at most {max} are allowed")]
    TooManyCodes { count: usize, max: usize },
}

impl DiagnosticRequest {
    /// Checks the request; the first problem found is reported.
    pub fn validate(&self) -> Result<(), RequestError> {
        let query_chars = self.query.chars().count();
        if query_chars > MAX_QUERY_CHARS {
            return Err(RequestError::QueryTooLong {
                chars: query_chars,
                max: MAX_QUERY_CHARS,
            });
        }
        if self
            .query
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(RequestError::QueryControlCharacters);
        }
        if self.query.trim().is_empty() && self.codes.is_empty() && self.symptoms.is_empty() {
            return Err(RequestError::NothingToDiagnose);
        }
        check_vehicle_name("make", &self.vehicle.make)?;
        check_vehicle_name("model", &self.vehicle.model)?;
        if !YEARS.contains(&self.vehicle.year) {
            return Err(RequestError::InvalidYear(self.vehicle.year));
        }
        if self.symptoms.len() > MAX_SYMPTOMS {
            return Err(RequestError::TooManySymptoms {
                count: self.symptoms.len(),
                max: MAX_SYMPTOMS,
            });
        }
        for symptom in &self.symptoms {
            check_symptom(symptom).map_err(|reason| RequestError::InvalidSymptom {
                symptom: symptom.clone(),
                reason,
            })?;
        }
        if self.codes.len() > MAX_CODES {
            return Err(RequestError::TooManyCodes {
                count: self.codes.len(),
                max: MAX_CODES,
            });
        }
        Ok(())
    }

    /// The rider's own description (query and symptoms) as plain words, for
    /// checks that need to know what situation an answer is advice for.
    pub fn situation(&self) -> String {
        let mut text = self.query.clone();
        for symptom in &self.symptoms {
            text.push_str(". ");
            text.push_str(&symptom.replace('_', " "));
        }
        text
    }
}

fn check_vehicle_name(field: &'static str, name: &str) -> Result<(), RequestError> {
    let bad = |reason| Err(RequestError::VehicleName { field, reason });
    if name.trim().is_empty() {
        return bad("is empty");
    }
    if name.chars().count() > MAX_VEHICLE_NAME_CHARS {
        return bad("is longer than 64 characters");
    }
    if name.chars().any(char::is_control) {
        return bad("contains control characters");
    }
    Ok(())
}

/// A symptom key is snake_case: it starts with a letter, uses `a-z`, `0-9`
/// and single underscores between words.
fn check_symptom(symptom: &str) -> Result<(), &'static str> {
    if symptom.is_empty() {
        return Err("is empty");
    }
    if symptom.len() > MAX_SYMPTOM_CHARS {
        return Err("is longer than 48 characters");
    }
    if !symptom
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err("may only use a-z, 0-9 and '_' (e.g. rough_idle)");
    }
    if !symptom.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a letter");
    }
    if symptom.ends_with('_') || symptom.contains("__") {
        return Err("must use single underscores between words");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> DiagnosticRequest {
        DiagnosticRequest {
            query: query.to_owned(),
            vehicle: VehicleInfo {
                make: "Harley-Davidson".into(),
                model: "Street 750".into(),
                year: 2022,
            },
            symptoms: vec!["rough_idle".into()],
            codes: Vec::new(),
        }
    }

    #[test]
    fn the_spec_example_deserializes_and_is_valid() {
        let json = r#"{
            "query": "Check engine light on, code P0300",
            "vehicle": {"make": "Harley-Davidson", "model": "Street 750", "year": 2022},
            "symptoms": ["rough_idle", "check_engine_light"]
        }"#;
        let req: DiagnosticRequest = serde_json::from_str(json).expect("spec shape");
        assert!(req.codes.is_empty());
        assert_eq!(req.symptoms, ["rough_idle", "check_engine_light"]);
        assert_eq!(req.validate(), Ok(()));
    }

    #[test]
    fn codes_deserialize_and_bad_codes_are_refused() {
        let json = r#"{"vehicle": {"make": "Yamaha", "model": "MT-07", "year": 2021},
                       "codes": ["p0300", "C0035"]}"#;
        let req: DiagnosticRequest = serde_json::from_str(json).expect("codes only");
        assert_eq!(req.codes.len(), 2);
        assert_eq!(req.codes[0].to_string(), "P0300");
        assert_eq!(req.validate(), Ok(()), "codes alone are enough");
        let bad = json.replace("C0035", "X0035");
        assert!(serde_json::from_str::<DiagnosticRequest>(&bad).is_err());
    }

    #[test]
    fn an_empty_request_is_refused() {
        let mut empty = request("   ");
        empty.symptoms.clear();
        assert_eq!(empty.validate(), Err(RequestError::NothingToDiagnose));
        assert_eq!(request("").validate(), Ok(()), "a symptom alone is enough");
        let mut with_code = request("");
        with_code.codes.push("P0300".parse().expect("code"));
        assert_eq!(with_code.validate(), Ok(()));
    }

    #[test]
    fn lengths_are_bounded() {
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert!(matches!(
            request(&long).validate(),
            Err(RequestError::QueryTooLong { chars: 1001, .. })
        ));
        assert_eq!(request(&"é".repeat(MAX_QUERY_CHARS)).validate(), Ok(()));

        let mut many = request("misfire");
        many.symptoms = (0..=MAX_SYMPTOMS).map(|i| format!("symptom_{i}")).collect();
        assert!(matches!(
            many.validate(),
            Err(RequestError::TooManySymptoms { count: 21, .. })
        ));

        let mut codes = request("misfire");
        codes.codes = vec!["P0300".parse().expect("code"); MAX_CODES + 1];
        assert!(matches!(
            codes.validate(),
            Err(RequestError::TooManyCodes { count: 21, .. })
        ));
        codes.codes.pop();
        assert_eq!(codes.validate(), Ok(()));
    }

    #[test]
    fn vehicle_is_checked() {
        let mut req = request("misfire");
        req.vehicle.make = " ".into();
        assert!(matches!(
            req.validate(),
            Err(RequestError::VehicleName { field: "make", .. })
        ));
        let mut req = request("misfire");
        req.vehicle.model = "x".repeat(65);
        assert!(matches!(
            req.validate(),
            Err(RequestError::VehicleName { field: "model", .. })
        ));
        let mut req = request("misfire");
        req.vehicle.year = 1700;
        assert_eq!(req.validate(), Err(RequestError::InvalidYear(1700)));
    }

    #[test]
    fn symptoms_must_be_snake_case_keys() {
        for bad in [
            "",
            "Rough_idle",
            "rough idle",
            "rough-idle",
            "_rough",
            "rough_",
            "rough__idle",
            "1st_gear_pops_out",
        ] {
            let mut req = request("misfire");
            req.symptoms = vec![bad.to_owned()];
            let err = req.validate().expect_err(bad);
            assert!(
                matches!(&err, RequestError::InvalidSymptom { symptom, .. } if symptom == bad),
                "{bad:?}: {err}"
            );
        }
        let mut req = request("misfire");
        req.symptoms = vec!["pops_out_of_2nd_gear".into()];
        assert_eq!(req.validate(), Ok(()));
    }

    #[test]
    fn control_characters_in_the_query_are_refused() {
        assert_eq!(
            request("misfire\u{0}").validate(),
            Err(RequestError::QueryControlCharacters)
        );
        assert_eq!(request("misfire\nat idle\t").validate(), Ok(()));
    }

    #[test]
    fn situation_reads_symptoms_as_words() {
        let mut req = request("Light on");
        req.symptoms = vec!["oil_pressure_light".into()];
        assert_eq!(req.situation(), "Light on. oil pressure light");
    }
}
