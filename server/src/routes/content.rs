//! What admins publish for everyone: maintenance plans, the quest
//! catalogue, AR overlay packs. Each publication lands in the pull log.

use crate::store::{OptionalExtension, params};
use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{get, put};
use ridewire_engine::quest::Catalog;
use ridewire_engine::sync::Change;
use ridewire_engine::sync::api::{Plan, PlanUpload, Published};
use ridewire_engine::vehicle::ModelKey;
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::{AdminUser, AuthUser};
use crate::db::log_change;
use crate::error::{AppError, Result};
use crate::routes::{Access, ApiJson, ApiPath, ApiQuery, In, Param, Route, Values};

const VEHICLE: Param = Param {
    name: "vehicle",
    place: In::Query,
    required: true,
    description: "Vehicle model key, e.g. harley-street-750-2022",
    // What `ModelKey::new` accepts.
    values: Values::Text {
        min: 1,
        max: 96,
        pattern: "^[a-z0-9]+(-[a-z0-9]+)*$",
    },
};

const PLAN_ID: Param = Param {
    name: "id",
    place: In::Path,
    required: true,
    description: "Plan id",
    // What `check_plan_id` accepts.
    values: Values::Text {
        min: 1,
        max: 64,
        pattern: "^[A-Za-z0-9_-]+$",
    },
};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/api/v1/plans/{id}",
            summary: "A published maintenance plan",
            access: Access::User,
            params: &[PLAN_ID],
            request: None,
            responses: &[
                (200, "Plan"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
            ],
            handler: get(get_plan),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/plans/{id}",
            summary: "Publish or update a maintenance plan (admin)",
            access: Access::Admin,
            params: &[PLAN_ID],
            request: Some("PlanUpload"),
            responses: &[
                (200, "Plan"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (413, "Error"),
            ],
            handler: put(put_plan),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/catalog",
            summary: "The quest catalogue progress is folded against",
            access: Access::User,
            params: &[],
            request: None,
            responses: &[(200, "Catalog"), (401, "Error")],
            handler: get(get_catalog),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/catalog",
            summary: "Publish a new quest catalogue (admin); everyone's progress is refolded against it",
            access: Access::Admin,
            params: &[],
            request: Some("Catalog"),
            responses: &[
                (200, "Published"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (413, "Error"),
            ],
            handler: put(put_catalog),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/ar/overlay",
            summary: "The AR overlay pack of a vehicle model",
            access: Access::User,
            params: &[VEHICLE],
            request: None,
            responses: &[
                (200, "OverlayPack"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
            ],
            handler: get(get_overlay),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/ar/overlay",
            summary: "Publish a vehicle model's AR overlay pack (admin)",
            access: Access::Admin,
            params: &[VEHICLE],
            request: Some("OverlayPack"),
            responses: &[
                (200, "Published"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (413, "Error"),
            ],
            handler: put(put_overlay),
        },
    ]
}

fn check_plan_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "invalid_plan_id",
            "a plan id is 1 to 64 letters, digits, '-' or '_'",
        ))
    }
}

async fn get_plan(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Plan>> {
    check_plan_id(&id)?;
    let plan = state
        .db
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT title, markdown, version FROM plans WHERE id = ?1",
                    [&id],
                    |r| {
                        Ok(Plan {
                            id: id.clone(),
                            title: r.get(0)?,
                            markdown: r.get(1)?,
                            version: r.get::<_, i64>(2)? as u64,
                        })
                    },
                )
                .optional()?)
        })
        .await?;
    plan.map(Json)
        .ok_or_else(|| AppError::NotFound("no such plan".into()))
}

async fn put_plan(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(upload): ApiJson<PlanUpload>,
) -> Result<Json<Plan>> {
    check_plan_id(&id)?;
    let parsed = ridewire_engine::plan::parse(&upload.markdown)
        .map_err(|e| AppError::bad_request("invalid_plan", e.to_string()))?;
    let title = upload
        .title
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or(parsed.title);
    if title.chars().count() > 200 {
        return Err(AppError::bad_request(
            "invalid_plan",
            "the title may have at most 200 characters",
        ));
    }
    let now = state.clock.now_ms();
    let plan = state
        .db
        .write(move |tx| {
            let old: Option<(String, String, i64)> = tx
                .query_row(
                    "SELECT title, markdown, version FROM plans WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((t, m, v)) = &old
                && *t == title
                && *m == upload.markdown
            {
                // Publishing the same plan again changes nothing.
                return Ok(Plan {
                    id,
                    title,
                    markdown: upload.markdown,
                    version: *v as u64,
                });
            }
            let version = old.map_or(1, |(_, _, v)| v + 1);
            tx.execute(
                "INSERT INTO plans (id, title, markdown, version, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET title = ?2, markdown = ?3, version = ?4, updated_ms = ?5",
                params![id, title, upload.markdown, version, now],
            )?;
            let plan = Plan {
                id,
                title,
                markdown: upload.markdown,
                version: version as u64,
            };
            log_change(
                tx,
                None,
                Some(&format!("plan:{}", plan.id)),
                &Change::Plan {
                    id: plan.id.clone(),
                    title: plan.title.clone(),
                    markdown: plan.markdown.clone(),
                    version: plan.version,
                },
            )?;
            Ok(plan)
        })
        .await?;
    Ok(Json(plan))
}

async fn get_catalog(State(state): State<AppState>, _user: AuthUser) -> Result<Json<Value>> {
    let body: String = state
        .db
        .read(|conn| Ok(conn.query_row("SELECT body FROM catalog WHERE id = 1", [], |r| r.get(0))?))
        .await?;
    serde_json::from_str(&body)
        .map(Json)
        .map_err(|e| AppError::Internal(format!("stored catalogue is unreadable: {e}")))
}

async fn put_catalog(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiJson(catalog): ApiJson<Catalog>,
) -> Result<Json<Published>> {
    // Deserialising does not check the rules a catalogue keeps (known zones,
    // prerequisites without cycles); building it again does.
    let checked = Catalog::new(
        catalog.zones().cloned().collect(),
        catalog.quests().cloned().collect(),
    )
    .map_err(|e| AppError::bad_request("invalid_catalog", e.to_string()))?;
    let body =
        serde_json::to_value(&checked).map_err(|e| AppError::Internal(format!("encoding: {e}")))?;
    let now = state.clock.now_ms();
    let version = state
        .db
        .write(move |tx| {
            let version: i64 = tx.query_row(
                "UPDATE catalog SET version = version + 1, body = ?1, updated_ms = ?2 WHERE id = 1
                 RETURNING version",
                params![body.to_string(), now],
                |r| r.get(0),
            )?;
            log_change(tx, None, Some("catalog"), &Change::Catalog { body })?;
            Ok(version)
        })
        .await?;
    Ok(Json(Published {
        version: version as u64,
    }))
}

#[derive(Debug, Deserialize)]
struct VehicleQuery {
    vehicle: String,
}

fn model_key(query: VehicleQuery) -> Result<String> {
    ModelKey::new(query.vehicle)
        .map(|k| k.as_str().to_owned())
        .map_err(|e| AppError::bad_request("invalid_vehicle", e.to_string()))
}

async fn get_overlay(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiQuery(query): ApiQuery<VehicleQuery>,
) -> Result<Json<Value>> {
    let vehicle = model_key(query)?;
    let body: Option<String> = state
        .db
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT body FROM overlay_packs WHERE vehicle = ?1",
                    [&vehicle],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await?;
    let body = body.ok_or_else(|| AppError::NotFound("no overlay pack for this vehicle".into()))?;
    serde_json::from_str(&body)
        .map(Json)
        .map_err(|e| AppError::Internal(format!("stored overlay pack is unreadable: {e}")))
}

async fn put_overlay(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiQuery(query): ApiQuery<VehicleQuery>,
    ApiJson(pack): ApiJson<Value>,
) -> Result<Json<Published>> {
    let vehicle = model_key(query)?;
    if !pack.get("components").is_some_and(Value::is_array) {
        return Err(AppError::bad_request(
            "invalid_overlay_pack",
            "an overlay pack is a JSON object with a `components` array",
        ));
    }
    let now = state.clock.now_ms();
    let version = state
        .db
        .write(move |tx| {
            let version: i64 = tx.query_row(
                "INSERT INTO overlay_packs (vehicle, body, version, updated_ms) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (vehicle) DO UPDATE SET body = ?2, version = overlay_packs.version + 1, updated_ms = ?3
                 RETURNING version",
                params![vehicle, pack.to_string(), now],
                |r| r.get(0),
            )?;
            log_change(
                tx,
                None,
                Some(&format!("overlay:{vehicle}")),
                &Change::OverlayPack {
                    vehicle: vehicle.clone(),
                    body: pack,
                    version: version as u64,
                },
            )?;
            Ok(version)
        })
        .await?;
    Ok(Json(Published {
        version: version as u64,
    }))
}
