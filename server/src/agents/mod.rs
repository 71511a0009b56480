//! Online diagnosis agents: hosted language models asked over HTTP, side by
//! side with the engine's offline agent, their consensus gated for safety.
//!
//! [`Agents::ask_all`] asks every configured provider in parallel, each
//! within its own deadline, while the offline agent (the bundled code
//! database) answers on the spot; it always takes part. A provider that is
//! slow, unreachable, over quota (429), failing (5xx) or that answers with
//! anything but the answer object asked for is left out, with its reason
//! recorded ("left out: anthropic: timed out after 800 ms"); it never holds
//! up the answer. The engine then computes the consensus and applies the
//! safety gate ([`ridewire_engine::diagnostics::gate::diagnose`]); the
//! returned [`Panel`] keeps every agent's answer and every reason for
//! storage.
//!
//! Adapters, one per wire format:
//! - [`openai`]: OpenAI-compatible chat completions: OpenAI, OpenRouter,
//!   Ollama, llama.cpp;
//! - [`anthropic`]: Anthropic messages;
//! - [`gemini`]: Google Gemini `generateContent`.
//!
//! # Configuration
//!
//! Providers, models and keys come from the server's environment, never from
//! clients; keys are sent only in request headers, and are never logged,
//! stored or returned (`Debug` hides them).
//!
//! | variable | meaning |
//! | --- | --- |
//! | `RIDEWIRE_AGENTS` | comma-separated agent names, e.g. `openai,anthropic,gemini,ollama`. Unset: each of `openai`, `anthropic`, `gemini` whose `_API_KEY` is set, and `router` when its `_API_KEY` or `_BASE_URL` is |
//! | `RIDEWIRE_<NAME>_KIND` | `openai` (OpenAI-compatible), `anthropic` or `gemini`; defaults to the name when it is one of these, else `openai` |
//! | `RIDEWIRE_<NAME>_BASE_URL` | scheme, host and path prefix without `/v1…` (e.g. `https://openrouter.ai/api`, `http://127.0.0.1:11434`); defaults to the public endpoint for `openai`, `anthropic` and `gemini`, required for other names |
//! | `RIDEWIRE_<NAME>_MODEL` | the model, required (e.g. `gpt-4o-mini`, `claude-sonnet-4-5`, `gemini-2.5-flash`, `llama3.1:8b`) |
//! | `RIDEWIRE_<NAME>_API_KEY` | the key; required for Anthropic and Gemini, optional for OpenAI-compatible servers (local ones need none) |
//! | `RIDEWIRE_<NAME>_DEADLINE_MS` | this agent's deadline in milliseconds |
//! | `RIDEWIRE_AGENT_DEADLINE_MS` | the deadline of agents without their own; default 8000, at most 120000 |
//!
//! `<NAME>` is the agent's name upper-cased with `-` as `_`: the agent
//! `open-router` reads `RIDEWIRE_OPEN_ROUTER_MODEL`. With nothing set, only
//! the offline agent answers.

pub mod anthropic;
pub mod config;
pub mod gemini;
mod http;
pub mod left_out;
pub mod openai;
mod panel;
pub mod prompt;
pub mod runs;

pub use config::{ApiKey, ConfigError, ProviderConfig, ProviderKind};
pub use left_out::{LeftOut, WhyLeftOut};
pub use panel::{AgentCall, Agents, Budget, Panel};
