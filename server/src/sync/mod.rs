//! The sync protocol's server side: storing pushed events exactly once
//! ([`push`]), serving the change log ([`pull`]) and the progress the
//! server folds from a user's events ([`progress`]).

pub mod progress;
pub mod pull;
pub mod push;
pub mod server_device;
