//! Plans for customers over HTTP (issue 15): a workshop's mechanic or
//! owner sends a maintenance plan to a customer; its staff list the plans
//! sent with each customer's progress. The rules are
//! `crate::workshop_plans`.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use ridewire_engine::sync::workshops::{PlanForCustomer, SentPlan, SentPlans};
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::Result;
use crate::routes::workshops::WORKSHOP;
use crate::routes::{Access, ApiJson, ApiPath, Route};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::POST,
            path: "/api/v1/workshops/{workshop}/plans",
            summary: "Send a maintenance plan (Markdown, at most 512 KiB, parsed like `ridewire plan`: 400 invalid_plan, plan_too_big) to a customer; it becomes one of the customer's own plan records and reaches their devices on sync; for a bike only when the customer shares bikes and has it (400 unknown_bike); mechanics and the owner only (403), 404 for someone who is not the workshop's customer; at most 10,000 plans per workshop (409 too_many_plans); charged to the customer's storage quota",
            access: Access::User,
            params: &[WORKSHOP],
            request: Some("PlanForCustomer"),
            responses: &[
                (201, "SentPlan"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (409, "Error"),
                (413, "Error"),
                (429, "Error"),
            ],
            handler: post(send),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/workshops/{workshop}/plans",
            summary: "The plans the workshop sent to customers still linked to it, newest first (at most 200), each with how many of its quests the customer completed; staff only (403)",
            access: Access::User,
            params: &[WORKSHOP],
            request: None,
            responses: &[
                (200, "SentPlans"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(list),
        },
    ]
}

async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PlanForCustomer>,
) -> Result<(StatusCode, Json<SentPlan>)> {
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let sent = state
        .db
        .write(move |tx| crate::workshop_plans::send(tx, quota, user.id, workshop, &body, now))
        .await?;
    Ok((StatusCode::CREATED, Json(sent)))
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
) -> Result<Json<SentPlans>> {
    let plans = state
        .db
        .read(move |conn| crate::workshop_plans::sent(conn, user.id, workshop))
        .await?;
    Ok(Json(SentPlans { plans }))
}
