//! The Workshops screen drawn headless with egui: the rider picks a
//! service and a slot with clicks, and Book asks for exactly that.

use bevy_egui::egui;
use ridewire_app::my_workshops::{MyWorkshops, Visit};
use ridewire_engine::sync::workshops::{Bay, Membership, Role, Share, Slot, WorkshopCall};
use uuid::Uuid;

use super::{Workshops, WorkshopsAsk, call_of, screen};

const HOUR: i64 = 3_600_000;
/// 2026-03-05T09:30:00Z, a Thursday.
const NOW: i64 = 1_772_703_000_000;

fn mine() -> MyWorkshops {
    let lift = Bay {
        id: Uuid::from_u128(1),
        name: "Lift 1".into(),
        opens_min: 8 * 60,
        closes_min: 18 * 60,
        days: vec![1, 2, 3, 4, 5],
        slot_minutes: 60,
        utc_offset_min: 60,
    };
    let free = (0..4)
        .map(|h| Slot {
            bay: lift.id,
            start_ms: NOW + HOUR / 2 + h * HOUR,
            end_ms: NOW + HOUR / 2 + (h + 1) * HOUR,
        })
        .collect();
    MyWorkshops {
        fetched_ms: NOW - 60_000,
        memberships: Vec::new(),
        visits: vec![Visit {
            workshop: Membership {
                workshop: Uuid::from_u128(9),
                name: "Moto Müller".into(),
                role: Role::Customer,
                shares: vec![Share::Bikes],
                since_ms: 0,
            },
            bays: vec![lift],
            free,
            bookings: Vec::new(),
            templates: Vec::new(),
        }],
    }
}

struct Page {
    ctx: egui::Context,
    state: Workshops,
    shapes: Vec<egui::epaint::ClippedShape>,
}

impl Page {
    fn new() -> Self {
        let ctx = egui::Context::default();
        crate::theme::apply(&ctx, false);
        let mut page = Page {
            ctx,
            state: Workshops {
                mine: Some(mine()),
                ..Workshops::default()
            },
            shapes: Vec::new(),
        };
        page.frame(vec![]);
        page.frame(vec![]);
        page
    }

    fn frame(&mut self, events: Vec<egui::Event>) -> Vec<WorkshopsAsk> {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1280.0, 720.0),
            )),
            events,
            ..Default::default()
        };
        let mut asks = Vec::new();
        let state = &mut self.state;
        let mut out = self.ctx.run_ui(input, |ui| {
            asks = screen(ui, state, Some("Yamaha MT-07 (2021)"), NOW);
        });
        out.textures_delta.clear();
        self.shapes = out.shapes;
        asks
    }

    fn find(&self, text: &str) -> Option<egui::Rect> {
        fn find(shape: &egui::Shape, text: &str) -> Option<egui::Rect> {
            match shape {
                egui::Shape::Text(t) => {
                    (t.galley.text() == text).then(|| t.galley.rect.translate(t.pos.to_vec2()))
                }
                egui::Shape::Vec(list) => list.iter().find_map(|s| find(s, text)),
                _ => None,
            }
        }
        self.shapes.iter().find_map(|c| find(&c.shape, text))
    }

    fn click(&mut self, text: &str) -> Vec<WorkshopsAsk> {
        let at = self
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} is not on the screen"))
            .center();
        let button = |pressed| egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        let mut asks = self.frame(vec![egui::Event::PointerMoved(at), button(true)]);
        asks.extend(self.frame(vec![button(false)]));
        asks.extend(self.frame(vec![]));
        asks
    }
}

#[test]
fn a_rider_books_a_service_in_a_free_slot_with_three_clicks() {
    let mut page = Page::new();
    assert!(page.find("Moto Müller").is_some());
    assert!(page.find("for your Yamaha MT-07 (2021)").is_some());
    // Nothing chosen: Book waits for a slot.
    assert!(page.click("Book (choose a slot)").is_empty());
    // 10:00 UTC is 11:00 at the workshop (UTC+1); the second slot is 12:00.
    assert!(page.click("Tyres").is_empty());
    assert!(page.click("12:00 Lift 1").is_empty());
    let asks = page.click("Book Thu 5 Mar 12:00 at Lift 1");
    let workshop = Uuid::from_u128(9);
    assert_eq!(asks, vec![WorkshopsAsk::Book { workshop }]);
    let call = call_of(&asks[0], &page.state.form, Some("bike-1".into()))
        .unwrap_or_else(|e| panic!("{e}"));
    let WorkshopCall::Book {
        workshop: at,
        booking,
    } = call
    else {
        panic!("{call:?}");
    };
    assert_eq!(at, workshop);
    assert_eq!(booking.start_ms, NOW + HOUR / 2 + HOUR);
    assert_eq!(booking.service, "Tyres");
    assert_eq!(booking.bike.as_deref(), Some("bike-1"));
    assert!(booking.id.is_some());
}

#[test]
fn leaving_asks_twice_and_a_code_is_needed_to_join() {
    let mut page = Page::new();
    assert!(page.click("Leave…").is_empty());
    assert!(page.click("Stay").is_empty());
    assert!(page.click("Leave…").is_empty());
    assert_eq!(
        page.click("Leave for good"),
        vec![WorkshopsAsk::Leave {
            workshop: Uuid::from_u128(9)
        }]
    );
    // Join is greyed out until a code is typed.
    assert!(page.click("Join").is_empty());
    page.state.form.code = "K7Q-93X".into();
    page.frame(vec![]);
    assert_eq!(page.click("Join"), vec![WorkshopsAsk::Join]);
}
