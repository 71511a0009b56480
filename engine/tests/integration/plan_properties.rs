//! Plan parser invariants: rendering round-trips, ids are stable under
//! edits elsewhere, and no text makes the parser panic.

use proptest::prelude::*;
use ridewire_engine::plan::{self, Plan, Section, Task};
use ridewire_engine::quest::Difficulty;

/// Title words: Unicode, punctuation, a number sign that is not a tag, duplicates likely.
const WORDS: &[&str] = &[
    "Check",
    "check",
    "oil",
    "Öl",
    "wechseln",
    "ブレーキ",
    "chain",
    "#1",
    "50%",
    "(front)",
    "a-b",
    "🏍️",
    "ß",
    "pads",
    "x",
];
const TAGS: &[&str] = &["brakes", "整備", "safety/fluids", "a_b", "x1", "later"];
const DATES: &[&str] = &["2026-05-01", "2024-02-29", "1999-12-31", "2026-01-01"];
const FENCE_LINES: &[&str] = &[
    "- [ ] hidden task",
    "## hidden heading",
    "",
    "  indented  ",
    "```js",
];

fn words(min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), min..max).prop_map(|w| w.join(" "))
}

fn tags() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(TAGS), 0..3).prop_map(|tags| {
        let mut out: Vec<String> = Vec::new();
        for tag in tags {
            if !out.iter().any(|t| t == tag) {
                out.push(tag.to_owned());
            }
        }
        out
    })
}

fn description() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        words(1, 5),
        words(1, 4).prop_map(|w| format!("- {w}")),
        words(1, 3).prop_map(|w| format!("2. {w}")),
    ];
    let paragraph = prop::collection::vec(line, 1..3).prop_map(|l| l.join("\n"));
    let fence = prop::collection::vec(prop::sample::select(FENCE_LINES), 0..4)
        .prop_map(|l| format!("~~~\n{}\n~~~", l.join("\n")).replace("~~~\n\n~~~", "~~~\n~~~"));
    let block = prop_oneof![3 => paragraph, 1 => fence];
    prop::collection::vec(block, 0..3).prop_map(|b| b.join("\n\n"))
}

fn leaf_task() -> impl Strategy<Value = Task> {
    let difficulty = prop::option::of(prop::sample::select(vec![
        Difficulty::Easy,
        Difficulty::Medium,
        Difficulty::Hard,
        Difficulty::Expert,
    ]));
    let notes = prop::collection::vec(words(1, 4), 0..2);
    (
        words(0, 4),
        any::<bool>(),
        tags(),
        prop::option::of(prop::sample::select(DATES)),
        difficulty,
        any::<bool>(),
        notes,
    )
        .prop_map(
            |(title, done, tags, due, difficulty, repeatable, notes)| Task {
                title,
                done,
                tags,
                due: due.map(str::to_owned),
                difficulty,
                repeatable,
                notes,
                ..Task::default()
            },
        )
}

fn task() -> impl Strategy<Value = Task> {
    leaf_task().prop_recursive(3, 12, 3, |inner| {
        (leaf_task(), prop::collection::vec(inner, 0..3)).prop_map(|(mut task, steps)| {
            task.steps = steps;
            task
        })
    })
}

fn section(level: u8) -> BoxedStrategy<Section> {
    let children = if level < 4 {
        prop::collection::vec(section(level + 1), 0..3).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        words(0, 3),
        tags(),
        description(),
        prop::collection::vec(task(), 0..3),
        children,
    )
        .prop_map(move |(title, tags, description, tasks, children)| Section {
            level,
            title,
            tags,
            description,
            tasks,
            children,
            ..Section::default()
        })
        .boxed()
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        words(0, 3),
        tags(),
        description(),
        prop::collection::vec(task(), 0..3),
        prop::collection::vec(section(1), 0..3),
    )
        .prop_map(|(title, tags, description, tasks, sections)| {
            let mut plan = Plan {
                title,
                tags,
                description,
                tasks,
                sections,
                namespace: None,
            };
            if plan.task_count() == 0 {
                plan.tasks.push(Task {
                    title: "Only task".into(),
                    ..Task::default()
                });
            }
            plan
        })
}

fn without_ids(mut plan: Plan) -> Plan {
    fn tasks(list: &mut [Task]) {
        for task in list {
            task.id.clear();
            tasks(&mut task.steps);
        }
    }
    fn sections(list: &mut [Section]) {
        for section in list {
            section.id.clear();
            tasks(&mut section.tasks);
            sections(&mut section.children);
        }
    }
    tasks(&mut plan.tasks);
    sections(&mut plan.sections);
    plan.forget_lines()
}

/// Every task as (section path, task path, id), depth first.
type Located = (Vec<usize>, Vec<usize>, String);

fn located(plan: &Plan) -> Vec<Located> {
    fn tasks(out: &mut Vec<Located>, sec: &[usize], path: &mut Vec<usize>, list: &[Task]) {
        for (i, task) in list.iter().enumerate() {
            path.push(i);
            out.push((sec.to_vec(), path.clone(), task.id.clone()));
            tasks(out, sec, path, &task.steps);
            path.pop();
        }
    }
    fn sections(out: &mut Vec<Located>, sec: &mut Vec<usize>, list: &[Section]) {
        for (i, section) in list.iter().enumerate() {
            sec.push(i);
            tasks(out, sec, &mut Vec::new(), &section.tasks);
            sections(out, sec, &section.children);
            sec.pop();
        }
    }
    let mut out = Vec::new();
    tasks(&mut out, &[], &mut Vec::new(), &plan.tasks);
    sections(&mut out, &mut Vec::new(), &plan.sections);
    out
}

fn section_ids(plan: &Plan) -> Vec<String> {
    fn walk(out: &mut Vec<String>, list: &[Section]) {
        for s in list {
            out.push(s.id.clone());
            walk(out, &s.children);
        }
    }
    let mut out = Vec::new();
    walk(&mut out, &plan.sections);
    out
}

/// The sibling list holding the task at a location, and the task's index in it.
fn siblings_mut<'a>(
    plan: &'a mut Plan,
    sec: &[usize],
    path: &[usize],
) -> (&'a mut Vec<Task>, usize) {
    let mut list = if sec.is_empty() {
        &mut plan.tasks
    } else {
        let mut section = &mut plan.sections[sec[0]];
        for &i in &sec[1..] {
            section = &mut section.children[i];
        }
        &mut section.tasks
    };
    let (last, parents) = path.split_last().expect("task path");
    for &i in parents {
        list = &mut list[i].steps;
    }
    (list, *last)
}

fn normalised(title: &str) -> String {
    title
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

const FRAGMENTS: &[&str] = &[
    "# ",
    "## ",
    "### ",
    "##### ",
    "###### ",
    "####### ",
    "- [ ] ",
    "- [x] ",
    "* [X]",
    "- ",
    "1. ",
    "  ",
    "\t",
    "```",
    "~~~",
    "`",
    "#easy",
    "#hard",
    "#tag",
    "#1",
    "📅 2026-02-29",
    "📅 2024-02-29",
    "due:2026-01-01",
    "due:",
    "x",
    "ブ",
    "é",
    "\n",
    "\n",
    "\n",
    "\r\n",
    " ",
    "[ ]",
    "##",
    "\u{a0}",
    "\u{3000}",
    "#sequential",
    "\u{feff}",
    "-",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rendering_round_trips(plan in plan()) {
        let markdown = plan.to_markdown();
        let parsed = plan::parse(&markdown).map_err(|e| TestCaseError::fail(format!("{e}\n{markdown}")))?;
        prop_assert_eq!(without_ids(parsed.clone()), plan, "{}", markdown);
        prop_assert_eq!(parsed.to_markdown(), markdown);
        prop_assert!(parsed.to_catalog().is_ok());
    }

    #[test]
    fn renaming_a_task_changes_only_its_own_ids(plan in plan(), pick in any::<prop::sample::Index>()) {
        let before = plan::parse(&plan.to_markdown()).expect("generated plan parses");
        let tasks = located(&before);
        let (sec, path, _) = tasks[pick.index(tasks.len())].clone();
        let mut edited = plan.clone();
        let (siblings, index) = siblings_mut(&mut edited, &sec, &path);
        let old = normalised(&siblings[index].title);
        // Renaming one of several identical siblings may renumber the later ones.
        let unique = siblings.iter().filter(|t| normalised(&t.title) == old).count() == 1;
        siblings[index].title = "Renamed task".into();
        siblings[index].done = !siblings[index].done;
        let after = plan::parse(&edited.to_markdown()).expect("edited plan parses");
        prop_assert_eq!(section_ids(&before), section_ids(&after));
        for ((s1, p1, id1), (_, _, id2)) in tasks.iter().zip(located(&after)) {
            let inside = *s1 == sec && p1.starts_with(&path);
            if inside {
                prop_assert_ne!(id1, &id2);
            } else if unique {
                prop_assert_eq!(id1, &id2);
            }
        }
    }

    #[test]
    fn parse_never_panics_on_any_text(text in "\\PC*|.*") {
        if let Ok(plan) = plan::parse(&text) {
            let again = plan::parse(&plan.to_markdown()).expect("rendering parses");
            prop_assert_eq!(again.forget_lines(), plan.forget_lines());
        }
    }

    #[test]
    fn markdown_like_text_round_trips_when_it_parses(
        parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..80)
    ) {
        let text = parts.concat();
        if let Ok(plan) = plan::parse(&text) {
            let markdown = plan.to_markdown();
            let again = plan::parse(&markdown).map_err(|e| TestCaseError::fail(format!("{e}\n{text:?}\n{markdown:?}")))?;
            prop_assert_eq!(again.clone().forget_lines(), plan.forget_lines(), "{:?}\n{:?}", text, markdown);
            prop_assert_eq!(again.to_markdown(), markdown);
        }
    }
}
