//! The app renders real pictures: what a rider would see on each screen.

use ridewire_client::player::{Clock, Player};
use ridewire_client::theme;

use crate::picture::render;

fn rgb(c: bevy_egui::egui::Color32) -> [u8; 3] {
    [c.r(), c.g(), c.b()]
}

#[test]
fn home_screen_shows_level_xp_bar_and_achievements() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pic = render("home", "1280x720", dir.path());
    assert_eq!((pic.width, pic.height), (1280, 720));
    assert!(
        pic.distinct_colours() > 40,
        "picture looks blank: {} colours",
        pic.distinct_colours()
    );
    // The window background fills the corners.
    let bg = rgb(theme::BACKGROUND);
    let corner = pic.pixel(pic.width - 2, pic.height - 2);
    assert!(
        corner.iter().zip(bg).all(|(a, b)| a.abs_diff(b) <= 3),
        "corner {corner:?} is not the background"
    );

    // The XP bar: a gold fill from the bar's left edge, then the grey track
    // in the same rows, solid all the way to the bar's right end.
    let fill = pic.find(rgb(theme::XP_FILL), 4).expect("no XP fill pixels");
    let bar_height = ridewire_client::home::XP_BAR_HEIGHT as u32;
    assert!(
        fill.height().abs_diff(bar_height) <= 2,
        "fill is {} px high",
        fill.height()
    );
    let track = pic
        .find_in_rows(rgb(theme::XP_TRACK), 4, fill.y0, fill.y1)
        .expect("no XP track next to the fill");
    assert!(
        track.x0 > fill.x1 - 8,
        "track {track:?} does not start where the fill {fill:?} ends"
    );
    let solid = track.count as f32 / (track.width() * track.height()) as f32;
    assert!(
        solid > 0.9,
        "track is only {:.0} % solid: {track:?}",
        solid * 100.0
    );
    assert!(
        fill.y1 < pic.height / 3,
        "XP bar is not near the top: {fill:?}"
    );
    let bar_width = track.x1 - fill.x0 + 1;
    assert!(
        bar_width > pic.width * 3 / 4,
        "XP bar is only {bar_width} px wide"
    );
    assert!(
        fill.x0 < pic.width / 10,
        "XP bar does not start at the left: {fill:?}"
    );
    // The fill is as long as the rider's progress towards the next level.
    let player = Player::demo(&Clock::System).expect("demo player");
    let expected = player.progress().level().fraction();
    assert!(
        expected > 0.05 && expected < 0.95,
        "demo fraction {expected} makes a weak test"
    );
    let shown = fill.width() as f32 / bar_width as f32;
    assert!(
        (shown - expected).abs() < 0.02,
        "XP bar shows {shown:.3}, progress is {expected:.3}"
    );

    // Unlocked achievements are drawn in gold.
    let gold = pic
        .find(rgb(theme::GOLD), 12)
        .expect("no gold (unlocked achievement) pixels");
    assert!(gold.count > 50, "only {} gold pixels", gold.count);
    assert!(
        gold.y1 > fill.y1,
        "achievements should sit below the XP bar"
    );
}

#[test]
fn quests_screen_renders_the_quest_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pic = render("quests", "800x600", dir.path());
    assert_eq!((pic.width, pic.height), (800, 600));
    assert!(pic.distinct_colours() > 40, "picture looks blank");
    // The selected tab and the active quest's label are in the accent colour,
    // each quest shows its XP in gold, and there is no XP bar on this screen.
    let accent = pic.find(rgb(theme::ACCENT), 6).expect("no accent pixels");
    assert!(accent.count > 200, "only {} accent pixels", accent.count);
    let gold = pic.find(rgb(theme::GOLD), 12).expect("no quest XP labels");
    assert!(gold.count > 20);
    assert!(
        pic.find(rgb(theme::XP_FILL), 2)
            .is_none_or(|b| b.count < 50),
        "XP bar drawn on the quest screen"
    );
}
