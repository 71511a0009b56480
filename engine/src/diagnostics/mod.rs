//! Diagnostics: trouble codes and the code database, agents' answers, their
//! consensus and the safety gate, and the ELM327 protocol of OBD-II adapters.

pub mod answer;
pub mod codes;
pub mod consensus;
pub mod dtc;
pub mod elm327;
pub mod evidence;
pub mod gate;
pub mod offline;
pub mod outcome;
pub mod request;
pub mod review;
pub mod safety;

pub use dtc::Dtc;
