//! Which hosted agents the server asks, read from the server's environment.
//! Clients never choose a provider, a model or a key.

use std::fmt;
use std::time::Duration;

use ridewire_engine::diagnostics::answer::MAX_AGENT_CHARS;
use ridewire_engine::diagnostics::codes::CodeDbError;
use ridewire_engine::diagnostics::offline;

/// Per-agent deadline when neither `RIDEWIRE_<NAME>_DEADLINE_MS` nor
/// `RIDEWIRE_AGENT_DEADLINE_MS` is set: long enough for a hosted model to
/// write a short JSON answer, short enough that a rider is not left waiting.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(8_000);

/// Longest deadline accepted; a rider will not wait longer for a diagnosis.
pub const MAX_DEADLINE: Duration = Duration::from_secs(120);

/// Agent names used when `RIDEWIRE_AGENTS` is not set; each is enabled when
/// its key (or, for `router`, its base URL) is set.
pub const WELL_KNOWN: &[&str] = &["openai", "anthropic", "gemini", "router"];

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// `POST /v1/chat/completions`: OpenAI, OpenRouter, Ollama, llama.cpp.
    OpenAiCompatible,
    /// `POST /v1/messages`: Anthropic.
    Anthropic,
    /// `POST /v1beta/models/{model}:generateContent`: Google Gemini.
    Gemini,
}

impl ProviderKind {
    /// The name used in `RIDEWIRE_<NAME>_KIND` and in stored runs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAiCompatible => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
        }
    }

    /// Reads a kind name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "openai" | "openai_compatible" | "openai-compatible" => {
                Some(ProviderKind::OpenAiCompatible)
            }
            "anthropic" => Some(ProviderKind::Anthropic),
            "gemini" | "google" => Some(ProviderKind::Gemini),
            _ => None,
        }
    }

    /// The provider's public endpoint, used when no base URL is configured.
    /// The OpenAI-compatible kind defaults to OpenAI itself.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::OpenAiCompatible => "https://api.openai.com",
            ProviderKind::Anthropic => "https://api.anthropic.com",
            ProviderKind::Gemini => "https://generativelanguage.googleapis.com",
        }
    }

    /// Whether calls need a key. Local OpenAI-compatible servers (Ollama,
    /// llama.cpp) take none; Anthropic and Gemini always do.
    pub fn needs_key(self) -> bool {
        !matches!(self, ProviderKind::OpenAiCompatible)
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider's secret. It is sent in a request header and nowhere else:
/// `Debug` hides it, and it is neither serialised nor displayed.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the request header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<hidden>)")
    }
}

/// One hosted agent the server asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The agent's name in answers and stored runs, e.g. `anthropic`.
    pub name: String,
    /// The wire format.
    pub kind: ProviderKind,
    /// Scheme, host and optional path prefix, without the `/v1/...` part,
    /// e.g. `https://openrouter.ai/api` or `http://127.0.0.1:11434`.
    pub base_url: String,
    /// The model to ask, e.g. `claude-sonnet-4-5` or `llama3.1:8b`.
    pub model: String,
    /// The key, when the provider needs one.
    pub api_key: Option<ApiKey>,
    /// How long this agent may take before it is left out.
    pub deadline: Duration,
}

/// Why the agents' configuration was refused. Each names the variable to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A variable that must be set is missing or blank.
    #[error("{var} must be set")]
    Missing {
        /// The variable.
        var: String,
    },
    /// A variable holds a value that cannot be used.
    #[error("{var}: {reason}")]
    Invalid {
        /// The variable.
        var: String,
        /// What is wrong with it (never the value of a key).
        reason: String,
    },
    /// The HTTP client for the providers could not be built (TLS set-up).
    #[error("the HTTP client for the agents could not be set up: {0}")]
    HttpClient(String),
    /// The bundled code database, which the offline agent and the prompts
    /// read, failed its checks.
    #[error("the bundled code database is damaged: {0}")]
    CodeDatabase(#[from] CodeDbError),
}

impl ProviderConfig {
    /// Reads every configured agent from the process environment.
    pub fn from_env() -> Result<Vec<ProviderConfig>, ConfigError> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads every configured agent through `lookup` (a variable's value, or
    /// `None` when unset); see the module documentation for the variables.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<ProviderConfig>, ConfigError> {
        let get = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
        let default_deadline = match get("RIDEWIRE_AGENT_DEADLINE_MS") {
            Some(v) => parse_deadline("RIDEWIRE_AGENT_DEADLINE_MS", &v)?,
            None => DEFAULT_DEADLINE,
        };
        let names: Vec<String> = match get("RIDEWIRE_AGENTS") {
            Some(list) => list
                .split(',')
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect(),
            None => WELL_KNOWN
                .iter()
                .filter(|name| {
                    let var = |field: &str| format!("RIDEWIRE_{}_{field}", name.to_uppercase());
                    get(&var("API_KEY")).is_some()
                        || (**name == "router" && get(&var("BASE_URL")).is_some())
                })
                .map(|n| (*n).to_owned())
                .collect(),
        };
        let mut providers: Vec<ProviderConfig> = Vec::with_capacity(names.len());
        for name in names {
            check_name(&name)?;
            if providers.iter().any(|p| p.name == name) {
                return Err(ConfigError::Invalid {
                    var: "RIDEWIRE_AGENTS".into(),
                    reason: format!("{name} is listed twice"),
                });
            }
            providers.push(one(&name, default_deadline, &get)?);
        }
        Ok(providers)
    }
}

/// Reads one agent's variables.
fn one(
    name: &str,
    default_deadline: Duration,
    get: &impl Fn(&str) -> Option<String>,
) -> Result<ProviderConfig, ConfigError> {
    let var = |field: &str| format!("RIDEWIRE_{}_{field}", name.to_uppercase().replace('-', "_"));
    let kind = match get(&var("KIND")) {
        Some(k) => ProviderKind::parse(k.trim()).ok_or_else(|| ConfigError::Invalid {
            var: var("KIND"),
            reason: format!("{k:?} is not openai, anthropic or gemini"),
        })?,
        // `router` and any other name speak the OpenAI-compatible format
        // unless told otherwise.
        None => ProviderKind::parse(name).unwrap_or(ProviderKind::OpenAiCompatible),
    };
    let base_url = match get(&var("BASE_URL")) {
        Some(url) => check_base_url(&var("BASE_URL"), url.trim())?,
        // Only the three public providers have an address we can assume.
        None if ProviderKind::parse(name) == Some(kind) => kind.default_base_url().to_owned(),
        None => {
            return Err(ConfigError::Missing {
                var: var("BASE_URL"),
            });
        }
    };
    let model = get(&var("MODEL"))
        .map(|m| m.trim().to_owned())
        .ok_or_else(|| ConfigError::Missing { var: var("MODEL") })?;
    // The model goes into a JSON body or, for Gemini, the URL path.
    let odd = |c: char| {
        c.is_control()
            || c.is_whitespace()
            || matches!(c, '?' | '#' | '%')
            || (c == '/' && kind == ProviderKind::Gemini)
    };
    if model.chars().any(odd) {
        return Err(ConfigError::Invalid {
            var: var("MODEL"),
            reason: "holds characters a model name cannot have".into(),
        });
    }
    let api_key = get(&var("API_KEY")).map(|k| ApiKey::new(k.trim()));
    if kind.needs_key() && api_key.is_none() {
        return Err(ConfigError::Missing {
            var: var("API_KEY"),
        });
    }
    if api_key
        .as_ref()
        .is_some_and(|k| k.expose().chars().any(|c| c.is_control() || c == ' '))
    {
        return Err(ConfigError::Invalid {
            var: var("API_KEY"),
            reason: "holds spaces or control characters".into(),
        });
    }
    let deadline = match get(&var("DEADLINE_MS")) {
        Some(v) => parse_deadline(&var("DEADLINE_MS"), &v)?,
        None => default_deadline,
    };
    Ok(ProviderConfig {
        name: name.to_owned(),
        kind,
        base_url,
        model,
        api_key,
        deadline,
    })
}

/// Agent names end up in stored runs and in variable names: lower-case
/// letters, digits, `-` and `_`, and never the offline agent's name.
fn check_name(name: &str) -> Result<(), ConfigError> {
    let bad = |reason: &str| {
        Err(ConfigError::Invalid {
            var: "RIDEWIRE_AGENTS".into(),
            reason: format!("agent name {name:?} {reason}"),
        })
    };
    if name == offline::AGENT {
        return bad("is the offline agent's, which always takes part");
    }
    if name.len() > MAX_AGENT_CHARS {
        return bad("is too long");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase())
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return bad("must start with a-z and use only a-z, 0-9, '-' and '_'");
    }
    Ok(())
}

fn check_base_url(var: &str, url: &str) -> Result<String, ConfigError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| ConfigError::Invalid {
        var: var.into(),
        reason: format!("not a URL ({e})"),
    })?;
    let invalid = |reason: &str| {
        Err(ConfigError::Invalid {
            var: var.into(),
            reason: reason.into(),
        })
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return invalid("must be an http or https URL");
    }
    // Keys travel in headers; one in the URL would end up in logs.
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some() {
        return invalid("must not carry credentials or a query string");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn parse_deadline(var: &str, value: &str) -> Result<Duration, ConfigError> {
    let ms: u64 = value.trim().parse().map_err(|_| ConfigError::Invalid {
        var: var.into(),
        reason: format!("{value:?} is not a number of milliseconds"),
    })?;
    let deadline = Duration::from_millis(ms);
    if ms == 0 || deadline > MAX_DEADLINE {
        return Err(ConfigError::Invalid {
            var: var.into(),
            reason: format!("{ms} ms is outside 1..=120000 ms"),
        });
    }
    Ok(deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Vec<ProviderConfig>, ConfigError> {
        ProviderConfig::from_lookup(|var| {
            vars.iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn nothing_configured_means_only_the_offline_agent() {
        assert_eq!(load(&[]), Ok(vec![]));
    }

    #[test]
    fn well_known_providers_are_enabled_by_their_keys() {
        let got = load(&[
            ("RIDEWIRE_ANTHROPIC_API_KEY", "sk-ant-secret"),
            ("RIDEWIRE_ANTHROPIC_MODEL", "claude-sonnet-4-5"),
            ("RIDEWIRE_ROUTER_BASE_URL", "http://127.0.0.1:11434/"),
            ("RIDEWIRE_ROUTER_MODEL", "llama3.1:8b"),
            ("RIDEWIRE_ROUTER_DEADLINE_MS", "2500"),
            ("RIDEWIRE_AGENT_DEADLINE_MS", "4000"),
        ])
        .expect("config");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "anthropic");
        assert_eq!(got[0].kind, ProviderKind::Anthropic);
        assert_eq!(got[0].base_url, "https://api.anthropic.com");
        assert_eq!(got[0].deadline, Duration::from_millis(4000));
        assert_eq!(got[1].name, "router");
        assert_eq!(got[1].kind, ProviderKind::OpenAiCompatible);
        assert_eq!(got[1].base_url, "http://127.0.0.1:11434");
        assert_eq!(got[1].api_key, None, "a local server needs no key");
        assert_eq!(got[1].deadline, Duration::from_millis(2500));
    }

    #[test]
    fn an_explicit_list_names_custom_agents() {
        let got = load(&[
            ("RIDEWIRE_AGENTS", "openrouter, gemini"),
            ("RIDEWIRE_OPENROUTER_BASE_URL", "https://openrouter.ai/api"),
            ("RIDEWIRE_OPENROUTER_MODEL", "meta-llama/llama-3.1-70b"),
            ("RIDEWIRE_OPENROUTER_API_KEY", "or-key"),
            ("RIDEWIRE_GEMINI_MODEL", "gemini-2.5-flash"),
            ("RIDEWIRE_GEMINI_API_KEY", "g-key"),
            // Not listed, so not used even though a key is set.
            ("RIDEWIRE_OPENAI_API_KEY", "sk-unused"),
        ])
        .expect("config");
        let names: Vec<&str> = got.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["openrouter", "gemini"]);
        assert_eq!(got[0].kind, ProviderKind::OpenAiCompatible);
        assert_eq!(got[1].kind, ProviderKind::Gemini);
        assert_eq!(got[1].base_url, "https://generativelanguage.googleapis.com");
    }

    #[test]
    fn what_is_missing_or_wrong_is_named() {
        assert_eq!(
            load(&[("RIDEWIRE_ANTHROPIC_API_KEY", "k")]),
            Err(ConfigError::Missing {
                var: "RIDEWIRE_ANTHROPIC_MODEL".into()
            })
        );
        assert_eq!(
            load(&[
                ("RIDEWIRE_AGENTS", "gemini"),
                ("RIDEWIRE_GEMINI_MODEL", "gemini-2.5-flash")
            ]),
            Err(ConfigError::Missing {
                var: "RIDEWIRE_GEMINI_API_KEY".into()
            })
        );
        assert_eq!(
            load(&[
                ("RIDEWIRE_AGENTS", "ollama"),
                ("RIDEWIRE_OLLAMA_MODEL", "m")
            ]),
            Err(ConfigError::Missing {
                var: "RIDEWIRE_OLLAMA_BASE_URL".into()
            })
        );
        for (var, value) in [
            ("RIDEWIRE_AGENT_DEADLINE_MS", "soon"),
            ("RIDEWIRE_AGENT_DEADLINE_MS", "0"),
            ("RIDEWIRE_AGENT_DEADLINE_MS", "999999999"),
        ] {
            assert!(matches!(
                load(&[(var, value)]),
                Err(ConfigError::Invalid { .. })
            ));
        }
        for list in ["offline_rules", "Open AI", "openai,openai"] {
            let got = load(&[
                ("RIDEWIRE_AGENTS", list),
                ("RIDEWIRE_OPENAI_MODEL", "gpt-4o-mini"),
            ]);
            assert!(
                matches!(&got, Err(ConfigError::Invalid { var, .. }) if var == "RIDEWIRE_AGENTS"),
                "{list}: {got:?}"
            );
        }
        let got = load(&[
            ("RIDEWIRE_AGENTS", "router"),
            ("RIDEWIRE_ROUTER_MODEL", "m"),
            ("RIDEWIRE_ROUTER_BASE_URL", "https://user:pw@example.com"),
        ]);
        assert!(matches!(got, Err(ConfigError::Invalid { .. })));
    }

    #[test]
    fn keys_are_never_shown() {
        let got = load(&[
            ("RIDEWIRE_OPENAI_API_KEY", "sk-very-secret"),
            ("RIDEWIRE_OPENAI_MODEL", "gpt-4o-mini"),
        ])
        .expect("config");
        assert_eq!(
            got[0].api_key.as_ref().map(ApiKey::expose),
            Some("sk-very-secret")
        );
        assert!(!format!("{got:?}").contains("sk-very-secret"));
        let bad = load(&[
            ("RIDEWIRE_OPENAI_API_KEY", "sk-very secret"),
            ("RIDEWIRE_OPENAI_MODEL", "gpt-4o-mini"),
        ]);
        assert!(!format!("{bad:?}").contains("sk-very"));
        assert!(matches!(bad, Err(ConfigError::Invalid { .. })));
    }
}
