//! The app layer's use cases as a screen or the command line calls them,
//! on real SQLite files.

mod rider;
