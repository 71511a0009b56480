//! The real transport: the server's REST API over HTTPS (or plain HTTP on
//! loopback) with `reqwest` and rustls. Signs in with the rider's e-mail and
//! password, sends the access token as a bearer token, and on a `401` renews
//! the session once (refresh token, else password) before reporting an
//! authentication error.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::sync::api::{self, Credentials, ErrorBody, RefreshRequest};
use ridewire_engine::sync::leaderboard::{Board, DisplayName, LeaderboardPage, Period};
use ridewire_engine::sync::record::{Conflict, Edit, Record};
use ridewire_engine::sync::workshops::{WorkshopAnswer, WorkshopCall};
use ridewire_engine::sync::{
    Cursor, Gap, MAX_ANSWER_BYTES, PullResponse, PushRequest, PushResponse,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use uuid::Uuid;

mod workshops;

use crate::photos::NewPhoto;
use crate::{
    CompletionProof, EditAnswer, Error, HeldFeedback, HistoryPage, Pushed, RemoteRun, Result,
    Transport, Vouched,
};

/// How long one request may take before it counts as a network failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest account export taken: every event of every device, which
/// outgrows an ordinary answer.
const MAX_EXPORT_BYTES: usize = 256 * 1024 * 1024;
/// The pause assumed when a `429` names none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// The longest `Retry-After` believed: a server (or something posing as one)
/// asking for more must not stop syncing for days or overflow a timer.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// Who signs in.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The rider's e-mail address.
    pub email: String,
    /// The password, when the app keeps it; without it an expired session
    /// that cannot be refreshed needs the rider to sign in again.
    pub password: Option<String>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The tokens a device keeps of a signed-in session ([`api::Session`]
/// is the server's whole answer).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Sent with every request; expires (24 h on the server).
    pub access_token: String,
    /// Exchanged once for a new session (the server rotates it).
    pub refresh_token: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session { … }")
    }
}

/// Called with every new session, so the app can keep it across restarts.
type SessionListener = Arc<dyn Fn(&Session) + Send + Sync>;

/// The server's API over HTTP.
pub struct HttpTransport {
    client: Client,
    base: String,
    account: Account,
    session: Mutex<Option<Session>>,
    on_session: Option<SessionListener>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("base", &self.base)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

fn network(e: reqwest::Error) -> Error {
    Error::Network(e.to_string())
}

/// Turns a non-success answer into the error a caller acts on.
async fn failure(response: Response) -> Error {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
    let text = response.text().await.unwrap_or_default();
    let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => (body.error.code, body.error.message),
        Err(_) => (
            status.as_str().to_owned(),
            text.chars().take(200).collect::<String>(),
        ),
    };
    match status {
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
            retry_after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
        },
        StatusCode::UNAUTHORIZED => Error::Auth(message),
        s if s.is_server_error() => Error::Server {
            status: s.as_u16(),
            message,
        },
        s => Error::Refused {
            status: s.as_u16(),
            code,
            message,
        },
    }
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T> {
    read_json_within(response, MAX_ANSWER_BYTES).await
}

/// Reads a JSON answer of at most `limit` bytes; a larger one is refused
/// as soon as it is known to be larger, before it is all in memory.
async fn read_json_within<T: DeserializeOwned>(mut response: Response, limit: usize) -> Result<T> {
    let status = response.status().as_u16();
    let too_large = || Error::Server {
        status,
        message: format!(
            "the answer is larger than {} MiB; refused unread",
            limit / (1024 * 1024)
        ),
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(network)? {
        if bytes.len() + chunk.len() > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::Server {
        status,
        message: format!("unreadable answer: {e}"),
    })
}

/// Whether `base_url` is `http://` to a host other than this machine
/// (loopback addresses and `localhost`); refuses what is not an http(s) URL.
pub fn is_cleartext_remote(base_url: &str) -> Result<bool> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| Error::Invalid(format!("{base_url:?} is not a server address: {e}")))?;
    match url.scheme() {
        "https" => Ok(false),
        "http" => {
            let host = url.host_str().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let here = host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            Ok(!here)
        }
        other => Err(Error::Invalid(format!(
            "{base_url:?}: the server address must start with https:// (not {other}://)"
        ))),
    }
}

impl HttpTransport {
    /// A transport for the server at `base_url` (e.g.
    /// `http://127.0.0.1:8787`), signing in as `account`.
    ///
    /// Refuses a cleartext `http://` server other than this machine (the
    /// password and tokens would cross the network readable by anyone on
    /// the way); [`HttpTransport::new_cleartext`] is the explicit way round.
    pub fn new(base_url: &str, account: Account) -> Result<Self> {
        if is_cleartext_remote(base_url)? {
            return Err(Error::Invalid(format!(
                "{base_url} is not encrypted: use https://, or allow clear text explicitly \
                 (ridewire --insecure) on a network you trust"
            )));
        }
        Self::new_cleartext(base_url, account)
    }

    /// [`HttpTransport::new`] without the refusal of cleartext `http://`
    /// servers elsewhere than on this machine: for a test bench or a
    /// workshop LAN, when the rider asked for it.
    pub fn new_cleartext(base_url: &str, account: Account) -> Result<Self> {
        let client = Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect would carry the password or a token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(HttpTransport {
            client,
            base: base_url.trim_end_matches('/').to_owned(),
            account,
            session: Mutex::new(None),
            on_session: None,
        })
    }

    /// Starts from a session kept from an earlier run.
    pub fn with_session(mut self, session: Session) -> Self {
        self.session = Mutex::new(Some(session));
        self
    }

    /// Calls `listener` with every new session (to keep it on the device).
    pub fn on_new_session(mut self, listener: impl Fn(&Session) + Send + Sync + 'static) -> Self {
        self.on_session = Some(Arc::new(listener));
        self
    }

    /// The server this transport talks to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates the account on the server (`POST /api/v1/auth/register`)
    /// and keeps the session it answers with.
    pub async fn register(&self) -> Result<Session> {
        let password = self
            .account
            .password
            .as_deref()
            .ok_or_else(|| Error::Auth("registering needs a password".into()))?;
        let response = self
            .client
            .post(self.url("/api/v1/auth/register"))
            .json(&Credentials {
                email: self.account.email.clone(),
                password: password.to_owned(),
            })
            .send()
            .await
            .map_err(network)?;
        if !response.status().is_success() {
            return Err(failure(response).await);
        }
        let session = self.session_from(response).await?;
        *self.session.lock().await = Some(session.clone());
        Ok(session)
    }

    /// Signs in with the password and keeps the new session.
    pub async fn login(&self) -> Result<Session> {
        let password = self.account.password.as_deref().ok_or_else(|| {
            Error::Auth("the session ended and no password is kept; sign in again".into())
        })?;
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&Credentials {
                email: self.account.email.clone(),
                password: password.to_owned(),
            })
            .send()
            .await
            .map_err(network)?;
        let session = self.session_from(response).await?;
        *self.session.lock().await = Some(session.clone());
        Ok(session)
    }

    /// Ends the session on the server and forgets it here.
    pub async fn logout(&self) -> Result<()> {
        let Some(session) = self.session.lock().await.take() else {
            return Ok(());
        };
        let response = self
            .client
            .post(self.url("/api/v1/auth/logout"))
            .bearer_auth(&session.access_token)
            .json(&RefreshRequest {
                refresh_token: session.refresh_token.clone(),
            })
            .send()
            .await
            .map_err(network)?;
        if response.status().is_success() || response.status() == StatusCode::UNAUTHORIZED {
            Ok(())
        } else {
            Err(failure(response).await)
        }
    }

    /// Everything the server keeps for the account (`GET /api/v1/me/export`;
    /// the server wants a login made in the last ten minutes: log in first).
    pub async fn export_account(&self) -> Result<serde_json::Value> {
        let url = self.url("/api/v1/me/export");
        let response = self.send(|c| c.get(&url)).await?;
        if response.status().is_success() {
            read_json_within(response, MAX_EXPORT_BYTES).await
        } else {
            Err(failure(response).await)
        }
    }

    /// Deletes the account and everything the server keeps for it
    /// (`DELETE /api/v1/me`; needs a fresh login, like the export), then
    /// forgets the session here.
    pub async fn delete_account(&self) -> Result<()> {
        let url = self.url("/api/v1/me");
        let response = self.send(|c| c.delete(&url)).await?;
        if response.status().is_success() {
            self.session.lock().await.take();
            Ok(())
        } else {
            Err(failure(response).await)
        }
    }

    /// The current session, if signed in.
    pub async fn session(&self) -> Option<Session> {
        self.session.lock().await.clone()
    }

    async fn session_from(&self, response: Response) -> Result<Session> {
        if !response.status().is_success() {
            return Err(match failure(response).await {
                // A refused login is an authentication problem, not a bug.
                Error::Refused { message, .. } => Error::Auth(message),
                other => other,
            });
        }
        let signed_in: api::Session = read_json(response).await?;
        let session = Session {
            access_token: signed_in.access_token,
            refresh_token: signed_in.refresh_token,
        };
        if let Some(listener) = &self.on_session {
            listener(&session);
        }
        Ok(session)
    }

    /// The access token to use, signing in first when there is no session.
    async fn access_token(&self) -> Result<String> {
        if let Some(session) = self.session.lock().await.as_ref() {
            return Ok(session.access_token.clone());
        }
        Ok(self.login().await?.access_token)
    }

    /// Renews a session whose access token `rejected` was refused: by the
    /// refresh token, else by the password. Another request may have renewed
    /// it meanwhile; then its token is used.
    async fn renew(&self, rejected: &str) -> Result<String> {
        let mut guard = self.session.lock().await;
        let refresh = match guard.as_ref() {
            Some(s) if s.access_token != rejected => return Ok(s.access_token.clone()),
            Some(s) => Some(s.refresh_token.clone()),
            None => None,
        };
        if let Some(refresh_token) = refresh {
            let response = self
                .client
                .post(self.url("/api/v1/auth/refresh"))
                .json(&RefreshRequest { refresh_token })
                .send()
                .await
                .map_err(network)?;
            match self.session_from(response).await {
                Ok(session) => {
                    let token = session.access_token.clone();
                    *guard = Some(session);
                    return Ok(token);
                }
                Err(Error::Auth(_)) => *guard = None,
                Err(other) => return Err(other),
            }
        }
        drop(guard);
        Ok(self.login().await?.access_token)
    }

    /// Sends an authenticated request; on a `401` renews the session once
    /// and sends it again, then reports an authentication error.
    async fn send(&self, make: impl Fn(&Client) -> RequestBuilder) -> Result<Response> {
        let mut token = self.access_token().await?;
        let mut renewed = false;
        loop {
            let response = make(&self.client)
                .bearer_auth(&token)
                .send()
                .await
                .map_err(network)?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            if renewed {
                return Err(failure(response).await);
            }
            renewed = true;
            token = self.renew(&token).await?;
        }
    }
}

impl Transport for HttpTransport {
    async fn diagnose(
        &self,
        request: &DiagnosticRequest,
        utc_offset_min: i16,
    ) -> Result<RemoteRun> {
        let url = self.url("/api/v1/diagnostics");
        let mut body = serde_json::to_value(request).map_err(|e| Error::Invalid(e.to_string()))?;
        if let Some(fields) = body.as_object_mut() {
            fields.insert("utc_offset_min".into(), utc_offset_min.into());
        }
        let response = self.send(|c| c.post(&url).json(&body)).await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }

    async fn push(&self, request: &PushRequest) -> Result<Pushed> {
        let url = self.url("/api/v1/sync/push");
        let response = self.send(|c| c.post(&url).json(request)).await?;
        match response.status() {
            s if s.is_success() => Ok(Pushed::Acked(read_json::<PushResponse>(response).await?)),
            StatusCode::CONFLICT => Ok(Pushed::Gap(read_json::<Gap>(response).await?)),
            _ => Err(failure(response).await),
        }
    }

    async fn pull(&self, cursor: &Cursor, limit: usize) -> Result<PullResponse> {
        let url = self.url("/api/v1/sync/pull");
        let (cursor, limit) = (cursor.to_string(), limit.to_string());
        let response = self
            .send(|c| c.get(&url).query(&[("cursor", &cursor), ("limit", &limit)]))
            .await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }

    async fn news_after(&self, cursor: &Cursor, wait: Duration) -> Result<bool> {
        let url = self.url("/api/v1/sync/pull");
        let wait = wait.as_secs().min(crate::LISTEN_WAIT.as_secs()).to_string();
        let cursor = cursor.to_string();
        // One change is enough to know; the round pulls them all.
        let query = [("cursor", cursor.as_str()), ("limit", "1"), ("wait", &wait)];
        let response = self.send(|c| c.get(&url).query(&query)).await?;
        if !response.status().is_success() {
            return Err(failure(response).await);
        }
        let page: PullResponse = read_json(response).await?;
        Ok(page.reset || !page.changes.is_empty())
    }

    async fn send_edit(&self, edit: &Edit) -> Result<EditAnswer> {
        // The edit names its record (kind and key).
        let url = self.url("/api/v1/records");
        let response = self.send(|c| c.put(&url).json(edit)).await?;
        match response.status() {
            s if s.is_success() => Ok(EditAnswer::Saved(read_json::<Record>(response).await?)),
            StatusCode::CONFLICT => {
                Ok(EditAnswer::Conflict(read_json::<Conflict>(response).await?))
            }
            _ => Err(failure(response).await),
        }
    }

    async fn diagnosis_history(&self, before: Option<Uuid>, limit: usize) -> Result<HistoryPage> {
        let url = self.url("/api/v1/diagnostics");
        let mut query = vec![("limit", limit.to_string())];
        query.extend(before.map(|b| ("before", b.to_string())));
        let response = self.send(|c| c.get(&url).query(&query)).await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }

    async fn diagnosis(&self, id: Uuid) -> Result<RemoteRun> {
        let url = self.url(&format!("/api/v1/diagnostics/{id}"));
        let response = self.send(|c| c.get(&url)).await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }

    async fn send_feedback(&self, id: Uuid, feedback: &str, at_ms: i64) -> Result<HeldFeedback> {
        let url = self.url(&format!("/api/v1/diagnostics/{id}/feedback"));
        let body = serde_json::json!({"feedback": feedback, "at_ms": at_ms});
        let response = self.send(|c| c.put(&url).json(&body)).await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }

    async fn leaderboard(&self, board: Board, period: Period) -> Result<LeaderboardPage> {
        let url = self.url(&format!("/api/v1/leaderboards/{board}"));
        let query = [("period", period.as_str())];
        let response = self.send(|c| c.get(&url).query(&query)).await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }

    async fn set_display_name(&self, name: Option<&str>) -> Result<DisplayName> {
        let url = self.url("/api/v1/me/leaderboard");
        let body = DisplayName {
            display_name: name.map(str::to_owned),
        };
        let response = self.send(|c| c.put(&url).json(&body)).await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }

    async fn upload_photo(&self, sha256: &str, jpeg: &[u8]) -> Result<()> {
        let url = self.url(&format!("/api/v1/photos/{sha256}"));
        let body = NewPhoto::of(jpeg);
        let response = self.send(|c| c.put(&url).json(&body)).await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(failure(response).await)
        }
    }

    async fn completion_proof(&self, completion: Uuid) -> Result<CompletionProof> {
        let url = self.url(&format!("/api/v1/validations/{completion}"));
        let response = self.send(|c| c.get(&url)).await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }

    async fn vouch(&self, completion: Uuid) -> Result<Vouched> {
        let url = self.url("/api/v1/validations");
        let body = serde_json::json!({ "completion": completion });
        let response = self.send(|c| c.post(&url).json(&body)).await?;
        if response.status().is_success() {
            read_json(response).await
        } else {
            Err(failure(response).await)
        }
    }
    async fn workshop(&self, call: &WorkshopCall) -> Result<WorkshopAnswer> {
        self.workshop_call(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleartext_is_refused_off_this_machine() {
        for here in [
            "http://127.0.0.1:8787",
            "http://localhost:8787/",
            "http://[::1]:8787",
            "https://sync.example.com",
            "https://203.0.113.7",
        ] {
            assert_eq!(is_cleartext_remote(here).ok(), Some(false), "{here}");
        }
        let account = Account {
            email: "rider@ridewire.test".into(),
            password: Some("correct horse battery".into()),
        };
        for remote in [
            "http://sync.example.com",
            "http://192.168.0.10:8787",
            "http://[2001:db8::1]",
        ] {
            assert_eq!(is_cleartext_remote(remote).ok(), Some(true), "{remote}");
            let refused = HttpTransport::new(remote, account.clone()).err();
            assert!(
                refused.is_some_and(|e| e.to_string().contains("not encrypted")),
                "{remote}"
            );
            assert!(HttpTransport::new_cleartext(remote, account.clone()).is_ok());
        }
        assert!(is_cleartext_remote("ftp://example.com").is_err());
        assert!(is_cleartext_remote("not a url").is_err());
    }
}
