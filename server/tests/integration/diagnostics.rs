//! `/api/v1/diagnostics`: a run asks the agents, is stored whole, earns the
//! rider 10 XP (ACH-FIRST-DIAG on the first) through a `DiagnosticRun`
//! event, and only its owner can read it back.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use ridewire_engine::diagnostics::codes::CodeDatabase;
use ridewire_engine::diagnostics::gate::AgentOutcome;
use ridewire_engine::diagnostics::offline;
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::sync::{Change, PullResponse};
use ridewire_server::agents::{Agents, ProviderKind};
use serde_json::{Value, json};

use crate::common::TestServer;
use crate::mock_providers::{Behaviour, MockProvider};

fn body() -> Value {
    json!({
        "query": "Check engine light on, code P0300",
        "vehicle": {"make": "Harley-Davidson", "model": "Street 750", "year": 2022},
        "symptoms": ["rough_idle", "check_engine_light"],
        "codes": ["P0300"],
        "utc_offset_min": 60,
    })
}

/// What the offline agent says about [`body`], as a hosted agent would.
fn agreeing() -> Value {
    let request: DiagnosticRequest = serde_json::from_value(body()).expect("request");
    let codes = CodeDatabase::bundled().expect("codes");
    let AgentOutcome::Answered(a) = offline::answer(&request, &codes) else {
        panic!("the offline agent answers P0300");
    };
    json!({
        "diagnosis": "Random misfire from worn spark plugs.",
        "cause": a.cause, "components": a.components,
        "recommended_action": "Replace the spark plugs and test the coil.",
        "estimated_cost": {"min": 60, "max": 200, "currency": "EUR"},
        "confidence": 0.9,
    })
}

/// A run's JSON without the agents' timings, which differ between runs and
/// do not survive a JSON round trip bit for bit.
fn without_timings(mut run: Value) -> Value {
    let calls = run
        .pointer_mut("/panel/calls")
        .and_then(Value::as_array_mut);
    for call in calls.into_iter().flatten() {
        call.as_object_mut().map(|c| c.remove("elapsed_ms"));
    }
    run
}

async fn diagnose(server: &TestServer, token: &str, body: Value) -> crate::common::Reply {
    server
        .call(Method::POST, "/api/v1/diagnostics", Some(token), Some(body))
        .await
}

#[tokio::test]
async fn a_run_is_stored_whole_and_earns_xp_once_per_run() {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;

    let first = diagnose(&server, &token, body()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["xp_earned"], 10);
    assert_eq!(first.body["achievements"], json!(["ACH-FIRST-DIAG"]));
    let diagnosis = &first.body["panel"]["diagnosis"];
    assert_eq!(diagnosis["answers"][0]["agent"], offline::AGENT);
    assert!(diagnosis["consensus"]["diagnosis"].is_string());
    assert_eq!(first.body["request"]["codes"], json!(["P0300"]));

    let second = diagnose(&server, &token, body()).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.body["xp_earned"], 10);
    assert_eq!(
        second.body["achievements"],
        json!([]),
        "only the first unlocks it"
    );

    // The events are the user's like a phone's: pulled, and in progress.
    let pulled = server.pull(&token, "", None).await;
    let pulled: PullResponse = serde_json::from_value(pulled.body).expect("pull");
    assert_eq!(pulled.progress.xp, 20);
    assert!(
        pulled
            .progress
            .achievements
            .contains(&"ACH-FIRST-DIAG".to_owned())
    );
    let runs: Vec<String> = pulled
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Event { event } => Some(event.id.0.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        runs,
        [
            first.body["event_id"].as_str().expect("id"),
            second.body["event_id"].as_str().expect("id")
        ]
    );

    // In the rider's data export.
    let export = server
        .call(Method::GET, "/api/v1/me/export", Some(&token), None)
        .await;
    assert_eq!(
        export.body["diagnostic_runs"].as_array().map(Vec::len),
        Some(2)
    );

    // Read back whole.
    let id = first.body["id"].as_str().expect("id");
    let again = server
        .call(
            Method::GET,
            &format!("/api/v1/diagnostics/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(without_timings(again.body), without_timings(first.body));
}

#[tokio::test]
async fn runs_are_private_to_their_rider() {
    let server = TestServer::new();
    let alice = server.user("alice@ridewire.test").await;
    let bob = server.user("bob@ridewire.test").await;
    let run = diagnose(&server, &alice, body()).await;
    let path = format!(
        "/api/v1/diagnostics/{}",
        run.body["id"].as_str().expect("id")
    );

    let theirs = server.call(Method::GET, &path, Some(&bob), None).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.code(), "not_found");
    let nobody = server.call(Method::GET, &path, None, None).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    let history = server
        .call(Method::GET, "/api/v1/diagnostics", Some(&bob), None)
        .await;
    assert_eq!(history.body["runs"], json!([]));
    let not_a_run = server
        .call(Method::GET, "/api/v1/diagnostics/P0300", Some(&alice), None)
        .await;
    assert_eq!(not_a_run.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn history_pages_newest_first() {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    let mut ids = Vec::new();
    for minute in 0..5 {
        server.clock.advance(60_000 * (minute + 1));
        let run = diagnose(&server, &token, body()).await;
        ids.push(run.body["id"].as_str().expect("id").to_owned());
    }
    ids.reverse();

    let mut seen = Vec::new();
    let mut path = "/api/v1/diagnostics?limit=2".to_owned();
    loop {
        let page = server.call(Method::GET, &path, Some(&token), None).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        for run in page.body["runs"].as_array().expect("runs") {
            assert_eq!(run["request"]["codes"], json!(["P0300"]));
            assert!(run["decision"].is_string());
            seen.push(run["id"].as_str().expect("id").to_owned());
        }
        match page.body["next_before"].as_str() {
            Some(next) => path = format!("/api/v1/diagnostics?limit=2&before={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    for bad in ["limit=0", "limit=101", "before=not-a-run"] {
        let reply = server
            .call(
                Method::GET,
                &format!("/api/v1/diagnostics?{bad}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Another rider's run is no cursor either: for them it does not exist.
    let other = server.user("other@ridewire.test").await;
    let reply = server
        .call(
            Method::GET,
            &format!("/api/v1/diagnostics?before={}", ids[0]),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), "not_found");
}

#[tokio::test]
async fn a_bad_request_is_refused_and_stores_nothing() {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    let before = server.snapshot();
    let mut empty = body();
    empty["query"] = json!("");
    empty["symptoms"] = json!([]);
    empty["codes"] = json!([]);
    let reply = diagnose(&server, &token, empty).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "invalid_request");
    let mut bad_code = body();
    bad_code["codes"] = json!(["X0300"]);
    assert_eq!(
        diagnose(&server, &token, bad_code).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut far_east = body();
    far_east["utc_offset_min"] = json!(24 * 60);
    assert_eq!(
        diagnose(&server, &token, far_east).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(server.snapshot(), before);
    assert_eq!(server.count("diagnostic_runs"), 0);
}

#[tokio::test]
async fn hosted_agents_answer_through_the_endpoint_and_their_reasons_are_stored() {
    let mut server = TestServer::new();
    let good = MockProvider::start(
        ProviderKind::Anthropic,
        "claude-sonnet-4-5",
        Some("sk-ant-endpoint-test"),
        Behaviour::answer(&agreeing()),
    )
    .await;
    let busy = MockProvider::start(
        ProviderKind::Gemini,
        "gemini-2.5-flash",
        Some("AIza-endpoint-test"),
        Behaviour::Status(429),
    )
    .await;
    let agents = Agents::new(
        vec![
            good.config("anthropic", Duration::from_secs(5)),
            busy.config("gemini", Duration::from_secs(5)),
        ],
        CodeDatabase::bundled().expect("codes"),
    )
    .expect("agents");
    server.state = server.state.clone().with_agents(agents);
    let token = server.user("rider@ridewire.test").await;

    let run = diagnose(&server, &token, body()).await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    assert_eq!(run.body["panel"]["diagnosis"]["decision"], "approved");
    let calls = run.body["panel"]["calls"].as_array().expect("calls");
    let left_out: Vec<&str> = calls
        .iter()
        .filter_map(|c| c["left_out"].as_str())
        .collect();
    assert_eq!(left_out, ["left out: gemini: rate limited (HTTP 429)"]);
    assert!(!run.body.to_string().contains("sk-ant-endpoint-test"));

    let path = format!(
        "/api/v1/diagnostics/{}",
        run.body["id"].as_str().expect("id")
    );
    let stored = server.call(Method::GET, &path, Some(&token), None).await;
    assert_eq!(without_timings(stored.body), without_timings(run.body));
}

#[tokio::test]
async fn diagnoses_have_their_own_per_rider_limit() {
    let server = TestServer::with_config(ridewire_server::Config {
        diagnoses_per_user: ridewire_server::Rate {
            per_minute: 1,
            burst: 2,
        },
        ..crate::common::test_config()
    });
    let rider = server.user("rider@ridewire.test").await;
    let other = server.user("other@ridewire.test").await;
    for _ in 0..2 {
        assert_eq!(
            diagnose(&server, &rider, body()).await.status,
            StatusCode::CREATED
        );
    }
    let refused = diagnose(&server, &rider, body()).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(
        server.count("diagnostic_runs"),
        2,
        "nothing stored when refused"
    );
    // Reading the history is not limited by it, nor is another rider.
    let history = server
        .call(Method::GET, "/api/v1/diagnostics", Some(&rider), None)
        .await;
    assert_eq!(history.status, StatusCode::OK);
    assert_eq!(
        diagnose(&server, &other, body()).await.status,
        StatusCode::CREATED
    );
    // A minute later the rider may ask again.
    server.clock.advance(60_000);
    assert_eq!(
        diagnose(&server, &rider, body()).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_run_counts_even_when_a_device_clock_runs_ahead() {
    use ridewire_engine::event::{DeviceChain, DeviceId, EventId, EventKind};
    use ridewire_engine::quest::QuestId;

    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    // A phone whose clock is two minutes ahead pushed a step first, so the
    // server's run sorts before it and progress is folded again.
    let mut phone = DeviceChain::new(DeviceId(uuid::Uuid::from_u128(77)));
    let ahead = crate::common::NOW + 120_000;
    let step = phone
        .append(
            EventId::v7(ahead, [7; 10]),
            ahead,
            0,
            EventKind::StepChecked {
                quest: QuestId::new("tyre-pressure").expect("id"),
                step: "s1".into(),
            },
        )
        .expect("event");
    let pushed = server.push(&token, phone.device, &[step]).await;
    assert_eq!(pushed.body["rejected"], json!([]), "{:?}", pushed.body);

    let run = diagnose(&server, &token, body()).await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    assert_eq!(run.body["xp_earned"], 10);
    assert_eq!(run.body["achievements"], json!(["ACH-FIRST-DIAG"]));
}

async fn leave_note(
    server: &TestServer,
    token: Option<&str>,
    run: &str,
    body: Value,
) -> crate::common::Reply {
    server
        .call(
            Method::PUT,
            &format!("/api/v1/diagnostics/{run}/feedback"),
            token,
            Some(body),
        )
        .await
}

#[tokio::test]
async fn the_riders_note_on_a_run_is_kept_and_read_back_with_it() {
    let server = TestServer::new();
    let token = server.user("rider@ridewire.test").await;
    let run = diagnose(&server, &token, body()).await;
    let id = run.body["id"].as_str().expect("id").to_owned();
    let written = crate::common::NOW - 60_000;

    let kept = leave_note(
        &server,
        Some(&token),
        &id,
        json!({"feedback": "New plugs fixed it", "at_ms": written}),
    )
    .await;
    assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
    assert_eq!(
        kept.body,
        json!({"id": id, "feedback": "New plugs fixed it", "feedback_ms": written})
    );
    let path = format!("/api/v1/diagnostics/{id}");
    let whole = server.call(Method::GET, &path, Some(&token), None).await;
    assert_eq!(whole.body["feedback"], "New plugs fixed it");
    assert_eq!(whole.body["feedback_ms"], written);
    let history = server
        .call(Method::GET, "/api/v1/diagnostics", Some(&token), None)
        .await;
    assert_eq!(history.body["runs"][0]["feedback"], "New plugs fixed it");
    assert_eq!(history.body["runs"][0]["event_id"], run.body["event_id"]);
    let export = server
        .call(Method::GET, "/api/v1/me/export", Some(&token), None)
        .await;
    assert_eq!(
        export.body["diagnostic_runs"][0]["feedback"],
        "New plugs fixed it"
    );

    // A note written earlier on another device (sent late) does not replace
    // the later one; the note kept is answered so that device can take it.
    let stale = leave_note(
        &server,
        Some(&token),
        &id,
        json!({"feedback": "Still misfiring", "at_ms": written - 1}),
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body["feedback"], "New plugs fixed it");
    assert_eq!(stale.body["feedback_ms"], written);
    // A later one does.
    let later = leave_note(
        &server,
        Some(&token),
        &id,
        json!({"feedback": "Misfire came back after a week", "at_ms": written + 1}),
    )
    .await;
    assert_eq!(later.body["feedback"], "Misfire came back after a week");
    // A clock far ahead counts as at most a day ahead, so it cannot pin its
    // note against every later one.
    let ahead = leave_note(
        &server,
        Some(&token),
        &id,
        json!({"feedback": "From the future", "at_ms": i64::MAX}),
    )
    .await;
    assert_eq!(
        ahead.body["feedback_ms"],
        crate::common::NOW + ridewire_engine::sync::MAX_CLOCK_AHEAD_MS
    );
    // Exactly the longest note is kept.
    let longest = "é".repeat(2_000);
    let at_limit = leave_note(
        &server,
        Some(&token),
        &id,
        json!({"feedback": longest, "at_ms": i64::MAX}),
    )
    .await;
    assert_eq!(at_limit.status, StatusCode::OK, "{:?}", at_limit.body);
    assert_eq!(at_limit.body["feedback"], json!(longest));
}

#[tokio::test]
async fn a_note_on_a_run_that_is_not_yours_or_too_long_is_refused_and_changes_nothing() {
    let server = TestServer::new();
    let alice = server.user("alice@ridewire.test").await;
    let bob = server.user("bob@ridewire.test").await;
    let run = diagnose(&server, &alice, body()).await;
    let id = run.body["id"].as_str().expect("id").to_owned();
    let note = json!({"feedback": "Fixed", "at_ms": crate::common::NOW});

    let theirs = leave_note(&server, Some(&bob), &id, note.clone()).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.code(), "not_found");
    let unknown = leave_note(
        &server,
        Some(&alice),
        &uuid::Uuid::from_u128(9).to_string(),
        note.clone(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let not_an_id = leave_note(&server, Some(&alice), "P0300", note.clone()).await;
    assert_eq!(not_an_id.status, StatusCode::NOT_FOUND);
    let nobody = leave_note(&server, None, &id, note.clone()).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);

    let too_long = leave_note(
        &server,
        Some(&alice),
        &id,
        json!({"feedback": "x".repeat(2_001), "at_ms": crate::common::NOW}),
    )
    .await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert_eq!(too_long.code(), "feedback_too_long");
    for bad in [
        &b"{\"feedback\": \"Fixed\""[..],
        b"{\"feedback\": 5, \"at_ms\": 1}",
        b"{\"feedback\": \"Fixed\"}",
        b"{\"feedback\": \"Fixed\", \"at_ms\": 1, \"extra\": true}",
    ] {
        let reply = server
            .raw(
                Method::PUT,
                &format!("/api/v1/diagnostics/{id}/feedback"),
                Some(&alice),
                bad.to_vec(),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let whole = server
        .call(
            Method::GET,
            &format!("/api/v1/diagnostics/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert!(whole.body.get("feedback").is_none(), "{:?}", whole.body);
}
