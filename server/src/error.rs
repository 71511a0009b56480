//! The one error type of the server. Every failure a handler meets becomes an
//! [`AppError`], answered as `{"error": {"code": "...", "message": "..."}}`
//! with a stable code; storage details and panics never reach the client.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ridewire_engine::sync::api::{ErrorBody, ErrorDetail};

/// `Result` with [`AppError`] as the error.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: bad JSON, wrong types, invalid values.
    #[error("{message}")]
    BadRequest {
        /// Stable code, e.g. `invalid_json`.
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// No valid access token.
    #[error("{message}")]
    Unauthorized {
        /// `missing_token`, `invalid_token`, `token_expired`, ...
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// Authenticated, but this belongs to someone else or needs another role.
    #[error("{message}")]
    Forbidden {
        /// `device_of_another_account`, `admin_only`, ...
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// Nothing at this address.
    #[error("{0}")]
    NotFound(String),
    /// No endpoint at this address (the router's fallback).
    #[error("no such endpoint; see /api/v1/openapi.json")]
    NoSuchEndpoint,
    /// The method is not served at this address.
    #[error("method not allowed here")]
    MethodNotAllowed,
    /// The request clashes with what the server holds (e.g. e-mail taken).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// The body or batch is larger than the server accepts.
    #[error("{0}")]
    TooLarge(String),
    /// The account's storage quota would be exceeded; nothing was stored.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Something is over a limit of its own (a photo's size, the photos an
    /// account may keep); answered `413` with its code.
    #[error("{message}")]
    OverLimit {
        /// Stable code, e.g. `photo_quota`.
        code: &'static str,
        /// What is over which limit, for a person.
        message: String,
    },
    /// Too many requests; try again after this many seconds.
    #[error("too many requests; retry after {retry_after_s} s")]
    RateLimited {
        /// Whole seconds until a request will be accepted again.
        retry_after_s: u64,
    },
    /// Too much work of one kind at once (password hashing); try again
    /// after this many seconds.
    #[error("the server is busy; retry after {retry_after_s} s")]
    Busy {
        /// Whole seconds to wait.
        retry_after_s: u64,
    },
    /// The database cannot answer (not ready, full disk, ...).
    #[error("the server's storage is unavailable")]
    Storage(#[from] crate::store::Error),
    /// A bug or a lost worker thread.
    #[error("internal error")]
    Internal(String),
    /// At start-up: the database file cannot be opened or set up.
    #[error("cannot open the database {target}: {source}")]
    DatabaseOpen {
        /// The file or URL (without its password).
        target: String,
        /// What the database said.
        source: crate::store::Error,
    },
    /// At start-up: the database was written by a newer server.
    #[error(
        "the database {path} has schema version {found}, but this server knows only up to \
         {supported}: it was written by a newer version of ridewire-server; upgrade the server"
    )]
    DatabaseTooNew {
        /// The file.
        path: std::path::PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// At start-up: a setting that cannot work.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl AppError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A 401 with a code and message.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Unauthorized {
            code,
            message: message.into(),
        }
    }

    /// A 403 with a code and message.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// A 409 with a code and message.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// A 413 with a code and message.
    pub fn over_limit(code: &'static str, message: impl Into<String>) -> Self {
        AppError::OverLimit {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound(_) | AppError::NoSuchEndpoint => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooLarge(_) | AppError::QuotaExceeded(_) | AppError::OverLimit { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Storage(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_)
            | AppError::DatabaseOpen { .. }
            | AppError::DatabaseTooNew { .. }
            | AppError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients act on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. }
            | AppError::Unauthorized { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::OverLimit { code, .. } => code,
            AppError::NotFound(_) => "not_found",
            AppError::NoSuchEndpoint => "no_such_endpoint",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::TooLarge(_) => "too_large",
            AppError::QuotaExceeded(_) => "quota_exceeded",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Storage(_) => "storage_unavailable",
            AppError::Busy { .. } => "busy",
            AppError::Internal(_)
            | AppError::DatabaseOpen { .. }
            | AppError::DatabaseTooNew { .. }
            | AppError::Config(_) => "internal",
        }
    }
}

/// The cause of a failure the client is not told, carried on the response
/// to the request-id middleware ([`crate::request_log`]), which logs it with
/// the request's id and removes it.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The details go to the operator's log, never to the client.
        let cause = match &self {
            AppError::Storage(e) => Some(format!("storage error: {e}")),
            AppError::Internal(detail) => Some(format!("internal error: {detail}")),
            AppError::DatabaseOpen { .. }
            | AppError::DatabaseTooNew { .. }
            | AppError::Config(_) => Some(format!("internal error: {self}")),
            _ => None,
        };
        let message = match self.status() {
            StatusCode::INTERNAL_SERVER_ERROR => "internal error".to_owned(),
            _ => self.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
            },
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(cause) = cause {
            response.extensions_mut().insert(ErrorCause(cause));
        }
        if let AppError::RateLimited { retry_after_s } | AppError::Busy { retry_after_s } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s.max(1)));
        }
        response
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> AppError {
        AppError::Storage(e.into())
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => AppError::bad_request("invalid_body", e.body_text()),
            JsonRejection::JsonSyntaxError(e) => {
                AppError::bad_request("invalid_json", e.body_text())
            }
            JsonRejection::MissingJsonContentType(e) => {
                AppError::bad_request("not_json", e.body_text())
            }
            JsonRejection::BytesRejection(e) => body_error(e.status(), e.body_text()),
            other => AppError::bad_request("invalid_body", other.body_text()),
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for AppError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        body_error(rejection.status(), rejection.body_text())
    }
}

/// A body that could not be read: too large (413) or broken off (400).
fn body_error(status: StatusCode, text: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!("the request body is too large: {text}"))
    } else {
        AppError::bad_request("unreadable_body", text)
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::bad_request("invalid_query", rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::bad_request("invalid_path", rejection.body_text())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("worker thread failed: {e}"))
    }
}
