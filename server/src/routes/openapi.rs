//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, built from the
//! route table so it lists exactly what the router serves.

use axum::Json;
use axum::http::Method;
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::routes::{Access, In, Route, table};

/// The routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route {
        method: Method::GET,
        path: "/api/v1/openapi.json",
        summary: "This document",
        access: Access::Public,
        params: &[],
        request: None,
        responses: &[(200, "")],
        handler: get(|| async { Json(document()) }),
    }]
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No content",
        400 => "Malformed request",
        401 => "Missing, invalid or expired token",
        403 => "Not yours, or needs another role",
        404 => "Not found",
        409 => "Conflicts with what the server holds",
        413 => "Body or batch too large",
        429 => "Too many requests; see Retry-After",
        503 => "Busy or storage unavailable; see Retry-After",
        _ => "See the body",
    }
}

/// The statuses a route declares, plus those the layers around every
/// handler may answer: `429` (the per-address limit, and the per-account
/// one behind a token), `401` behind a token, `413` for a body over the
/// limit, `503` where storage is read.
fn with_implied(route: &Route) -> Vec<(u16, &'static str)> {
    let mut all: Vec<(u16, &'static str)> = route.responses.to_vec();
    let mut implied = vec![429];
    if route.access != Access::Public {
        implied.push(401);
    }
    if route.request.is_some() {
        implied.push(413);
    }
    if route.path.starts_with("/api/v1/") && route.path != "/api/v1/openapi.json" {
        implied.push(503);
    }
    for status in implied {
        if !all.iter().any(|(s, _)| *s == status) {
            all.push((status, "Error"));
        }
    }
    all.sort_by_key(|(s, _)| *s);
    all
}

fn operation(route: &Route) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(route.summary));
    op.insert(
        "operationId".into(),
        json!(format!(
            "{}_{}",
            route.method.as_str().to_lowercase(),
            route
                .path
                .trim_start_matches('/')
                .replace(['/', '.', '{', '}'], "_")
        )),
    );
    let params: Vec<Value> = route
        .params
        .iter()
        .map(|p| {
            let place = match p.place {
                In::Path => "path",
                In::Query => "query",
            };
            json!({"name": p.name, "in": place, "required": p.required || p.place == In::Path,
                   "description": p.description, "schema": p.values.schema()})
        })
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if route.access != Access::Public {
        op.insert("security".into(), json!([{"bearer": []}]));
    }
    if let Some(schema) = route.request {
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/json": {
                "schema": {"$ref": format!("#/components/schemas/{schema}")}}}}),
        );
    }
    let mut responses = Map::new();
    for (status, schema) in with_implied(route) {
        let mut response = json!({"description": status_text(status)});
        if !schema.is_empty() {
            response["content"] = json!({"application/json": {
                "schema": {"$ref": format!("#/components/schemas/{schema}")}}});
        }
        if status == 429 || status == 503 {
            response["headers"] = json!({"Retry-After": {
                "description": "Seconds until a request will be accepted",
                "schema": {"type": "integer"}}});
        }
        responses.insert(status.to_string(), response);
    }
    op.insert("responses".into(), Value::Object(responses));
    if route.access == Access::Admin {
        op.insert("x-role".into(), json!("admin"));
    }
    Value::Object(op)
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (resource, routes) in table() {
        for route in routes {
            let entry = paths
                .entry(route.path)
                .or_insert_with(|| Value::Object(Map::new()));
            let mut op = operation(&route);
            op["tags"] = json!([resource]);
            entry[route.method.as_str().to_lowercase()] = op;
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "RideWire API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts, sync (push/pull), versioned records, plans, the quest catalogue and AR overlay packs. Errors are {\"error\": {\"code\", \"message\"}} with a stable code."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": super::schemas::all(),
        }
    })
}
