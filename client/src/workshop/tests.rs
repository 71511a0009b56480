//! The terminal by touch alone: every tap is a synthetic touch, turned into
//! egui input exactly as bevy_egui 0.42 turns a `TouchInput` into it
//! (`write_touch_message`: the touch itself, the pointer moved there and
//! pressed; on lifting, released and gone), on a 1920×1080 screen in the
//! touch layout. No mouse, no keyboard.

use bevy_egui::egui;
use ridewire_app::workshop_board::Board;
use ridewire_engine::diagnostics::consensus::Consensus;
use ridewire_engine::diagnostics::gate::SafetyFlag;
use ridewire_engine::diagnostics::request::{DiagnosticRequest, VehicleInfo};
use ridewire_engine::sync::workshops::{
    Bay, Booking, Customer, Membership, NewBooking, ReviewInput, ReviewItem, Role, Share, Verdict,
    WorkshopCall,
};
use uuid::Uuid;

use super::board::TARGET;
use super::{Terminal, TerminalUi, board_panel, reviews_panel};

/// Thursday 2026-03-05 08:30 UTC (09:30 at the workshop, UTC+1).
pub const NOW: i64 = 1_772_699_400_000;
const SHOP: Uuid = Uuid::from_u128(0x5107);
const LIFT_1: Uuid = Uuid::from_u128(1);
const LIFT_2: Uuid = Uuid::from_u128(2);

fn bay(id: Uuid, name: &str) -> Bay {
    Bay {
        id,
        name: name.into(),
        opens_min: 8 * 60,
        closes_min: 17 * 60,
        days: vec![1, 2, 3, 4, 5],
        slot_minutes: 90,
        utc_offset_min: 60,
    }
}

fn customer(id: i64, name: &str) -> Customer {
    Customer {
        customer: id,
        display_name: Some(name.into()),
        since_ms: NOW - 86_400_000,
        shares: vec![Share::Bikes, Share::Diagnoses],
        bikes: Some(Vec::new()),
        diagnoses: Some(Vec::new()),
    }
}

fn review_item(run: u128, customer: i64, codes: &[&str]) -> ReviewItem {
    ReviewItem {
        run: Uuid::from_u128(run),
        customer,
        display_name: None,
        created_ms: NOW - 3_600_000,
        request: DiagnosticRequest {
            query: String::new(),
            vehicle: VehicleInfo {
                make: "Yamaha".into(),
                model: "MT-07".into(),
                year: 2021,
            },
            symptoms: vec![],
            codes: codes.iter().filter_map(|c| c.parse().ok()).collect(),
        },
        consensus: Some(Consensus {
            score: 0.5,
            confidence: 0.59,
            diagnosis: "Random misfire with a lean mixture".into(),
            cause: "misfire".into(),
            representative: "offline".into(),
            highlighted_components: vec!["spark_plugs".into(), "fuel_injectors".into()],
            recommended_action: "Check the spark plugs and the injectors.".into(),
            estimated_cost: None,
            agents: 1,
        }),
        flags: vec![SafetyFlag::SingleAgent],
    }
}

/// A workshop's morning: two lifts, one booking, two runs to review.
pub fn board() -> Board {
    let lift_1 = bay(LIFT_1, "Lift 1");
    let slots = lift_1.slots_on(lift_1.local_day(NOW));
    Board {
        workshop: Membership {
            workshop: SHOP,
            name: "Moto Müller".into(),
            role: Role::Owner,
            shares: vec![],
            since_ms: NOW - 30 * 86_400_000,
        },
        fetched_ms: NOW - 120_000,
        bays: vec![lift_1, bay(LIFT_2, "Lift 2")],
        bookings: vec![Booking {
            id: Uuid::from_u128(77),
            workshop: SHOP,
            bay: LIFT_1,
            customer: 11,
            start_ms: slots[2].start_ms,
            end_ms: slots[2].end_ms,
            service: "Annual service".into(),
            bike: None,
            notes: "Rattle from the chain".into(),
            created_ms: NOW - 86_400_000,
            cancelled_ms: None,
        }],
        customers: vec![customer(11, "Jo Rider"), customer(12, "Ana Ortiz")],
        reviews: vec![
            review_item(0xa1, 11, &["P0300", "P0171"]),
            review_item(0xa2, 12, &["P0420"]),
        ],
        plans: vec![],
        templates: vec![],
    }
}

#[derive(Clone, Copy)]
enum Tab {
    Board,
    Reviews,
    Plans,
}

/// A terminal's screen, drawn by egui frame by frame.
struct Screen {
    ctx: egui::Context,
    terminal: Terminal,
    state: TerminalUi,
    tab: Tab,
    shapes: Vec<egui::epaint::ClippedShape>,
    preview: super::PlanPreview,
    /// The terminal's clock: a second a frame.
    elapsed: std::time::Duration,
}

impl Screen {
    fn new(tab: Tab) -> Self {
        Self::with(tab, board())
    }

    fn with(tab: Tab, board: Board) -> Self {
        let ctx = egui::Context::default();
        crate::theme::apply(&ctx, true);
        let terminal = Terminal {
            board: Some(board),
            ..Terminal::default()
        };
        let mut screen = Screen {
            ctx,
            terminal,
            state: TerminalUi::default(),
            tab,
            shapes: Vec::new(),
            preview: super::PlanPreview::default(),
            elapsed: std::time::Duration::ZERO,
        };
        // Windows and columns lay themselves out on the first frames.
        screen.frame(vec![]);
        screen.frame(vec![]);
        screen
    }

    fn frame(&mut self, events: Vec<egui::Event>) -> Option<WorkshopCall> {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1920.0, 1080.0),
            )),
            events,
            ..Default::default()
        };
        let mut asked = None;
        self.elapsed += std::time::Duration::from_secs(1);
        if matches!(self.tab, Tab::Plans) {
            self.preview
                .update(&self.ctx, &mut self.state.plan, self.elapsed);
        }
        let (terminal, state, tab, preview) =
            (&self.terminal, &mut self.state, self.tab, &self.preview);
        let mut out = self.ctx.run_ui(input, |ui| {
            asked = match tab {
                Tab::Board => board_panel(ui, terminal, state, NOW),
                Tab::Reviews => reviews_panel(ui, terminal, state, NOW),
                Tab::Plans => super::plans_panel(ui, terminal, state, preview, NOW),
            };
        });
        // No renderer here to take the font textures.
        out.textures_delta.clear();
        self.shapes = out.shapes;
        asked
    }

    /// Where `text` (a whole galley, or a line of one) was painted.
    fn find(&self, text: &str) -> Option<egui::Rect> {
        fn find(shape: &egui::Shape, text: &str) -> Option<egui::Rect> {
            match shape {
                egui::Shape::Text(t) => {
                    let whole = t.galley.text();
                    (whole == text || whole.lines().any(|l| l == text))
                        .then(|| t.galley.rect.translate(t.pos.to_vec2()))
                }
                egui::Shape::Vec(list) => list.iter().find_map(|s| find(s, text)),
                _ => None,
            }
        }
        self.shapes.iter().find_map(|c| find(&c.shape, text))
    }

    /// A finger on `text` and off again; what the screen asked for.
    fn tap(&mut self, text: &str) -> Option<WorkshopCall> {
        let at = self
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} is not on the screen"))
            .center();
        let touch = |phase| egui::Event::Touch {
            device_id: egui::TouchDeviceId(0),
            id: egui::TouchId(1),
            phase,
            pos: at,
            force: None,
        };
        let button = |pressed| egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        let mut asked = self.frame(vec![
            touch(egui::TouchPhase::Start),
            egui::Event::PointerMoved(at),
            button(true),
        ]);
        asked = asked.or(self.frame(vec![
            touch(egui::TouchPhase::End),
            button(false),
            egui::Event::PointerGone,
        ]));
        // The next frame shows what the tap changed.
        asked.or(self.frame(vec![]))
    }

    /// Every enabled target on the screen that is smaller than a finger.
    fn small_targets(&self) -> Vec<egui::Rect> {
        self.ctx.viewport(|v| {
            v.prev_pass
                .widgets
                .layers()
                .flat_map(|(_, widgets)| widgets.iter())
                .filter(|w| w.enabled && w.sense.senses_click())
                .map(|w| w.rect)
                .filter(|r| r.width() < TARGET - 0.5 || r.height() < TARGET - 0.5)
                .collect()
        })
    }
}

#[test]
fn the_front_desk_books_a_free_slot_with_three_taps() {
    let mut screen = Screen::new(Tab::Board);
    assert!(
        screen.small_targets().is_empty(),
        "{:?}",
        screen.small_targets()
    );
    // The booked slot names its customer and what waits for review.
    assert!(screen.find("11:00–12:30  Jo Rider").is_some());
    assert!(screen.find("1 diagnosis to review").is_some());
    // 09:30 has begun (it is 09:30 at the workshop) and 11:00 is booked:
    // the first free slot of Lift 1 to tap is 12:30.
    let lift_1 = bay(LIFT_1, "Lift 1");
    let twelve_thirty = lift_1.slots_on(lift_1.local_day(NOW))[3];
    assert_eq!(screen.tap("Free: tap to book"), None);
    let sheet = screen.state.booking.clone().expect("the booking sheet");
    assert_eq!(sheet.slot, twelve_thirty);
    assert!(screen.find("Book Lift 1 at 12:30").is_some());
    assert!(
        screen.small_targets().is_empty(),
        "{:?}",
        screen.small_targets()
    );
    assert_eq!(screen.tap("Ana Ortiz"), None);
    assert_eq!(screen.tap("Tyres"), None);
    let mut asked = screen.tap("Book");
    // The terminal gives the booking its id, so a resend is not a second
    // booking.
    if let Some(WorkshopCall::Book { booking, .. }) = asked.as_mut() {
        assert!(booking.id.take().is_some(), "{booking:?}");
    }
    assert_eq!(
        asked,
        Some(WorkshopCall::Book {
            workshop: SHOP,
            booking: NewBooking {
                bay: LIFT_1,
                start_ms: twelve_thirty.start_ms,
                service: "Tyres".into(),
                bike: None,
                notes: String::new(),
                customer: Some(12),
                id: None,
            },
        })
    );
}

#[test]
fn a_booking_queued_on_the_terminal_holds_its_slot_until_it_is_sent() {
    let lift_1 = bay(LIFT_1, "Lift 1");
    let twelve_thirty = lift_1.slots_on(lift_1.local_day(NOW))[3];
    let mut screen = Screen::new(Tab::Board);
    screen.terminal.queued = vec![ridewire_app::booking_queue::Queued {
        workshop: SHOP,
        booking: NewBooking {
            bay: LIFT_1,
            start_ms: twelve_thirty.start_ms,
            service: "Brakes".into(),
            bike: None,
            notes: String::new(),
            customer: Some(12),
            id: Some(Uuid::from_u128(5)),
        },
        queued_ms: NOW,
    }];
    screen.frame(vec![]);
    assert!(screen.find("12:30–14:00  Ana Ortiz, Brakes").is_some());
    assert!(screen.find("Waiting to be sent").is_some());
    // Not a slot to book again: the next free one is the first to tap.
    assert_eq!(screen.tap("Free: tap to book"), None);
    let sheet = screen.state.booking.clone().expect("the booking sheet");
    assert_ne!(sheet.slot, twelve_thirty);
}

#[test]
fn the_bay_the_terminal_camera_looks_at_is_chosen_with_a_tap() {
    let mut screen = Screen::new(Tab::Board);
    assert!(
        screen
            .find("no bay: Scan shows this account's own bike")
            .is_some()
    );
    assert_eq!(screen.tap("Lift 2"), None);
    assert_eq!(screen.state.choose_bay, Some(Some(LIFT_2)));
    // Kept (by the terminal's system); tapped again, none.
    screen.state.choose_bay = None;
    screen.terminal.bay = Some(LIFT_2);
    screen.frame(vec![]);
    assert_eq!(screen.tap("Lift 2"), None);
    assert_eq!(screen.state.choose_bay, Some(None));
}

#[test]
fn a_booking_opens_with_a_tap_and_cancels_with_another() {
    let mut screen = Screen::new(Tab::Board);
    assert_eq!(screen.tap("Annual service"), None);
    assert_eq!(screen.state.open_booking, Some(Uuid::from_u128(77)));
    assert!(screen.find("Rattle from the chain").is_some());
    assert_eq!(
        screen.tap("Cancel this booking"),
        Some(WorkshopCall::Cancel {
            workshop: SHOP,
            booking: Uuid::from_u128(77),
        })
    );
}

#[test]
fn a_mechanic_corrects_the_parts_of_an_escalated_run_by_touch() {
    let mut screen = Screen::new(Tab::Reviews);
    assert!(
        screen.small_targets().is_empty(),
        "{:?}",
        screen.small_targets()
    );
    // The oldest run is open; the second is a tap away.
    assert!(screen.find("Jo Rider: P0300, P0171").is_some());
    assert_eq!(screen.tap("Ana Ortiz  ·  05 Mar 08:30"), None);
    assert_eq!(screen.state.review.run, Some(Uuid::from_u128(0xa2)));
    assert!(screen.find("Ana Ortiz: P0420").is_some());
    // Correct: the agents' parts come ticked; the mechanic swaps one.
    assert_eq!(screen.tap("Correct parts"), None);
    assert_eq!(
        screen.state.review.components,
        ["spark_plugs", "fuel_injectors"]
    );
    assert!(
        screen.small_targets().is_empty(),
        "{:?}",
        screen.small_targets()
    );
    assert_eq!(screen.tap("Fuel injectors"), None);
    assert_eq!(screen.tap("Ignition coil"), None);
    let asked = screen.tap("Send to the rider");
    assert_eq!(
        asked,
        Some(WorkshopCall::Review {
            workshop: SHOP,
            run: Uuid::from_u128(0xa2),
            input: ReviewInput {
                verdict: Verdict::Corrected,
                text: "Check the spark plugs and the injectors.".into(),
                components: vec!["spark_plugs".into(), "ignition_coil".into()],
            },
        })
    );
}

#[test]
fn a_rejection_sends_the_standard_words_without_typing() {
    let mut screen = Screen::new(Tab::Reviews);
    assert_eq!(screen.tap("Reject"), None);
    let asked = screen.tap("Send to the rider");
    let Some(WorkshopCall::Review { run, input, .. }) = asked else {
        panic!("{asked:?}");
    };
    assert_eq!(run, Uuid::from_u128(0xa1));
    assert_eq!(input.verdict, Verdict::Rejected);
    assert_eq!(input.text, super::review::REJECT_TEXT);
    assert!(input.components.is_empty());
}

#[test]
fn a_mechanic_sends_a_plan_for_a_customers_bike_by_touch() {
    let mut screen = Screen::with(Tab::Plans, Board::demo(NOW, 60));
    // A new plan starts from the first template, drawn beside the text.
    let spring = ridewire_app::plans::TEMPLATES[0].1;
    assert_eq!(screen.state.plan.markdown, spring);
    assert!(screen.find("Spring service: 8 quests").is_some());
    assert!(screen.find("Tap a customer to send it to.").is_some());
    assert!(
        screen.small_targets().is_empty(),
        "{:?}",
        screen.small_targets()
    );
    assert_eq!(screen.tap("Before a long ride"), None);
    // The preview follows once typing (here: the tap) has settled.
    screen.frame(vec![]);
    assert!(screen.find("Before a long ride: 7 quests").is_some());
    assert_eq!(screen.tap("Jo Rider"), None);
    assert_eq!(screen.tap("   Yamaha MT-07 (2021)"), None);
    assert!(
        screen.small_targets().is_empty(),
        "{:?}",
        screen.small_targets()
    );
    let asked = screen.tap("Send to Jo Rider");
    assert_eq!(
        asked,
        Some(WorkshopCall::SendPlan {
            workshop: screen
                .terminal
                .board
                .as_ref()
                .map(|b| b.workshop.workshop)
                .unwrap_or_default(),
            plan: ridewire_engine::sync::workshops::PlanForCustomer {
                customer: 11,
                bike: Some("mt07".into()),
                markdown: ridewire_app::plans::TEMPLATES[1].1.to_owned(),
            },
        })
    );
}

#[test]
fn a_plan_is_kept_as_the_workshops_template_with_one_tap() {
    let mut screen = Screen::with(Tab::Plans, Board::demo(NOW, 60));
    let asked = screen.tap("Keep as our template");
    let Some(WorkshopCall::SaveTemplate { name, markdown, .. }) = asked else {
        panic!("{asked:?}");
    };
    assert_eq!(name, "spring-service");
    assert_eq!(markdown, ridewire_app::plans::TEMPLATES[0].1);
    // On the demo board it joins the templates to start from.
    let board = screen.terminal.board.as_mut().expect("board");
    let told = board.apply_demo(
        &WorkshopCall::SaveTemplate {
            workshop: board.workshop.workshop,
            name,
            markdown,
        },
        NOW,
    );
    assert!(told.is_ok(), "{told:?}");
    screen.frame(vec![]);
    assert!(screen.find("Spring service (ours)").is_some());
}

#[test]
fn a_broken_plan_says_why_and_cannot_be_sent() {
    let mut screen = Screen::with(Tab::Plans, Board::demo(NOW, 60));
    screen.tap("Jo Rider");
    screen.state.plan.markdown = "Just some words".to_owned();
    screen.frame(vec![]);
    screen.frame(vec![]);
    assert!(
        matches!(&screen.preview.outcome, Some(Err(_))),
        "{:?}",
        screen.preview.outcome
    );
    assert_eq!(screen.tap("Send to Jo Rider"), None);
}

mod kiosk {
    use std::time::Duration;

    use bevy::input::keyboard::KeyboardInput;
    use bevy::input::mouse::MouseButtonInput;
    use bevy::input::touch::{TouchInput, TouchPhase};
    use bevy::prelude::*;
    use bevy::state::app::StatesPlugin;
    use bevy::time::TimeUpdateStrategy;

    use crate::screens::{Navigate, Screen};
    use crate::shared::Kiosk;

    fn app(kiosk: bool) -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, StatesPlugin))
            .add_message::<TouchInput>()
            .add_message::<MouseButtonInput>()
            .add_message::<KeyboardInput>()
            .add_message::<Navigate>()
            .configure_sets(Update, crate::AppSystems::Navigate)
            .insert_state(Screen::Reviews)
            .insert_resource(Kiosk(kiosk))
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs(1)))
            .init_resource::<super::super::TerminalUi>()
            .init_resource::<super::super::Idle>()
            .add_systems(Update, super::super::back_to_board_when_idle);
        app
    }

    fn navigations(app: &mut App) -> Vec<Screen> {
        let messages = app.world().resource::<Messages<Navigate>>();
        messages
            .iter_current_update_messages()
            .map(|n| n.0)
            .collect()
    }

    fn touch(app: &mut App) {
        app.world_mut().write_message(TouchInput {
            phase: TouchPhase::Started,
            position: Vec2::new(100.0, 100.0),
            window: Entity::PLACEHOLDER,
            force: None,
            id: 1,
        });
    }

    #[test]
    fn an_idle_minute_brings_the_kiosk_back_to_the_board_and_a_touch_keeps_it() {
        let mut app = app(true);
        for _ in 0..50 {
            app.update();
        }
        // A touch at 50 s starts the minute again.
        touch(&mut app);
        app.update();
        for _ in 0..59 {
            app.update();
            assert!(navigations(&mut app).is_empty());
        }
        let mut asked = Vec::new();
        for _ in 0..3 {
            app.update();
            asked.extend(navigations(&mut app));
        }
        assert_eq!(asked, [Screen::Board]);
    }

    #[test]
    fn a_desktop_is_not_sent_anywhere() {
        let mut app = app(false);
        for _ in 0..120 {
            app.update();
            assert!(navigations(&mut app).is_empty());
        }
    }
}
