//! `ridewire plan PLAN.md [--png MAP.png] [--json MAP.json] [--seed N] [--level PATH]`:
//! the app layer's maps ([`ridewire_app::maps`]) behind the command line.

pub use ridewire_app::maps::{Ask, PlanError, Run, report, run, write_json, write_png};
