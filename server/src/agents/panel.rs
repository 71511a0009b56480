//! Asking every agent at once and gating what they agree on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::diagnostics::gate::{self, AgentOutcome};
use ridewire_engine::diagnostics::offline;
use ridewire_engine::diagnostics::request::{DiagnosticRequest, RequestError};
use tokio::task::JoinSet;

pub use ridewire_engine::sync::runs::{AgentCall, Panel};

use super::config::{ConfigError, ProviderConfig, ProviderKind};
use super::left_out::{LeftOut, WhyLeftOut};
use super::{anthropic, gemini, openai, prompt};

/// How long connecting to a provider may take, inside the agent's deadline.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The diagnosis agents the server asks: the configured hosted ones and,
/// always, the offline agent. Cheap to clone; share one per server.
#[derive(Debug, Clone)]
pub struct Agents {
    http: reqwest::Client,
    providers: Arc<[ProviderConfig]>,
    codes: Arc<CodeDatabase>,
}

impl Agents {
    /// The agents of `providers` plus the offline agent over `codes`.
    pub fn new(providers: Vec<ProviderConfig>, codes: CodeDatabase) -> Result<Self, ConfigError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("ridewire-server/", env!("CARGO_PKG_VERSION")))
            // A provider's redirect must never carry its API key to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Self {
            http,
            providers: providers.into(),
            codes: Arc::new(codes),
        })
    }

    /// The offline agent alone, over the bundled code database.
    pub fn offline() -> Result<Self, ConfigError> {
        Self::new(Vec::new(), CodeDatabase::bundled()?)
    }

    /// The agents configured in the environment (see the module
    /// documentation) and the offline agent over the bundled code database.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(ProviderConfig::from_env()?, CodeDatabase::bundled()?)
    }

    /// The hosted agents asked, in configuration order.
    pub fn providers(&self) -> &[ProviderConfig] {
        &self.providers
    }

    /// Asks every agent in parallel, each within its own deadline, and gates
    /// their consensus. An agent that is slow, unreachable, over quota,
    /// failing or answering nonsense is left out with its reason; it never
    /// holds up the others. A request that breaks the engine's rules is
    /// refused before any provider is asked.
    pub async fn ask_all(&self, request: &DiagnosticRequest) -> Result<Panel, RequestError> {
        self.ask_within(request, None).await
    }

    /// [`Agents::ask_all`], asking a hosted agent only while `budget` has a
    /// call left (at `now_ms`); one it has not is left out with the reason.
    pub async fn ask_within(
        &self,
        request: &DiagnosticRequest,
        budget: Option<(&Budget, i64)>,
    ) -> Result<Panel, RequestError> {
        request.validate()?;
        let user = Arc::<str>::from(prompt::user_message(request, &self.codes));
        let mut running = JoinSet::new();
        let mut refused: Vec<(usize, WhyLeftOut)> = Vec::new();
        for (index, provider) in self.providers.iter().enumerate() {
            if let Some((budget, now_ms)) = budget
                && let Err(why) = budget.take(now_ms)
            {
                refused.push((index, why));
                continue;
            }
            let http = self.http.clone();
            let provider = provider.clone();
            let user = Arc::clone(&user);
            running.spawn(async move {
                let started = Instant::now();
                let result = tokio::time::timeout(provider.deadline, ask(&http, &provider, &user))
                    .await
                    .unwrap_or(Err(WhyLeftOut::TimedOut {
                        after: provider.deadline,
                    }));
                (index, result, started.elapsed())
            });
        }

        // The offline agent answers while the hosted ones are out.
        let started = Instant::now();
        let offline_outcome = offline::answer(request, &self.codes);
        let mut calls = vec![offline_call(&offline_outcome, started.elapsed())];
        let mut outcomes = vec![offline_outcome];

        let mut results: Vec<Option<(Result<String, WhyLeftOut>, Duration)>> =
            vec![None; self.providers.len()];
        for (index, why) in refused {
            if let Some(slot) = results.get_mut(index) {
                *slot = Some((Err(why), Duration::ZERO));
            }
        }
        while let Some(joined) = running.join_next().await {
            // A task that panicked has lost its index; it is found below as
            // the provider without a result.
            if let Ok((index, result, elapsed)) = joined
                && let Some(slot) = results.get_mut(index)
            {
                *slot = Some((result, elapsed));
            }
        }
        for (provider, result) in self.providers.iter().zip(results) {
            let (result, elapsed) = result.unwrap_or((Err(WhyLeftOut::Crashed), Duration::ZERO));
            let (outcome, why) = outcome_of(provider, result);
            calls.push(AgentCall {
                agent: provider.name.clone(),
                provider: provider.kind.as_str().to_owned(),
                model: Some(provider.model.clone()),
                elapsed_ms: elapsed.as_secs_f64() * 1e3,
                timed_out: matches!(why, Some(WhyLeftOut::TimedOut { .. })),
                left_out: why.map(|why| {
                    LeftOut {
                        agent: provider.name.clone(),
                        why,
                    }
                    .to_string()
                }),
            });
            outcomes.push(outcome);
        }
        calls.sort_by(|a, b| a.agent.cmp(&b.agent));
        let diagnosis = gate::diagnose(request, outcomes)?;
        Ok(Panel { diagnosis, calls })
    }
}

/// The server's budget of paid calls to hosted agents, per minute and per
/// UTC day, shared by every account (each account also has its own
/// diagnosis rate). `0` means no limit.
#[derive(Debug, Default)]
pub struct Budget {
    per_minute: u32,
    per_day: u32,
    spent: std::sync::Mutex<Spent>,
}

#[derive(Debug, Default)]
struct Spent {
    minute: i64,
    in_minute: u32,
    day: i64,
    in_day: u32,
}

impl Budget {
    /// A budget of `per_minute` and `per_day` calls.
    pub fn new(per_minute: u32, per_day: u32) -> Self {
        Budget {
            per_minute,
            per_day,
            spent: std::sync::Mutex::default(),
        }
    }

    /// Takes one call at `now_ms`, or says which period is spent.
    pub fn take(&self, now_ms: i64) -> Result<(), WhyLeftOut> {
        let mut spent = self
            .spent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (minute, day) = (now_ms.div_euclid(60_000), now_ms.div_euclid(86_400_000));
        if spent.minute != minute {
            spent.minute = minute;
            spent.in_minute = 0;
        }
        if spent.day != day {
            spent.day = day;
            spent.in_day = 0;
        }
        if self.per_day > 0 && spent.in_day >= self.per_day {
            return Err(WhyLeftOut::OverBudget { period: "day" });
        }
        if self.per_minute > 0 && spent.in_minute >= self.per_minute {
            return Err(WhyLeftOut::OverBudget { period: "minute" });
        }
        spent.in_minute += 1;
        spent.in_day += 1;
        Ok(())
    }
}

/// One hosted agent's reply text, through its provider's adapter.
async fn ask(
    http: &reqwest::Client,
    provider: &ProviderConfig,
    user: &str,
) -> Result<String, WhyLeftOut> {
    let system = prompt::system_prompt();
    match provider.kind {
        ProviderKind::OpenAiCompatible => openai::ask(http, provider, system, user).await,
        ProviderKind::Anthropic => anthropic::ask(http, provider, system, user).await,
        ProviderKind::Gemini => gemini::ask(http, provider, system, user).await,
    }
}

/// The engine's outcome for a hosted agent, and why it is left out, if it
/// is. An answer that parses but breaks the engine's rules goes to the
/// engine as answered, so the run stores it as invalid output with the
/// engine's reason.
fn outcome_of(
    provider: &ProviderConfig,
    reply: Result<String, WhyLeftOut>,
) -> (AgentOutcome, Option<WhyLeftOut>) {
    let agent = provider.name.clone();
    let failed = |why: WhyLeftOut| {
        let outcome = match &why {
            WhyLeftOut::TimedOut { .. } => AgentOutcome::TimedOut {
                agent: agent.clone(),
            },
            other => AgentOutcome::Failed {
                agent: agent.clone(),
                reason: other.to_string(),
            },
        };
        (outcome, Some(why))
    };
    let text = match reply {
        Ok(text) => text,
        Err(why) => return failed(why),
    };
    match prompt::read_answer(&agent, &text) {
        Err(detail) => failed(WhyLeftOut::Malformed { detail }),
        Ok(answer) => {
            let why = answer.validate().err().map(WhyLeftOut::InvalidAnswer);
            (AgentOutcome::Answered(answer), why)
        }
    }
}

/// The offline agent's entry, with the same rules for being left out.
fn offline_call(outcome: &AgentOutcome, elapsed: Duration) -> AgentCall {
    let why = match outcome {
        AgentOutcome::Answered(answer) => answer.validate().err().map(WhyLeftOut::InvalidAnswer),
        AgentOutcome::TimedOut { .. } => Some(WhyLeftOut::TimedOut { after: elapsed }),
        AgentOutcome::Failed { reason, .. } => Some(WhyLeftOut::NoOfflineAnswer {
            detail: reason.clone(),
        }),
    };
    AgentCall {
        agent: offline::AGENT.to_owned(),
        provider: "offline".to_owned(),
        model: None,
        elapsed_ms: elapsed.as_secs_f64() * 1e3,
        timed_out: matches!(why, Some(WhyLeftOut::TimedOut { .. })),
        left_out: why.map(|why| {
            LeftOut {
                agent: offline::AGENT.to_owned(),
                why,
            }
            .to_string()
        }),
    }
}
