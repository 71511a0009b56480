//! Google Gemini (`POST {base}/v1beta/models/{model}:generateContent`).
//!
//! The key goes in the `x-goog-api-key` header, not the `?key=` query, so it
//! never appears in a URL that a proxy or an error message might log. The
//! system prompt is `systemInstruction`; `responseMimeType:
//! application/json` asks for JSON. The answer is the text of
//! `candidates[0].content.parts[]`, joined (thought parts skipped).

use serde::Deserialize;
use serde_json::{Value, json};

use super::config::ProviderConfig;
use super::http::post_json;
use super::left_out::{WhyLeftOut, joined_text};

/// Asks the agent; its reply text, or why it was left out.
pub async fn ask(
    http: &reqwest::Client,
    provider: &ProviderConfig,
    system: &str,
    user: &str,
) -> Result<String, WhyLeftOut> {
    let mut request = http.post(format!(
        "{}/v1beta/models/{}:generateContent",
        provider.base_url, provider.model
    ));
    if let Some(key) = &provider.api_key {
        request = request.header("x-goog-api-key", key.expose());
    }
    let reply: Reply = post_json(request, &body(system, user)).await?;
    text_of(reply)
}

/// The request body (the model is in the URL).
pub fn body(system: &str, user: &str) -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": system}]},
        "contents": [{"role": "user", "parts": [{"text": user}]}],
        "generationConfig": {
            "responseMimeType": "application/json",
            "temperature": 0.2,
        },
    })
}

/// The parts of a `generateContent` reply read here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

/// The first candidate's text; a blocked prompt, a cut-off, a safety stop
/// or an empty candidate is a reason to leave the agent out.
pub fn text_of(reply: Reply) -> Result<String, WhyLeftOut> {
    let Some(candidate) = reply.candidates.into_iter().next() else {
        return Err(match reply.prompt_feedback.and_then(|f| f.block_reason) {
            Some(reason) => WhyLeftOut::Declined {
                detail: format!("prompt blocked ({reason})"),
            },
            None => WhyLeftOut::BadReply {
                detail: "no candidates".into(),
            },
        });
    };
    match candidate.finish_reason.as_deref() {
        None | Some("STOP") => {}
        Some("MAX_TOKENS") => return Err(WhyLeftOut::Truncated),
        Some(other) => {
            return Err(WhyLeftOut::Declined {
                detail: format!("finish reason {other}"),
            });
        }
    }
    let texts = candidate
        .content
        .map(|c| c.parts)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.thought)
        .filter_map(|p| p.text);
    joined_text(texts, "the candidate has no text")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(json: &str) -> Result<String, WhyLeftOut> {
        text_of(serde_json::from_str(json).expect("reply json"))
    }

    #[test]
    fn the_first_candidates_text_parts_are_joined() {
        let got = reply(
            r#"{"candidates": [{"content": {"role": "model", "parts": [
                    {"text": "thinking...", "thought": true},
                    {"text": "{\"a\":"}, {"text": " 1}"}]},
                  "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 5}, "modelVersion": "m"}"#,
        );
        assert_eq!(got, Ok("{\"a\": 1}".into()));
    }

    #[test]
    fn blocks_cut_offs_and_empty_candidates_are_left_out() {
        assert_eq!(
            reply(r#"{"promptFeedback": {"blockReason": "SAFETY"}}"#),
            Err(WhyLeftOut::Declined {
                detail: "prompt blocked (SAFETY)".into()
            })
        );
        assert_eq!(
            reply(
                r#"{"candidates": [{"content": {"parts": [{"text": "{"}]}, "finishReason": "MAX_TOKENS"}]}"#
            ),
            Err(WhyLeftOut::Truncated)
        );
        assert!(matches!(
            reply(r#"{"candidates": [{"finishReason": "SAFETY"}]}"#),
            Err(WhyLeftOut::Declined { .. })
        ));
        assert!(matches!(
            reply(r#"{"candidates": [{"content": {"parts": []}, "finishReason": "STOP"}]}"#),
            Err(WhyLeftOut::BadReply { .. })
        ));
        assert!(matches!(reply("{}"), Err(WhyLeftOut::BadReply { .. })));
    }

    #[test]
    fn the_body_asks_for_json_with_a_system_instruction() {
        let b = body("sys", "usr");
        assert_eq!(b["systemInstruction"]["parts"][0]["text"], "sys");
        assert_eq!(b["contents"][0]["parts"][0]["text"], "usr");
        assert_eq!(
            b["generationConfig"]["responseMimeType"],
            "application/json"
        );
    }
}
