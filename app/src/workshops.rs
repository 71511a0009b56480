//! Workshops for riders and for a workshop's people (issue 15, first part):
//! found one, invite with a code, join with it, choose what to share,
//! leave, and (staff) see the customers with what each shares. Each is a
//! question to the server, asked through a syncer over the rider's
//! database for its length, like the leaderboards: a workshop lives on the
//! server, so these need a connection and a signed-in account.

use std::path::Path;

use ridewire_engine::sync::workshops::{
    Membership, Review, ReviewItem, Role, Share, Verdict, WorkshopAnswer, WorkshopCall,
};

use crate::account::{Saved, start_syncer};
use crate::task::Pending;
use crate::{Error, Result};

/// Services booked with one tap (the terminal's front desk, the rider's
/// Workshops screen).
pub const SERVICES: [&str; 6] = [
    "Annual service",
    "Tyres",
    "Brakes",
    "Chain and sprockets",
    "Diagnosis",
    "Inspection",
];

fn not_signed_in() -> Error {
    Error::NotSignedIn(
        "workshops live on the server: sign in first (Settings, or `ridewire sync`)".into(),
    )
}

/// Asks the server `call` with the account kept in `database`.
pub fn ask_once(database: &Path, call: WorkshopCall) -> Result<WorkshopAnswer> {
    let signed = Saved::read_file(database)
        .signed_in()
        .ok_or_else(not_signed_in)?;
    let syncer = start_syncer(database, &signed)?;
    let answer = Pending::from("the sync thread", syncer.handle().workshop(call)?).wait();
    syncer.stop();
    Ok(answer??)
}

/// Shares as the rider types them: words separated by commas (`bikes,
/// diagnoses`), or `none`.
pub fn parse_shares(text: &str) -> Result<Vec<Share>> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|w| w.trim().to_ascii_lowercase().parse().map_err(Error::Input))
        .collect()
}

/// A role in the rider's words.
pub fn role_words(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Mechanic => "mechanic",
        Role::FrontDesk => "front desk",
        Role::Customer => "customer",
    }
}

/// What a customer shares, in words.
pub fn shares_words(shares: &[Share]) -> String {
    if shares.is_empty() {
        return "nothing".to_owned();
    }
    shares
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// One membership on a line: the name, the role, the id to name it by,
/// and for a customer what they share.
pub fn membership_line(m: &Membership) -> String {
    let mut line = format!("{}  ({}; id {})", m.name, role_words(m.role), m.workshop);
    if m.role == Role::Customer {
        line.push_str(&format!("; sharing {}", shares_words(&m.shares)));
    }
    line
}

/// A review's verdict and who gave it, in the rider's words: "Approved by
/// Anna at Moto Müller".
pub fn review_words(review: &Review) -> String {
    let verdict = match review.verdict {
        Verdict::Approved => "Approved",
        Verdict::Corrected => "Corrected",
        Verdict::Rejected => "Rejected",
    };
    format!(
        "{verdict} by {} at {}",
        review.reviewer_name, review.workshop_name
    )
}

/// An escalated run waiting for review, as a mechanic reads it: whose, when
/// and what was asked, what the agents agreed on and why the gate held it.
pub fn review_item_text(item: &ReviewItem) -> String {
    let who = item
        .display_name
        .clone()
        .unwrap_or_else(|| format!("customer {}", item.customer));
    let when = chrono::DateTime::from_timestamp_millis(item.created_ms).map_or_else(
        || item.created_ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    );
    let r = &item.request;
    let mut asked: Vec<String> = r.codes.iter().map(ToString::to_string).collect();
    asked.extend(r.symptoms.iter().map(|s| s.replace('_', " ")));
    if !r.query.trim().is_empty() {
        asked.push(format!("\"{}\"", r.query.trim()));
    }
    let mut text = format!(
        "run {}  {who}, {when}: {} {} {} — {}",
        item.run,
        r.vehicle.make,
        r.vehicle.model,
        r.vehicle.year,
        asked.join(", ")
    );
    match &item.consensus {
        Some(c) => text.push_str(&format!(
            "\n  agents: {} (agreement {:.2}, confidence {:.2}); parts: {}\n  advice: {}",
            c.diagnosis,
            c.score,
            c.confidence,
            if c.highlighted_components.is_empty() {
                "none named".to_owned()
            } else {
                c.highlighted_components.join(", ")
            },
            c.recommended_action
        )),
        None => text.push_str("\n  agents: no usable answer"),
    }
    for flag in &item.flags {
        text.push_str(&format!("\n  held: {}", crate::diagnosis::flag_text(flag)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_read_as_typed_and_unknown_words_are_named() {
        assert_eq!(
            parse_shares("Bikes, diagnoses").ok(),
            Some(vec![Share::Bikes, Share::Diagnoses])
        );
        assert_eq!(parse_shares("none").ok(), Some(Vec::new()));
        let err = parse_shares("bikes,photos").err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("\"photos\"")),
            "{err:?}"
        );
    }

    #[test]
    fn without_an_account_it_says_to_sign_in() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let err = ask_once(&dir.path().join("rider.db"), WorkshopCall::List)
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("sign in first")),
            "{err:?}"
        );
    }
}
