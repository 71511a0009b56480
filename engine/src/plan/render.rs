//! [`Plan`] → canonical Markdown that parses back to the same plan.
//!
//! Canonical form: the `#` title line (only when the title or its tags are
//! set), then the description, then the tasks (two spaces per sub-task
//! level, `- [ ]` / `- [x]`, notes as `- note` right under their task), then
//! each section with `#` marks for its depth in the tree. Descriptions come
//! before tasks, so a loose list item in a description is never read as a
//! task's note.

use std::fmt::Write as _;

use super::line::difficulty_tag;
use super::{Plan, Section, Task};

impl Plan {
    /// Renders the plan as canonical Markdown; `parse` of the result gives
    /// back this plan (line numbers aside) for every plan `parse` returns.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if !self.title.is_empty() || !self.tags.is_empty() {
            heading(&mut out, 1, &self.title, &self.tags);
        }
        body(&mut out, &self.description, &self.tasks);
        for section in &self.sections {
            render_section(&mut out, section, 1);
        }
        out
    }
}

/// Starts a block: a blank line after whatever came before.
fn separate(out: &mut String) {
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn heading(out: &mut String, depth: usize, title: &str, tags: &[String]) {
    separate(out);
    out.push_str(&"#".repeat(depth));
    let words = std::iter::once(title.to_owned())
        .chain(tags.iter().map(|t| format!("#{t}")))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !words.is_empty() {
        out.push(' ');
        out.push_str(&words);
    }
    out.push('\n');
}

fn body(out: &mut String, description: &str, tasks: &[Task]) {
    if !description.is_empty() {
        separate(out);
        out.push_str(description);
        out.push('\n');
    }
    if !tasks.is_empty() {
        separate(out);
        for task in tasks {
            render_task(out, task, 0);
        }
    }
}

fn render_section(out: &mut String, section: &Section, depth: usize) {
    heading(out, depth + 1, &section.title, &section.tags);
    body(out, &section.description, &section.tasks);
    for child in &section.children {
        render_section(out, child, depth + 1);
    }
}

fn render_task(out: &mut String, task: &Task, depth: usize) {
    let indent = "  ".repeat(depth);
    let mut words: Vec<String> = Vec::new();
    if !task.title.is_empty() {
        words.push(task.title.clone());
    }
    if let Some(difficulty) = task.difficulty {
        words.push(format!("#{}", difficulty_tag(difficulty)));
    }
    if task.repeatable {
        words.push("#repeat".into());
    }
    words.extend(task.tags.iter().map(|t| format!("#{t}")));
    if let Some(due) = &task.due {
        words.push(format!("📅 {due}"));
    }
    let check = if task.done { "x" } else { " " };
    // Writing to a String cannot fail.
    let _ = write!(out, "{indent}- [{check}]");
    if !words.is_empty() {
        out.push(' ');
        out.push_str(&words.join(" "));
    }
    out.push('\n');
    for note in &task.notes {
        let _ = writeln!(out, "{indent}  - {note}");
    }
    for step in &task.steps {
        render_task(out, step, depth + 1);
    }
}
