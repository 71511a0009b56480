//! Bays and bookings over HTTP (issue 15): the owner adds bays with their
//! hours; members see the free slots; a customer books a slot for
//! themselves and the staff for a customer; the loser of a race for a slot
//! gets `409 slot_taken` with the next free slots; bookings are listed
//! (staff: all; a customer: their own) and cancelled. The rules are
//! `crate::bookings`.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use ridewire_engine::sync::workshops::{
    Bay, Bays, Booking, Bookings, MoveBooking, NewBay, NewBooking, Role, Slots,
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::booking_mirror::mirror;
use crate::bookings::{
    Booked, MAX_LISTED_DAYS, NEXT_FREE_SHOWN, add_bay, bays_of, book, bookings_of, cancel,
    check_bay, edit_bay, free_slots, move_to,
};
use crate::error::{AppError, Result};
use crate::routes::workshops::WORKSHOP;
use crate::routes::{Access, ApiJson, ApiPath, ApiQuery, In, Param, Route, Values};
use crate::workshops::role_in;
use ridewire_engine::sync::booking_record::Status;

const BOOKING: Param = Param {
    name: "booking",
    place: In::Path,
    required: true,
    description: "The booking's id",
    values: Values::Uuid,
};

const BAY: Param = Param {
    name: "bay",
    place: In::Path,
    required: true,
    description: "The bay's id",
    values: Values::Uuid,
};

const FROM: Param = Param {
    name: "from_ms",
    place: In::Query,
    required: false,
    description: "From this time on (Unix ms) [default: now]",
    values: Values::Integer {
        min: 0,
        max: 4_102_444_800_000,
    },
};

const DAYS: Param = Param {
    name: "days",
    place: In::Query,
    required: false,
    description: "Over this many of the workshop's days [default: 7]",
    values: Values::Integer {
        min: 1,
        max: MAX_LISTED_DAYS,
    },
};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/api/v1/workshops/{workshop}/bays",
            summary: "Add a bay with its opening hours and slot length (the owner; at most 20 per workshop); a bay that would close before its first slot ends is refused with 400 invalid_bay",
            access: Access::User,
            params: &[WORKSHOP],
            request: Some("NewBay"),
            responses: &[
                (201, "Bay"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (409, "Error"),
                (429, "Error"),
            ],
            handler: post(new_bay),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/workshops/{workshop}/bays/{bay}",
            summary: "Change a bay's name, hours, days, slot length or UTC offset (the owner), checked like a new bay (400 invalid_bay); when a live booking still to come would no longer sit on one of its slots (the same start and end) nothing changes and 409 bookings_outside_hours says how many and the first: move or cancel them first",
            access: Access::User,
            params: &[WORKSHOP, BAY],
            request: Some("NewBay"),
            responses: &[
                (200, "Bay"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (409, "Error"),
                (429, "Error"),
            ],
            handler: put(edit_bay_hours),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/workshops/{workshop}/bays",
            summary: "The workshop's bays (its members)",
            access: Access::User,
            params: &[WORKSHOP],
            request: None,
            responses: &[
                (200, "Bays"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(list_bays),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/workshops/{workshop}/slots",
            summary: "The free slots of every bay from `from_ms` over `days` days, earliest first (its members)",
            access: Access::User,
            params: &[WORKSHOP, FROM, DAYS],
            request: None,
            responses: &[
                (200, "Slots"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(list_slots),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/workshops/{workshop}/bookings",
            summary: "Book a free slot: a customer for themselves, staff for a customer; a start that is not one of the bay's slots in the next 90 days is refused with 400 not_a_slot; a slot just taken answers 409 with the next free slots (at most 10 bookings ahead per customer); with a device-made `id`, the same booking sent again answers 201 with the booking it made (409 booking_id_taken when the id is another booking's)",
            access: Access::User,
            params: &[WORKSHOP],
            request: Some("NewBooking"),
            responses: &[
                (201, "Booking"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (409, "SlotTaken"),
                (429, "Error"),
            ],
            handler: post(new_booking),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/workshops/{workshop}/bookings",
            summary: "Bookings from `from_ms` over `days` days, cancelled ones included: staff see all, a customer their own",
            access: Access::User,
            params: &[WORKSHOP, FROM, DAYS],
            request: None,
            responses: &[
                (200, "Bookings"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(list_bookings),
        },
        Route {
            method: Method::DELETE,
            path: "/api/v1/workshops/{workshop}/bookings/{booking}",
            summary: "Cancel a booking (its customer or the staff); the slot is free again; the customer's devices are told on their next sync (a `booking` record)",
            access: Access::User,
            params: &[WORKSHOP, BOOKING],
            request: None,
            responses: &[
                (200, "Booking"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: delete(cancel_booking),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/workshops/{workshop}/bookings/{booking}",
            summary: "Move a live booking (its customer or the staff) to another slot of one of the workshop's bays, in the future and at most 90 days ahead (400 not_a_slot); a slot someone holds answers 409 slot_taken with the next free slots; a cancelled booking 409 booking_cancelled; the customer's devices are told on their next sync (a `booking` record)",
            access: Access::User,
            params: &[WORKSHOP, BOOKING],
            request: Some("MoveBooking"),
            responses: &[
                (200, "Booking"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (409, "SlotTaken"),
                (413, "Error"),
                (429, "Error"),
            ],
            handler: put(move_booking),
        },
    ]
}

#[derive(Debug, Deserialize)]
struct Window {
    from_ms: Option<i64>,
    days: Option<i64>,
}

impl Window {
    /// From and to, in Unix ms, and the days covered.
    fn read(&self, now: i64) -> Result<(i64, i64)> {
        let days = self.days.unwrap_or(7);
        if !(1..=MAX_LISTED_DAYS).contains(&days) {
            return Err(AppError::bad_request(
                "invalid_days",
                format!("days is 1 to {MAX_LISTED_DAYS}"),
            ));
        }
        let from = self.from_ms.unwrap_or(now);
        if !(0..=4_102_444_800_000).contains(&from) {
            return Err(AppError::bad_request(
                "invalid_from",
                "from_ms is a time from 1970 to 2100",
            ));
        }
        Ok((from, days))
    }
}

/// 403 `owner_only` unless `user` owns `workshop` ("only the workshop's
/// owner {does}").
fn owner_only(tx: &crate::store::Connection, user: i64, workshop: Uuid, does: &str) -> Result<()> {
    if role_in(tx, user, workshop)? != Role::Owner {
        return Err(AppError::forbidden(
            "owner_only",
            format!("only the workshop's owner {does}"),
        ));
    }
    Ok(())
}

async fn new_bay(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewBay>,
) -> Result<(StatusCode, Json<Bay>)> {
    check_bay(&body)?;
    let now = state.clock.now_ms();
    let bay = state
        .db
        .write(move |tx| {
            owner_only(tx, user.id, workshop, "adds bays")?;
            add_bay(tx, workshop, &body, now)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(bay)))
}

async fn edit_bay_hours(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((workshop, bay)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<NewBay>,
) -> Result<Json<Bay>> {
    check_bay(&body)?;
    let now = state.clock.now_ms();
    let bay = state
        .db
        .write(move |tx| {
            owner_only(tx, user.id, workshop, "changes its bays")?;
            edit_bay(tx, workshop, bay, &body, now)
        })
        .await?;
    Ok(Json(bay))
}

async fn list_bays(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
) -> Result<Json<Bays>> {
    let bays = state
        .db
        .read(move |conn| {
            role_in(conn, user.id, workshop)?;
            bays_of(conn, workshop)
        })
        .await?;
    Ok(Json(Bays { bays }))
}

async fn list_slots(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
    ApiQuery(window): ApiQuery<Window>,
) -> Result<Json<Slots>> {
    let (from, days) = window.read(state.clock.now_ms())?;
    let slots = state
        .db
        .read(move |conn| {
            role_in(conn, user.id, workshop)?;
            free_slots(conn, workshop, from, days, usize::MAX)
        })
        .await?;
    Ok(Json(Slots { slots }))
}

async fn new_booking(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewBooking>,
) -> Result<Response> {
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let booked = state
        .db
        .write(move |tx| {
            let role = role_in(tx, user.id, workshop)?;
            let customer = match (role.staff(), body.customer) {
                (false, None) => user.id,
                (false, Some(_)) => {
                    return Err(AppError::forbidden(
                        "staff_only",
                        "only the workshop's staff book for someone else",
                    ));
                }
                (true, None) => {
                    return Err(AppError::bad_request(
                        "customer_needed",
                        "staff book for a customer: name the customer's account",
                    ));
                }
                (true, Some(customer)) => {
                    if role_in(tx, customer, workshop).ok() != Some(Role::Customer) {
                        return Err(AppError::NotFound(
                            "the workshop has no such customer".into(),
                        ));
                    }
                    customer
                }
            };
            let booked = book(tx, workshop, customer, user.id, &body, now)?;
            if let Booked::Made(made) = &booked {
                mirror(tx, quota, made, Status::Booked, user.id, now)?;
            }
            Ok(booked)
        })
        .await?;
    answer(&state, workshop, booked, StatusCode::CREATED).await
}

/// A booking made (or moved) with `status`, or `409 slot_taken` with the
/// next free slots.
async fn answer(
    state: &AppState,
    workshop: Uuid,
    booked: Booked,
    status: StatusCode,
) -> Result<Response> {
    Ok(match booked {
        Booked::Made(booking) => (status, Json(booking)).into_response(),
        Booked::Taken(slot) => {
            // Read after the write, so the single writer is not held up.
            let next_free = state
                .db
                .read(move |conn| {
                    free_slots(
                        conn,
                        workshop,
                        slot.start_ms,
                        MAX_LISTED_DAYS,
                        NEXT_FREE_SHOWN,
                    )
                })
                .await?;
            let body = json!({
                "error": {"code": "slot_taken",
                    "message": "this slot was just taken; here are the next free slots"},
                "next_free": next_free,
            });
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
    })
}

async fn list_bookings(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
    ApiQuery(window): ApiQuery<Window>,
) -> Result<Json<Bookings>> {
    let (from, days) = window.read(state.clock.now_ms())?;
    let to = from.saturating_add(days * 86_400_000);
    let bookings = state
        .db
        .read(move |conn| {
            let role = role_in(conn, user.id, workshop)?;
            let only = (!role.staff()).then_some(user.id);
            bookings_of(conn, workshop, only, from, to)
        })
        .await?;
    Ok(Json(Bookings { bookings }))
}

async fn cancel_booking(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((workshop, booking)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<Booking>> {
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let cancelled = state
        .db
        .write(move |tx| {
            let role = role_in(tx, user.id, workshop)?;
            let found = crate::bookings::booking(tx, booking)?;
            if !role.staff() && found.customer != user.id {
                return Err(AppError::NotFound("no such booking".into()));
            }
            let cancelled = cancel(tx, workshop, booking, now)?;
            if found.cancelled_ms.is_none() {
                mirror(tx, quota, &cancelled, Status::Cancelled, user.id, now)?;
            }
            Ok(cancelled)
        })
        .await?;
    Ok(Json(cancelled))
}

async fn move_booking(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((workshop, booking)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<MoveBooking>,
) -> Result<Response> {
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let moved = state
        .db
        .write(move |tx| {
            let role = role_in(tx, user.id, workshop)?;
            let found = crate::bookings::booking(tx, booking)?;
            if !role.staff() && found.customer != user.id {
                return Err(AppError::NotFound("no such booking".into()));
            }
            let moved = move_to(tx, workshop, booking, body.bay, body.start_ms, now)?;
            if let Booked::Made(made) = &moved
                && (made.bay, made.start_ms) != (found.bay, found.start_ms)
            {
                mirror(tx, quota, made, Status::Moved, user.id, now)?;
            }
            Ok(moved)
        })
        .await?;
    answer(&state, workshop, moved, StatusCode::OK).await
}
