//! Stand-ins for the hosted providers on loopback, speaking each one's wire
//! format: they check what a real provider checks (path, key header, API
//! version, model, message shape) and refuse a request that gets it wrong
//! the way the provider would, so an adapter that drifts from the format is
//! left out and the tests notice. Shared with the latency benchmark.

// The benchmark uses only part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use ridewire_server::agents::{ApiKey, ProviderConfig, ProviderKind};
use serde_json::{Value, json};

/// What the mock answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// This text as the model's reply, after a delay.
    Reply { text: String, delay: Duration },
    /// An HTTP error status with the provider's error body.
    Status(u16),
    /// HTTP 200 with this raw body (not the provider's format).
    RawBody(String),
}

impl Behaviour {
    /// The answer object as the model's reply, at once.
    pub fn answer(answer: &Value) -> Self {
        Self::slow_answer(answer, Duration::ZERO)
    }

    /// The answer object as the model's reply, after `delay`.
    pub fn slow_answer(answer: &Value, delay: Duration) -> Self {
        Behaviour::Reply {
            text: answer.to_string(),
            delay,
        }
    }

    /// Free text as the model's reply.
    pub fn text(text: &str) -> Self {
        Behaviour::Reply {
            text: text.to_owned(),
            delay: Duration::ZERO,
        }
    }
}

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A running mock provider.
pub struct MockProvider {
    pub kind: ProviderKind,
    pub url: String,
    pub model: String,
    pub key: Option<String>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl MockProvider {
    /// Starts a mock of `kind` on 127.0.0.1 that expects `model` and `key`.
    pub async fn start(
        kind: ProviderKind,
        model: &str,
        key: Option<&str>,
        behaviour: Behaviour,
    ) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let expect = Expect {
            kind,
            model: model.to_owned(),
            key: key.map(str::to_owned),
            behaviour,
            seen: Arc::clone(&seen),
        };
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let expect = expect.clone();
                async move { expect.handle(method, uri, headers, body).await }
            },
        );
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap_or_else(|e| panic!("bind loopback: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local addr: {e}"));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                panic!("mock server: {e}");
            }
        });
        Self {
            kind,
            url: format!("http://{addr}"),
            model: model.to_owned(),
            key: key.map(str::to_owned),
            seen,
        }
    }

    /// The server's configuration for this mock as agent `name`.
    pub fn config(&self, name: &str, deadline: Duration) -> ProviderConfig {
        ProviderConfig {
            name: name.to_owned(),
            kind: self.kind,
            base_url: self.url.clone(),
            model: self.model.clone(),
            api_key: self.key.as_deref().map(ApiKey::new),
            deadline,
        }
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// An address where nothing listens: a provider that is down.
pub async fn unreachable_url() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap_or_else(|e| panic!("bind loopback: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local addr: {e}"));
    drop(listener);
    format!("http://{addr}")
}

#[derive(Clone)]
struct Expect {
    kind: ProviderKind,
    model: String,
    key: Option<String>,
    behaviour: Behaviour,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Expect {
    async fn handle(self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let body: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return self.error(400, "request body is not JSON"),
        };
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Seen {
                path: uri.path().to_owned(),
                headers: headers.clone(),
                body: body.clone(),
            });
        if method != Method::POST {
            return self.error(405, "method not allowed");
        }
        if let Err((status, message)) = self.check(uri.path(), &headers, &body) {
            return self.error(status, &message);
        }
        match &self.behaviour {
            Behaviour::Reply { text, delay } => {
                tokio::time::sleep(*delay).await;
                (StatusCode::OK, axum::Json(self.envelope(text))).into_response()
            }
            Behaviour::Status(code) => self.error(*code, "mock failure"),
            Behaviour::RawBody(raw) => (
                StatusCode::OK,
                [("content-type", "application/json")],
                raw.clone(),
            )
                .into_response(),
        }
    }

    /// What the real provider would refuse: wrong path, key, version or body.
    fn check(&self, path: &str, headers: &HeaderMap, body: &Value) -> Result<(), (u16, String)> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let string = |v: &Value| v.as_str().map(str::to_owned);
        match self.kind {
            ProviderKind::OpenAiCompatible => {
                if path != "/v1/chat/completions" {
                    return Err((404, format!("no route {path}")));
                }
                let want = self.key.as_ref().map(|k| format!("Bearer {k}"));
                if header("authorization").map(str::to_owned) != want {
                    return Err((401, "invalid api key".into()));
                }
                let messages = body["messages"].as_array().cloned().unwrap_or_default();
                let roles: Vec<Option<String>> =
                    messages.iter().map(|m| string(&m["role"])).collect();
                if string(&body["model"]) != Some(self.model.clone())
                    || roles != [Some("system".into()), Some("user".into())]
                    || !messages.iter().all(|m| m["content"].is_string())
                    || body["response_format"]["type"] != "json_object"
                {
                    return Err((400, "invalid request body".into()));
                }
            }
            ProviderKind::Anthropic => {
                if path != "/v1/messages" {
                    return Err((404, format!("no route {path}")));
                }
                if header("x-api-key") != self.key.as_deref() || self.key.is_none() {
                    return Err((401, "invalid x-api-key".into()));
                }
                if header("anthropic-version") != Some("2023-06-01") {
                    return Err((400, "anthropic-version header is required".into()));
                }
                let messages = body["messages"].as_array().cloned().unwrap_or_default();
                if string(&body["model"]) != Some(self.model.clone())
                    || !body["max_tokens"].is_u64()
                    || !body["system"].is_string()
                    || messages.len() != 1
                    || messages[0]["role"] != "user"
                    || !messages[0]["content"].is_string()
                {
                    return Err((400, "invalid request body".into()));
                }
            }
            ProviderKind::Gemini => {
                if path != format!("/v1beta/models/{}:generateContent", self.model) {
                    return Err((404, format!("no model at {path}")));
                }
                if header("x-goog-api-key") != self.key.as_deref() || self.key.is_none() {
                    return Err((403, "API key not valid".into()));
                }
                let contents = body["contents"].as_array().cloned().unwrap_or_default();
                if contents.len() != 1
                    || contents[0]["role"] != "user"
                    || !contents[0]["parts"][0]["text"].is_string()
                    || !body["systemInstruction"]["parts"][0]["text"].is_string()
                    || body["generationConfig"]["responseMimeType"] != "application/json"
                {
                    return Err((400, "invalid request body".into()));
                }
            }
        }
        Ok(())
    }

    /// The provider's success reply around the model's text.
    fn envelope(&self, text: &str) -> Value {
        match self.kind {
            ProviderKind::OpenAiCompatible => json!({
                "id": "chatcmpl-mock", "object": "chat.completion", "created": 0,
                "model": self.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 500, "completion_tokens": 80, "total_tokens": 580},
            }),
            ProviderKind::Anthropic => json!({
                "id": "msg_mock", "type": "message", "role": "assistant", "model": self.model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 500, "output_tokens": 80},
            }),
            ProviderKind::Gemini => json!({
                "candidates": [{"index": 0, "finishReason": "STOP",
                    "content": {"role": "model", "parts": [{"text": text}]}}],
                "usageMetadata": {"promptTokenCount": 500, "candidatesTokenCount": 80},
                "modelVersion": self.model,
            }),
        }
    }

    /// The provider's error reply.
    fn error(&self, code: u16, message: &str) -> Response {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match self.kind {
            ProviderKind::OpenAiCompatible => {
                json!({"error": {"message": message, "type": "mock_error", "code": code}})
            }
            ProviderKind::Anthropic => {
                json!({"type": "error", "error": {"type": "mock_error", "message": message}})
            }
            ProviderKind::Gemini => {
                json!({"error": {"code": code, "message": message, "status": "MOCK"}})
            }
        };
        (status, axum::Json(body)).into_response()
    }
}
