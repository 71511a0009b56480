//! Workshops for the phone's rider (issue 15): the workshops they belong
//! to, joining one with the code it gave them, choosing what it sees and
//! leaving. Each is a question to the server through the device's syncer
//! (`ridewire_app::workshops` does the same for the command line), so the
//! rider must be signed in. Founding a workshop and its staff's work are
//! the terminal's, not the phone's.

use std::time::Duration;

use ridewire_engine::sync::workshops::{Membership, Share, WorkshopAnswer, WorkshopCall};
use uuid::Uuid;

use crate::{RideWire, RideWireError};

/// How long a workshop question may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(30);

/// One workshop the rider belongs to.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WorkshopMembership {
    /// Its id, to name it in the other calls.
    pub workshop: String,
    pub name: String,
    /// owner, mechanic, front_desk or customer.
    pub role: String,
    /// What a customer lets it see: bikes, diagnoses.
    pub shares: Vec<String>,
    pub since_ms: i64,
}

impl From<Membership> for WorkshopMembership {
    fn from(m: Membership) -> Self {
        WorkshopMembership {
            workshop: m.workshop.to_string(),
            name: m.name,
            role: m.role.as_str().to_owned(),
            shares: m.shares.iter().map(|s| s.as_str().to_owned()).collect(),
            since_ms: m.since_ms,
        }
    }
}

fn invalid(message: String) -> RideWireError {
    RideWireError::InvalidInput { message }
}

fn workshop_id(text: &str) -> Result<Uuid, RideWireError> {
    Uuid::parse_str(text).map_err(|_| invalid(format!("{text:?} is not a workshop's id")))
}

fn shares(words: &[String]) -> Result<Vec<Share>, RideWireError> {
    words.iter().map(|w| w.parse().map_err(invalid)).collect()
}

fn unexpected(answer: &WorkshopAnswer) -> RideWireError {
    RideWireError::Network {
        message: format!("the server answered something else: {answer:?}"),
    }
}

impl RideWire {
    /// Asks the server `call` through the syncer, off the caller's thread.
    async fn ask_workshop(&self, call: WorkshopCall) -> Result<WorkshopAnswer, RideWireError> {
        let handle = self.handle().ok_or_else(|| RideWireError::Auth {
            message: "not signed in: workshops live on the server, sign in first".into(),
        })?;
        let answer = handle.workshop(call)?;
        let answered = tokio::task::spawn_blocking(move || answer.recv_timeout(ASK_TIMEOUT))
            .await
            .map_err(|e| RideWireError::Busy {
                message: format!("the wait stopped: {e}"),
            })?
            .map_err(|_| RideWireError::Busy {
                message: "the server did not answer in time".into(),
            })?;
        Ok(answered?)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl RideWire {
    /// The workshops the rider belongs to.
    pub async fn workshops(&self) -> Result<Vec<WorkshopMembership>, RideWireError> {
        match self.ask_workshop(WorkshopCall::List).await? {
            WorkshopAnswer::Memberships(list) => Ok(list.into_iter().map(Into::into).collect()),
            other => Err(unexpected(&other)),
        }
    }

    /// Joins a workshop with the code it gave the rider (case, spaces and
    /// dashes do not matter). `shares`: what it may see (bikes,
    /// diagnoses); empty for the server's default, bikes.
    pub async fn join_workshop(
        &self,
        code: String,
        shares: Vec<String>,
    ) -> Result<WorkshopMembership, RideWireError> {
        let shares = if shares.is_empty() {
            None
        } else {
            Some(self::shares(&shares)?)
        };
        match self
            .ask_workshop(WorkshopCall::Accept { code, shares })
            .await?
        {
            WorkshopAnswer::Membership(m) => Ok(m.into()),
            other => Err(unexpected(&other)),
        }
    }

    /// What a workshop the rider is a customer of may see (bikes,
    /// diagnoses; empty for nothing).
    pub async fn share_with_workshop(
        &self,
        workshop: String,
        shares: Vec<String>,
    ) -> Result<WorkshopMembership, RideWireError> {
        let call = WorkshopCall::Share {
            workshop: workshop_id(&workshop)?,
            shares: self::shares(&shares)?,
        };
        match self.ask_workshop(call).await? {
            WorkshopAnswer::Membership(m) => Ok(m.into()),
            other => Err(unexpected(&other)),
        }
    }

    /// Leaves a workshop: it no longer sees anything of the rider's.
    pub async fn leave_workshop(&self, workshop: String) -> Result<(), RideWireError> {
        let call = WorkshopCall::Leave {
            workshop: workshop_id(&workshop)?,
        };
        match self.ask_workshop(call).await? {
            WorkshopAnswer::Left => Ok(()),
            other => Err(unexpected(&other)),
        }
    }
}
