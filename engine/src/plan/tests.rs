//! Examples of the plan rules, one test per rule.

use super::*;
use crate::quest::{Catalog, QuestId};

fn ok(markdown: &str) -> Plan {
    match parse(markdown) {
        Ok(plan) => plan,
        Err(e) => panic!("parse failed: {e}\n{markdown}"),
    }
}

/// Parses, and checks that the canonical rendering parses back to the same plan.
fn round(markdown: &str) -> Plan {
    let plan = ok(markdown);
    let again = ok(&plan.to_markdown());
    assert_eq!(
        again.clone().forget_lines(),
        plan.clone().forget_lines(),
        "round trip of\n{markdown}\nrendered as\n{}",
        plan.to_markdown()
    );
    assert_eq!(again.to_markdown(), plan.to_markdown());
    plan
}

fn titles(sections: &[Section]) -> Vec<(u8, &str)> {
    sections
        .iter()
        .map(|s| (s.level, s.title.as_str()))
        .collect()
}

const SERVICE: &str = "\
# Spring service #sequential
Before the season starts.

## Pre-ride
- [ ] Check tyre pressure #easy #repeat
- [x] Test lights

## Engine
Warm the engine first.
### Oil
- [ ] Change oil and filter #hard due:2026-05-01
  - [x] Drain warm oil
  - [ ] Replace the filter
    - [ ] Oil the new gasket
  - Use 3.3 l 20W-50
#### Notes
##### Torque table
";

#[test]
fn headings_make_levels_and_text_is_description() {
    let plan = round(SERVICE);
    assert_eq!(plan.title, "Spring service");
    assert_eq!(plan.tags, vec!["sequential"]);
    assert_eq!(plan.description, "Before the season starts.");
    assert_eq!(titles(&plan.sections), vec![(1, "Pre-ride"), (1, "Engine")]);
    let engine = &plan.sections[1];
    assert_eq!(engine.description, "Warm the engine first.");
    assert_eq!(engine.line, 8);
    assert_eq!(titles(&engine.children), vec![(2, "Oil")]);
    let notes = &engine.children[0].children[0];
    assert_eq!((notes.level, notes.title.as_str()), (3, "Notes"));
    assert_eq!(titles(&notes.children), vec![(4, "Torque table")]);
    assert!(notes.tasks.is_empty() && notes.children[0].tasks.is_empty());
}

#[test]
fn nested_tasks_are_steps_and_plain_items_are_notes() {
    let plan = round(SERVICE);
    let oil = &plan.sections[1].children[0].tasks[0];
    assert_eq!(oil.title, "Change oil and filter");
    assert_eq!(oil.line, 11);
    assert_eq!(oil.difficulty, Some(Difficulty::Hard));
    assert_eq!(oil.due.as_deref(), Some("2026-05-01"));
    assert_eq!(oil.notes, vec!["Use 3.3 l 20W-50"]);
    let steps: Vec<(&str, bool)> = oil
        .steps
        .iter()
        .map(|s| (s.title.as_str(), s.done))
        .collect();
    assert_eq!(
        steps,
        vec![("Drain warm oil", true), ("Replace the filter", false)]
    );
    assert_eq!(oil.steps[1].steps[0].title, "Oil the new gasket");
    assert_eq!(oil.steps[1].steps[0].line, 14);
    let tyres = &plan.sections[0].tasks[0];
    assert!(tyres.repeatable && tyres.tags.is_empty());
    assert_eq!(tyres.difficulty, Some(Difficulty::Easy));
}

#[test]
fn skipped_levels_hang_under_the_nearest_shallower_heading() {
    let plan =
        round("# P\n### Deep first\n- [ ] a\n## Zone\n#### Two below\n- [ ] b\n### Back up\n");
    assert_eq!(titles(&plan.sections), vec![(1, "Deep first"), (1, "Zone")]);
    assert_eq!(
        titles(&plan.sections[1].children),
        vec![(2, "Two below"), (2, "Back up")]
    );
    let no_title = round("### Only deep\n- [ ] a\n");
    assert_eq!(no_title.title, "");
    assert_eq!(titles(&no_title.sections), vec![(1, "Only deep")]);
}

#[test]
fn headings_deeper_than_l4_become_l4_siblings() {
    let plan = round(
        "## A\n### B\n#### C\n##### D\n- [ ] d\n###### E\n- [ ] e\n###### F\n####### not a heading\n",
    );
    let c = &plan.sections[0].children[0].children[0];
    assert_eq!(titles(&c.children), vec![(4, "D"), (4, "E"), (4, "F")]);
    assert_eq!(c.children[1].tasks[0].title, "e");
    assert_eq!(c.children[2].description, "####### not a heading");
    assert!(plan.section(&[0, 0, 0, 0]).is_some());
}

#[test]
fn a_second_top_heading_is_another_zone() {
    let plan = round("- [ ] loose\n# Plan\n- [ ] root too\n## A\n# B\n- [ ] b\n");
    assert_eq!(plan.title, "Plan");
    let root: Vec<&str> = plan.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(root, vec!["loose", "root too"]);
    assert_eq!(titles(&plan.sections), vec![(1, "A"), (1, "B")]);
}

#[test]
fn markers_and_checkbox_spellings() {
    let plan =
        round("* [X] one\n+ [x] two\n- [ ] three\n-   [ ]   spaced   out  \n- [-] cancelled\n");
    let done: Vec<(&str, bool)> = plan
        .tasks
        .iter()
        .map(|t| (t.title.as_str(), t.done))
        .collect();
    assert_eq!(
        done,
        vec![
            ("one", true),
            ("two", true),
            ("three", false),
            ("spaced out", false)
        ]
    );
    // Other Obsidian statuses are not tasks; here a loose item of the description.
    assert_eq!(plan.description, "- [-] cancelled");
}

#[test]
fn tabs_and_spaces_both_nest() {
    let plan = round("- [ ] a\n\t- [ ] b\n\t\t- [ ] c\n    - [ ] d\n- [ ] e\n");
    assert_eq!(plan.tasks.len(), 2);
    let b: Vec<&str> = plan.tasks[0]
        .steps
        .iter()
        .map(|t| t.title.as_str())
        .collect();
    assert_eq!(b, vec!["b", "d"]);
    assert_eq!(plan.tasks[0].steps[0].steps[0].title, "c");
}

#[test]
fn tags_difficulty_and_dates() {
    let plan = round(
        "- [ ] Bleed brakes #Expert #brakes #brakes #1 📅 2028-02-29 #safety/fluids\n- [ ] Chain due:2026-01-31 #medium\n",
    );
    let bleed = &plan.tasks[0];
    assert_eq!(bleed.title, "Bleed brakes #1");
    assert_eq!(bleed.tags, vec!["brakes", "safety/fluids"]);
    assert_eq!(bleed.difficulty, Some(Difficulty::Expert));
    assert_eq!(bleed.due.as_deref(), Some("2028-02-29"));
    assert_eq!(plan.tasks[1].due.as_deref(), Some("2026-01-31"));
}

#[test]
fn invalid_dates_name_the_line() {
    let cases = [
        ("# P\n- [ ] ok\n- [ ] oil due:2026-02-30\n", 3),
        ("- [ ] oil 📅 2026-13-01\n", 1),
        ("\n\n- [ ] oil 📅\n", 3),
        ("- [ ] oil due:tomorrow\n", 1),
    ];
    for (markdown, line) in cases {
        match parse(markdown) {
            Err(ParseError::InvalidDate { line: l, .. }) => assert_eq!(l, line, "{markdown}"),
            other => panic!("{markdown}: {other:?}"),
        }
    }
    assert!(matches!(
        parse("- [ ] a due:2026-01-01 📅 2026-01-02"),
        Err(ParseError::ConflictingDue { line: 1, .. })
    ));
    assert!(matches!(
        parse("- [ ] a\n- [ ] b #easy #hard"),
        Err(ParseError::ConflictingDifficulty { line: 2, .. })
    ));
    let message = parse("- [ ] oil due:2026-02-30")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("line 1") && message.contains("YYYY-MM-DD"),
        "{message}"
    );
}

#[test]
fn code_fences_are_kept_as_text_and_hide_tasks() {
    let plan = round(
        "## Tools\nTorque table:\n```text\n- [ ] not a task\n## not a heading\n\n\n```\n- [ ] real\n~~~\n- [ ] open fence\n",
    );
    let tools = &plan.sections[0];
    assert_eq!(tools.tasks.len(), 1);
    assert_eq!(tools.tasks[0].title, "real");
    assert!(tools.children.is_empty());
    assert_eq!(
        tools.description,
        "Torque table:\n```text\n- [ ] not a task\n## not a heading\n\n\n```\n~~~\n- [ ] open fence\n~~~"
    );
    assert!(matches!(
        parse("```\n- [ ] hidden\n```\n"),
        Err(ParseError::NoTasks { lines: 3 })
    ));
}

#[test]
fn plain_items_outside_tasks_and_paragraphs_are_description() {
    let plan = round(
        "## Brakes\n- tools: 8 mm spanner\n\n\n- [ ] Pads\n  continues the list\n  1. Remove caliper\n  - Fit pads\n-\nAfter the list.\n- back in the description\n",
    );
    let brakes = &plan.sections[0];
    assert_eq!(brakes.tasks[0].notes, vec!["1. Remove caliper", "Fit pads"]);
    assert_eq!(
        brakes.description,
        "- tools: 8 mm spanner\n\ncontinues the list\n-\nAfter the list.\n- back in the description"
    );
}

#[test]
fn unicode_titles_work() {
    let plan = round(
        "# Frühjahrsinspektion 🏍️\n## ブレーキ #整備\n- [ ] Bremsflüssigkeit prüfen · ß #bremsen\n",
    );
    assert_eq!(plan.title, "Frühjahrsinspektion 🏍️");
    assert_eq!(plan.sections[0].title, "ブレーキ");
    assert_eq!(plan.sections[0].tags, vec!["整備"]);
    assert_eq!(
        plan.sections[0].tasks[0].title,
        "Bremsflüssigkeit prüfen · ß"
    );
    assert!(plan.to_catalog().is_ok());
}

#[test]
fn duplicate_titles_get_distinct_stable_ids() {
    let plan = round("## Wheels\n- [ ] Check\n- [ ] check\n## Wheels\n- [ ] Check\n");
    let a = &plan.sections[0];
    let b = &plan.sections[1];
    assert_ne!(a.id, b.id);
    assert_ne!(a.tasks[0].id, a.tasks[1].id);
    assert_ne!(a.tasks[0].id, b.tasks[0].id);
    let catalog = plan.to_catalog();
    assert_eq!(catalog.map(|c| c.quests().count()), Ok(3));
}

#[test]
fn empty_sections_and_empty_titles_work() {
    let plan = round("# P\n## \n##\n## Empty #later\n- [ ]\n- [ ] #easy\n");
    assert_eq!(titles(&plan.sections), vec![(1, ""), (1, ""), (1, "Empty")]);
    assert_eq!(plan.sections[2].tags, vec!["later"]);
    assert_eq!(plan.sections[2].tasks[0].title, "");
    assert_eq!(plan.sections[2].tasks[1].difficulty, Some(Difficulty::Easy));
}

#[test]
fn ids_survive_ticking_and_editing_other_tasks() {
    let before = ok(SERVICE);
    let after = ok(&SERVICE
        .replace(
            "- [ ] Check tyre pressure #easy",
            "- [x] Check tyre pressure #hard",
        )
        .replace("Test lights", "Test lights and horn"));
    let tyres = |p: &Plan| p.sections[0].tasks[0].id.clone();
    let lights = |p: &Plan| p.sections[0].tasks[1].id.clone();
    let oil = |p: &Plan| p.sections[1].children[0].tasks[0].id.clone();
    assert_eq!(tyres(&before), tyres(&after));
    assert_ne!(lights(&before), lights(&after));
    assert_eq!(oil(&before), oil(&after));
    // Inserting a task before others is not a positional shift.
    let inserted = ok(&SERVICE.replace("## Pre-ride\n", "## Pre-ride\n- [ ] New first\n"));
    assert_eq!(inserted.sections[0].tasks[1].id, tyres(&before));
    assert_eq!(ok(SERVICE), before);
}

#[test]
fn not_a_plan_errors_carry_the_line() {
    assert_eq!(parse(""), Err(ParseError::Empty));
    assert_eq!(parse(" \n\t\n"), Err(ParseError::Empty));
    assert_eq!(
        parse("# Notes\nJust prose.\n- a list\n"),
        Err(ParseError::NoTasks { lines: 3 })
    );
    assert_eq!(
        parse("- [ ] a\nok\nbin\u{0}ary\n"),
        Err(ParseError::NotText {
            line: 3,
            column: 4,
            code: 0
        })
    );
    let long = format!("- [ ] a\n{}\n", "é".repeat(MAX_LINE_CHARS + 1));
    assert_eq!(
        parse(&long),
        Err(ParseError::LineTooLong {
            line: 2,
            chars: MAX_LINE_CHARS + 1,
            max: MAX_LINE_CHARS
        })
    );
    assert!(parse(&format!("- [ ] a\n{}\n", "é".repeat(MAX_LINE_CHARS))).is_ok());
    let many = "- [ ] a\n".repeat(MAX_LINES + 1);
    assert_eq!(
        parse(&many),
        Err(ParseError::TooManyLines {
            line: MAX_LINES + 1,
            max: MAX_LINES
        })
    );
    assert!(parse(&"- [ ] a\n".repeat(MAX_LINES)).is_ok());
    let deep: String = (0..=MAX_DEPTH)
        .map(|d| format!("{}- [ ] level {d}\n", "  ".repeat(d)))
        .collect();
    assert_eq!(
        parse(&deep),
        Err(ParseError::TooDeep {
            line: MAX_DEPTH + 1,
            depth: MAX_DEPTH + 1,
            max: MAX_DEPTH
        })
    );
    let big = "x".repeat(MAX_BYTES + 1);
    assert!(matches!(parse(&big), Err(ParseError::TooLarge { .. })));
}

#[test]
fn windows_line_endings_and_bom_are_text() {
    let plan = round("\u{feff}# P\r\n- [ ] a\r\n  - [x] b\r\n");
    assert_eq!(plan.title, "P");
    assert_eq!(plan.tasks[0].steps[0].line, 3);
    assert!(matches!(
        parse("- [ ] a\rb"),
        Err(ParseError::NotText { line: 1, .. })
    ));
}

#[test]
fn catalogue_zones_quests_xp_and_prerequisites() {
    let plan = ok(
        "# Service\n- [ ] Wash #easy\n## Brakes\n### Front #sequential\n- [ ] Pads #hard\n  - [ ] Remove\n    - [ ] Clean pins\n- [x] Bleed\n- [ ] Test ride\n## Empty\n",
    );
    let catalog = match plan.to_catalog() {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let zones: Vec<&str> = {
        let mut z: Vec<&str> = catalog.zones().map(|z| z.name.as_str()).collect();
        z.sort_unstable();
        z
    };
    assert_eq!(zones, vec!["Brakes", "Empty", "Service"]);
    let front = &plan.sections[0].children[0];
    let q = |i: usize| QuestId::new(front.tasks[i].id.clone()).ok();
    let pads = catalog.quest(&q(0).unwrap_or_else(|| panic!("id")));
    let pads = pads.unwrap_or_else(|| panic!("pads quest"));
    assert_eq!(pads.zone.as_str(), plan.sections[0].id);
    assert_eq!(pads.difficulty, Difficulty::Hard);
    assert_eq!(pads.xp_reward, 60 + 2 * XP_PER_STEP);
    let steps: Vec<&str> = pads.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(steps, vec!["Remove", "Clean pins"]);
    assert!(pads.prerequisites.is_empty());
    let bleed = q(1).and_then(|id| catalog.quest(&id).cloned());
    let bleed = bleed.unwrap_or_else(|| panic!("bleed quest"));
    assert_eq!(bleed.difficulty, Difficulty::Medium);
    assert_eq!(bleed.xp_reward, 30);
    assert_eq!(bleed.prerequisites, vec![pads.id.clone()]);
    assert_eq!(pads.due, None);
    let wash = QuestId::new(plan.tasks[0].id.clone()).ok();
    let wash = wash.and_then(|id| catalog.quest(&id).cloned());
    assert_eq!(
        wash.map(|w| (w.zone.to_string(), w.prerequisites.len())),
        Some((Plan::root_id(), 0))
    );
    assert_eq!(
        quest_xp(Difficulty::Easy, 1000),
        15 + XP_STEP_CAP * XP_PER_STEP
    );
}

#[test]
fn checked_off_reports_ticked_tasks_and_steps() {
    let plan = round(SERVICE);
    let done = plan.checked_off().unwrap_or_default();
    let seen: Vec<(&str, bool, usize)> = done
        .iter()
        .map(|c| (c.title.as_str(), c.step.is_some(), c.line))
        .collect();
    assert_eq!(
        seen,
        vec![("Test lights", false, 6), ("Drain warm oil", true, 12)]
    );
    let oil = &plan.sections[1].children[0].tasks[0];
    assert_eq!(done[1].quest.as_str(), oil.id);
}

#[test]
fn milestones_list_one_level_at_a_time() {
    let plan = ok(SERVICE);
    let top = plan.milestones(&[]);
    let shape: Vec<(MilestoneKind, &str, u8, bool)> = top
        .iter()
        .map(|m| (m.kind, m.title.as_str(), m.level, m.has_children))
        .collect();
    assert_eq!(
        shape,
        vec![
            (MilestoneKind::Section, "Pre-ride", 1, true),
            (MilestoneKind::Section, "Engine", 1, true),
        ]
    );
    assert!(!top[0].done);
    let engine_path = top[1].path.clone().unwrap_or_default();
    let oil = plan.milestones(&engine_path);
    assert_eq!(oil.len(), 1);
    assert_eq!(oil[0].level, 2);
    let inside_oil = plan.milestones(oil[0].path.as_deref().unwrap_or_default());
    assert_eq!(inside_oil[0].kind, MilestoneKind::Quest);
    assert_eq!(inside_oil[0].title, "Change oil and filter");
    assert_eq!(inside_oil[0].level, 3);
    assert!(inside_oil[0].has_children && !inside_oil[0].done);
    assert_eq!(
        inside_oil[0].quest.as_ref().map(QuestId::as_str),
        Some(plan.sections[1].children[0].tasks[0].id.as_str())
    );
    assert_eq!(inside_oil[1].kind, MilestoneKind::Section);
    assert!(plan.milestones(&[7]).is_empty());
    let ticked = ok("- [x] a\n## S\n- [x] b\n### T\n- [x] c\n## Empty\n");
    let top = ticked.milestones(&[]);
    let done: Vec<(MilestoneKind, bool)> = top.iter().map(|m| (m.kind, m.done)).collect();
    assert_eq!(
        done,
        vec![
            (MilestoneKind::Quest, true),
            (MilestoneKind::Section, true),
            (MilestoneKind::Section, false)
        ]
    );
}

#[test]
fn plans_serialise_as_json_and_back() {
    let plan = ok(SERVICE);
    let json = serde_json::to_string(&plan).unwrap_or_default();
    let back: Result<Plan, _> = serde_json::from_str(&json);
    assert_eq!(back.ok(), Some(plan));
}

#[test]
fn a_tasks_due_date_carries_into_its_quest() {
    let plan = ok("- [ ] Oil #medium 📅 2026-04-01\n  - [ ] Drain due:2026-03-30\n");
    let catalog = plan.to_catalog().unwrap_or_else(|e| panic!("{e}"));
    let oil = QuestId::new(plan.tasks[0].id.clone()).unwrap_or_else(|e| panic!("{e}"));
    let oil = catalog.quest(&oil).unwrap_or_else(|| panic!("oil quest"));
    assert_eq!(oil.due.as_deref(), Some("2026-04-01"));
    // Saved catalogues stay as they were for quests without a date.
    let json = serde_json::to_string(oil).unwrap_or_else(|e| panic!("{e}"));
    assert!(json.contains(r#""due":"2026-04-01""#), "{json}");
    let mut undated = oil.clone();
    undated.due = None;
    let json = serde_json::to_string(&undated).unwrap_or_else(|e| panic!("{e}"));
    assert!(!json.contains("due"), "{json}");
}

#[test]
fn a_section_with_a_place_makes_its_onsite_tasks_need_a_location_proof() {
    use crate::quest::ProofRequirement;
    let plan = ok(
        "# P\n\n## Workshop\n\nWhere: 48.137154, 11.576124 within 40 m\n\n- [ ] Oil change #onsite\n- [ ] Wash\n\n## Home\n\n- [ ] Tyres\n",
    );
    let catalog = plan.to_catalog().unwrap();
    let zones: Vec<_> = catalog.zones().collect();
    let workshop = zones.iter().find(|z| z.name == "Workshop").unwrap();
    let at = workshop.location.unwrap();
    assert!((at.lat - 48.137154).abs() < 1e-9 && (at.lon - 11.576124).abs() < 1e-9);
    assert_eq!(workshop.radius_m, 40.0);
    assert_eq!(
        zones.iter().find(|z| z.name == "Home").unwrap().location,
        None
    );
    let needs: Vec<(&str, bool)> = catalog
        .quests()
        .map(|q| {
            (
                q.title.as_str(),
                q.proofs.contains(&ProofRequirement::Location),
            )
        })
        .collect();
    assert_eq!(
        needs,
        [("Oil change", true), ("Tyres", false), ("Wash", false)]
    );
    // Without a radius: 30 m; as a list item too.
    let plan = ok("# P\n\n## W\n\n- where: -33.9, 18.4\n\n- [ ] X #onsite\n");
    assert_eq!(
        plan.to_catalog().unwrap().zones().next().unwrap().radius_m,
        30.0
    );
}

#[test]
fn places_that_do_not_read_and_onsite_tasks_without_one_are_refused() {
    for (markdown, expected) in [
        (
            "# P\n\n## W\n\nWhere: the garage\n\n- [ ] X\n",
            "section \"W\" (line 3)",
        ),
        (
            "# P\n\n## W\n\nWhere: 95.0, 10.0\n\n- [ ] X\n",
            "decimal degrees",
        ),
        (
            "# P\n\n## W\n\nWhere: 48.1, 11.5 within far\n\n- [ ] X\n",
            "within N m",
        ),
        (
            "# P\n\n## W\n\n- [ ] X #onsite\n",
            "has no `Where: LAT, LON` line",
        ),
        ("# P\n\n- [ ] X #onsite\n", "above the first section"),
    ] {
        let err = ok(markdown).to_catalog().unwrap_err().to_string();
        assert!(err.contains(expected), "{markdown:?}: {err}");
    }
}

#[test]
fn a_plan_in_a_namespace_keeps_its_quests_apart_and_its_maps_the_same() {
    let text = "# P\n\n- [ ] Loose\n\n## Chain\n\nWhere: 48.1, 11.5\n\n- [x] Lube #onsite\n    - [x] Clean\n";
    let plain = ok(text);
    let a = ok(text).in_namespace("plan-a");
    let b = ok(text).in_namespace("plan-b");
    assert_eq!(
        ok(text).in_namespace(""),
        plain,
        "no namespace changes nothing"
    );
    // Sections (and so map seeds and milestones' section ids) stay.
    assert_eq!(a.sections[0].id, plain.sections[0].id);
    assert_eq!(a.milestones(&[]).len(), plain.milestones(&[]).len());
    // Tasks, steps and zones differ between namespaces and from the plain plan.
    let (ca, cb) = (a.to_catalog().unwrap(), b.to_catalog().unwrap());
    let ids = |c: &Catalog| -> Vec<String> { c.quests().map(|q| q.id.to_string()).collect() };
    assert!(ids(&ca).iter().all(|id| !ids(&cb).contains(id)));
    assert!(
        ids(&ca)
            .iter()
            .all(|id| !ids(&plain.to_catalog().unwrap()).contains(id))
    );
    assert_ne!(a.tasks[0].id, plain.tasks[0].id);
    assert_ne!(
        a.sections[0].tasks[0].steps[0].id,
        plain.sections[0].tasks[0].steps[0].id
    );
    let lube = ca.quests().find(|q| q.title == "Lube").unwrap();
    let zone = ca.zone(&lube.zone).unwrap();
    assert_ne!(zone.id.to_string(), plain.sections[0].id);
    assert!(
        zone.location.is_some(),
        "the place goes with the namespaced zone"
    );
    // What the plan marks as done names the namespaced quests.
    let ticked = a.checked_off().unwrap();
    assert!(ticked.iter().all(|t| ca.quest(&t.quest).is_some()));
    assert_eq!(ticked.len(), 2);
    // Milestones name the namespaced quests too.
    let level = a.milestones(&[0]);
    assert!(
        level
            .iter()
            .filter_map(|m| m.quest.as_ref())
            .all(|q| ca.quest(q).is_some())
    );
}
