//! Diagnostic runs and notes between a rider's devices, with the device's
//! sync client (`ridewire-offline-store` over HTTP) against the real server:
//! a run the server's agents answered for the phone shows whole in the
//! terminal's history with its XP counted once, the phone's note reaches
//! the server and then the terminal, and a server without these endpoints
//! still takes and gives everything else.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ridewire_engine::diagnostics::request::DiagnosticRequest;
use ridewire_engine::event::EventKind;
use ridewire_offline_store::{Feedback, FeedbackSync};
use ridewire_server::{AppError, AppState, Db, SystemClock, app};
use ridewire_sync_client::{HttpTransport, RemoteRun, Transport, sync_once};
use uuid::Uuid;

use crate::common::test_config;
use crate::sync_client::{account, device, now_ms, random, start};

const PASSWORD: Option<&str> = Some("correct horse battery");

fn request() -> DiagnosticRequest {
    ridewire_engine::demo::diagnosis_request().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_asked_on_the_phone_shows_whole_on_the_terminal_and_notes_follow() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start(&dir.path().join("server.db"));
    let phone_link = HttpTransport::new(&base, account(PASSWORD)).unwrap();
    phone_link.register().await.unwrap();
    let terminal_link = HttpTransport::new(&base, account(PASSWORD)).unwrap();
    let mut phone = device(&dir.path().join("phone.db"));
    let mut terminal = device(&dir.path().join("terminal.db"));
    sync_once(&mut terminal, &terminal_link, now_ms(), now_ms())
        .await
        .unwrap();

    // The phone asks the server's agents; the terminal was not there.
    let asked: RemoteRun = phone_link.diagnose(&request(), 60).await.unwrap();
    let report = sync_once(&mut phone, &phone_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(report.diagnoses_kept, 1, "{report:?}");

    let report = sync_once(&mut terminal, &terminal_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(report.diagnoses_error, None);
    assert_eq!(report.diagnoses_kept, 1);
    let history = terminal.diagnoses(None, 10).unwrap();
    assert_eq!(history.len(), 1);
    let shown = &history[0];
    assert_eq!(shown.id, asked.id);
    assert_eq!(shown.request, request());
    assert_eq!(shown.result, asked.panel.diagnosis);
    assert_eq!(shown.xp, 10);
    assert_eq!(shown.achievements, ["ACH-FIRST-DIAG"]);
    assert_eq!(terminal.progress().unwrap().xp(), 10, "XP counted once");
    assert_eq!(
        terminal.server_progress().unwrap().map(|p| p.xp),
        Some(10),
        "the server agrees"
    );

    // Caught up: one page of history, nothing kept twice.
    let report = sync_once(&mut terminal, &terminal_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!((report.history_pages, report.diagnoses_kept), (1, 0));
    assert_eq!(terminal.diagnoses(None, 10).unwrap().len(), 1);
    assert_eq!(terminal.progress().unwrap().xp(), 10);

    // The phone's note reaches the server, then the terminal.
    let written = now_ms();
    assert!(
        phone
            .set_feedback(asked.id, "New plugs fixed it", written)
            .unwrap()
    );
    let report = sync_once(&mut phone, &phone_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(report.feedback_sent, 1, "{report:?}");
    let on_server = phone_link.diagnosis(asked.id).await.unwrap();
    assert_eq!(on_server.feedback.as_deref(), Some("New plugs fixed it"));
    assert_eq!(on_server.feedback_ms, Some(written));
    let report = sync_once(&mut terminal, &terminal_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(report.feedback_taken, 1);
    let note = Feedback {
        text: "New plugs fixed it".into(),
        at_ms: written,
        sync: FeedbackSync::Sent,
    };
    for store in [&phone, &terminal] {
        let run = store.diagnosis(asked.id).unwrap().unwrap();
        assert_eq!(run.feedback.as_ref(), Some(&note));
    }

    // A note on a run the server never had (answered offline on the
    // terminal) stays there and costs no request.
    let offline = Uuid::from_u128(5);
    let asked_offline = request();
    let codes = ridewire_engine::diagnostics::codes::CodeDatabase::bundled().unwrap();
    let result = ridewire_engine::diagnostics::gate::diagnose(
        &asked_offline,
        vec![ridewire_engine::diagnostics::offline::answer(
            &asked_offline,
            &codes,
        )],
    )
    .unwrap();
    terminal
        .record_diagnosis(offline, &asked_offline, &result, now_ms(), 60, random(5))
        .unwrap();
    terminal
        .set_feedback(offline, "Cleaned it", now_ms())
        .unwrap();
    let report = sync_once(&mut terminal, &terminal_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!((report.feedback_sent, report.acknowledged), (0, 1));
    assert_eq!(report.diagnoses_error, None);
    let kept = terminal.diagnosis(offline).unwrap().unwrap().feedback;
    assert_eq!(kept.map(|f| f.sync), Some(FeedbackSync::DeviceOnly));
    sync_once(&mut phone, &phone_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(phone.progress().unwrap().xp(), 20);
}

/// Answers every diagnostics address as a server from before they existed.
async fn without_diagnostics(request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/api/v1/diagnostics") {
        return AppError::NoSuchEndpoint.into_response();
    }
    next.run(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_shared_runs_still_takes_and_gives_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("server.db")).unwrap();
    let state = AppState::new(db, test_config(), Arc::new(SystemClock)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let router = app(state).layer(axum::middleware::from_fn(without_diagnostics));
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).await
    });

    let link = HttpTransport::new(&base, account(PASSWORD)).unwrap();
    link.register().await.unwrap();
    let other_link = HttpTransport::new(&base, account(PASSWORD)).unwrap();
    let mut phone = device(&dir.path().join("phone.db"));
    let mut terminal = device(&dir.path().join("terminal.db"));
    phone
        .record(
            EventKind::ArScan {
                diagnostic_id: None,
                duration_seconds: 40,
                quest: None,
                vehicle: None,
            },
            now_ms() - 1_000,
            60,
            random(1),
        )
        .unwrap();
    let report = sync_once(&mut phone, &link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(report.acknowledged, 1);
    assert!(
        report
            .diagnoses_error
            .as_deref()
            .is_some_and(|e| e.contains("does not share")),
        "{report:?}"
    );
    let report = sync_once(&mut terminal, &other_link, now_ms(), now_ms())
        .await
        .unwrap();
    assert_eq!(report.events_pulled, 1);
    assert!(report.diagnoses_error.is_some());
    assert_eq!(
        terminal.progress_summary().unwrap(),
        phone.progress_summary().unwrap()
    );
}
