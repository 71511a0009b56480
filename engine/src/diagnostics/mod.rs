//! Diagnostics: trouble codes, agents' answers, their consensus and the
//! safety gate, and the ELM327 protocol of OBD-II adapters.

pub mod codes;
pub mod dtc;
pub mod elm327;

pub use dtc::Dtc;
