//! Every request gets an id, answered in the `x-request-id` header; a
//! failure the client is only told "internal error" about is logged on
//! stderr with that id and its cause, so an operator can find it from the
//! id a rider reports.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ErrorCause;

/// The response header carrying the request's id.
pub const HEADER: &str = "x-request-id";

/// Middleware: gives the request an id, answers it in [`HEADER`], and logs
/// the cause of a server-side failure with it.
pub async fn request_id(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if let Some(ErrorCause(cause)) = response.extensions_mut().remove::<ErrorCause>() {
        eprintln!(
            "request {id}: {method} {path} -> {}: {cause}",
            response.status().as_u16()
        );
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;
    use crate::error::AppError;

    async fn call(app: Router, path: &str) -> Response {
        app.oneshot(
            Request::builder()
                .uri(path)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response")
    }

    #[tokio::test]
    async fn every_answer_has_its_own_id_and_a_cause_never_reaches_the_client() {
        let app = Router::new()
            .route("/ok", get(|| async { "fine" }))
            .route(
                "/broken",
                get(|| async {
                    Err::<(), _>(AppError::Internal("secret table users_v2 missing".into()))
                }),
            )
            .layer(axum::middleware::from_fn(request_id));
        let first = call(app.clone(), "/ok").await;
        let second = call(app.clone(), "/ok").await;
        let id = |r: &Response| r.headers()[HEADER].to_str().expect("ascii").to_owned();
        assert_eq!(id(&first).len(), 32);
        assert_ne!(id(&first), id(&second));
        let broken = call(app, "/broken").await;
        assert_eq!(broken.status().as_u16(), 500);
        assert!(broken.headers().contains_key(HEADER));
        assert!(
            broken.extensions().get::<ErrorCause>().is_none(),
            "logged, not passed on"
        );
        let body = axum::body::to_bytes(broken.into_body(), 4096)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("internal error"), "{text}");
        assert!(!text.contains("users_v2"), "{text}");
    }
}
