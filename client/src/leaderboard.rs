//! The Leaderboard screen: the server's boards (XP, diagnoses, quests
//! completed; this week or all time), the top riders with the rider's own
//! row marked, and joining or leaving the boards under a display name.
//!
//! The syncer asks the server between its rounds; each board it brings is
//! kept in the rider's database by the app layer's
//! [`ridewire_app::leaderboard`], so offline the screen shows the last copy
//! and says how old it is.

use bevy::prelude::*;
use bevy_egui::egui::{self, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use ridewire_app::leaderboard as boards;
use ridewire_app::task::Pending;
use ridewire_engine::sync::leaderboard::{Board, DisplayName, LeaderboardPage, Period};

use crate::player::{Clock, Player};
use crate::screens::{ContentArea, Screen, show_content};
use crate::shared::SyncLink;
use crate::{AppSystems, UiSystems, theme};

pub(super) fn plugin(app: &mut App) {
    add_boards(app);
    app.add_systems(
        EguiPrimaryContextPass,
        draw.in_set(UiSystems::Screen)
            .run_if(in_state(Screen::Leaderboard)),
    );
}

/// The boards without their screen (for headless tests): asking the
/// syncer, keeping what it brings.
pub fn add_boards(app: &mut App) {
    app.init_resource::<Boards>()
        .add_message::<BoardAsk>()
        .add_systems(OnEnter(Screen::Leaderboard), update_on_enter)
        .add_systems(Update, (start, finish).chain().after(AppSystems::Record));
}

/// What the rider asked of the screen.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub enum BoardAsk {
    /// Show this board (and fetch it).
    Show(Board, Period),
    /// Fetch the board on show again.
    Refresh,
    /// List me under the name typed.
    Join,
    /// Take me off every board.
    Leave,
}

type Answer<T> = Pending<ridewire_sync_client::Result<T>>;

/// The screen's state: which board, what is being asked, what went wrong.
#[derive(Resource)]
pub struct Boards {
    pub board: Board,
    pub period: Period,
    /// The display name being typed.
    pub name: String,
    fetching: Option<(Board, Period, Answer<LeaderboardPage>)>,
    naming: Option<Answer<DisplayName>>,
    /// Why the board on show could not be brought up to date.
    pub problem: Option<String>,
    /// How joining or leaving went.
    pub message: Option<Result<String, String>>,
}

impl Default for Boards {
    fn default() -> Self {
        Self {
            board: Board::Xp,
            period: Period::Week,
            name: String::new(),
            fetching: None,
            naming: None,
            problem: None,
            message: None,
        }
    }
}

impl Boards {
    /// A board is being fetched.
    pub fn fetching(&self) -> bool {
        self.fetching.is_some()
    }

    /// Joining or leaving is under way.
    pub fn naming(&self) -> bool {
        self.naming.is_some()
    }

    fn fetch(&mut self, link: &SyncLink) {
        let Some(syncer) = link.syncer() else {
            return;
        };
        // One question at a time: a board asked while another is on its
        // way is fetched when that one comes back (see `finish`).
        if self.fetching.is_some() {
            return;
        }
        match syncer.leaderboard(self.board, self.period) {
            Ok(answer) => {
                self.fetching = Some((
                    self.board,
                    self.period,
                    Pending::from("the sync thread", answer),
                ));
            }
            Err(e) => self.problem = Some(e.to_string()),
        }
    }
}

fn update_on_enter(mut state: ResMut<Boards>, link: Res<SyncLink>) {
    state.fetch(&link);
}

fn start(
    mut asks: MessageReader<BoardAsk>,
    mut state: ResMut<Boards>,
    link: Res<SyncLink>,
    player: Option<Res<Player>>,
) {
    for ask in asks.read() {
        match ask {
            BoardAsk::Show(board, period) => {
                state.board = *board;
                state.period = *period;
                state.problem = None;
                state.fetch(&link);
            }
            BoardAsk::Refresh => {
                state.problem = None;
                state.fetch(&link);
            }
            BoardAsk::Join | BoardAsk::Leave => {
                if state.naming() {
                    continue;
                }
                let name = match ask {
                    BoardAsk::Join => match boards::check_name(&state.name) {
                        Ok(name) => Some(name),
                        Err(e) => {
                            state.message = Some(Err(e.to_string()));
                            continue;
                        }
                    },
                    _ => None,
                };
                let Some(syncer) = link.syncer() else {
                    state.message = Some(Err(not_signed_in(player.as_deref())));
                    continue;
                };
                match syncer.set_display_name(name) {
                    Ok(answer) => {
                        state.naming = Some(Pending::from("the sync thread", answer));
                        state.message = None;
                    }
                    Err(e) => state.message = Some(Err(e.to_string())),
                }
            }
        }
    }
}

fn finish(
    mut state: ResMut<Boards>,
    link: Res<SyncLink>,
    player: Option<ResMut<Player>>,
    clock: Res<Clock>,
) {
    let Some(mut player) = player else { return };
    let fetched = state
        .fetching
        .as_ref()
        .and_then(|(board, period, answer)| Some(((*board, *period), answer.poll()?)));
    if let Some((asked, answer)) = fetched {
        state.fetching = None;
        let shown = asked == (state.board, state.period);
        match answer
            .map_err(|e| e.to_string())
            .and_then(|a| a.map_err(|e| e.to_string()))
        {
            Ok(page) => {
                if let Err(e) = boards::keep(&mut player, &page, clock.now().0) {
                    state.problem = Some(format!("the board could not be kept: {e}"));
                } else if shown {
                    state.problem = None;
                }
            }
            Err(e) if shown => state.problem = Some(e),
            Err(_) => {}
        }
        if !shown {
            // The rider moved on while it came: fetch theirs.
            state.fetch(&link);
        }
    }
    let named = state.naming.as_ref().and_then(Pending::poll);
    if let Some(answer) = named {
        state.naming = None;
        match answer
            .map_err(|e| e.to_string())
            .and_then(|a| a.map_err(|e| e.to_string()))
        {
            Ok(kept) => {
                let name = kept.display_name;
                if let Err(e) = boards::remember_name(&mut player, name.as_deref()) {
                    warn!("the display name could not be kept here: {e}");
                }
                state.message = Some(Ok(match &name {
                    Some(name) => format!("You are on the boards as {name}."),
                    None => "You are off the boards.".to_owned(),
                }));
                if name.is_some() {
                    state.name.clear();
                }
                state.fetch(&link);
            }
            Err(e) => state.message = Some(Err(e)),
        }
    }
}

fn not_signed_in(player: Option<&Player>) -> String {
    if player.is_some_and(|p| p.is_demo()) {
        "the demo garage has no account on a server: start without --demo".to_owned()
    } else {
        "sign in on the Settings screen (Sync) to update the boards and join them".to_owned()
    }
}

fn draw(
    mut contexts: EguiContexts,
    area: Res<ContentArea>,
    player: Option<Res<Player>>,
    link: Res<SyncLink>,
    clock: Res<Clock>,
    mut state: ResMut<Boards>,
    mut asks: MessageWriter<BoardAsk>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let now_ms = clock.now().0;
    show_content(ctx, &area, "leaderboard", |ui| {
        ui.label(RichText::new("Leaderboards").size(24.0).strong());
        ui.label(
            RichText::new(
                "Ranked by the server from verified progress only. You are listed only \
                 under a name you choose.",
            )
            .color(theme::MUTED),
        );
        ui.add_space(10.0);
        tabs(ui, &state, &mut asks, link.syncer().is_some());
        let kept = player
            .as_deref()
            .and_then(|p| boards::kept(p, state.board, state.period));
        ui.add_space(6.0);
        status_line(
            ui,
            &state,
            kept.as_ref(),
            link.syncer().is_some(),
            player.as_deref(),
            now_ms,
        );
        ui.add_space(10.0);
        match &kept {
            Some(kept) => table(ui, &kept.page),
            None => {
                ui.label(RichText::new("No copy of this board yet.").color(theme::MUTED));
            }
        }
        ui.add_space(14.0);
        let listed = player.as_deref().and_then(|p| boards::name(p));
        name_card(ui, &mut state, listed.as_deref(), &mut asks);
    });
    Ok(())
}

fn tabs(ui: &mut egui::Ui, state: &Boards, asks: &mut MessageWriter<BoardAsk>, online: bool) {
    ui.horizontal(|ui| {
        for board in Board::ALL {
            let label = RichText::new(board.title()).size(17.0);
            if ui.selectable_label(board == state.board, label).clicked() {
                asks.write(BoardAsk::Show(board, state.period));
            }
        }
        ui.add_space(24.0);
        for period in Period::ALL {
            let label = RichText::new(period.title()).size(17.0);
            if ui.selectable_label(period == state.period, label).clicked() {
                asks.write(BoardAsk::Show(state.board, period));
            }
        }
        ui.add_space(24.0);
        let refresh = ui.add_enabled(online && !state.fetching(), egui::Button::new("Refresh"));
        if refresh.clicked() {
            asks.write(BoardAsk::Refresh);
        }
    });
}

/// How fresh the board on show is, and why it is not fresher.
fn status_line(
    ui: &mut egui::Ui,
    state: &Boards,
    kept: Option<&boards::Kept>,
    online: bool,
    player: Option<&Player>,
    now_ms: i64,
) {
    let age = kept.map(|k| boards::age_words(k.fetched_ms, now_ms));
    let week = kept
        .and_then(|k| k.page.week_start_ms)
        .map(|ms| {
            let day = ridewire_app::clock::date_of_day(ms.div_euclid(86_400_000));
            format!("week from {} · ", day.format("%a %-d %b"))
        })
        .unwrap_or_default();
    let (text, colour) = if state.fetching() {
        ("Updating…".to_owned(), theme::GOLD)
    } else if let Some(problem) = &state.problem {
        let shown = match &age {
            Some(age) => format!("Could not update ({problem}): showing the copy {week}{age}"),
            None => format!("Could not fetch the board: {problem}"),
        };
        (shown, theme::WARN)
    } else if !online {
        let why = not_signed_in(player);
        let shown = match &age {
            Some(age) => format!("Offline copy, {week}{age}: {why}"),
            None => format!("No board yet: {why}"),
        };
        (shown, theme::MUTED)
    } else {
        (
            age.map(|a| format!("{week}{a}")).unwrap_or_default(),
            theme::MUTED,
        )
    };
    ui.label(RichText::new(text).color(colour));
}

/// The top riders, the rider's own row marked, and where they stand.
fn table(ui: &mut egui::Ui, page: &LeaderboardPage) {
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(
            RichText::new(boards::standing_words(page))
                .size(18.0)
                .color(theme::ACCENT),
        );
        ui.label(
            RichText::new(format!(
                "{} rider{} listed",
                page.listed,
                if page.listed == 1 { "" } else { "s" }
            ))
            .color(theme::MUTED),
        );
        ui.add_space(8.0);
        if page.top.is_empty() {
            ui.label(RichText::new("Nobody is listed on this board yet.").color(theme::MUTED));
            return;
        }
        let me = page.me.display_name.as_deref();
        egui::Grid::new("leaderboard-table")
            .striped(true)
            .num_columns(3)
            .min_col_width(80.0)
            .spacing(egui::vec2(28.0, 6.0))
            .show(ui, |ui| {
                ui.label(RichText::new("Rank").color(theme::MUTED));
                ui.label(RichText::new("Rider").color(theme::MUTED));
                ui.label(RichText::new(page.board.title()).color(theme::MUTED));
                ui.end_row();
                for entry in &page.top {
                    let mine = Some(entry.display_name.as_str()) == me;
                    let cell = |text: String| {
                        let text = RichText::new(text).size(16.0);
                        if mine {
                            text.strong().color(theme::ACCENT)
                        } else {
                            text
                        }
                    };
                    ui.label(cell(boards::ordinal(entry.rank)));
                    let who = if mine {
                        format!("{} (you)", entry.display_name)
                    } else {
                        entry.display_name.clone()
                    };
                    ui.label(cell(who));
                    ui.label(cell(format!(
                        "{} {}",
                        entry.value,
                        boards::unit(page.board, entry.value)
                    )));
                    ui.end_row();
                }
            });
    });
}

/// Joining the boards under a name, or leaving them.
fn name_card(
    ui: &mut egui::Ui,
    state: &mut Boards,
    listed: Option<&str>,
    asks: &mut MessageWriter<BoardAsk>,
) {
    theme::card().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Your name on the boards").size(18.0).strong());
        let idle = !state.naming();
        match listed {
            Some(name) => {
                ui.horizontal(|ui| {
                    ui.label(format!("Listed as {name}."));
                    if ui
                        .add_enabled(idle, egui::Button::new("Leave the boards"))
                        .clicked()
                    {
                        asks.write(BoardAsk::Leave);
                    }
                });
            }
            None => {
                ui.label(
                    RichText::new(
                        "You are on no board until you choose a name (3 to 24 characters). \
                         Only the name and your numbers are shown.",
                    )
                    .color(theme::MUTED),
                );
                ui.horizontal(|ui| {
                    ui.label("Display name");
                    ui.add(egui::TextEdit::singleline(&mut state.name).desired_width(220.0));
                    if ui
                        .add_enabled(idle, egui::Button::new("Join the boards"))
                        .clicked()
                    {
                        asks.write(BoardAsk::Join);
                    }
                });
            }
        }
        theme::outcome(ui, &state.message);
    });
}
