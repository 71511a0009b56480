//! Maintenance plans: a workshop's hierarchical Markdown checklist, read into
//! a tree of sections and tasks, rendered back, and turned into quests.
//!
//! The parser is pure: it takes text and returns data or a [`ParseError`]
//! that names the line to fix. Reading files (and decoding bytes that are not
//! UTF-8) is the caller's job.
//!
//! # The format
//!
//! - **Headings are levels.** The first `#` heading names the plan (L0); text
//!   and tasks under it, or before any heading, belong to the plan's root.
//!   `##` opens an L1 section (a zone), `###` L2, `####` L3, `#####` L4. A
//!   later `#` heading is read as another L1 section.
//! - **Skipped levels**: a heading hangs under the nearest shallower open
//!   heading, and its level is its depth in the tree. `#` then `###` gives an
//!   L1 section; `##` then `####` gives an L2 section under the `##`.
//! - **Deeper than L4**: a heading that would land below L4 (`######`, or
//!   `#####` under an L4) becomes an L4 section, a sibling of the L4 above it,
//!   with its own tasks. Nothing is dropped; only the nesting is flattened.
//!   Seven or more `#` are not a heading (CommonMark), just text.
//! - **Lines** end with `\n` or `\r\n`; U+FEFF (a byte-order mark) is
//!   ignored wherever it appears; other control characters except tab mean
//!   the text is not a plan.
//! - **Descriptions**: paragraph lines under a heading, and plain list items
//!   that are not under a task, form its description (lines trimmed, runs of
//!   blank lines collapsed to one). Code fences (```` ``` ```` or `~~~`) are
//!   kept verbatim in the description; tasks inside them are not tasks. An
//!   unclosed fence is closed at the end of the text.
//! - **Tasks**: `- [ ] title` or `- [x] title` (markers `-`, `*`, `+`; `[X]`
//!   too). A task indented deeper than an open task is its sub-task (a quest
//!   step); indentation is spaces or tabs (a tab reaches the next multiple of
//!   four columns). Plain list items (`- item`, `1. item`) indented under a
//!   task are its notes. A paragraph line indented under a task does not end
//!   the list; one that is not indented does.
//! - **Task tokens**: `#easy`, `#medium`, `#hard`, `#expert` set the
//!   difficulty (two different ones are an error), `#repeat` makes the quest
//!   repeatable, any other `#tag` (letters, digits, `_`, `-`, `/`, not only
//!   digits) is kept as a tag, and `📅 2026-05-01` or `due:2026-05-01` sets
//!   the due date (checked against the calendar). The title is what remains,
//!   with white space collapsed. Headings keep their `#tags` too; a section
//!   tagged `#sequential` chains its quests (see [`Plan::to_catalog`]).
//!
//! # Ids
//!
//! Every section and task has an id of 16 hex digits: the first 8 bytes of
//! SHA-256 over its parent's id, its kind, its title (lower-cased, white space
//! collapsed) and its occurrence among earlier siblings with the same title.
//! The same plan always gives the same ids; ticking a task, retagging it or
//! renaming it changes no other task's id (renaming changes its own and its
//! sub-tasks'), except that renaming one of several identically named siblings
//! may renumber the later ones. Ids do not depend on the plan's title, so
//! renaming the plan keeps the rider's progress; they are unique within one
//! plan (callers merging plans into one catalogue must prefix them).

mod catalog;
mod error;
mod id;
mod line;
mod milestone;
mod parse;
mod render;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::quest::Difficulty;

pub use catalog::{CheckedOff, XP_PER_STEP, XP_STEP_CAP, base_xp, quest_xp};
pub use error::ParseError;
pub use milestone::{Milestone, MilestoneKind};
pub use parse::{MAX_BYTES, MAX_DEPTH, MAX_LINE_CHARS, MAX_LINES, parse};

/// The deepest heading level a plan has (L4, `#####`).
pub const MAX_LEVEL: u8 = 4;

/// A whole maintenance plan: its root (L0) and the section tree below it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Text of the first `#` heading; empty when there is none.
    pub title: String,
    /// `#tags` on the title heading.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Text above the first section that is not a task.
    #[serde(default)]
    pub description: String,
    /// Tasks above the first L1 section.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// The L1 sections, each with its subtree.
    #[serde(default)]
    pub sections: Vec<Section>,
    /// Set by [`Plan::in_namespace`]: the plan's quests and zones have ids
    /// of their own, apart from another plan with the same headings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A heading (L1 to L4) with its text, tasks and subsections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Stable id (see the module documentation).
    pub id: String,
    /// Depth in the tree: 1 for a zone, up to [`MAX_LEVEL`].
    pub level: u8,
    /// Heading text without its `#` marks and tags.
    pub title: String,
    /// `#tags` on the heading (`sequential` chains its quests).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Paragraphs and loose list items under the heading.
    #[serde(default)]
    pub description: String,
    /// 1-based line of the heading in the source (0 when not from a source).
    #[serde(default)]
    pub line: usize,
    /// Tasks directly in this section.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Subsections, one level deeper.
    #[serde(default)]
    pub children: Vec<Section>,
}

/// A checklist item; top-level tasks become quests, their sub-tasks steps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Stable id (see the module documentation); also the quest or step id.
    pub id: String,
    /// What to do, without tags and dates.
    pub title: String,
    /// Ticked (`[x]`) in the plan.
    #[serde(default)]
    pub done: bool,
    /// `#tags` other than difficulty and `#repeat`, in order, without `#`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Due date as an ISO `YYYY-MM-DD` string.
    #[serde(default)]
    pub due: Option<String>,
    /// Difficulty from a tag, if any.
    #[serde(default)]
    pub difficulty: Option<Difficulty>,
    /// Tagged `#repeat`: recurring maintenance.
    #[serde(default)]
    pub repeatable: bool,
    /// Plain list items under the task.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Sub-tasks, in order.
    #[serde(default)]
    pub steps: Vec<Task>,
    /// 1-based line of the task in the source (0 when not from a source).
    #[serde(default)]
    pub line: usize,
}

impl Plan {
    /// Id of the plan's root: the parent of the L1 sections and the zone of
    /// tasks above them.
    pub fn root_id() -> String {
        id::root()
    }

    /// The same plan with quest ids of its own: every task's (and
    /// sub-task's) id is derived again within `namespace` (a rider's plan:
    /// its record's key), and so are the catalogue's zone ids. Two plans
    /// with the same headings and tasks (one template opened for two
    /// bikes) then keep their progress apart. Section ids stay as they are:
    /// a level's map, seeded from them, is the same as `ridewire plan`
    /// draws. An empty namespace changes nothing.
    pub fn in_namespace(mut self, namespace: &str) -> Self {
        if namespace.is_empty() {
            return self;
        }
        fn tasks(list: &mut [Task], namespace: &str) {
            for task in list {
                task.id = id::within(namespace, &task.id);
                tasks(&mut task.steps, namespace);
            }
        }
        fn sections(list: &mut [Section], namespace: &str) {
            for section in list {
                tasks(&mut section.tasks, namespace);
                sections(&mut section.children, namespace);
            }
        }
        tasks(&mut self.tasks, namespace);
        sections(&mut self.sections, namespace);
        self.namespace = Some(namespace.to_owned());
        self
    }

    /// The catalogue's id of the zone of section `section_id` (or of the
    /// root): within the plan's namespace, if it has one.
    pub fn zone_id(&self, section_id: &str) -> String {
        match &self.namespace {
            Some(namespace) => id::within(namespace, section_id),
            None => section_id.to_owned(),
        }
    }

    /// The section at an index path (`[2, 0]`: first child of the third L1 section).
    pub fn section(&self, path: &[usize]) -> Option<&Section> {
        let (first, rest) = path.split_first()?;
        let mut section = self.sections.get(*first)?;
        for index in rest {
            section = section.children.get(*index)?;
        }
        Some(section)
    }

    /// The same plan with every source line number set to 0, for comparing a
    /// plan with the parse of its rendering.
    pub fn forget_lines(mut self) -> Self {
        fn tasks(list: &mut [Task]) {
            for task in list {
                task.line = 0;
                tasks(&mut task.steps);
            }
        }
        fn sections(list: &mut [Section]) {
            for section in list {
                section.line = 0;
                tasks(&mut section.tasks);
                sections(&mut section.children);
            }
        }
        tasks(&mut self.tasks);
        sections(&mut self.sections);
        self
    }

    /// Number of tasks in the plan, sub-tasks included.
    pub fn task_count(&self) -> usize {
        fn tasks(list: &[Task]) -> usize {
            list.iter().map(|t| 1 + tasks(&t.steps)).sum()
        }
        fn sections(list: &[Section]) -> usize {
            list.iter()
                .map(|s| tasks(&s.tasks) + sections(&s.children))
                .sum()
        }
        tasks(&self.tasks) + sections(&self.sections)
    }
}

impl Section {
    /// Whether the heading is tagged `#sequential` (any case).
    pub fn is_sequential(&self) -> bool {
        has_sequential_tag(&self.tags)
    }
}

fn has_sequential_tag(tags: &[String]) -> bool {
    tags.iter().any(|t| t.eq_ignore_ascii_case("sequential"))
}
