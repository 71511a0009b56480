//! RideWire's app layer: what a rider can do, without Bevy.
//!
//! The command line (`ridewire plan`, `ridewire diagnose`), the Bevy screens
//! and, next, the phones' bindings call these use cases instead of keeping
//! them inside a screen or a command (issue 12). Today: maps of plans and
//! the tileset ([`maps`]); the offline diagnosis ([`diagnosis`]); reading
//! and clearing codes through an OBD-II adapter ([`obd`]).

pub mod diagnosis;
pub mod maps;
pub mod obd;
