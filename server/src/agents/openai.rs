//! OpenAI-compatible chat completions (`POST {base}/v1/chat/completions`):
//! OpenAI itself, OpenRouter, and local Ollama or llama.cpp servers.
//!
//! The key goes in `Authorization: Bearer`; servers that need none (a local
//! Ollama) get no header. `response_format: {"type": "json_object"}` asks
//! for JSON; the answer is `choices[0].message.content`. No temperature or
//! token limit is sent: some OpenAI models refuse any but their defaults.

use serde::Deserialize;
use serde_json::{Value, json};

use super::config::ProviderConfig;
use super::http::post_json;
use super::left_out::WhyLeftOut;
use super::prompt::clip;

/// Asks the agent; its reply text, or why it was left out.
pub async fn ask(
    http: &reqwest::Client,
    provider: &ProviderConfig,
    system: &str,
    user: &str,
) -> Result<String, WhyLeftOut> {
    let mut request = http.post(format!("{}/v1/chat/completions", provider.base_url));
    if let Some(key) = &provider.api_key {
        request = request.bearer_auth(key.expose());
    }
    let reply: Reply = post_json(request, &body(&provider.model, system, user)).await?;
    text_of(reply)
}

/// The request body.
pub fn body(model: &str, system: &str, user: &str) -> Value {
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ],
        "response_format": {"type": "json_object"},
    })
}

/// The parts of a chat completion read here.
#[derive(Debug, Deserialize)]
pub struct Reply {
    choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: Message,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

/// The first choice's text; a refusal, a cut-off or an empty reply is a
/// reason to leave the agent out.
pub fn text_of(reply: Reply) -> Result<String, WhyLeftOut> {
    let Some(choice) = reply.choices.into_iter().next() else {
        return Err(WhyLeftOut::BadReply {
            detail: "no choices".into(),
        });
    };
    if let Some(refusal) = choice.message.refusal.filter(|r| !r.trim().is_empty()) {
        return Err(WhyLeftOut::Declined {
            detail: clip(&refusal, 200),
        });
    }
    match choice.finish_reason.as_deref() {
        Some("length") => return Err(WhyLeftOut::Truncated),
        Some("content_filter") => {
            return Err(WhyLeftOut::Declined {
                detail: "content filter".into(),
            });
        }
        _ => {}
    }
    choice.message.content.ok_or_else(|| WhyLeftOut::BadReply {
        detail: "the message has no content".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(json: &str) -> Result<String, WhyLeftOut> {
        text_of(serde_json::from_str(json).expect("reply json"))
    }

    #[test]
    fn the_first_choice_is_read() {
        let got = reply(
            r#"{"id": "x", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "{\"a\": 1}"},
                 "finish_reason": "stop"},
                {"index": 1, "message": {"role": "assistant", "content": "other"}}],
               "usage": {"prompt_tokens": 10}}"#,
        );
        assert_eq!(got, Ok("{\"a\": 1}".into()));
    }

    #[test]
    fn refusals_cut_offs_and_empty_replies_are_left_out() {
        assert_eq!(
            reply(r#"{"choices": []}"#),
            Err(WhyLeftOut::BadReply {
                detail: "no choices".into()
            })
        );
        assert_eq!(
            reply(
                r#"{"choices": [{"message": {"content": "{\"diag"}, "finish_reason": "length"}]}"#
            ),
            Err(WhyLeftOut::Truncated)
        );
        assert!(matches!(
            reply(r#"{"choices": [{"message": {"content": null, "refusal": "I can't help"}}]}"#),
            Err(WhyLeftOut::Declined { .. })
        ));
        assert!(matches!(
            reply(r#"{"choices": [{"message": {"content": null}, "finish_reason": "stop"}]}"#),
            Err(WhyLeftOut::BadReply { .. })
        ));
    }

    #[test]
    fn the_body_asks_for_json_with_system_and_user_messages() {
        let b = body("gpt-4o-mini", "sys", "usr");
        assert_eq!(b["model"], "gpt-4o-mini");
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["messages"][1]["content"], "usr");
        assert_eq!(b["response_format"]["type"], "json_object");
    }
}
