//! The route table: every endpoint once, with what the OpenAPI document
//! says about it. Each resource module lists its routes; [`router`] merges
//! one router per resource, and [`openapi::document`] describes the same
//! list, so nothing is served undocumented.

pub mod auth;
pub mod content;
pub mod diagnostics;
pub mod health;
pub mod me;
pub mod openapi;
pub mod records;
pub mod schemas;
pub mod sync;
pub mod users;
pub mod validations;

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

/// A query parameter, for the documentation.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Whether a request needs it.
    pub required: bool,
    /// What it means.
    pub description: &'static str,
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
    /// Query parameters.
    pub query: &'static [Param],
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
        ("diagnostics", diagnostics::routes()),
        ("content", content::routes()),
        ("me", me::routes()),
        ("users", users::routes()),
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
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(AppError::from)
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
