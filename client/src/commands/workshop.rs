//! `ridewire workshop`: a workshop's people and its customers from the
//! terminal (issue 15, first part). A rider joins with the code the
//! workshop gave them and chooses what it sees; the owner founds the
//! workshop and invites; staff list the customers with what each shares.
//! Every action asks the server (sign in first with `ridewire sync`).

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use ridewire_app::workshops::{self, membership_line, role_words, shares_words};
use ridewire_engine::sync::workshops::{
    NewBay, NewBooking, PlanForCustomer, ReviewInput, Role, Share, Verdict, WorkshopAnswer,
    WorkshopCall,
};
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
        share: Option<Shares>,
    },
    /// Choose what a workshop you are a customer of may see.
    Share {
        /// The workshop's id.
        workshop: Uuid,
        /// bikes, diagnoses, both (comma-separated) or none.
        #[arg(value_name = "WHAT", value_parser = parse_shares)]
        what: Shares,
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
    /// Add a bay with its opening hours (the owner).
    AddBay {
        /// The workshop's id.
        workshop: Uuid,
        #[command(flatten)]
        hours: BayHours,
    },
    /// Change a bay's name or hours (the owner); refused while a booking
    /// to come would not fit them.
    EditBay {
        /// The workshop's id.
        workshop: Uuid,
        /// The bay's id, as `board` or `slots` prints it.
        bay: Uuid,
        #[command(flatten)]
        hours: BayHours,
    },
    /// The free slots of the workshop's bays.
    Slots {
        /// The workshop's id.
        workshop: Uuid,
        /// Over this many days from now (1 to 14).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u8).range(1..=14))]
        days: u8,
    },
    /// Book a slot (a customer for themselves; staff with --for).
    Book {
        /// The workshop's id.
        workshop: Uuid,
        /// The bay, as `slots` prints it.
        #[arg(long)]
        bay: Uuid,
        /// The slot's start, as `slots` prints it (RFC 3339, e.g.
        /// 2026-12-07T09:00:00Z).
        #[arg(long, value_parser = parse_start)]
        start: i64,
        /// What is to be done.
        #[arg(long, default_value = "Service")]
        service: String,
        /// A note for the workshop.
        #[arg(long, default_value = "")]
        notes: String,
        /// Staff: the customer's account number (`customers` prints it).
        #[arg(long = "for", value_name = "CUSTOMER")]
        customer: Option<i64>,
    },
    /// Bookings (staff: all; a customer: their own).
    Bookings {
        /// The workshop's id.
        workshop: Uuid,
        /// Over this many days from now (1 to 14).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u8).range(1..=14))]
        days: u8,
    },
    /// Cancel a booking.
    Cancel {
        /// The workshop's id.
        workshop: Uuid,
        /// The booking's id.
        booking: Uuid,
    },
    /// Send a maintenance plan (a Markdown file) to a customer; it joins
    /// their plans on their next sync (mechanics and the owner).
    SendPlan {
        /// The workshop's id.
        workshop: Uuid,
        /// The plan file.
        file: std::path::PathBuf,
        /// The customer's account number (`customers` prints it).
        #[arg(long = "for", value_name = "CUSTOMER")]
        customer: i64,
        /// One of the customer's bikes (its id), when they share bikes.
        #[arg(long)]
        bike: Option<String>,
    },
    /// The plans the workshop sent, with each customer's progress.
    Plans {
        /// The workshop's id.
        workshop: Uuid,
    },
    /// The workshop's own plan templates.
    Templates {
        /// The workshop's id.
        workshop: Uuid,
    },
    /// Today's board: every bay's slots with who is booked for what, and
    /// how many diagnoses wait for review (kept for the terminal offline).
    Board {
        /// The workshop's id.
        workshop: Uuid,
    },
    /// Move a booking to another free slot (its customer or the staff);
    /// the rider hears of it on their next sync.
    Move {
        /// The workshop's id.
        workshop: Uuid,
        /// The booking's id.
        booking: Uuid,
        /// The bay, as `slots` prints it.
        #[arg(long)]
        bay: Uuid,
        /// The new slot's start, as `slots` prints it.
        #[arg(long, value_parser = parse_start)]
        start: i64,
    },
    /// The runs the safety gate escalated for the customers who share
    /// their diagnoses (mechanics and the owner).
    Reviews {
        /// The workshop's id.
        workshop: Uuid,
    },
    /// Answer an escalated run: approve it in your own words, correct the
    /// components at fault, or reject it. The rider sees it on sync.
    Review {
        /// The workshop's id.
        workshop: Uuid,
        /// The run's id, as `reviews` prints it.
        run: Uuid,
        /// approved, corrected or rejected.
        #[arg(value_parser = parse_verdict)]
        verdict: Verdict,
        /// Your advice to the rider (approved, corrected) or why not
        /// (rejected); the safety rules read it.
        #[arg(long)]
        text: String,
        /// corrected: the components at fault (comma-separated ids, e.g.
        /// ignition_coil).
        #[arg(long, value_delimiter = ',')]
        components: Vec<String>,
    },
}

fn parse_verdict(text: &str) -> Result<Verdict, String> {
    text.parse()
}

/// A bay's name and hours, as `add-bay` and `edit-bay` take them.
#[derive(Debug, Clone, clap::Args)]
pub struct BayHours {
    /// Its name, e.g. "Lift 1".
    #[arg(long)]
    name: String,
    /// Opening time, HH:MM (the workshop's local time).
    #[arg(long, value_parser = parse_time)]
    opens: u16,
    /// Closing time, HH:MM (24:00 for midnight).
    #[arg(long, value_parser = parse_time)]
    closes: u16,
    /// Days open, 1 (Monday) to 7 (Sunday), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
    days: Vec<u8>,
    /// Slot length in minutes (15 to 480).
    #[arg(long, default_value_t = 60)]
    slot: u16,
    /// The workshop's offset from UTC in minutes [default: this machine's].
    #[arg(long, allow_hyphen_values = true)]
    utc_offset: Option<i16>,
}

impl BayHours {
    fn bay(self) -> NewBay {
        NewBay {
            name: self.name,
            opens_min: self.opens,
            closes_min: self.closes,
            days: self.days,
            slot_minutes: self.slot,
            utc_offset_min: self
                .utc_offset
                .unwrap_or_else(|| ridewire_app::clock::now().1),
        }
    }
}

/// Minutes after midnight from `HH:MM`.
fn parse_time(text: &str) -> Result<u16, String> {
    let bad = || format!("{text:?} is not a time like 08:30");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h * 60 + m > 1440 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Unix ms from an RFC 3339 time.
fn parse_start(text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("{text:?} is not a time like 2026-12-07T09:00:00Z: {e}"))
}

/// A time as `slots` prints it and `book --start` reads it.
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

/// Shares as one argument (`bikes,diagnoses`): one value to clap, not a
/// list of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shares(pub Vec<Share>);

fn parse_shares(text: &str) -> Result<Shares, String> {
    workshops::parse_shares(text)
        .map(Shares)
        .map_err(|e| e.to_string())
}

impl WorkshopAction {
    fn call(&self) -> WorkshopCall {
        match self.clone() {
            // Several calls: `run` asks them through `workshop_board`.
            WorkshopAction::Board { workshop } => WorkshopCall::Bays { workshop },
            WorkshopAction::List => WorkshopCall::List,
            WorkshopAction::Found { name } => WorkshopCall::Found { name },
            WorkshopAction::Invite { workshop, role } => WorkshopCall::Invite { workshop, role },
            WorkshopAction::Join { code, share } => WorkshopCall::Accept {
                code,
                shares: share.map(|s| s.0),
            },
            WorkshopAction::Share { workshop, what } => WorkshopCall::Share {
                workshop,
                shares: what.0,
            },
            WorkshopAction::Leave { workshop } => WorkshopCall::Leave { workshop },
            WorkshopAction::Customers { workshop } => WorkshopCall::Customers { workshop },
            WorkshopAction::AddBay { workshop, hours } => WorkshopCall::AddBay {
                workshop,
                bay: hours.bay(),
            },
            WorkshopAction::EditBay {
                workshop,
                bay,
                hours,
            } => WorkshopCall::EditBay {
                workshop,
                bay,
                hours: hours.bay(),
            },
            WorkshopAction::Slots { workshop, days } => WorkshopCall::Slots { workshop, days },
            WorkshopAction::Book {
                workshop,
                bay,
                start,
                service,
                notes,
                customer,
            } => WorkshopCall::Book {
                workshop,
                booking: NewBooking {
                    bay,
                    start_ms: start,
                    service,
                    bike: None,
                    notes,
                    customer,
                    // Made here: a booking queued offline and sent again
                    // is still this one booking.
                    id: Some(Uuid::now_v7()),
                },
            },
            WorkshopAction::Bookings { workshop, days } => {
                WorkshopCall::Bookings { workshop, days }
            }
            WorkshopAction::Cancel { workshop, booking } => {
                WorkshopCall::Cancel { workshop, booking }
            }
            WorkshopAction::Reviews { workshop } => WorkshopCall::Reviews { workshop },
            WorkshopAction::Move {
                workshop,
                booking,
                bay,
                start,
            } => WorkshopCall::Move {
                workshop,
                booking,
                to: ridewire_engine::sync::workshops::MoveBooking {
                    bay,
                    start_ms: start,
                },
            },
            WorkshopAction::Plans { workshop } => WorkshopCall::Plans { workshop },
            WorkshopAction::Templates { workshop } => WorkshopCall::Templates { workshop },
            // Read from the file by `run` first.
            WorkshopAction::SendPlan { workshop, .. } => WorkshopCall::Plans { workshop },
            WorkshopAction::Review {
                workshop,
                run,
                verdict,
                text,
                components,
            } => WorkshopCall::Review {
                workshop,
                run,
                input: ReviewInput {
                    verdict,
                    text,
                    components,
                },
            },
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
        WorkshopAnswer::Bay(bay) => format!(
            "Bay {} (id {}): {} slots of {} minutes\n",
            bay.name,
            bay.id,
            (bay.closes_min - bay.opens_min) / bay.slot_minutes,
            bay.slot_minutes
        ),
        WorkshopAnswer::Bays(bays) if bays.is_empty() => "No bays yet.\n".to_owned(),
        WorkshopAnswer::Bays(bays) => bays
            .iter()
            .map(|bay| {
                format!(
                    "Bay {} (id {}): {} slots of {} minutes\n",
                    bay.name,
                    bay.id,
                    (bay.closes_min - bay.opens_min) / bay.slot_minutes.max(1),
                    bay.slot_minutes
                )
            })
            .collect(),
        WorkshopAnswer::Slots(slots) if slots.is_empty() => "No free slots.\n".to_owned(),
        WorkshopAnswer::Slots(slots) | WorkshopAnswer::Taken(slots) => {
            let mut out = if matches!(answer, WorkshopAnswer::Taken(_)) {
                "That slot was just taken. The next free slots:\n".to_owned()
            } else {
                String::new()
            };
            for s in slots {
                out.push_str(&format!(
                    "--bay {} --start {}\n",
                    s.bay,
                    rfc3339(s.start_ms)
                ));
            }
            out
        }
        WorkshopAnswer::Booked(b) if b.cancelled_ms.is_some() => {
            format!("Cancelled: {} at {}\n", b.service, rfc3339(b.start_ms))
        }
        WorkshopAnswer::Booked(b) => format!(
            "Booked: {} at {} (booking {})\n",
            b.service,
            rfc3339(b.start_ms),
            b.id
        ),
        WorkshopAnswer::Bookings(list) if list.is_empty() => "No bookings.\n".to_owned(),
        WorkshopAnswer::Bookings(list) => list
            .iter()
            .map(|b| {
                format!(
                    "{}  {}  customer {}{}  (booking {})\n",
                    rfc3339(b.start_ms),
                    b.service,
                    b.customer,
                    if b.cancelled_ms.is_some() {
                        ", cancelled"
                    } else {
                        ""
                    },
                    b.id
                )
            })
            .collect(),
        WorkshopAnswer::SentPlan(plan) => format!(
            "Sent {:?} ({} quests) to customer {}: it joins their plans on their next sync.\n",
            plan.title, plan.quests, plan.customer
        ),
        WorkshopAnswer::SentPlans(list) if list.is_empty() => "No plans sent yet.\n".to_owned(),
        WorkshopAnswer::SentPlans(list) => list
            .iter()
            .map(|p| {
                format!(
                    "customer {}: {}{}\n",
                    p.customer,
                    ridewire_app::workshop_board::Board::plan_words(p),
                    if p.removed {
                        " (removed by the customer)"
                    } else {
                        ""
                    }
                )
            })
            .collect(),
        WorkshopAnswer::Template(t) => format!("Kept template {} ({:?}).\n", t.name, t.title),
        WorkshopAnswer::Templates(list) if list.is_empty() => "No templates yet.\n".to_owned(),
        WorkshopAnswer::Templates(list) => list
            .iter()
            .map(|t| format!("{}  {}\n", t.name, t.title))
            .collect(),
        WorkshopAnswer::Reviews(list) if list.is_empty() => {
            "Nothing waits for review.\n".to_owned()
        }
        WorkshopAnswer::Reviews(list) => list
            .iter()
            .map(|item| format!("{}\n", workshops::review_item_text(item)))
            .collect(),
        WorkshopAnswer::Reviewed(done) => format!(
            "{} — the rider sees it on their next sync (event {}).\n",
            workshops::review_words(&done.review),
            done.event_id
        ),
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
    if let WorkshopAction::Board { workshop } = action {
        let now = ridewire_app::clock::now().0;
        return match ridewire_app::workshop_board::fetch_once(database, *workshop, now) {
            Ok(board) => {
                print!("{}", board.text(now));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("ridewire workshop: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let call = match action {
        WorkshopAction::SendPlan {
            workshop,
            file,
            customer,
            bike,
        } => match std::fs::read_to_string(file) {
            Ok(markdown) => WorkshopCall::SendPlan {
                workshop: *workshop,
                plan: PlanForCustomer {
                    customer: *customer,
                    bike: bike.clone(),
                    markdown,
                },
            },
            Err(e) => {
                eprintln!("ridewire workshop: cannot read {}: {e}", file.display());
                return ExitCode::FAILURE;
            }
        },
        _ => action.call(),
    };
    match workshops::ask_once(database, call.clone()) {
        Ok(answer @ WorkshopAnswer::Taken(_)) => {
            print!("{}", report(&answer));
            ExitCode::FAILURE
        }
        Ok(answer) => {
            print!("{}", report(&answer));
            ExitCode::SUCCESS
        }
        // No connection: a booking waits on this device, never lost.
        Err(e) => match ridewire_app::booking_queue::to_queue(&call, &e) {
            Some((workshop, booking)) => queue_booking(database, workshop, booking, &e),
            None => {
                eprintln!("ridewire workshop: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn queue_booking(
    database: &Path,
    workshop: Uuid,
    booking: NewBooking,
    why: &ridewire_app::Error,
) -> ExitCode {
    let now = ridewire_app::clock::now().0;
    let queued = ridewire_app::rider::Rider::open(database, now).and_then(|mut rider| {
        ridewire_app::booking_queue::queue(&mut rider, workshop, booking, now)
    });
    match queued {
        Ok(q) => {
            println!(
                "The workshop cannot be reached ({why}). The booking of {} at {} is queued on \
                 this device and sent with the next `ridewire sync`; you will hear whether it \
                 was confirmed.",
                q.booking.service,
                rfc3339(q.booking.start_ms)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ridewire workshop: {why}; the booking could not be queued either: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Sends the bookings queued on this device and says what became of each
/// (nothing when none wait).
pub fn send_queue(database: &Path) -> String {
    use ridewire_app::booking_queue::{self, Sent};
    let now = ridewire_app::clock::now().0;
    let outcomes = match booking_queue::send_once(database, now) {
        Ok(outcomes) => outcomes,
        Err(e) => return format!("The queued bookings were not sent: {e}\n"),
    };
    outcomes
        .iter()
        .map(|sent| match sent {
            Sent::Confirmed(b) => format!(
                "Queued booking confirmed: {} at {} (booking {})\n",
                b.service,
                rfc3339(b.start_ms),
                b.id
            ),
            Sent::Refused {
                queued,
                reason,
                next_free,
            } => {
                let mut line = format!(
                    "Queued booking refused: {} at {}: {reason}\n",
                    queued.booking.service,
                    rfc3339(queued.booking.start_ms)
                );
                for s in next_free {
                    line.push_str(&format!(
                        "  free: --bay {} --start {}\n",
                        s.bay,
                        rfc3339(s.start_ms)
                    ));
                }
                line
            }
            Sent::Kept { queued, why } => format!(
                "Queued booking still waiting: {} at {} ({why})\n",
                queued.booking.service,
                rfc3339(queued.booking.start_ms)
            ),
        })
        .collect()
}
