//! Every change to a booking, told to the customer's devices (issue 15): a
//! `booking` record in the customer's records (`engine::sync::booking_record`),
//! written here and only here — devices may not write that kind — in the
//! same transaction as the change, so the rider's next pull brings it and
//! their app tells them when the workshop moved or cancelled it.

use crate::store::{Connection, params};
use ridewire_engine::sync::booking_record::{Status, fields};
use ridewire_engine::sync::record::{Edit, RecordKind};
use ridewire_engine::sync::workshops::Booking;

use crate::config::Quota;
use crate::error::Result;
use crate::routes::records::{load, write_edit};

/// Writes `booking`'s state after `status` into its customer's records;
/// `by` is who changed it (the workshop's staff, or the customer).
pub fn mirror(
    tx: &Connection,
    quota: Quota,
    booking: &Booking,
    status: Status,
    by: i64,
    now_ms: i64,
) -> Result<()> {
    let (workshop_name, bay_name, offset): (String, String, i16) = tx.query_row(
        "SELECT w.name, b.name, b.utc_offset_min FROM workshops w
         JOIN workshop_bays b ON b.workshop = w.id WHERE w.id = ?1 AND b.id = ?2",
        params![booking.workshop.to_string(), booking.bay.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let key = booking.id.to_string();
    let base = load(tx, booking.customer, RecordKind::Booking, &key)?.map_or(0, |r| r.version);
    let edit = Edit {
        kind: RecordKind::Booking,
        key,
        base_version: base,
        changes: fields(
            booking,
            &workshop_name,
            &bay_name,
            offset,
            status,
            by != booking.customer,
            now_ms,
        ),
    };
    write_edit(tx, quota, booking.customer, &edit)?;
    Ok(())
}
