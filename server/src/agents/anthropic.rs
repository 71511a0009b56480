//! Anthropic messages (`POST {base}/v1/messages`).
//!
//! Headers `x-api-key` and `anthropic-version: 2023-06-01`; the system prompt
//! is the top-level `system` field; `max_tokens` is required. The answer is
//! the `text` of the reply's content blocks of type `text`, joined.

use serde::Deserialize;
use serde_json::{Value, json};

use super::config::ProviderConfig;
use super::http::post_json;
use super::left_out::{WhyLeftOut, joined_text};

/// The API version this adapter speaks.
pub const API_VERSION: &str = "2023-06-01";

/// Token budget for one answer: the JSON asked for is a few hundred tokens;
/// a model that needs more is rambling, and is cut off and left out.
pub const MAX_TOKENS: u32 = 1024;

/// Asks the agent; its reply text, or why it was left out.
pub async fn ask(
    http: &reqwest::Client,
    provider: &ProviderConfig,
    system: &str,
    user: &str,
) -> Result<String, WhyLeftOut> {
    let mut request = http
        .post(format!("{}/v1/messages", provider.base_url))
        .header("anthropic-version", API_VERSION);
    if let Some(key) = &provider.api_key {
        request = request.header("x-api-key", key.expose());
    }
    let reply: Reply = post_json(request, &body(&provider.model, system, user)).await?;
    text_of(reply)
}

/// The request body.
pub fn body(model: &str, system: &str, user: &str) -> Value {
    json!({
        "model": model,
        "max_tokens": MAX_TOKENS,
        "temperature": 0.2,
        "system": system,
        "messages": [{"role": "user", "content": user}],
    })
}

/// The parts of a message reply read here.
#[derive(Debug, Deserialize)]
pub struct Reply {
    content: Vec<Block>,
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

/// The reply's text blocks joined; a cut-off, a refusal or a reply without
/// text is a reason to leave the agent out.
pub fn text_of(reply: Reply) -> Result<String, WhyLeftOut> {
    match reply.stop_reason.as_deref() {
        Some("max_tokens") => return Err(WhyLeftOut::Truncated),
        Some("refusal") => {
            return Err(WhyLeftOut::Declined {
                detail: "stop_reason refusal".into(),
            });
        }
        _ => {}
    }
    let texts = reply
        .content
        .into_iter()
        .filter(|b| b.kind == "text")
        .filter_map(|b| b.text);
    joined_text(texts, "no text block")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(json: &str) -> Result<String, WhyLeftOut> {
        text_of(serde_json::from_str(json).expect("reply json"))
    }

    #[test]
    fn text_blocks_are_joined_and_others_skipped() {
        let got = reply(
            r#"{"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
                "content": [{"type": "thinking", "thinking": "hmm"},
                            {"type": "text", "text": "{\"a\":"},
                            {"type": "text", "text": " 1}"}],
                "stop_reason": "end_turn", "usage": {"input_tokens": 3}}"#,
        );
        assert_eq!(got, Ok("{\"a\": 1}".into()));
    }

    #[test]
    fn cut_offs_refusals_and_empty_replies_are_left_out() {
        assert_eq!(
            reply(r#"{"content": [{"type": "text", "text": "{"}], "stop_reason": "max_tokens"}"#),
            Err(WhyLeftOut::Truncated)
        );
        assert!(matches!(
            reply(r#"{"content": [], "stop_reason": "refusal"}"#),
            Err(WhyLeftOut::Declined { .. })
        ));
        assert!(matches!(
            reply(r#"{"content": [], "stop_reason": "end_turn"}"#),
            Err(WhyLeftOut::BadReply { .. })
        ));
    }

    #[test]
    fn the_body_has_a_system_field_and_a_token_limit() {
        let b = body("claude-sonnet-4-5", "sys", "usr");
        assert_eq!(b["system"], "sys");
        assert_eq!(b["max_tokens"], MAX_TOKENS);
        assert_eq!(b["messages"][0]["role"], "user");
        assert_eq!(b["messages"][0]["content"], "usr");
    }
}
