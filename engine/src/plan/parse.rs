//! Markdown text → [`Plan`], one line at a time.

use std::borrow::Cow;

use super::error::ParseError;
use super::line::{self, Fence, Line, TaskMeta};
use super::{MAX_LEVEL, Plan, Section, Task, id};

/// Largest text accepted, in bytes.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// Most lines a plan may have.
pub const MAX_LINES: usize = 100_000;
/// Longest line, in characters.
pub const MAX_LINE_CHARS: usize = 10_000;
/// Deepest nesting of tasks (a task and its sub-tasks count as 2).
pub const MAX_DEPTH: usize = 16;

const BOM: char = '\u{feff}';

/// Reads a Markdown maintenance plan (see the [module rules](super)).
pub fn parse(markdown: &str) -> Result<Plan, ParseError> {
    if markdown.len() > MAX_BYTES {
        return Err(ParseError::TooLarge {
            bytes: markdown.len(),
            max: MAX_BYTES,
        });
    }
    let text = markdown;
    if text
        .trim_matches(|c: char| c.is_whitespace() || c == BOM)
        .is_empty()
    {
        return Err(ParseError::Empty);
    }
    let mut parser = Parser::new();
    let mut lines = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        if number > MAX_LINES {
            return Err(ParseError::TooManyLines {
                line: number,
                max: MAX_LINES,
            });
        }
        let raw = raw.strip_suffix('\n').unwrap_or(raw);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        check_text(raw, number)?;
        // A byte-order mark is invisible; one anywhere (not only at the start,
        // as editors that concatenate files leave them) is dropped.
        let raw = if raw.contains(BOM) {
            Cow::Owned(raw.replace(BOM, ""))
        } else {
            Cow::Borrowed(raw)
        };
        parser.line(&raw, number)?;
        lines = number;
    }
    parser.finish(lines)
}

/// Refuses lines too long for a plan and control characters (binary data).
fn check_text(raw: &str, line: usize) -> Result<(), ParseError> {
    // A line's bytes are at least its characters: count only when it may matter.
    if raw.len() > MAX_LINE_CHARS {
        let chars = raw.chars().count();
        if chars > MAX_LINE_CHARS {
            return Err(ParseError::LineTooLong {
                line,
                chars,
                max: MAX_LINE_CHARS,
            });
        }
    }
    match raw
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && *c != '\t')
    {
        Some((at, c)) => Err(ParseError::NotText {
            line,
            column: at + 1,
            code: u32::from(c),
        }),
        None => Ok(()),
    }
}

/// Description lines being collected: blank runs collapse, fences stay verbatim.
#[derive(Default)]
struct Description {
    lines: Vec<String>,
    blank_pending: bool,
}

impl Description {
    fn push(&mut self, text: &str) {
        if self.blank_pending && !self.lines.is_empty() {
            self.lines.push(String::new());
        }
        self.blank_pending = false;
        self.lines.push(text.to_owned());
    }

    fn blank(&mut self) {
        self.blank_pending = true;
    }

    /// A line inside a code fence, kept exactly.
    fn push_verbatim(&mut self, raw: &str) {
        self.lines.push(raw.to_owned());
    }

    fn finish(self) -> String {
        self.lines.join("\n")
    }
}

/// A section while parsing; tasks and children are indices into the arenas.
#[derive(Default)]
struct SectionNode {
    hashes: usize,
    level: u8,
    title: String,
    tags: Vec<String>,
    description: Description,
    line: usize,
    tasks: Vec<usize>,
    children: Vec<usize>,
}

struct TaskNode {
    meta: TaskMeta,
    done: bool,
    notes: Vec<String>,
    steps: Vec<usize>,
    line: usize,
}

const ROOT: usize = 0;

struct Parser {
    sections: Vec<SectionNode>,
    tasks: Vec<TaskNode>,
    /// Open headings, the root first; the last one receives text and tasks.
    open_sections: Vec<usize>,
    /// Open tasks as (indent, index), outermost first.
    open_tasks: Vec<(usize, usize)>,
    fence: Option<Fence>,
    titled: bool,
}

impl Parser {
    fn new() -> Self {
        Self {
            sections: vec![SectionNode::default()],
            tasks: Vec::new(),
            open_sections: vec![ROOT],
            open_tasks: Vec::new(),
            fence: None,
            titled: false,
        }
    }

    fn current(&mut self) -> &mut SectionNode {
        let index = self.open_sections.last().copied().unwrap_or(ROOT);
        &mut self.sections[index]
    }

    fn line(&mut self, raw: &str, number: usize) -> Result<(), ParseError> {
        if let Some(fence) = self.fence {
            self.current().description.push_verbatim(raw);
            if fence.closes(raw) {
                self.fence = None;
            }
            return Ok(());
        }
        match line::classify(raw) {
            Line::Blank => self.current().description.blank(),
            Line::Heading { hashes, text } => self.heading(hashes, text, number),
            Line::FenceOpen(fence) => {
                self.fence = Some(fence);
                self.current().description.push(raw);
            }
            Line::Task { indent, done, text } => self.task(indent, done, text, number)?,
            Line::Item { indent, text, note } => self.item(indent, text, note),
            Line::Text { indent, text } => {
                // Indented under the list, text continues it; otherwise it ends it.
                if self.open_tasks.first().is_none_or(|(i, _)| indent <= *i) {
                    self.open_tasks.clear();
                }
                self.current().description.push(text);
            }
        }
        Ok(())
    }

    fn heading(&mut self, hashes: usize, text: &str, number: usize) {
        self.open_tasks.clear();
        let (title, tags) = line::heading_meta(text);
        if hashes == 1 && !self.titled {
            self.titled = true;
            self.open_sections.truncate(1);
            let root = &mut self.sections[ROOT];
            root.title = title;
            root.tags = tags;
            root.line = number;
            return;
        }
        // Hang under the nearest shallower heading (the root has 0 hashes)...
        while self.open_sections.len() > 1
            && self
                .open_sections
                .last()
                .is_some_and(|&s| self.sections[s].hashes >= hashes)
        {
            self.open_sections.pop();
        }
        // ...but never below L4: deeper headings become L4 siblings.
        self.open_sections.truncate(usize::from(MAX_LEVEL));
        let parent = self.open_sections.last().copied().unwrap_or(ROOT);
        let index = self.sections.len();
        self.sections.push(SectionNode {
            hashes,
            level: self.sections[parent].level + 1,
            title,
            tags,
            line: number,
            ..SectionNode::default()
        });
        self.sections[parent].children.push(index);
        self.open_sections.push(index);
    }

    fn task(
        &mut self,
        indent: usize,
        done: bool,
        text: &str,
        number: usize,
    ) -> Result<(), ParseError> {
        let meta = line::task_meta(text, number)?;
        while self.open_tasks.last().is_some_and(|(i, _)| *i >= indent) {
            self.open_tasks.pop();
        }
        let depth = self.open_tasks.len() + 1;
        if depth > MAX_DEPTH {
            return Err(ParseError::TooDeep {
                line: number,
                depth,
                max: MAX_DEPTH,
            });
        }
        let index = self.tasks.len();
        self.tasks.push(TaskNode {
            meta,
            done,
            notes: Vec::new(),
            steps: Vec::new(),
            line: number,
        });
        match self.open_tasks.last() {
            Some(&(_, parent)) => self.tasks[parent].steps.push(index),
            None => self.current().tasks.push(index),
        }
        self.open_tasks.push((indent, index));
        Ok(())
    }

    fn item(&mut self, indent: usize, text: &str, note: &str) {
        while self.open_tasks.last().is_some_and(|(i, _)| *i >= indent) {
            self.open_tasks.pop();
        }
        match self.open_tasks.last() {
            // An empty bullet says nothing; keep notes meaningful.
            Some(&(_, task)) if !note.is_empty() => self.tasks[task].notes.push(note.to_owned()),
            Some(_) => {}
            None => self.current().description.push(text),
        }
    }

    fn finish(mut self, lines: usize) -> Result<Plan, ParseError> {
        if let Some(fence) = self.fence.take() {
            self.current()
                .description
                .push_verbatim(&fence.closing_line());
        }
        if self.tasks.is_empty() {
            return Err(ParseError::NoTasks { lines });
        }
        let root = self.build_section(ROOT);
        let mut plan = Plan {
            title: root.title,
            tags: root.tags,
            description: root.description,
            tasks: root.tasks,
            sections: root.children,
            namespace: None,
        };
        id::assign(&mut plan);
        Ok(plan)
    }

    fn build_section(&mut self, index: usize) -> Section {
        let node = std::mem::take(&mut self.sections[index]);
        Section {
            id: String::new(),
            level: node.level,
            title: node.title,
            tags: node.tags,
            description: node.description.finish(),
            line: node.line,
            tasks: node.tasks.iter().map(|&t| self.build_task(t)).collect(),
            children: node
                .children
                .iter()
                .map(|&c| self.build_section(c))
                .collect(),
        }
    }

    fn build_task(&mut self, index: usize) -> Task {
        let node = &mut self.tasks[index];
        let meta = std::mem::take(&mut node.meta);
        let notes = std::mem::take(&mut node.notes);
        let steps = std::mem::take(&mut node.steps);
        let (done, line) = (node.done, node.line);
        Task {
            id: String::new(),
            title: meta.title,
            done,
            tags: meta.tags,
            due: meta.due,
            difficulty: meta.difficulty,
            repeatable: meta.repeatable,
            notes,
            steps: steps.iter().map(|&s| self.build_task(s)).collect(),
            line,
        }
    }
}
