use super::*;
use ridewire_engine::event::EventKind;

fn app(player: Player) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.configure_sets(Update, AppSystems::Record);
    add_runs(&mut app);
    app.insert_resource(clock());
    app.insert_resource(player);
    app
}

fn clock() -> Clock {
    Clock::Fixed {
        at_ms: 1_772_438_400_000,
        utc_offset_min: 60,
    }
}

fn diagnose(app: &mut App, codes: &str, symptoms: &[&str]) -> Finished {
    {
        let mut form = app.world_mut().resource_mut::<DiagnosisForm>();
        form.codes = codes.to_owned();
        form.symptoms = symptoms.iter().map(|s| (*s).to_owned()).collect();
    }
    app.world_mut().write_message(RunDiagnosis);
    app.update();
    match &app.world().resource::<LatestDiagnosis>().0 {
        Some(Ok(done)) => done.clone(),
        other => panic!("no diagnosis: {other:?}"),
    }
}

#[test]
fn a_run_is_recorded_at_once_and_earns_the_first_diagnosis_achievement() {
    let dir = tempfile::tempdir().expect("temp dir");
    let player = Player::open(&dir.path().join("rider.db"), &clock()).expect("open");
    let mut app = app(player);
    let done = diagnose(&mut app, "P0300, p0171", &["rough_idle"]);
    assert_eq!(done.request.codes.len(), 2, "both codes were read");
    assert!(done.offline_only);
    assert_eq!(
        done.earned,
        Outcome::Counted {
            xp: 10,
            achievements: vec!["ACH-FIRST-DIAG".into()]
        }
    );
    let history = &app.world().resource::<History>().0;
    let listed: Vec<Uuid> = history
        .as_ref()
        .expect("history")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        listed,
        vec![done.id],
        "the run is listed as soon as it is made"
    );
    let player = app.world().resource::<Player>();
    assert_eq!(player.progress().xp(), 10);
    let last = player.events().last().expect("an event");
    assert!(
        matches!(&last.kind, EventKind::DiagnosticRun { diagnostic_id, .. } if *diagnostic_id == done.id)
    );
}

#[test]
fn only_an_approved_run_lights_up_components_in_ar() {
    let player = Player::demo(&clock()).expect("demo");
    let mut app = app(player);
    let first = diagnose(&mut app, "P0300", &["rough_idle", "misfire"]);
    let highlights = app.world().resource::<ApprovedHighlights>().clone();
    if first.result.decision == Decision::Approved {
        assert_eq!(highlights.diagnosis, Some(first.id));
        assert_eq!(highlights.components, first.result.highlighted_components);
        assert!(!highlights.components.is_empty());
    } else {
        assert_eq!(highlights, ApprovedHighlights::default());
    }
    // A vague symptom alone is never approved, and must not leave the
    // previous run's components lit.
    let second = diagnose(&mut app, "", &["brake_noise"]);
    assert_ne!(second.result.decision, Decision::Approved);
    assert_eq!(
        *app.world().resource::<ApprovedHighlights>(),
        ApprovedHighlights::default()
    );
}

#[test]
fn a_note_on_a_run_is_kept_and_listed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let player = Player::open(&dir.path().join("rider.db"), &clock()).expect("open");
    let mut app = app(player);
    let done = diagnose(&mut app, "P0300", &[]);
    app.world_mut().write_message(SaveFeedback {
        run: done.id,
        text: " new plugs fixed it ".into(),
    });
    app.update();
    let form = app.world().resource::<DiagnosisForm>();
    assert_eq!(form.feedback_status, Some(Ok("feedback saved".into())));
    let history = app
        .world()
        .resource::<History>()
        .0
        .as_ref()
        .expect("history");
    assert_eq!(
        history[0].feedback.as_ref().map(|f| f.text.as_str()),
        Some("new plugs fixed it")
    );
    // A run that is not there is said so, not silently dropped.
    app.world_mut().write_message(SaveFeedback {
        run: Uuid::from_u128(42),
        text: "x".into(),
    });
    app.update();
    let form = app.world().resource::<DiagnosisForm>();
    assert!(matches!(form.feedback_status, Some(Err(_))));
}

#[test]
fn bad_codes_say_what_is_wrong_and_record_nothing() {
    let player = Player::demo(&clock()).expect("demo");
    let mut app = app(player);
    let before = app.world().resource::<Player>().events().len();
    app.world_mut().resource_mut::<DiagnosisForm>().codes = "P03X0".into();
    app.world_mut().write_message(RunDiagnosis);
    app.update();
    match &app.world().resource::<LatestDiagnosis>().0 {
        Some(Err(e)) => assert!(e.contains("P03X0"), "{e}"),
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(app.world().resource::<Player>().events().len(), before);
}

#[test]
fn an_unreachable_adapter_is_reported_not_hung_on() {
    let player = Player::demo(&clock()).expect("demo");
    let mut app = app(player);
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    app.world_mut()
        .write_message(ReadAdapter(format!("127.0.0.1:{port}")));
    let started = std::time::Instant::now();
    loop {
        app.update();
        if app
            .world()
            .resource::<DiagnosisForm>()
            .adapter_status
            .is_some()
        {
            break;
        }
        assert!(started.elapsed().as_secs() < 30, "the read never finished");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let form = app.world().resource::<DiagnosisForm>();
    assert!(matches!(&form.adapter_status, Some(Err(_))), "{form:?}");
    assert!(form.codes.is_empty(), "no codes were made up");
}
