//! The review queue over HTTP (issue 15): a workshop's mechanics and owner
//! list the escalated runs of customers who share their diagnoses, and
//! answer one — approve in their own words, correct the components, or
//! reject. The rules are `crate::reviews`.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use ridewire_engine::sync::workshops::{ReviewInput, ReviewQueue, Reviewed};
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::Result;
use crate::routes::workshops::WORKSHOP;
use crate::routes::{Access, ApiJson, ApiPath, In, Param, Route, Values};

const RUN: Param = Param {
    name: "run",
    place: In::Path,
    required: true,
    description: "The escalated diagnostic run's id",
    values: Values::Uuid,
};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/api/v1/workshops/{workshop}/reviews",
            summary: "The review queue: escalated, unreviewed runs of the customers who share their diagnoses — those the server's agents answered and those a rider's device answered offline and pushed — oldest first (at most 100); mechanics and the owner only (403), 404 for a workshop the caller does not belong to",
            access: Access::User,
            params: &[WORKSHOP],
            request: None,
            responses: &[
                (200, "ReviewQueue"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(list),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/workshops/{workshop}/reviews/{run}",
            summary: "Answer an escalated run: approve it (its consensus's components light in AR) with the mechanic's own advice, correct its components, or reject it; the text passes the agents' safety rules (400 unsafe_advice, language_not_covered) and names only known components; the first answer decides (409 already_reviewed); recorded as a DiagnosisReviewed event in the rider's log; 404 for a run not in this workshop's queue",
            access: Access::User,
            params: &[WORKSHOP, RUN],
            request: Some("ReviewInput"),
            responses: &[
                (201, "Reviewed"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (409, "Error"),
                (413, "Error"),
                (429, "Error"),
            ],
            handler: post(answer),
        },
    ]
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
) -> Result<Json<ReviewQueue>> {
    let runs = state
        .db
        .read(move |conn| crate::reviews::queue(conn, user.id, workshop))
        .await?;
    Ok(Json(ReviewQueue { runs }))
}

async fn answer(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((workshop, run)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ReviewInput>,
) -> Result<(StatusCode, Json<Reviewed>)> {
    let now = state.clock.now_ms();
    let quota = state.config.quota;
    let reviewed = state
        .db
        .write(move |tx| crate::reviews::review(tx, quota, user.id, workshop, run, &body, now))
        .await?;
    Ok((StatusCode::CREATED, Json(reviewed)))
}
