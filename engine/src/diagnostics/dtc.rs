//! Diagnostic trouble codes (SAE J2012): a system letter and four hex digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which system a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum System {
    /// `P`: engine and transmission.
    Powertrain,
    /// `C`: chassis (ABS, suspension).
    Chassis,
    /// `B`: body (lights, locks).
    Body,
    /// `U`: network and communication.
    Network,
}

impl System {
    /// The code's letter.
    pub fn letter(self) -> char {
        match self {
            System::Powertrain => 'P',
            System::Chassis => 'C',
            System::Body => 'B',
            System::Network => 'U',
        }
    }

    /// The system for the two top bits of a code as ECUs send it (mode 03/07).
    fn from_bits(bits: u16) -> Self {
        match bits & 0b11 {
            0 => System::Powertrain,
            1 => System::Chassis,
            2 => System::Body,
            _ => System::Network,
        }
    }
}

/// A diagnostic trouble code such as `P0300`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dtc {
    system: System,
    /// The four hex digits; the first is 0–3 (the J2012 range).
    digits: u16,
}

impl Dtc {
    /// The system letter's system.
    pub fn system(&self) -> System {
        self.system
    }

    /// The two bytes an ECU reports for this code (mode 03/07 encoding).
    pub fn to_bytes(&self) -> [u8; 2] {
        let sys = match self.system {
            System::Powertrain => 0u16,
            System::Chassis => 1,
            System::Body => 2,
            System::Network => 3,
        };
        let raw = (sys << 14) | self.digits;
        raw.to_be_bytes()
    }

    /// Decodes the two bytes an ECU sends; `None` for `00 00`, which pads
    /// replies and is not a code.
    pub fn from_bytes(bytes: [u8; 2]) -> Option<Self> {
        let raw = u16::from_be_bytes(bytes);
        if raw == 0 {
            return None;
        }
        Some(Self {
            system: System::from_bits(raw >> 14),
            digits: raw & 0x3FFF,
        })
    }

    /// Whether it is a generic (SAE-defined) code rather than a maker's own:
    /// second character 0 (or 2, and for P-codes 3 below P3400).
    pub fn is_generic(&self) -> bool {
        let first = self.digits >> 12;
        match self.system {
            System::Powertrain => first == 0 || first == 2 || (first == 3 && self.digits < 0x3400),
            _ => first == 0 || first == 3,
        }
    }
}

impl fmt::Display for Dtc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:04X}", self.system.letter(), self.digits)
    }
}

impl FromStr for Dtc {
    type Err = Error;

    /// Parses `P0300`, `p0300` or ` P0300 `; refuses anything else with a
    /// reason a rider can act on.
    fn from_str(s: &str) -> Result<Self> {
        let code = s.trim();
        let bad = |reason: &str| Error::InvalidCode {
            code: code.to_owned(),
            reason: reason.to_owned(),
        };
        let mut chars = code.chars();
        let system = match chars.next().map(|c| c.to_ascii_uppercase()) {
            Some('P') => System::Powertrain,
            Some('C') => System::Chassis,
            Some('B') => System::Body,
            Some('U') => System::Network,
            Some(_) => return Err(bad("must start with P, C, B or U")),
            None => return Err(bad("is empty")),
        };
        let rest = chars.as_str();
        if rest.len() != 4 || !rest.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad(
                "needs four digits (0-9, A-F) after the letter, e.g. P0300",
            ));
        }
        let digits =
            u16::from_str_radix(rest, 16).map_err(|_| bad("digits are not hexadecimal"))?;
        if digits >> 12 > 3 {
            return Err(bad("the first digit must be 0, 1, 2 or 3"));
        }
        Ok(Self { system, digits })
    }
}

impl Serialize for Dtc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dtc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_codes() {
        let c: Dtc = " p0300 ".parse().expect("valid");
        assert_eq!(c.to_string(), "P0300");
        assert_eq!(c.system(), System::Powertrain);
        assert!(c.is_generic());
        assert!(!"P1300".parse::<Dtc>().expect("valid").is_generic());
        assert_eq!("U0100".parse::<Dtc>().expect("valid").to_string(), "U0100");
    }

    #[test]
    fn bad_codes_say_why() {
        for (input, hint) in [
            ("", "empty"),
            ("X0300", "P, C, B or U"),
            ("P030", "four digits"),
            ("P03000", "four digits"),
            ("P03G0", "four digits"),
            ("P4300", "first digit"),
        ] {
            let err = input.parse::<Dtc>().expect_err(input).to_string();
            assert!(err.contains(hint), "{input:?}: {err}");
        }
    }

    #[test]
    fn ecu_bytes_decode_as_in_the_standard() {
        // 0x0133 → P0133, 0x4123 → C0123, 0xC100 → U0100.
        assert_eq!(
            Dtc::from_bytes([0x01, 0x33]).map(|c| c.to_string()),
            Some("P0133".into())
        );
        assert_eq!(
            Dtc::from_bytes([0x41, 0x23]).map(|c| c.to_string()),
            Some("C0123".into())
        );
        assert_eq!(
            Dtc::from_bytes([0xC1, 0x00]).map(|c| c.to_string()),
            Some("U0100".into())
        );
        assert_eq!(Dtc::from_bytes([0, 0]), None);
    }

    proptest! {
        #[test]
        fn text_and_bytes_round_trip(raw in 1u16..) {
            let code = Dtc::from_bytes(raw.to_be_bytes()).expect("non-zero");
            prop_assert_eq!(code.to_bytes(), raw.to_be_bytes());
            let back: Dtc = code.to_string().parse().expect("own output parses");
            prop_assert_eq!(back, code);
        }
    }
}
