//! `ridewire workshop`: a workshop's people and its customers from the
//! terminal (issue 15, first part). A rider joins with the code the
//! workshop gave them and chooses what it sees; the owner founds the
//! workshop and invites; staff list the customers with what each shares.
//! Every action asks the server (sign in first with `ridewire sync`).

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use ridewire_app::workshops::{self, membership_line, role_words, shares_words};
use ridewire_engine::sync::workshops::{Role, Share, WorkshopAnswer, WorkshopCall};
use uuid::Uuid;

/// What to do.
#[derive(Debug, Clone, Subcommand)]
pub enum WorkshopAction {
    /// The workshops you belong to, as staff or as a customer.
    List,
    /// Found a workshop; you are its owner.
    Found {
        /// Its name as customers will see it.
        name: String,
    },
    /// A code to give a customer (or, as the owner, a mechanic or the
    /// front desk); usable once within 7 days.
    Invite {
        /// The workshop's id (`ridewire workshop list`).
        workshop: Uuid,
        /// customer, mechanic or front_desk.
        #[arg(long, default_value = "customer", value_parser = parse_role)]
        role: Role,
    },
    /// Join a workshop with the code it gave you.
    Join {
        /// The code (case, spaces and dashes do not matter).
        code: String,
        /// What the workshop may see: bikes, diagnoses, both
        /// (comma-separated) or none [default: bikes].
        #[arg(long, value_name = "WHAT", value_parser = parse_shares)]
        share: Option<Vec<Share>>,
    },
    /// Choose what a workshop you are a customer of may see.
    Share {
        /// The workshop's id.
        workshop: Uuid,
        /// bikes, diagnoses, both (comma-separated) or none.
        #[arg(value_name = "WHAT", value_parser = parse_shares)]
        what: Vec<Share>,
    },
    /// Leave a workshop (it no longer sees anything of yours).
    Leave {
        /// The workshop's id.
        workshop: Uuid,
    },
    /// The workshop's customers with what each shares (staff only).
    Customers {
        /// The workshop's id.
        workshop: Uuid,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

fn parse_shares(text: &str) -> Result<Vec<Share>, String> {
    workshops::parse_shares(text).map_err(|e| e.to_string())
}

impl WorkshopAction {
    fn call(&self) -> WorkshopCall {
        match self.clone() {
            WorkshopAction::List => WorkshopCall::List,
            WorkshopAction::Found { name } => WorkshopCall::Found { name },
            WorkshopAction::Invite { workshop, role } => WorkshopCall::Invite { workshop, role },
            WorkshopAction::Join { code, share } => WorkshopCall::Accept {
                code,
                shares: share,
            },
            WorkshopAction::Share { workshop, what } => WorkshopCall::Share {
                workshop,
                shares: what,
            },
            WorkshopAction::Leave { workshop } => WorkshopCall::Leave { workshop },
            WorkshopAction::Customers { workshop } => WorkshopCall::Customers { workshop },
        }
    }
}

/// The server's answer as the rider reads it.
pub fn report(answer: &WorkshopAnswer) -> String {
    match answer {
        WorkshopAnswer::Membership(m) => format!("{}\n", membership_line(m)),
        WorkshopAnswer::Memberships(list) if list.is_empty() => {
            "You belong to no workshop yet: join one with the code it gives you \
             (`ridewire workshop join CODE`).\n"
                .to_owned()
        }
        WorkshopAnswer::Memberships(list) => list
            .iter()
            .map(|m| format!("{}\n", membership_line(m)))
            .collect(),
        WorkshopAnswer::Invitation(i) => format!(
            "Invitation code for a {}: {}\nUsable once until {} (UTC).\n",
            role_words(i.role),
            i.code,
            chrono::DateTime::from_timestamp_millis(i.expires_ms).map_or_else(
                || i.expires_ms.to_string(),
                |t| t.format("%Y-%m-%d %H:%M").to_string()
            )
        ),
        WorkshopAnswer::Left => {
            "You left the workshop; it no longer sees anything of yours.\n".to_owned()
        }
        WorkshopAnswer::Customers(list) if list.is_empty() => "No customers yet.\n".to_owned(),
        WorkshopAnswer::Customers(list) => {
            let mut out = String::new();
            for c in list {
                let name = c
                    .display_name
                    .clone()
                    .unwrap_or_else(|| format!("customer {}", c.customer));
                out.push_str(&format!("{name}: shares {}\n", shares_words(&c.shares)));
                for bike in c.bikes.iter().flatten() {
                    let field = |f: &str| {
                        bike.fields
                            .get(f)
                            .map(|v| v.value.to_string().trim_matches('"').to_owned())
                            .unwrap_or_default()
                    };
                    out.push_str(&format!(
                        "  bike {} {} ({})\n",
                        field("make"),
                        field("model"),
                        field("year")
                    ));
                }
                for run in c.diagnoses.iter().flatten() {
                    let codes: Vec<String> =
                        run.request.codes.iter().map(ToString::to_string).collect();
                    out.push_str(&format!(
                        "  diagnosis {} {}: {}\n",
                        chrono::DateTime::from_timestamp_millis(run.created_ms)
                            .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string()),
                        codes.join(" "),
                        run.decision
                    ));
                }
            }
            out
        }
    }
}

/// Runs the action on the rider's database.
pub fn run(action: &WorkshopAction, database: &Path) -> ExitCode {
    match workshops::ask_once(database, action.call()) {
        Ok(answer) => {
            print!("{}", report(&answer));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ridewire workshop: {e}");
            ExitCode::FAILURE
        }
    }
}
