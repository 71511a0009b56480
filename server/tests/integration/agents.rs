//! The online agents against mock providers on loopback: who is asked, who
//! is left out and why, and what the safety gate makes of the rest.

use std::time::Duration;

use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::diagnostics::gate::{AgentOutcome, AgentStatus, Decision, SafetyFlag};
use ridewire_engine::diagnostics::offline;
use ridewire_engine::diagnostics::request::{DiagnosticRequest, RequestError};
use ridewire_server::agents::{Agents, Panel, ProviderConfig, ProviderKind};
use serde_json::{Value, json};

use crate::mock_providers::{Behaviour, MockProvider, unreachable_url};

const DEADLINE: Duration = Duration::from_secs(5);
const OPENAI_KEY: &str = "sk-test-openai-0123456789";
const ANTHROPIC_KEY: &str = "sk-ant-test-0123456789";
const GEMINI_KEY: &str = "AIza-test-0123456789";

fn request() -> DiagnosticRequest {
    ridewire_engine::demo::diagnosis_request().expect("request")
}

fn codes() -> CodeDatabase {
    CodeDatabase::bundled().expect("bundled code database")
}

/// An answer object that agrees with the offline agent on this request.
fn agreeing(confidence: f64) -> Value {
    let AgentOutcome::Answered(offline) = offline::answer(&request(), &codes()) else {
        panic!("the offline agent answers P0300");
    };
    json!({
        "diagnosis": "Random misfire, most likely worn spark plugs or a weak coil.",
        "cause": offline.cause,
        "components": offline.components,
        "recommended_action": "Inspect and replace the spark plugs, then test the ignition coil.",
        "estimated_cost": {"min": 60, "max": 220, "currency": "EUR"},
        "confidence": confidence,
    })
}

/// An answer object that points somewhere else entirely.
fn dissenting(cause: &str, component: &str) -> Value {
    json!({
        "diagnosis": format!("The fault is in the {component}."),
        "cause": cause,
        "components": [component],
        "recommended_action": format!("Have the {component} tested at a workshop."),
        "estimated_cost": null,
        "confidence": 0.9,
    })
}

async fn openai(behaviour: Behaviour) -> MockProvider {
    MockProvider::start(
        ProviderKind::OpenAiCompatible,
        "gpt-4o-mini",
        Some(OPENAI_KEY),
        behaviour,
    )
    .await
}

async fn anthropic(behaviour: Behaviour) -> MockProvider {
    MockProvider::start(
        ProviderKind::Anthropic,
        "claude-sonnet-4-5",
        Some(ANTHROPIC_KEY),
        behaviour,
    )
    .await
}

async fn gemini(behaviour: Behaviour) -> MockProvider {
    MockProvider::start(
        ProviderKind::Gemini,
        "gemini-2.5-flash",
        Some(GEMINI_KEY),
        behaviour,
    )
    .await
}

/// The three hosted mocks as the server's `openai`, `anthropic`, `gemini`.
fn three(mocks: [&MockProvider; 3], deadline: Duration) -> Vec<ProviderConfig> {
    ["openai", "anthropic", "gemini"]
        .iter()
        .zip(mocks)
        .map(|(name, mock)| mock.config(name, deadline))
        .collect()
}

async fn ask(providers: Vec<ProviderConfig>) -> Panel {
    Agents::new(providers, codes())
        .expect("agents")
        .ask_all(&request())
        .await
        .expect("valid request")
}

fn status_of<'a>(panel: &'a Panel, agent: &str) -> &'a AgentStatus {
    &panel
        .diagnosis
        .answers
        .iter()
        .find(|r| r.agent == agent)
        .unwrap_or_else(|| panic!("no report for {agent}"))
        .status
}

#[tokio::test]
async fn three_agreeing_providers_and_the_offline_agent_are_approved() {
    let (o, a, g) = (
        openai(Behaviour::answer(&agreeing(0.85))).await,
        anthropic(Behaviour::answer(&agreeing(0.8))).await,
        gemini(Behaviour::answer(&agreeing(0.9))).await,
    );
    let panel = ask(three([&o, &a, &g], DEADLINE)).await;

    assert_eq!(
        panel.used(),
        ["anthropic", "gemini", "offline_rules", "openai"]
    );
    assert!(panel.left_out().is_empty(), "{:?}", panel.left_out());
    assert_eq!(panel.diagnosis.decision, Decision::Approved);
    assert!(
        panel
            .diagnosis
            .highlighted_components
            .contains(&"spark_plugs".to_owned())
    );
    let consensus = panel.diagnosis.consensus.as_ref().expect("consensus");
    assert_eq!(consensus.agents, 4);
    assert_eq!(consensus.score, 1.0);

    // Each mock saw its own wire format, key and model, and the request.
    for (mock, header, value) in [
        (&o, "authorization", format!("Bearer {OPENAI_KEY}")),
        (&a, "x-api-key", ANTHROPIC_KEY.to_owned()),
        (&g, "x-goog-api-key", GEMINI_KEY.to_owned()),
    ] {
        let seen = mock.seen();
        assert_eq!(seen.len(), 1, "{:?} asked once", mock.kind);
        assert_eq!(
            seen[0].headers.get(header).and_then(|v| v.to_str().ok()),
            Some(value.as_str())
        );
        assert!(seen[0].body.to_string().contains("P0300"));
        assert!(!seen[0].path.contains("key="), "keys stay out of URLs");
    }
    assert_eq!(o.seen()[0].body["model"], "gpt-4o-mini");
    assert_eq!(
        a.seen()[0]
            .headers
            .get("anthropic-version")
            .map(|v| v.as_bytes()),
        Some(&b"2023-06-01"[..])
    );
    assert_eq!(a.seen()[0].body["model"], "claude-sonnet-4-5");
    assert_eq!(
        g.seen()[0].path,
        "/v1beta/models/gemini-2.5-flash:generateContent"
    );
    let calls: Vec<(&str, Option<&str>)> = panel
        .calls
        .iter()
        .map(|c| (c.provider.as_str(), c.model.as_deref()))
        .collect();
    assert_eq!(
        calls,
        [
            ("anthropic", Some("claude-sonnet-4-5")),
            ("gemini", Some("gemini-2.5-flash")),
            ("offline", None),
            ("openai", Some("gpt-4o-mini")),
        ]
    );
}

#[tokio::test]
async fn a_slow_provider_is_left_out_with_its_deadline() {
    let (o, a, g) = (
        openai(Behaviour::answer(&agreeing(0.85))).await,
        anthropic(Behaviour::slow_answer(
            &agreeing(0.8),
            Duration::from_secs(30),
        ))
        .await,
        gemini(Behaviour::answer(&agreeing(0.9))).await,
    );
    let mut providers = three([&o, &a, &g], DEADLINE);
    providers[1].deadline = Duration::from_millis(800);
    let panel = ask(providers).await;

    assert_eq!(
        panel.left_out(),
        ["left out: anthropic: timed out after 800 ms"]
    );
    assert_eq!(status_of(&panel, "anthropic"), &AgentStatus::TimedOut);
    assert_eq!(panel.used(), ["gemini", "offline_rules", "openai"]);
    assert_eq!(panel.diagnosis.decision, Decision::Approved);
    let slow = panel.calls.iter().find(|c| c.agent == "anthropic");
    assert!(slow.is_some_and(|c| c.timed_out));
}

#[tokio::test]
async fn rate_limited_failing_and_unreachable_providers_are_left_out() {
    let (o, a, g) = (
        openai(Behaviour::Status(429)).await,
        anthropic(Behaviour::answer(&agreeing(0.8))).await,
        gemini(Behaviour::Status(500)).await,
    );
    let mut providers = three([&o, &a, &g], DEADLINE);
    providers.push(ProviderConfig {
        name: "router".into(),
        kind: ProviderKind::OpenAiCompatible,
        base_url: unreachable_url().await,
        model: "llama3.1:8b".into(),
        api_key: None,
        deadline: DEADLINE,
    });
    let panel = ask(providers).await;

    let left_out = panel.left_out();
    assert_eq!(left_out.len(), 3, "{left_out:?}");
    assert_eq!(
        left_out[0],
        "left out: gemini: HTTP 500 Internal Server Error"
    );
    assert_eq!(left_out[1], "left out: openai: rate limited (HTTP 429)");
    assert!(
        left_out[2].starts_with("left out: router: network error: could not connect"),
        "{}",
        left_out[2]
    );
    assert!(matches!(
        status_of(&panel, "openai"),
        AgentStatus::Failed { reason } if reason.contains("429")
    ));
    assert_eq!(panel.used(), ["anthropic", "offline_rules"]);
    // Two agreeing agents are still enough to approve.
    assert_eq!(panel.diagnosis.decision, Decision::Approved);
}

#[tokio::test]
async fn malformed_model_output_is_rejected_not_guessed_at() {
    let mut unknown_part = agreeing(0.8);
    unknown_part["components"] = json!(["spark_plugs", "flux_capacitor"]);
    let mut overconfident = agreeing(0.8);
    overconfident["confidence"] = json!(1.4);
    let (o, a, g) = (
        openai(Behaviour::RawBody("<html>502 Bad Gateway</html>".into())).await,
        anthropic(Behaviour::text(
            "It's probably the spark plugs, replace them.",
        ))
        .await,
        gemini(Behaviour::answer(&unknown_part)).await,
    );
    let llama = MockProvider::start(
        ProviderKind::OpenAiCompatible,
        "llama3.1:8b",
        None,
        Behaviour::answer(&overconfident),
    )
    .await;
    let missing_field = {
        let mut v = agreeing(0.8);
        v.as_object_mut().map(|o| o.remove("cause"));
        MockProvider::start(
            ProviderKind::OpenAiCompatible,
            "qwen2.5:7b",
            None,
            Behaviour::answer(&v),
        )
        .await
    };
    let mut providers = three([&o, &a, &g], DEADLINE);
    providers.push(llama.config("llama", DEADLINE));
    providers.push(missing_field.config("qwen", DEADLINE));
    let panel = ask(providers).await;

    let left_out = panel.left_out();
    assert_eq!(left_out.len(), 5, "{left_out:?}");
    assert!(
        left_out[0]
            .starts_with("left out: anthropic: malformed answer: reply is not a JSON object")
    );
    assert_eq!(
        left_out[1],
        "left out: gemini: invalid answer: unknown component \"flux_capacitor\""
    );
    assert_eq!(
        left_out[2],
        "left out: llama: invalid answer: confidence 1.4 is not a number from 0 to 1"
    );
    assert!(left_out[3].starts_with("left out: openai: reply not in the provider's format"));
    assert!(
        left_out[4].starts_with("left out: qwen: malformed answer")
            && left_out[4].contains("missing field `cause`"),
        "{}",
        left_out[4]
    );
    // Answers that parsed are kept whole with the engine's reason.
    assert!(matches!(
        status_of(&panel, "gemini"),
        AgentStatus::InvalidOutput { answer, .. } if answer.components.contains(&"flux_capacitor".to_owned())
    ));
    assert!(
        llama.seen()[0].headers.get("authorization").is_none(),
        "a keyless local server gets no Authorization header"
    );
    assert_eq!(panel.used(), ["offline_rules"]);
    assert!(panel.diagnosis.flags.contains(&SafetyFlag::SingleAgent));
}

#[tokio::test]
async fn agents_that_disagree_are_not_approved() {
    let (o, a, g) = (
        openai(Behaviour::answer(&dissenting("electrical_fault", "stator"))).await,
        anthropic(Behaviour::answer(&dissenting(
            "fuel_delivery_fault",
            "fuel_pump",
        )))
        .await,
        gemini(Behaviour::answer(&dissenting(
            "air_intake_fault",
            "air_filter",
        )))
        .await,
    );
    let panel = ask(three([&o, &a, &g], DEADLINE)).await;
    assert_eq!(panel.used().len(), 4);
    assert_eq!(panel.diagnosis.decision, Decision::Rejected);
    assert!(panel.diagnosis.highlighted_components.is_empty());

    // One dissenter among four: held for a mechanic, nothing highlighted.
    let (o, a, g) = (
        openai(Behaviour::answer(&agreeing(0.9))).await,
        anthropic(Behaviour::answer(&dissenting("electrical_fault", "stator"))).await,
        gemini(Behaviour::answer(&agreeing(0.9))).await,
    );
    let panel = ask(three([&o, &a, &g], DEADLINE)).await;
    assert_eq!(panel.diagnosis.decision, Decision::Escalated);
    assert!(panel.diagnosis.highlighted_components.is_empty());
}

#[tokio::test]
async fn an_unsafe_recommendation_from_one_provider_rejects_the_run() {
    let mut reckless = agreeing(0.95);
    reckless["recommended_action"] =
        json!("Pull the ABS fuse so the warning stops, then replace the spark plugs.");
    let (o, a, g) = (
        openai(Behaviour::answer(&agreeing(0.9))).await,
        anthropic(Behaviour::answer(&agreeing(0.9))).await,
        gemini(Behaviour::answer(&reckless)).await,
    );
    let panel = ask(three([&o, &a, &g], DEADLINE)).await;

    // Everyone agrees on the fault, so only the safety rule can reject it.
    assert_eq!(panel.used().len(), 4);
    assert_eq!(panel.diagnosis.decision, Decision::Rejected);
    assert!(panel.diagnosis.highlighted_components.is_empty());
    assert!(panel.diagnosis.flags.iter().any(|f| matches!(
        f,
        SafetyFlag::UnsafeRecommendation { agent: Some(agent), .. } if agent == "gemini"
    )));
    let json = serde_json::to_value(&panel.diagnosis.flags).expect("json");
    assert!(json.to_string().contains("\"unsafe_recommendation\""));
}

#[tokio::test]
async fn without_providers_the_offline_agent_still_answers() {
    let panel = ask(Vec::new()).await;
    assert_eq!(panel.used(), ["offline_rules"]);
    assert!(panel.diagnosis.flags.contains(&SafetyFlag::SingleAgent));
    assert!(panel.diagnosis.consensus.is_some());
}

#[tokio::test]
async fn a_request_with_nothing_to_diagnose_reaches_no_provider() {
    let o = openai(Behaviour::answer(&agreeing(0.9))).await;
    let agents = Agents::new(vec![o.config("openai", DEADLINE)], codes()).expect("agents");
    let mut empty = request();
    empty.query.clear();
    empty.symptoms.clear();
    empty.codes.clear();
    assert_eq!(
        agents.ask_all(&empty).await,
        Err(RequestError::NothingToDiagnose)
    );
    assert!(o.seen().is_empty());
}

#[tokio::test]
async fn keys_never_reach_the_stored_run() {
    // A wrong key: the provider refuses it, and the reason names no key.
    let mut wrong = openai(Behaviour::answer(&agreeing(0.9))).await;
    wrong.key = Some("sk-wrong-key-9876".into());
    let (a, g) = (
        anthropic(Behaviour::answer(&agreeing(0.9))).await,
        gemini(Behaviour::Status(429)).await,
    );
    let providers = vec![
        wrong.config("openai", DEADLINE),
        a.config("anthropic", DEADLINE),
        g.config("gemini", DEADLINE),
    ];
    let panel = ask(providers).await;
    assert!(matches!(
        status_of(&panel, "openai"),
        AgentStatus::Failed { reason } if reason == "HTTP 401 Unauthorized"
    ));
    let stored = serde_json::to_string(&panel).expect("json");
    for key in ["sk-wrong-key-9876", ANTHROPIC_KEY, GEMINI_KEY] {
        assert!(!stored.contains(key), "{key} leaked into the run");
    }
    let back: Panel = serde_json::from_str(&stored).expect("a stored run reads back");
    assert_eq!(back.left_out(), panel.left_out());
    assert_eq!(back.diagnosis.answers.len(), 4);
}

#[tokio::test]
async fn a_provider_redirect_is_not_followed_and_the_key_stays_home() {
    // The real provider's address redirects to another host, which would
    // answer perfectly: it must never see the request or the key.
    let elsewhere = openai(Behaviour::answer(&agreeing(0.9))).await;
    let target = elsewhere.url.clone();
    let redirecting = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let location = format!("{target}{}", uri.path());
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, location)],
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, redirecting).await });
    let mut config = elsewhere.config("openai", Duration::from_secs(5));
    config.base_url = format!("http://{addr}");
    let panel = ask(vec![config]).await;
    assert!(
        !matches!(status_of(&panel, "openai"), AgentStatus::Used { .. }),
        "{panel:?}"
    );
    assert!(
        elsewhere.seen().is_empty(),
        "the request followed the redirect"
    );
}

#[tokio::test]
async fn past_the_servers_budget_the_offline_agent_answers_and_says_why() {
    let (o, a, g) = (
        openai(Behaviour::answer(&agreeing(0.9))).await,
        anthropic(Behaviour::answer(&agreeing(0.9))).await,
        gemini(Behaviour::answer(&agreeing(0.9))).await,
    );
    let agents = Agents::new(three([&o, &a, &g], DEADLINE), codes()).expect("agents");
    // Four paid calls a minute, six a day, for the whole server.
    let budget = ridewire_server::agents::Budget::new(4, 6);
    let minute = 1_780_000_000_000 / 60_000 * 60_000;
    let first = agents
        .ask_within(&request(), Some((&budget, minute)))
        .await
        .expect("valid");
    assert_eq!(first.used().len(), 4, "{:?}", first.left_out());
    let second = agents
        .ask_within(&request(), Some((&budget, minute + 1_000)))
        .await
        .expect("valid");
    let skipped = second.left_out();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped
            .iter()
            .all(|l| l.contains("budget for hosted agents this minute is spent")),
        "{skipped:?}"
    );
    assert!(second.used().contains(&offline::AGENT));
    // The next minute has room again, until the day's six are spent.
    let third = agents
        .ask_within(&request(), Some((&budget, minute + 60_000)))
        .await
        .expect("valid");
    assert_eq!(third.used().len(), 3, "{:?}", third.left_out());
    assert!(
        third
            .left_out()
            .iter()
            .any(|l| l.contains("this day is spent")),
        "{:?}",
        third.left_out()
    );
    let calls = |m: &MockProvider| m.seen().len();
    assert_eq!(
        calls(&o) + calls(&a) + calls(&g),
        6,
        "never more than the budget"
    );
}
