//! The route table: every endpoint once, with what the OpenAPI document
//! says about it. Each resource module lists its routes; [`router`] merges
//! one router per resource, and [`openapi::document`] describes the same
//! list, so nothing is served undocumented.

pub mod auth;
pub mod bookings;
pub mod content;
pub mod diagnostics;
pub mod health;
pub mod leaderboards;
pub mod me;
pub mod openapi;
pub mod photos;
pub mod records;
pub mod reviews;
pub mod schemas;
pub mod sync;
pub mod templates;
pub mod users;
pub mod validations;
pub mod workshop_plans;
pub mod workshops;

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::http::Method;
use axum::routing::MethodRouter;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::AppError;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// Any signed-in account.
    User,
    /// Admins only.
    Admin,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
}

/// The values a parameter may take: what the document states and exactly
/// what its handler accepts.
#[derive(Debug, Clone, Copy)]
pub enum Values {
    /// Text of `min..=max` characters matching `pattern` (a regular
    /// expression every JSON Schema validator reads alike).
    Text {
        min: usize,
        max: usize,
        pattern: &'static str,
    },
    /// A whole number in `min..=max`.
    Integer { min: i64, max: i64 },
    /// A UUID.
    Uuid,
    /// One of these words.
    OneOf(&'static [&'static str]),
}

impl Values {
    /// The JSON Schema.
    pub fn schema(&self) -> serde_json::Value {
        use serde_json::json;
        match *self {
            Values::Text { min, max, pattern } => {
                json!({"type": "string", "minLength": min, "maxLength": max, "pattern": pattern})
            }
            Values::Integer { min, max } => {
                json!({"type": "integer", "format": "int64", "minimum": min, "maximum": max})
            }
            Values::Uuid => json!({"type": "string", "format": "uuid"}),
            Values::OneOf(words) => json!({"type": "string", "enum": words}),
        }
    }
}

/// A path or query parameter, for the documentation.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Path or query.
    pub place: In,
    /// Whether a request needs it (path parameters always do).
    pub required: bool,
    /// What it means.
    pub description: &'static str,
    /// What it may be.
    pub values: Values,
}

/// One endpoint: its address, its handler and its documentation.
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path, with `{name}` for path parameters.
    pub path: &'static str,
    /// One line for the documentation.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Path and query parameters; every `{name}` of the path is one.
    pub params: &'static [Param],
    /// Schema name (in `components.schemas`) of the JSON body, if any.
    pub request: Option<&'static str>,
    /// Status codes with the schema name of their body (`""` for none).
    pub responses: &'static [(u16, &'static str)],
    /// The handler.
    pub handler: MethodRouter<AppState>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Every route the server serves, grouped by resource.
pub fn table() -> Vec<(&'static str, Vec<Route>)> {
    vec![
        ("health", health::routes()),
        ("auth", auth::routes()),
        ("sync", sync::routes()),
        ("records", records::routes()),
        ("validations", validations::routes()),
        ("photos", photos::routes()),
        ("diagnostics", diagnostics::routes()),
        ("content", content::routes()),
        ("me", me::routes()),
        ("leaderboards", leaderboards::routes()),
        ("users", users::routes()),
        ("workshops", workshops::routes()),
        ("bookings", bookings::routes()),
        ("reviews", reviews::routes()),
        ("workshop_plans", workshop_plans::routes()),
        ("templates", templates::routes()),
        ("openapi", openapi::routes()),
    ]
}

fn resource(routes: Vec<Route>) -> Router<AppState> {
    routes.into_iter().fold(Router::new(), |router, route| {
        router.route(route.path, route.handler)
    })
}

/// One router per resource, merged; unknown paths and methods answer with
/// the JSON error body too.
pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for (name, routes) in table() {
        let mut part = resource(routes);
        if name == "auth" {
            // Password guessing: a tighter limit per address.
            part = part.route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::limits::auth_per_ip,
            ));
        }
        router = router.merge(part);
    }
    router
        .fallback(|| async { AppError::NoSuchEndpoint })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
}

/// A JSON body whose rejections are answered with the server's error body.
///
/// A number with nothing after the point (`2022.0`) is an integer in JSON
/// Schema, as the OpenAPI document is read; it is taken as one here too.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(mut value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(AppError::from)?;
        whole_numbers(&mut value);
        serde_json::from_value(value).map(ApiJson).map_err(|e| {
            AppError::bad_request(
                "invalid_body",
                format!("Failed to deserialize the JSON body into the target type: {e}"),
            )
        })
    }
}

/// Turns every number written with a point or an exponent but without a
/// fraction (`2022.0`, `-0.0`, `1e3`) into that integer, at any depth. Only
/// up to 2^53, where a float still holds the very number written: a longer
/// integer that JSON could only read as a float (beyond 64 bits) stays one,
/// and so stays refused where an integer is wanted.
pub fn whole_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= EXACT) {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Query parameters whose rejections are answered with the error body.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(AppError::from)
    }
}

/// Path parameters whose rejections are answered with the error body.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(AppError::from)
    }
}
