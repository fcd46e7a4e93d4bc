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
    /// The raw text of this item, as byte offsets into the file's text (for
    /// finding the line of a field without walking the file from its top:
    /// that made loading 11,000 stations quadratic, 30 s instead of 0.3 s).
    start: usize,
    end: usize,
}

impl<T> Item<T> {
    /// The line of `key:` inside this item, or the item's first line.
    pub fn line_of(&self, text: &str, key: &str) -> usize {
        let own = text.get(self.start..self.end).unwrap_or("");
        line_of_key(own, 1, usize::MAX - 1, key).map(|l| self.line + l - 1).unwrap_or(self.line)
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
    let mut items = Vec::new();
    for (i, value) in seq.into_iter().enumerate() {
        let (line, start) = starts.get(i).copied().unwrap_or((1, 0));
        let end = starts.get(i + 1).map(|&(_, b)| b).unwrap_or(text.len());
        match serde_yaml::from_value::<T>(value) {
            Ok(v) => items.push(Item { value: v, line, start, end }),
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

/// The 1-based lines where top-level list items start (`- ` at column 0),
/// each with the byte offset of that line.
fn item_starts(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        let content = l.strip_suffix('\n').unwrap_or(l);
        let content = content.strip_suffix('\r').unwrap_or(content);
        if content.starts_with("- ") || content == "-" {
            out.push((i + 1, offset));
        }
        offset += l.len();
    }
    out
}
