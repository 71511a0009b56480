//! A diagnosis as the command line and the phones ask it: input checked
//! before anything is opened, the run answered offline when the rider has
//! not signed in, recorded whole, and seen at once in the rider's session.

use ridewire_app::diagnosis::{Ask, DiagnoseError, answer, gate_offline};
use ridewire_app::rider::Rider;
use ridewire_engine::diagnostics::gate::Decision;
use ridewire_engine::diagnostics::request::VehicleInfo;

const NOW: i64 = 1_772_438_400_000;

fn ask(codes: &[&str]) -> Ask {
    Ask {
        codes: codes.iter().map(|c| (*c).into()).collect(),
        symptoms: vec!["rough_idle".into()],
        query: None,
        vehicle: VehicleInfo {
            make: "Harley-Davidson".into(),
            model: "Street 750".into(),
            year: 2022,
        },
    }
}

#[test]
fn an_offline_run_is_recorded_whole_and_the_session_shows_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rider.db");
    let mut rider = Rider::open(&path, NOW).unwrap();
    let checked = gate_offline(ask(&["P0300"])).unwrap();
    let run = answer(&mut rider, checked, NOW, 60, None);
    assert_eq!(run.result.decision, Decision::Approved);
    assert_eq!(run.xp, 10);
    assert_eq!(run.achievements, ["ACH-FIRST-DIAG"]);
    assert_eq!(run.recorded, path.display().to_string());
    // The session that asked sees it without reading the file again.
    assert_eq!(rider.progress().stats().diagnostics_run, 1);
    assert_eq!(rider.progress().xp(), 10);
    let kept = rider.recent_diagnoses(1).unwrap();
    assert_eq!(kept.first().map(|r| r.id), Some(run.id));
    assert_eq!(kept[0].result, run.result);
    // And so does the next session.
    drop(rider);
    let again = Rider::open(&path, NOW).unwrap();
    assert_eq!(again.progress().stats().diagnostics_run, 1);
}

#[test]
fn bad_codes_are_refused_by_name() {
    let err = gate_offline(ask(&["P03OO"])).expect_err("bad code");
    assert!(
        matches!(err, DiagnoseError::BadInput(ref m) if m.contains("P03OO")),
        "{err}"
    );
}

#[test]
fn each_bike_lists_its_own_runs() {
    use ridewire_app::diagnosis::of_current_bike;
    use ridewire_app::garage;
    let dir = tempfile::tempdir().unwrap();
    let mut rider = Rider::open(&dir.path().join("rider.db"), NOW).unwrap();
    let street = garage::add(&mut rider, "Harley-Davidson", "Street 750", 2022, None, NOW).unwrap();
    garage::choose(&mut rider, &street.id).unwrap();
    let on_street = answer(
        &mut rider,
        gate_offline(ask(&["P0300"])).unwrap(),
        NOW,
        60,
        None,
    );
    let mt07 = garage::add(&mut rider, "Yamaha", "MT-07", 2021, None, NOW + 1).unwrap();
    garage::choose(&mut rider, &mt07.id).unwrap();
    // The MT-07 has no run yet: the Street 750's is not its history.
    assert!(of_current_bike(&rider, 10).unwrap().is_empty());
    let mut on_mt07 = ask(&["P0562"]);
    // Spelled as the rider might: the same bike.
    on_mt07.vehicle = VehicleInfo {
        make: "yamaha".into(),
        model: "mt-07 ".into(),
        year: 2021,
    };
    let on_mt07 = answer(
        &mut rider,
        gate_offline(on_mt07).unwrap(),
        NOW + 2,
        60,
        None,
    );
    let ids = |rider: &Rider| -> Vec<_> {
        of_current_bike(rider, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(ids(&rider), vec![on_mt07.id]);
    garage::choose(&mut rider, &street.id).unwrap();
    assert_eq!(ids(&rider), vec![on_street.id]);
    // Every run is still there for whoever wants them all.
    assert_eq!(rider.recent_diagnoses(10).unwrap().len(), 2);
}
