//! The one way adapters talk to providers: POST a JSON body, read a bounded
//! JSON reply, and turn every failure into a reason an agent was left out.

use std::error::Error as _;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::left_out::WhyLeftOut;

/// Largest reply read from a provider. A diagnosis is a few kilobytes; a
/// provider streaming megabytes is broken, and reading on would only use
/// memory.
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// Sends `body` as JSON with `request` (method, URL and headers already set)
/// and reads the reply as `T`. Non-2xx statuses, broken connections, replies
/// over [`MAX_REPLY_BYTES`] and replies not shaped like `T` are reasons to
/// leave the agent out. The deadline is the caller's: this waits as long as
/// the provider takes.
pub async fn post_json<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    body: &impl Serialize,
) -> Result<T, WhyLeftOut> {
    let mut response = request.json(body).send().await.map_err(network)?;
    let status = response.status();
    if !status.is_success() {
        return Err(WhyLeftOut::Status {
            code: status.as_u16(),
        });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(network)? {
        if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(WhyLeftOut::BadReply {
                detail: format!("reply longer than {MAX_REPLY_BYTES} bytes"),
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|e| WhyLeftOut::BadReply {
        detail: e.to_string(),
    })
}

/// A transport failure in words, without the URL (a Gemini URL may name the
/// model, and a misconfigured one might carry more).
fn network(error: reqwest::Error) -> WhyLeftOut {
    let what = if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "connection broke while reading the reply"
    } else if error.is_request() {
        "request failed"
    } else {
        "connection failed"
    };
    // The innermost cause says why (refused, reset, DNS); it holds no URL.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.source();
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    WhyLeftOut::Network {
        detail: match last {
            Some(root) => format!("{what} ({root})"),
            None => what.to_owned(),
        },
    }
}
