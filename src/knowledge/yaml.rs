//! YAML helpers that keep line numbers: a list file is parsed item by item, so
//! one bad entry does not hide the problems of the others, and every problem
//! points at the line an editor must look at.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::Problem;

/// One top-level list item, deserialised, with the line it starts on.
pub struct Item<T> {
    pub value: T,
    pub line: usize,
    /// The raw lines of this item (for finding the line of a field).
    first: usize,
    last: usize,
}

impl<T> Item<T> {
    /// The line of `key:` inside this item, or the item's first line.
    pub fn line_of(&self, text: &str, key: &str) -> usize {
        line_of_key(text, self.first, self.last, key).unwrap_or(self.line)
    }
}

/// Finds the first line in `first..=last` (1-based) whose content starts with
/// `key:` (after indentation and an optional list dash).
pub fn line_of_key(text: &str, first: usize, last: usize, key: &str) -> Option<usize> {
    let wanted = format!("{key}:");
    text.lines()
        .enumerate()
        .skip(first.saturating_sub(1))
        .take(last + 1 - first.min(last + 1))
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.starts_with(&wanted)
        })
        .map(|(i, _)| i + 1)
}

/// Reads a file that must hold a YAML list, deserialising each item on its own.
/// Returns the raw text (for later line look-ups) and the good items.
pub fn load_list<T: DeserializeOwned>(path: &Path, problems: &mut Vec<Problem>) -> Option<(String, Vec<Item<T>>)> {
    let text = read(path, problems)?;
    let doc: serde_yaml::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(syntax_problem(path, &e));
            return None;
        }
    };
    let seq = match doc {
        serde_yaml::Value::Sequence(seq) => seq,
        serde_yaml::Value::Null => Vec::new(),
        _ => {
            problems.push(Problem::error(path, 1, "expected a list of entries (each starting with \"- \")"));
            return None;
        }
    };
    let starts = item_starts(&text);
    let total_lines = text.lines().count().max(1);
    let mut items = Vec::new();
    for (i, value) in seq.into_iter().enumerate() {
        let line = starts.get(i).copied().unwrap_or(1);
        let last = starts.get(i + 1).map(|n| n - 1).unwrap_or(total_lines);
        match serde_yaml::from_value::<T>(value) {
            Ok(v) => items.push(Item { value: v, line, first: line, last }),
            Err(e) => problems.push(Problem::error(path, line, format!("entry {}: {}", i + 1, clean(&e)))),
        }
    }
    Some((text, items))
}

/// Reads a file as UTF-8, reporting a missing or unreadable file.
pub fn read(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(_) => {
                problems.push(Problem::error(path, 1, "file is not UTF-8 text (save it as UTF-8)"));
                None
            }
        },
        Err(e) => {
            problems.push(Problem::error(path, 1, format!("cannot read file: {e}")));
            None
        }
    }
}

/// A problem for a YAML syntax error, at the line the parser stopped on.
pub fn syntax_problem(path: &Path, e: &serde_yaml::Error) -> Problem {
    let line = e.location().map(|l| l.line()).unwrap_or(1);
    Problem::error(path, line, format!("YAML syntax error: {}", clean(e)))
}

/// serde_yaml messages end with "at line N column M"; the line is already in
/// the problem's position, so the tail only repeats it.
fn clean(e: &serde_yaml::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The 1-based lines where top-level list items start (`- ` at column 0).
fn item_starts(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("- ") || *l == "-")
        .map(|(i, _)| i + 1)
        .collect()
}
