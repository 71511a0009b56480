//! Workshops over HTTP (issue 15): found one, invite staff and customers
//! with codes, join, choose what to share, leave, and (staff) list the
//! customers with what each shares. One workshop's staff see nothing of
//! another's customers: a workshop the caller does not belong to answers
//! 404. The rules and queries are `crate::workshops`.

use crate::store::{OptionalExtension, params};
use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{delete, get, post, put};
use ridewire_engine::sync::workshops::{
    AcceptInvitation, Customers, Invitation, Memberships, NewInvitation, NewWorkshop, Sharing,
};
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiJson, ApiPath, In, Param, Route, Values};
use crate::workshops::{
    INVITATION_MS, MAX_OPEN_INVITATIONS, MAX_OWNED, MAX_TYPED_CODE_CHARS, Membership, Role, Share,
    check_name, check_shares, code_hash, customers_of, membership, memberships_of, new_code,
    role_in, role_of, shares_text,
};

/// The `{workshop}` of every workshop path.
pub(crate) const WORKSHOP: Param = Param {
    name: "workshop",
    place: In::Path,
    required: true,
    description: "The workshop's id",
    values: Values::Uuid,
};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/api/v1/workshops",
            summary: "Found a workshop; the caller is its owner (at most 5 per account)",
            access: Access::User,
            params: &[],
            request: Some("NewWorkshop"),
            responses: &[
                (201, "Membership"),
                (400, "Error"),
                (401, "Error"),
                (409, "Error"),
                (429, "Error"),
            ],
            handler: post(create),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/workshops",
            summary: "The workshops the caller belongs to, as staff or as a customer",
            access: Access::User,
            params: &[],
            request: None,
            responses: &[(200, "Memberships"), (401, "Error"), (429, "Error")],
            handler: get(list),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/workshops/{workshop}/invitations",
            summary: "An invitation code, usable once within 7 days: staff invite customers, the owner also mechanics and front desk (at most 50 open per workshop); 404 for a workshop the caller does not belong to",
            access: Access::User,
            params: &[WORKSHOP],
            request: Some("NewInvitation"),
            responses: &[
                (201, "Invitation"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (409, "Error"),
                (429, "Error"),
            ],
            handler: post(invite),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/invitations/accept",
            summary: "Join a workshop with an invitation code (case, spaces and dashes do not matter); a customer shares what `shares` names (default: bikes)",
            access: Access::User,
            params: &[],
            request: Some("AcceptInvitation"),
            responses: &[
                (200, "Membership"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (409, "Error"),
                (429, "Error"),
            ],
            handler: post(accept),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/workshops/{workshop}/sharing",
            summary: "What the caller, a customer, lets the workshop's staff see",
            access: Access::User,
            params: &[WORKSHOP],
            request: Some("Sharing"),
            responses: &[
                (200, "Membership"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: put(set_sharing),
        },
        Route {
            method: Method::DELETE,
            path: "/api/v1/workshops/{workshop}/membership",
            summary: "Leave a workshop (a customer at any time; its owner cannot)",
            access: Access::User,
            params: &[WORKSHOP],
            request: None,
            responses: &[
                (204, ""),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (409, "Error"),
                (429, "Error"),
            ],
            handler: delete(leave),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/workshops/{workshop}/customers",
            summary: "The workshop's customers with what each shares (their bikes; their 20 newest diagnoses); staff only",
            access: Access::User,
            params: &[WORKSHOP],
            request: None,
            responses: &[
                (200, "Customers"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(customers),
        },
    ]
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NewWorkshop>,
) -> Result<(StatusCode, Json<Membership>)> {
    check_name(&body.name)?;
    let now = state.clock.now_ms();
    let id = Uuid::now_v7();
    let made = state
        .db
        .write(move |tx| {
            let owned: i64 = tx.query_row(
                "SELECT count(*) FROM workshop_members WHERE user_id = ?1 AND role = 'owner'",
                [user.id],
                |r| r.get(0),
            )?;
            if owned >= MAX_OWNED {
                return Err(AppError::conflict(
                    "too_many_workshops",
                    format!("an account owns at most {MAX_OWNED} workshops"),
                ));
            }
            tx.execute(
                "INSERT INTO workshops (id, name, created_ms) VALUES (?1, ?2, ?3)",
                params![id.to_string(), body.name, now],
            )?;
            tx.execute(
                "INSERT INTO workshop_members (workshop, user_id, role, since_ms)
                 VALUES (?1, ?2, 'owner', ?3)",
                params![id.to_string(), user.id, now],
            )?;
            membership(tx, user.id, id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Memberships>> {
    let workshops = state
        .db
        .read(move |conn| memberships_of(conn, user.id))
        .await?;
    Ok(Json(Memberships { workshops }))
}

async fn invite(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<Invitation>)> {
    if body.role == Role::Owner {
        return Err(AppError::bad_request(
            "invalid_role",
            "a workshop has one owner; invite a mechanic, the front desk or a customer",
        ));
    }
    let code = new_code()?;
    let now = state.clock.now_ms();
    let expires_ms = now.saturating_add(INVITATION_MS);
    let hash = code_hash(&code);
    state
        .db
        .write(move |tx| {
            let role = role_in(tx, user.id, workshop)?;
            if !role.staff() {
                return Err(AppError::forbidden(
                    "staff_only",
                    "only the workshop's staff invite",
                ));
            }
            if body.role.staff() && role != Role::Owner {
                return Err(AppError::forbidden(
                    "owner_only",
                    "only the workshop's owner invites staff",
                ));
            }
            let open: i64 = tx.query_row(
                "SELECT count(*) FROM workshop_invitations
                 WHERE workshop = ?1 AND used_by IS NULL AND expires_ms > ?2",
                params![workshop.to_string(), now],
                |r| r.get(0),
            )?;
            if open >= MAX_OPEN_INVITATIONS {
                return Err(AppError::conflict(
                    "too_many_invitations",
                    format!(
                        "a workshop has at most {MAX_OPEN_INVITATIONS} open invitations; \
                         wait until some are used or expire"
                    ),
                ));
            }
            tx.execute(
                "INSERT INTO workshop_invitations (code_hash, workshop, role, created_by, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![hash, workshop.to_string(), body.role.as_str(), user.id, expires_ms],
            )?;
            Ok(())
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Invitation {
            code,
            workshop,
            role: body.role,
            expires_ms,
        }),
    ))
}

async fn accept(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> Result<Json<Membership>> {
    let typed = body.code.chars().count();
    if typed == 0 || typed > MAX_TYPED_CODE_CHARS {
        return Err(AppError::bad_request(
            "invalid_code",
            format!("an invitation code has 1 to {MAX_TYPED_CODE_CHARS} characters as typed"),
        ));
    }
    let shares = body.shares.unwrap_or_else(|| vec![Share::Bikes]);
    check_shares(&shares)?;
    let hash = code_hash(&body.code);
    let now = state.clock.now_ms();
    let joined = state
        .db
        .write(move |tx| {
            let found: Option<(String, String)> = tx
                .query_row(
                    "SELECT workshop, role FROM workshop_invitations
                     WHERE code_hash = ?1 AND used_by IS NULL AND expires_ms > ?2",
                    params![hash, now],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((workshop, role)) = found else {
                return Err(AppError::NotFound(
                    "no such invitation: it may have expired or been used".into(),
                ));
            };
            let id = Uuid::parse_str(&workshop)
                .map_err(|e| AppError::Internal(format!("stored workshop id: {e}")))?;
            if role_in(tx, user.id, id).is_ok() {
                return Err(AppError::conflict(
                    "already_a_member",
                    "you already belong to this workshop",
                ));
            }
            let role = role_of(&role)?;
            let shared = if role.staff() {
                String::new()
            } else {
                shares_text(&shares)
            };
            tx.execute(
                "INSERT INTO workshop_members (workshop, user_id, role, shares, since_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![workshop, user.id, role.as_str(), shared, now],
            )?;
            tx.execute(
                "UPDATE workshop_invitations SET used_by = ?1, used_ms = ?2 WHERE code_hash = ?3",
                params![user.id, now, hash],
            )?;
            membership(tx, user.id, id)
        })
        .await?;
    Ok(Json(joined))
}

async fn set_sharing(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Sharing>,
) -> Result<Json<Membership>> {
    check_shares(&body.shares)?;
    let shares = shares_text(&body.shares);
    let changed = state
        .db
        .write(move |tx| {
            if role_in(tx, user.id, workshop)? != Role::Customer {
                return Err(AppError::forbidden(
                    "customers_only",
                    "only a customer shares their own data with the workshop",
                ));
            }
            tx.execute(
                "UPDATE workshop_members SET shares = ?1 WHERE workshop = ?2 AND user_id = ?3",
                params![shares, workshop.to_string(), user.id],
            )?;
            membership(tx, user.id, workshop)
        })
        .await?;
    Ok(Json(changed))
}

async fn leave(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
) -> Result<StatusCode> {
    state
        .db
        .write(move |tx| {
            if role_in(tx, user.id, workshop)? == Role::Owner {
                return Err(AppError::conflict(
                    "owner_cannot_leave",
                    "the owner cannot leave their workshop",
                ));
            }
            tx.execute(
                "DELETE FROM workshop_members WHERE workshop = ?1 AND user_id = ?2",
                params![workshop.to_string(), user.id],
            )?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn customers(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
) -> Result<Json<Customers>> {
    let customers = state
        .db
        .read(move |conn| {
            let tx = conn.unchecked_transaction()?;
            if !role_in(&tx, user.id, workshop)?.staff() {
                return Err(AppError::forbidden(
                    "staff_only",
                    "only the workshop's staff see its customers",
                ));
            }
            customers_of(&tx, workshop)
        })
        .await?;
    Ok(Json(Customers { customers }))
}
