//! Stable ids for sections and tasks, derived from the path of titles.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{Plan, Section, Task};

/// Lower-cased title with white space collapsed: what two titles must share
/// to count as the same.
pub(super) fn normalise(title: &str) -> String {
    let words: Vec<String> = title.split_whitespace().map(str::to_lowercase).collect();
    words.join(" ")
}

fn derive(parent: &str, kind: &str, title: &str, occurrence: u32) -> String {
    let mut hash = Sha256::new();
    // Unit separators keep ("ab", "c") and ("a", "bc") apart.
    for part in [parent.as_bytes(), kind.as_bytes(), title.as_bytes()] {
        hash.update(part);
        hash.update([0x1f]);
    }
    hash.update(occurrence.to_be_bytes());
    let digest = hash.finalize();
    hex::encode(&digest[..8])
}

/// `id` again within `namespace` (see `Plan::in_namespace`).
pub(super) fn within(namespace: &str, id: &str) -> String {
    derive(namespace, "in", id, 0)
}

/// Id of the root, the same for every plan so renaming a plan keeps its ids.
pub(super) fn root() -> String {
    derive("", "plan", "", 0)
}

/// Gives every section and task of a parsed plan its id.
pub(super) fn assign(plan: &mut Plan) {
    let root = root();
    tasks(&root, &mut plan.tasks);
    sections(&root, &mut plan.sections);
}

/// Numbers each title's occurrences among siblings, in order.
fn occurrences<'a>(titles: impl Iterator<Item = &'a str>) -> Vec<(String, u32)> {
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    titles
        .map(|title| {
            let title = normalise(title);
            let count = seen.entry(title.clone()).or_insert(0);
            let occurrence = *count;
            *count += 1;
            (title, occurrence)
        })
        .collect()
}

fn sections(parent: &str, list: &mut [Section]) {
    let keys = occurrences(list.iter().map(|s| s.title.as_str()));
    for (section, (title, occurrence)) in list.iter_mut().zip(keys) {
        section.id = derive(parent, "section", &title, occurrence);
        tasks(&section.id, &mut section.tasks);
        sections(&section.id, &mut section.children);
    }
}

fn tasks(parent: &str, list: &mut [Task]) {
    let keys = occurrences(list.iter().map(|t| t.title.as_str()));
    for (task, (title, occurrence)) in list.iter_mut().zip(keys) {
        task.id = derive(parent, "task", &title, occurrence);
        tasks(&task.id, &mut task.steps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_hex_and_depend_on_every_part() {
        let id = derive("p", "task", "oil", 0);
        assert_eq!(id.len(), 16);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, derive("p", "task", "oil", 1));
        assert_ne!(id, derive("p", "section", "oil", 0));
        assert_ne!(id, derive("q", "task", "oil", 0));
        assert_ne!(derive("ab", "task", "c", 0), derive("a", "task", "bc", 0));
    }

    #[test]
    fn titles_normalise_case_and_space() {
        assert_eq!(normalise("  Öl   WECHSELN\t"), "öl wechseln");
    }
}
