//! The review queue: a workshop's mechanic answers the runs the gate
//! escalated for its customers who share their diagnoses; the answer is an
//! event in the rider's log, pulled like any other; nobody else's runs are
//! seen or answered.

use axum::http::{Method, StatusCode};
use ridewire_engine::diagnostics::review::Review;
use ridewire_engine::event::EventKind;
use serde_json::{Value, json};

use crate::common::{Device, Reply, TestServer};
use crate::workshops::{accept, code, workshop};

async fn queue(server: &TestServer, token: &str, workshop: &str) -> Reply {
    let path = format!("/api/v1/workshops/{workshop}/reviews");
    server.call(Method::GET, &path, Some(token), None).await
}

async fn answer(server: &TestServer, token: &str, workshop: &str, run: &str, body: Value) -> Reply {
    let path = format!("/api/v1/workshops/{workshop}/reviews/{run}");
    server
        .call(Method::POST, &path, Some(token), Some(body))
        .await
}

/// An owner's workshop, its mechanic and a customer sharing `shares`.
async fn shop(server: &TestServer, tag: &str, shares: Value) -> (String, String, String, String) {
    let owner = server.user(&format!("owner-{tag}@moto.test")).await;
    let id = workshop(server, &owner, &format!("Moto {tag}")).await;
    let mechanic = server.user(&format!("mechanic-{tag}@moto.test")).await;
    let joined = accept(
        server,
        &mechanic,
        json!({"code": code(server, &owner, &id, "mechanic").await}),
    )
    .await;
    assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.body);
    let rider = server.user(&format!("rider-{tag}@moto.test")).await;
    let body = json!({"code": code(server, &owner, &id, "customer").await, "shares": shares});
    let joined = accept(server, &rider, body).await;
    assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.body);
    (id, owner, mechanic, rider)
}

/// A diagnosis the offline agent alone is unsure of (a misfire and a lean
/// mixture disagree): the gate escalates it.
async fn escalated_run(server: &TestServer, token: &str) -> String {
    let run = server
        .call(
            Method::POST,
            "/api/v1/diagnostics",
            Some(token),
            Some(json!({"codes": ["P0300", "P0171"],
                "vehicle": {"make": "Yamaha", "model": "MT-07", "year": 2021}})),
        )
        .await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    assert_eq!(run.body["panel"]["diagnosis"]["decision"], "escalated");
    run.body["id"].as_str().expect("id").to_owned()
}

/// The ids of the runs in a queue.
fn runs(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["run"].as_str().expect("id").to_owned())
        .collect()
}

/// The `DiagnosisReviewed` events a pull from the start brings.
async fn pulled_reviews(server: &TestServer, token: &str) -> Vec<(String, Review)> {
    let page = server.pull(token, "", None).await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    page.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["type"] == "event" && c["event"]["kind"] == "diagnosis_reviewed")
        .map(|c| {
            let event: ridewire_engine::event::Event =
                serde_json::from_value(c["event"].clone()).expect("event");
            match event.kind {
                EventKind::DiagnosisReviewed {
                    diagnostic_id,
                    review,
                } => (diagnostic_id.to_string(), *review),
                other => panic!("{other:?}"),
            }
        })
        .collect()
}

#[tokio::test]
async fn a_mechanic_answers_an_escalated_run_and_the_rider_pulls_the_answer() {
    let server = TestServer::new();
    let (shop, owner, mechanic, rider) = shop(&server, "a", json!(["bikes", "diagnoses"])).await;
    let run = escalated_run(&server, &rider).await;
    let waiting = queue(&server, &mechanic, &shop).await;
    let ids = runs(&waiting);
    assert_eq!(
        ids.len(),
        1,
        "the offline agent alone escalates: {:?}",
        waiting.body
    );
    let item = &waiting.body["runs"][0];
    assert_eq!(item["request"]["codes"], json!(["P0300", "P0171"]));
    let candidates = item["consensus"]["highlighted_components"].clone();
    assert!(
        candidates.as_array().is_some_and(|c| !c.is_empty()),
        "{item}"
    );
    let run = &run;

    // The front desk books; it does not diagnose.
    let desk = server.user("desk-a@moto.test").await;
    let joined = accept(
        &server,
        &desk,
        json!({"code": code(&server, &owner, &shop, "front_desk").await}),
    )
    .await;
    assert_eq!(joined.status, StatusCode::OK);
    let refused = queue(&server, &desk, &shop).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "mechanic_only");

    // Advice the agents could not give, a person cannot give either.
    let unsafe_advice = json!({"verdict": "approved",
        "text": "The misfire is nothing; ignore the brake warning light and keep riding."});
    let refused = answer(&server, &mechanic, &shop, run, unsafe_advice).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.body["error"]["code"], "unsafe_advice");
    let unknown = json!({"verdict": "corrected", "text": "Replace the coil.", "components": ["flux_capacitor"]});
    let refused = answer(&server, &mechanic, &shop, run, unknown).await;
    assert_eq!(
        refused.body["error"]["code"], "invalid_components",
        "{:?}",
        refused.body
    );
    assert_eq!(
        runs(&queue(&server, &mechanic, &shop).await),
        ids,
        "a refused answer changes nothing"
    );
    assert!(pulled_reviews(&server, &rider).await.is_empty());

    let fix = json!({"verdict": "corrected",
        "text": "The plugs are fine; the front coil breaks down when hot. Replace the ignition coil before riding again.",
        "components": ["ignition_coil"]});
    let done = answer(&server, &mechanic, &shop, run, fix).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(done.body["review"]["components"], json!(["ignition_coil"]));
    assert_eq!(done.body["review"]["workshop_name"], "Moto a");

    // The first answer decides; the queue is empty.
    let again = json!({"verdict": "rejected", "text": "Bring it in."});
    let late = answer(&server, &owner, &shop, run, again).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert_eq!(late.body["error"]["code"], "already_reviewed");
    assert!(runs(&queue(&server, &mechanic, &shop).await).is_empty());

    // The rider's devices pull it: an event of their log, whose id the
    // answer named, saying who answered, for which workshop and what.
    let pulled = pulled_reviews(&server, &rider).await;
    assert_eq!(pulled.len(), 1);
    let (about, review) = &pulled[0];
    assert_eq!(about, run);
    assert_eq!(review.reviewer_name, "A mechanic");
    assert_eq!(review.lit_components(), ["ignition_coil"]);
    assert!(review.text.starts_with("The plugs are fine"));
}

#[tokio::test]
async fn only_the_workshop_a_customer_shares_diagnoses_with_sees_and_answers_their_runs() {
    let server = TestServer::new();
    let (a, _, mechanic_a, rider) = shop(&server, "a", json!(["diagnoses"])).await;
    let (b, _, mechanic_b, other) = shop(&server, "b", json!(["bikes"])).await;
    let run = escalated_run(&server, &rider).await;
    escalated_run(&server, &other).await;
    let in_a = runs(&queue(&server, &mechanic_a, &a).await);
    assert_eq!(in_a, [run]);
    // B's customer shares only bikes: B sees no run, and A never sees B's.
    assert!(runs(&queue(&server, &mechanic_b, &b).await).is_empty());
    let body = json!({"verdict": "rejected", "text": "Bring it in; this needs a look."});
    let refused = answer(&server, &mechanic_b, &b, &in_a[0], body.clone()).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{:?}", refused.body);
    let refused = answer(&server, &mechanic_b, &a, &in_a[0], body.clone()).await;
    assert_eq!(
        refused.status,
        StatusCode::NOT_FOUND,
        "another workshop is not told A exists"
    );
    let refused = queue(&server, &mechanic_b, &a).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    // A rider who stops sharing diagnoses takes their runs out of the queue.
    let stop = server
        .call(
            Method::PUT,
            &format!("/api/v1/workshops/{a}/sharing"),
            Some(&rider),
            Some(json!({"shares": ["bikes"]})),
        )
        .await;
    assert_eq!(stop.status, StatusCode::OK, "{:?}", stop.body);
    assert!(runs(&queue(&server, &mechanic_a, &a).await).is_empty());
    let refused = answer(&server, &mechanic_a, &a, &in_a[0], body).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_device_cannot_claim_a_review_for_itself() {
    let server = TestServer::new();
    let rider = server.user("rider@moto.test").await;
    let mut phone = Device::new(7);
    let review = Review {
        workshop: uuid::Uuid::from_u128(1),
        workshop_name: "Made up".into(),
        reviewer: 1,
        reviewer_name: "Me".into(),
        verdict: ridewire_engine::diagnostics::review::Verdict::Approved,
        text: "All good.".into(),
        components: vec!["battery".into()],
    };
    let event = phone.next(EventKind::DiagnosisReviewed {
        diagnostic_id: uuid::Uuid::from_u128(2),
        review: Box::new(review),
    });
    let pushed = server.push(&rider, phone.id(), &[event]).await;
    assert_eq!(pushed.status, StatusCode::OK, "{:?}", pushed.body);
    assert_eq!(
        pushed.body["rejected"][0]["reason"], "server_only",
        "{:?}",
        pushed.body
    );
    assert!(pulled_reviews(&server, &rider).await.is_empty());
}

#[tokio::test]
async fn a_run_escalated_on_a_device_without_signal_is_reviewed_too() {
    use ridewire_engine::diagnostics::codes::CodeDatabase;
    use ridewire_engine::diagnostics::evidence::{RunEvidence, gate_offline};
    use ridewire_engine::diagnostics::request::{DiagnosticRequest, VehicleInfo};

    let server = TestServer::new();
    let (shop, _owner, mechanic, rider) = shop(&server, "d", json!(["diagnoses"])).await;
    // The phone had no signal: its offline agent answered, the gate held
    // the answer for a person, and the run reaches the server as an event.
    let request = DiagnosticRequest {
        query: String::new(),
        vehicle: VehicleInfo {
            make: "Yamaha".into(),
            model: "MT-07".into(),
            year: 2021,
        },
        symptoms: vec![],
        codes: vec![
            "P0300".parse().expect("code"),
            "P0171".parse().expect("code"),
        ],
    };
    let db = CodeDatabase::bundled().expect("codes");
    let gated = gate_offline(&request, &db).expect("gated");
    assert_eq!(
        gated.decision,
        ridewire_engine::diagnostics::gate::Decision::Escalated
    );
    let run = uuid::Uuid::from_u128(0x0ff1);
    let mut phone = Device::new(9);
    let event = phone.next(EventKind::DiagnosticRun {
        diagnostic_id: run,
        vehicle: None,
        quest: None,
        evidence: Some(Box::new(RunEvidence::of(&request, &gated))),
    });
    for _ in 0..2 {
        // Sent twice (a lost reply): one run in the queue.
        let pushed = server
            .push(&rider, phone.id(), std::slice::from_ref(&event))
            .await;
        assert_eq!(pushed.status, StatusCode::OK, "{:?}", pushed.body);
    }
    let waiting = queue(&server, &mechanic, &shop).await;
    assert_eq!(runs(&waiting), [run.to_string()], "{:?}", waiting.body);
    let item = &waiting.body["runs"][0];
    assert_eq!(item["request"]["codes"], json!(["P0300", "P0171"]));
    assert!(
        item["consensus"]["highlighted_components"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "the reproduced answer: {item}"
    );

    let fix = json!({"verdict": "approved",
        "text": "Check the spark plugs and the injectors before a long ride."});
    let done = answer(&server, &mechanic, &shop, &run.to_string(), fix).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert!(runs(&queue(&server, &mechanic, &shop).await).is_empty());
    let pulled = pulled_reviews(&server, &rider).await;
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0].0, run.to_string());

    // An approved run a device answered is nobody's to review.
    let calm = DiagnosticRequest {
        codes: vec!["P0351".parse().expect("code")],
        ..request
    };
    let gated = gate_offline(&calm, &db).expect("gated");
    let event = phone.next(EventKind::DiagnosticRun {
        diagnostic_id: uuid::Uuid::from_u128(0x0ff2),
        vehicle: None,
        quest: None,
        evidence: Some(Box::new(RunEvidence::of(&calm, &gated))),
    });
    let pushed = server.push(&rider, phone.id(), &[event]).await;
    assert_eq!(pushed.status, StatusCode::OK, "{:?}", pushed.body);
    assert!(runs(&queue(&server, &mechanic, &shop).await).is_empty());
}
