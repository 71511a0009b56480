//! A workshop's own plan templates (issue 15): its mechanics and owner keep
//! a plan under a name, and every member — customers too — lists them, so
//! a workshop publishes templates for its customers without an admin.

use crate::store::params;
use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{get, put};
use ridewire_engine::sync::workshops::{NewTemplate, Template, Templates};
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{AppError, Result};
use crate::routes::workshops::WORKSHOP;
use crate::routes::{Access, ApiJson, ApiPath, In, Param, Route, Values};
use crate::workshop_plans::MAX_PLAN_BYTES;
use crate::workshops::{mechanic_or_owner, role_in};

/// Templates one workshop keeps.
pub const MAX_TEMPLATES: i64 = 100;

const NAME: Param = Param {
    name: "name",
    place: In::Path,
    required: true,
    description: "The template's name: lower-case letters and digits, words joined by dashes",
    values: Values::Text {
        min: 1,
        max: 64,
        pattern: "^[a-z0-9]+(-[a-z0-9]+)*$",
    },
};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/api/v1/workshops/{workshop}/templates",
            summary: "The workshop's own plan templates, by name; any member, customers too (404 for a workshop the caller does not belong to)",
            access: Access::User,
            params: &[WORKSHOP],
            request: None,
            responses: &[
                (200, "Templates"),
                (400, "Error"),
                (401, "Error"),
                (404, "Error"),
                (429, "Error"),
            ],
            handler: get(list),
        },
        Route {
            method: Method::PUT,
            path: "/api/v1/workshops/{workshop}/templates/{name}",
            summary: "Keep a plan (Markdown as `ridewire plan` reads it, at most 512 KiB: 400 invalid_plan, plan_too_big) as one of the workshop's templates under `name`, replacing one of that name; mechanics and the owner only (403); at most 100 templates (409 too_many_templates)",
            access: Access::User,
            params: &[WORKSHOP, NAME],
            request: Some("NewTemplate"),
            responses: &[
                (200, "Template"),
                (400, "Error"),
                (401, "Error"),
                (403, "Error"),
                (404, "Error"),
                (409, "Error"),
                (413, "Error"),
                (429, "Error"),
            ],
            handler: put(save),
        },
    ]
}

fn check_name(name: &str) -> Result<()> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !fine {
        return Err(AppError::bad_request(
            "invalid_template_name",
            "a template's name is lower-case letters and digits, words joined by dashes (at most 64)",
        ));
    }
    Ok(())
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(workshop): ApiPath<Uuid>,
) -> Result<Json<Templates>> {
    let templates = state
        .db
        .read(move |conn| {
            role_in(conn, user.id, workshop)?;
            let mut stmt = conn.prepare(
                "SELECT name, title, markdown, updated_ms FROM workshop_templates
                 WHERE workshop = ?1 ORDER BY name",
            )?;
            let rows = stmt
                .query_map([workshop.to_string()], |r| {
                    Ok(Template {
                        name: r.get(0)?,
                        title: r.get(1)?,
                        markdown: r.get(2)?,
                        updated_ms: r.get(3)?,
                    })
                })?
                .collect::<crate::store::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    Ok(Json(Templates { templates }))
}

async fn save(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((workshop, name)): ApiPath<(Uuid, String)>,
    ApiJson(body): ApiJson<NewTemplate>,
) -> Result<Json<Template>> {
    let now = state.clock.now_ms();
    let saved = state
        .db
        .write(move |tx| {
            mechanic_or_owner(tx, user.id, workshop, "keep templates")?;
            check_name(&name)?;
            if body.markdown.len() > MAX_PLAN_BYTES {
                return Err(AppError::bad_request(
                    "plan_too_big",
                    format!("a plan has at most {MAX_PLAN_BYTES} bytes"),
                ));
            }
            let parsed = ridewire_engine::plan::parse(&body.markdown)
                .map_err(|e| AppError::bad_request("invalid_plan", e.to_string()))?;
            let title = if parsed.title.trim().is_empty() {
                name.clone()
            } else {
                parsed.title.trim().to_owned()
            };
            let (count, exists): (i64, bool) = tx.query_row(
                "SELECT count(*), count(CASE WHEN name = ?2 THEN 1 END) > 0
                 FROM workshop_templates WHERE workshop = ?1",
                params![workshop.to_string(), name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if !exists && count >= MAX_TEMPLATES {
                return Err(AppError::conflict(
                    "too_many_templates",
                    format!("a workshop keeps at most {MAX_TEMPLATES} templates"),
                ));
            }
            tx.execute(
                "INSERT INTO workshop_templates (workshop, name, title, markdown, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (workshop, name) DO UPDATE SET title = ?3, markdown = ?4, updated_ms = ?5",
                params![workshop.to_string(), name, title, body.markdown, now],
            )?;
            Ok(Template {
                name,
                title,
                markdown: body.markdown,
                updated_ms: now,
            })
        })
        .await?;
    Ok(Json(saved))
}
