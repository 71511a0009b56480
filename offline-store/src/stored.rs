//! How an event is read back from the database, for the store and for
//! recovering a damaged file alike.

use ridewire_engine::event::Event;

use crate::{Error, Result};

/// An event from its stored JSON, refused as damage when it does not match
/// its own hash.
pub(crate) fn decode_event(body: &str) -> Result<Event> {
    let event: Event =
        serde_json::from_str(body).map_err(|e| Error::Damaged(format!("event: {e}")))?;
    if event.compute_hash()? != event.hash {
        return Err(Error::Damaged(format!(
            "event {} does not match its hash",
            event.id
        )));
    }
    Ok(event)
}
