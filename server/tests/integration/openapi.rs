//! `/health`, `/ready` and the OpenAPI document, which must list exactly
//! the routes the router serves.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use ridewire_engine::sync::{Cursor, Gap, ProgressSummary, PullResponse, PushResponse};
use ridewire_server::routes::table;
use serde_json::Value;

use crate::common::TestServer;

#[tokio::test]
async fn health_and_ready_answer() {
    let server = TestServer::new();
    let health = server.call(Method::GET, "/health", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");
    let ready = server.call(Method::GET, "/ready", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["epoch"], server.state.db.epoch());
}

#[tokio::test]
async fn every_served_route_is_documented_and_every_documented_route_is_served() {
    let server = TestServer::new();
    let doc = server
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc.body["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .expect("operations")
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let mut served = BTreeSet::new();
    for (_, routes) in table() {
        for route in routes {
            // The router answers this method and path with something other
            // than "no such endpoint" / "method not allowed".
            let path = route
                .path
                .replace("{kind}", "vehicle")
                .replace("{key}", "k")
                .replace("{id}", "p")
                .replace("{board}", "xp");
            let reply = server.call(route.method.clone(), &path, None, None).await;
            assert!(
                !["no_such_endpoint", "method_not_allowed"].contains(&reply.code()),
                "{route:?} is in the table but not served"
            );
            served.insert((route.method.to_string(), route.path.to_owned()));
        }
    }
    assert_eq!(documented, served);
    assert_eq!(served.len(), 53);
    // Every `{name}` of a path is a documented path parameter with the values
    // it takes, and every parameter says what it takes.
    for (path, ops) in doc.body["paths"].as_object().expect("paths") {
        let in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, op) in ops.as_object().expect("operations") {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let declared: BTreeSet<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert_eq!(declared, in_path, "{method} {path}");
            for param in &params {
                let schema = &param["schema"];
                assert!(
                    schema["type"].is_string()
                        && (schema.get("format").is_some()
                            || schema.get("pattern").is_some()
                            || schema.get("enum").is_some()
                            || schema.get("maximum").is_some()),
                    "{method} {path}: {param} says too little"
                );
            }
        }
    }
    // Every schema a route names exists.
    let schemas = doc.body["components"]["schemas"]
        .as_object()
        .expect("schemas");
    let text = doc.body.to_string();
    for name in text
        .split("#/components/schemas/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or(""))
    {
        assert!(schemas.contains_key(name), "missing schema {name}");
    }
}

/// A tiny checker for the part of JSON Schema the document uses.
pub(crate) fn conforms(
    schemas: &serde_json::Map<String, Value>,
    schema: &Value,
    value: &Value,
) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        return conforms(schemas, &schemas[name], value);
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|o| conforms(schemas, o, value).is_ok())
            .count();
        return if matching == 1 {
            Ok(())
        } else {
            Err(format!("{matching} oneOf branches match {value}"))
        };
    }
    if let Some(c) = schema.get("const") {
        return if c == value {
            Ok(())
        } else {
            Err(format!("{value} is not {c}"))
        };
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        return if options.contains(value) {
            Ok(())
        } else {
            Err(format!("{value} not in {options:?}"))
        };
    }
    let ok = match schema.get("type").and_then(Value::as_str) {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        Some("null") => value.is_null(),
        _ => true,
    };
    if !ok {
        return Err(format!("{value} is not of type {}", schema["type"]));
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for field in required.iter().filter_map(Value::as_str) {
            if value.get(field).is_none() {
                return Err(format!("{field} missing in {value}"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (name, sub) in props {
            if let Some(v) = obj.get(name) {
                conforms(schemas, sub, v).map_err(|e| format!("{name}: {e}"))?;
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for v in array {
            conforms(schemas, items, v)?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_sync_messages_match_their_documented_schemas() {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    let doc = ridewire_server::routes::openapi::document();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .clone();
    let (_, demo) =
        ridewire_engine::demo::garage(crate::common::NOW - 5 * 86_400_000).expect("demo");
    let push = server.push(&token, demo[0].device, &demo).await;
    let edit =
        serde_json::json!({"kind": "vehicle", "key": "b", "base_version": 0, "changes": {"n": 1}});
    server
        .call(Method::PUT, "/api/v1/records", Some(&token), Some(edit))
        .await;
    let pull = server.pull(&token, "", None).await;
    let request = serde_json::json!({"device": demo[0].device, "events": demo});
    let samples = [
        ("PushRequest", request),
        ("PushResponse", push.body.clone()),
        ("PullResponse", pull.body.clone()),
        (
            "Gap",
            serde_json::to_value(Gap { expected_seq: 3 }).expect("json"),
        ),
        (
            "ProgressSummary",
            serde_json::to_value(ProgressSummary::default()).expect("json"),
        ),
    ];
    for (name, value) in samples {
        let schema = serde_json::json!({"$ref": format!("#/components/schemas/{name}")});
        conforms(&schemas, &schema, &value).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // And they really are the engine's types.
    let _: PushResponse = serde_json::from_value(push.body).expect("push response");
    let pulled: PullResponse = serde_json::from_value(pull.body).expect("pull response");
    assert_ne!(pulled.cursor, Cursor::START);
    // The checker does catch a message that drifted.
    let drifted = serde_json::json!({"device": demo[0].device, "acked": 1});
    let schema = serde_json::json!({"$ref": "#/components/schemas/PushResponse"});
    assert!(conforms(&schemas, &schema, &drifted).is_err());
}

#[tokio::test]
async fn the_diagnostics_messages_match_their_documented_schemas() {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    let doc = ridewire_server::routes::openapi::document();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .clone();
    let request = serde_json::json!({
        "query": "Misfire at idle",
        "vehicle": {"make": "Yamaha", "model": "MT-07", "year": 2021},
        "symptoms": ["rough_idle"],
        "codes": ["P0300"],
    });
    let run = server
        .call(
            Method::POST,
            "/api/v1/diagnostics",
            Some(&token),
            Some(request.clone()),
        )
        .await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    let note = serde_json::json!({"feedback": "New plugs fixed it", "at_ms": crate::common::NOW});
    let feedback = server
        .call(
            Method::PUT,
            &format!(
                "/api/v1/diagnostics/{}/feedback",
                run.body["id"].as_str().expect("id")
            ),
            Some(&token),
            Some(note.clone()),
        )
        .await;
    assert_eq!(feedback.status, StatusCode::OK, "{:?}", feedback.body);
    let noted = server
        .call(
            Method::GET,
            &format!(
                "/api/v1/diagnostics/{}",
                run.body["id"].as_str().expect("id")
            ),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(noted.body["feedback"], "New plugs fixed it");
    let history = server
        .call(Method::GET, "/api/v1/diagnostics", Some(&token), None)
        .await;
    assert_eq!(history.body["runs"][0]["feedback"], "New plugs fixed it");
    let export = server
        .call(Method::GET, "/api/v1/me/export", Some(&token), None)
        .await;
    for (name, value) in [
        ("DiagnosticRequest", request),
        ("DiagnosticRun", run.body),
        ("DiagnosticRun", noted.body),
        ("DiagnosticFeedback", note),
        ("RunFeedback", feedback.body),
        ("DiagnosticHistory", history.body),
        ("Export", export.body),
    ] {
        let schema = serde_json::json!({"$ref": format!("#/components/schemas/{name}")});
        conforms(&schemas, &schema, &value).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
