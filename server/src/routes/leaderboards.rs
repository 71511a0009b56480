//! Leaderboards: `GET /api/v1/leaderboards/{board}` (the top of a board and
//! where the asking rider stands) and `PUT /api/v1/me/leaderboard` (to be
//! listed under a display name, or not at all). The numbers are the
//! server's fold of each rider's accepted events ([`crate::leaderboard`]).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{get, put};
use ridewire_engine::sync::leaderboard::{
    Board, DisplayName, LeaderboardPage, Period, check_display_name,
};
use serde::Deserialize;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::leaderboard;
use crate::routes::{Access, ApiJson, ApiPath, ApiQuery, In, Param, Route, Values};

const BOARD: Param = Param {
    name: "board",
    place: In::Path,
    required: true,
    description: "What the board ranks: XP, diagnostic runs or quest completions that earned XP",
    values: Values::OneOf(&["xp", "diagnostics", "quests"]),
};

const PERIOD: Param = Param {
    name: "period",
    place: In::Query,
    required: false,
    description: "week: since Monday 00:00 UTC (riders who earned something this week); all: everything (the default)",
    values: Values::OneOf(&["week", "all"]),
};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/api/v1/leaderboards/{board}",
            summary: "The top 100 listed riders of a board and the asking rider's own value and rank",
            access: Access::User,
            params: &[BOARD, PERIOD],
            request: None,
            responses: &[
                (200, "Leaderboard"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(board),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/me/leaderboard",
            summary: "Be listed on the leaderboards under a display name (unique without regard to case in any script or to compatibility forms such as fullwidth letters: NFKC, lower-cased, NFKC), or null to be listed nowhere",
            access: Access::User,
            params: &[],
            request: Some("DisplayName"),
            responses: &[
                (200, "DisplayName"),
                (400, "Error"),
                (401, "Error"),
                (409, "Error"),
                (429, "Error"),
            ],
            handler: put(set_name),
        },
    ]
}

#[derive(Debug, Deserialize)]
struct PeriodQuery {
    period: Option<String>,
}

async fn board(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(board): ApiPath<String>,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> Result<Json<LeaderboardPage>> {
    let board: Board = board.parse().map_err(AppError::NotFound)?;
    let period: Period = match query.period.as_deref() {
        None => Period::All,
        Some(word) => word
            .parse()
            .map_err(|e: String| AppError::bad_request("invalid_period", e))?,
    };
    let now = state.clock.now_ms();
    let progress = state.progress.clone();
    let page = state
        .db
        .read(move |conn| {
            let tx = conn.unchecked_transaction()?;
            leaderboard::page(&tx, &progress, user.id, board, period, now)
        })
        .await?;
    Ok(Json(page))
}

async fn set_name(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<DisplayName>,
) -> Result<Json<DisplayName>> {
    let name = match body.display_name {
        None => None,
        Some(name) => {
            let checked = check_display_name(&name)
                .map_err(|e| AppError::bad_request("invalid_display_name", e))?;
            if checked != name {
                return Err(AppError::bad_request(
                    "invalid_display_name",
                    "a display name cannot start or end with a space",
                ));
            }
            Some(checked)
        }
    };
    let now = state.clock.now_ms();
    let progress = state.progress.clone();
    let kept = name.clone();
    state
        .db
        .write(move |tx| leaderboard::set_name(tx, &progress, user.id, kept.as_deref(), now))
        .await?;
    Ok(Json(DisplayName { display_name: name }))
}
