//! Commands of the `ridewire` binary that need no window.

pub mod data;
pub mod diagnose;
pub mod garage;
pub mod leaderboard;
pub mod obd;
pub mod plan;
pub mod quest;
pub mod sync;
pub mod vouch;
pub mod workshop;

/// The password for signing in: RIDEWIRE_PASSWORD, else one line of
/// standard input when something is piped in; `None` to use the kept session.
pub fn password_for_sync(needed: bool) -> Option<String> {
    if let Some(p) = std::env::var_os("RIDEWIRE_PASSWORD").filter(|p| !p.is_empty()) {
        return Some(p.to_string_lossy().into_owned());
    }
    if !needed {
        return None;
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    (!line.is_empty()).then_some(line)
}
