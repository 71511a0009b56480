//! Workshops over HTTP: each [`WorkshopCall`] as its request, and its
//! answer read back; a slot just taken (`409 slot_taken`) is an answer
//! with the next free slots, not an error.

use reqwest::StatusCode;
use ridewire_engine::sync::workshops::{
    AcceptInvitation, Bay, Bays, Booking, Bookings, Customers, Invitation, Membership, Memberships,
    NewInvitation, NewTemplate, NewWorkshop, ReviewQueue, Reviewed, SentPlan, SentPlans, Sharing,
    SlotTaken, Slots, Template, Templates, WorkshopAnswer, WorkshopCall,
};
use uuid::Uuid;

use super::{HttpTransport, failure, read_json};
use crate::{Error, Result};

impl HttpTransport {
    /// [`Transport::workshop`](crate::Transport::workshop) over HTTP.
    pub(super) async fn workshop_call(&self, call: &WorkshopCall) -> Result<WorkshopAnswer> {
        let at =
            |workshop: &Uuid, rest: &str| self.url(&format!("/api/v1/workshops/{workshop}{rest}"));
        let response = match call {
            WorkshopCall::Found { name } => {
                let url = self.url("/api/v1/workshops");
                let body = NewWorkshop { name: name.clone() };
                self.send(|c| c.post(&url).json(&body)).await?
            }
            WorkshopCall::List => {
                let url = self.url("/api/v1/workshops");
                self.send(|c| c.get(&url)).await?
            }
            WorkshopCall::Invite { workshop, role } => {
                let url = at(workshop, "/invitations");
                let body = NewInvitation { role: *role };
                self.send(|c| c.post(&url).json(&body)).await?
            }
            WorkshopCall::Accept { code, shares } => {
                let url = self.url("/api/v1/invitations/accept");
                let body = AcceptInvitation {
                    code: code.clone(),
                    shares: shares.clone(),
                };
                self.send(|c| c.post(&url).json(&body)).await?
            }
            WorkshopCall::Share { workshop, shares } => {
                let url = at(workshop, "/sharing");
                let body = Sharing {
                    shares: shares.clone(),
                };
                self.send(|c| c.put(&url).json(&body)).await?
            }
            WorkshopCall::Leave { workshop } => {
                let url = at(workshop, "/membership");
                self.send(|c| c.delete(&url)).await?
            }
            WorkshopCall::Customers { workshop } => {
                let url = at(workshop, "/customers");
                self.send(|c| c.get(&url)).await?
            }
            WorkshopCall::AddBay { workshop, bay } => {
                let url = at(workshop, "/bays");
                self.send(|c| c.post(&url).json(bay)).await?
            }
            WorkshopCall::EditBay {
                workshop,
                bay,
                hours,
            } => {
                let url = at(workshop, &format!("/bays/{bay}"));
                self.send(|c| c.put(&url).json(hours)).await?
            }
            WorkshopCall::Slots { workshop, days } => {
                let url = at(workshop, &format!("/slots?days={days}"));
                self.send(|c| c.get(&url)).await?
            }
            WorkshopCall::Book { workshop, booking } => {
                let url = at(workshop, "/bookings");
                self.send(|c| c.post(&url).json(booking)).await?
            }
            WorkshopCall::Bookings { workshop, days } => {
                let url = at(workshop, &format!("/bookings?days={days}"));
                self.send(|c| c.get(&url)).await?
            }
            WorkshopCall::Cancel { workshop, booking } => {
                let url = at(workshop, &format!("/bookings/{booking}"));
                self.send(|c| c.delete(&url)).await?
            }
            WorkshopCall::SendPlan { workshop, plan } => {
                let url = at(workshop, "/plans");
                self.send(|c| c.post(&url).json(plan)).await?
            }
            WorkshopCall::Plans { workshop } => {
                let url = at(workshop, "/plans");
                self.send(|c| c.get(&url)).await?
            }
            WorkshopCall::Templates { workshop } => {
                let url = at(workshop, "/templates");
                self.send(|c| c.get(&url)).await?
            }
            WorkshopCall::SaveTemplate {
                workshop,
                name,
                markdown,
            } => {
                let url = at(workshop, &format!("/templates/{name}"));
                let body = NewTemplate {
                    markdown: markdown.clone(),
                };
                self.send(|c| c.put(&url).json(&body)).await?
            }
            WorkshopCall::Bays { workshop } => {
                let url = at(workshop, "/bays");
                self.send(|c| c.get(&url)).await?
            }
            WorkshopCall::Move {
                workshop,
                booking,
                to,
            } => {
                let url = at(workshop, &format!("/bookings/{booking}"));
                self.send(|c| c.put(&url).json(to)).await?
            }
            WorkshopCall::Reviews { workshop } => {
                let url = at(workshop, "/reviews");
                self.send(|c| c.get(&url)).await?
            }
            WorkshopCall::Review {
                workshop,
                run,
                input,
            } => {
                let url = at(workshop, &format!("/reviews/{run}"));
                self.send(|c| c.post(&url).json(input)).await?
            }
        };
        if matches!(call, WorkshopCall::Book { .. } | WorkshopCall::Move { .. })
            && response.status() == StatusCode::CONFLICT
        {
            // Just taken by someone else: the answer names the next free slots.
            let body: serde_json::Value = read_json(response).await?;
            if body["error"]["code"] == "slot_taken" {
                let taken: SlotTaken = serde_json::from_value(body).map_err(|e| Error::Server {
                    status: 409,
                    message: format!("unreadable answer: {e}"),
                })?;
                return Ok(WorkshopAnswer::Taken(taken.next_free));
            }
            return Err(Error::Refused {
                status: 409,
                code: body["error"]["code"]
                    .as_str()
                    .unwrap_or("conflict")
                    .to_owned(),
                message: body["error"]["message"].as_str().unwrap_or("").to_owned(),
            });
        }
        if !response.status().is_success() {
            return Err(failure(response).await);
        }
        Ok(match call {
            WorkshopCall::Found { .. }
            | WorkshopCall::Accept { .. }
            | WorkshopCall::Share { .. } => {
                WorkshopAnswer::Membership(read_json::<Membership>(response).await?)
            }
            WorkshopCall::List => {
                WorkshopAnswer::Memberships(read_json::<Memberships>(response).await?.workshops)
            }
            WorkshopCall::Invite { .. } => {
                WorkshopAnswer::Invitation(read_json::<Invitation>(response).await?)
            }
            WorkshopCall::Leave { .. } => WorkshopAnswer::Left,
            WorkshopCall::Customers { .. } => {
                WorkshopAnswer::Customers(read_json::<Customers>(response).await?.customers)
            }
            WorkshopCall::AddBay { .. } | WorkshopCall::EditBay { .. } => {
                WorkshopAnswer::Bay(read_json::<Bay>(response).await?)
            }
            WorkshopCall::Slots { .. } => {
                WorkshopAnswer::Slots(read_json::<Slots>(response).await?.slots)
            }
            WorkshopCall::Book { .. } | WorkshopCall::Cancel { .. } | WorkshopCall::Move { .. } => {
                WorkshopAnswer::Booked(read_json::<Booking>(response).await?)
            }
            WorkshopCall::Bookings { .. } => {
                WorkshopAnswer::Bookings(read_json::<Bookings>(response).await?.bookings)
            }
            WorkshopCall::SendPlan { .. } => {
                WorkshopAnswer::SentPlan(read_json::<SentPlan>(response).await?)
            }
            WorkshopCall::Plans { .. } => {
                WorkshopAnswer::SentPlans(read_json::<SentPlans>(response).await?.plans)
            }
            WorkshopCall::Templates { .. } => {
                WorkshopAnswer::Templates(read_json::<Templates>(response).await?.templates)
            }
            WorkshopCall::SaveTemplate { .. } => {
                WorkshopAnswer::Template(read_json::<Template>(response).await?)
            }
            WorkshopCall::Bays { .. } => {
                WorkshopAnswer::Bays(read_json::<Bays>(response).await?.bays)
            }
            WorkshopCall::Reviews { .. } => {
                WorkshopAnswer::Reviews(read_json::<ReviewQueue>(response).await?.runs)
            }
            WorkshopCall::Review { .. } => {
                WorkshopAnswer::Reviewed(read_json::<Reviewed>(response).await?)
            }
        })
    }
}
