//! One level of a plan as the overworld shows it: the nodes to lay out.

use serde::{Deserialize, Serialize};

use super::{Plan, Section, Task};
use crate::quest::QuestId;

/// Whether a milestone opens a section or is a quest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    /// A section: clicking it opens its own milestones.
    Section,
    /// A top-level task: a quest node.
    Quest,
}

/// A node on one level of the overworld.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// Section or quest.
    pub kind: MilestoneKind,
    /// The section's or task's stable id.
    pub id: String,
    /// The quest, for a quest node.
    pub quest: Option<QuestId>,
    /// For a section: the index path to pass to [`Plan::milestones`] to open it.
    pub path: Option<Vec<usize>>,
    /// Section or task title.
    pub title: String,
    /// Level the node is drawn on: its parent's level + 1 (L1 under the plan).
    pub level: u8,
    /// A section with tasks or subsections, or a task with steps.
    pub has_children: bool,
    /// A ticked task; a section whose quests (and its subsections') are all ticked, and that has some.
    pub done: bool,
    /// 1-based source line.
    pub line: usize,
}

impl Plan {
    /// The nodes of one level: for `[]` the plan's root tasks then its L1
    /// sections; for a section's index path its tasks then its subsections.
    /// An unknown path gives no nodes.
    pub fn milestones(&self, path: &[usize]) -> Vec<Milestone> {
        if path.is_empty() {
            return nodes(&self.tasks, &self.sections, path, 0);
        }
        match self.section(path) {
            Some(section) => nodes(&section.tasks, &section.children, path, section.level),
            None => Vec::new(),
        }
    }
}

fn nodes(tasks: &[Task], sections: &[Section], path: &[usize], level: u8) -> Vec<Milestone> {
    let level = level.saturating_add(1);
    let quests = tasks.iter().map(|task| Milestone {
        kind: MilestoneKind::Quest,
        id: task.id.clone(),
        quest: QuestId::new(task.id.clone()).ok(),
        path: None,
        title: task.title.clone(),
        level,
        has_children: !task.steps.is_empty(),
        done: task.done,
        line: task.line,
    });
    let sections = sections.iter().enumerate().map(|(index, section)| {
        let (ticked, total) = quest_counts(section);
        let mut child_path = path.to_vec();
        child_path.push(index);
        Milestone {
            kind: MilestoneKind::Section,
            id: section.id.clone(),
            quest: None,
            path: Some(child_path),
            title: section.title.clone(),
            level,
            has_children: !section.tasks.is_empty() || !section.children.is_empty(),
            done: total > 0 && ticked == total,
            line: section.line,
        }
    });
    quests.chain(sections).collect()
}

/// (ticked, all) quests in a section and its subsections.
fn quest_counts(section: &Section) -> (usize, usize) {
    let ticked = section.tasks.iter().filter(|t| t.done).count();
    section
        .children
        .iter()
        .map(quest_counts)
        .fold((ticked, section.tasks.len()), |(a, b), (c, d)| {
            (a + c, b + d)
        })
}
