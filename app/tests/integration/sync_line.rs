//! The sync line every screen shows: what state sync is in and what the
//! rider can do about it.

use ridewire_app::account::{Tone, sync_line};
use ridewire_sync_client::{SyncStatus, Trouble};

const NOW: i64 = 1_780_000_000_000;

fn status(edit: impl FnOnce(&mut SyncStatus)) -> SyncStatus {
    let mut s = SyncStatus {
        rounds: 3,
        last_success_ms: Some(NOW - 5 * 60_000),
        next_round_ms: Some(NOW + 30_000),
        ..SyncStatus::default()
    };
    edit(&mut s);
    s
}

#[test]
fn each_state_reads_as_the_rider_needs_it() {
    let quiet = sync_line(None, None, NOW);
    assert_eq!(
        (quiet.text.as_str(), quiet.tone),
        ("On this device only", Tone::Quiet)
    );
    assert!(quiet.advice.unwrap().contains("Sign in"));

    let good = sync_line(Some(&status(|_| {})), None, NOW);
    assert_eq!(
        (good.text.as_str(), good.tone),
        ("Synced 5 min ago", Tone::Good)
    );
    assert_eq!(good.advice, None);

    let running = sync_line(Some(&status(|s| s.syncing = true)), None, NOW);
    assert_eq!(
        (running.text.as_str(), running.tone),
        ("Syncing…", Tone::Busy)
    );

    let waiting = sync_line(Some(&status(|s| s.pending = 4)), None, NOW);
    assert_eq!(waiting.text, "4 waiting to send");

    let offline = sync_line(
        Some(&status(|s| {
            s.pending = 2;
            s.last_trouble = Some(Trouble::Network);
            s.last_error = Some("connection refused".into());
        })),
        None,
        NOW,
    );
    assert_eq!(offline.text, "Offline: 2 waiting to send, next try in 30 s");
    assert_eq!(offline.tone, Tone::Busy);
    assert!(offline.advice.unwrap().contains("kept on this device"));

    let signed_out = sync_line(
        Some(&status(|s| s.last_trouble = Some(Trouble::Auth))),
        None,
        NOW,
    );
    assert_eq!(signed_out.tone, Tone::Trouble);
    assert!(signed_out.advice.unwrap().contains("Sign in again"));

    let refused = sync_line(
        Some(&status(|s| {
            s.last_trouble = Some(Trouble::Refused);
            s.last_error = Some("the server refused the push (422): bad event".into());
        })),
        None,
        NOW,
    );
    assert_eq!(refused.tone, Tone::Trouble);
    assert!(refused.advice.unwrap().contains("422"));

    let wedged = sync_line(Some(&status(|s| s.wedged = 1)), None, NOW);
    assert_eq!(wedged.text, "1 event(s) the server will not take");

    let never = sync_line(Some(&status(|s| s.last_success_ms = None)), None, NOW);
    assert_eq!(never.text, "Waiting for the first sync");

    let off = sync_line(None, Some("the kept session is damaged"), NOW);
    assert_eq!(off.tone, Tone::Trouble);
    assert!(off.text.contains("damaged"));
}
