//! YAML helpers that keep line numbers: a list file is parsed item by item and
//! each item field by field, so one bad field hides neither the other fields
//! of its entry nor the other entries, and every problem points at the line
//! an editor must look at, in words an editor reads (`lat 应为数字，如
//! 39.9965`), not serde's ("expected f64").
//!
//! Each file's entry type describes its fields ([`Schema`]); a field is
//! checked against its kind before the entry is deserialised, and a field
//! that is wrong or missing is reported and then filled with an empty value,
//! so the loaders' own checks still run on the rest of the entry (they ask
//! [`Item::ok`] before checking a field that was already reported).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use super::Problem;
use crate::messages;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string (a number or true/false written without quotes is taken as its text).
    Text,
    /// A number (integer or decimal).
    Number,
    /// A list of strings.
    TextList,
    /// A mapping of strings to lists of strings (synonyms.yaml's `synonyms`).
    ListMap,
    /// A mapping of strings to strings (`unsourced: {claim: reason}`).
    TextMap,
}

impl FieldKind {
    fn name(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::TextList => "list",
            FieldKind::ListMap | FieldKind::TextMap => "map",
        }
    }

    /// The value standing in for a wrong or missing field.
    fn empty(self) -> Value {
        match self {
            FieldKind::Text => Value::String(String::new()),
            FieldKind::Number => Value::Number(serde_yaml::Number::from(f64::NAN)),
            FieldKind::TextList => Value::Sequence(Vec::new()),
            FieldKind::ListMap | FieldKind::TextMap => Value::Mapping(Mapping::new()),
        }
    }
}

/// One field of an entry.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// A value as an editor would write it, shown in messages.
    pub example: &'static str,
}

impl Field {
    pub const fn required(name: &'static str, kind: FieldKind, example: &'static str) -> Field {
        Field { name, kind, required: true, example }
    }

    pub const fn optional(name: &'static str, kind: FieldKind, example: &'static str) -> Field {
        Field { name, kind, required: false, example }
    }
}

/// The fields of a file's entries.
pub trait Schema {
    /// What one entry is called in messages ("条目", "驿站", "地点").
    const WHAT: &'static str;
    const FIELDS: &'static [Field];
}

/// One top-level list item, deserialised, with the line it starts on.
pub struct Item<T> {
    pub value: T,
    pub line: usize,
    /// Fields already reported as wrong or missing (filled with an empty value).
    bad: Vec<&'static str>,
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

    /// Whether `field` was read as written (not already reported as wrong or missing).
    pub fn ok(&self, field: &str) -> bool {
        !self.bad.contains(&field)
    }
}

/// Finds the first line in `first..=last` (1-based) whose content starts with
/// `key:` (after indentation and an optional list dash).
pub fn line_of_key(text: &str, first: usize, last: usize, key: &str) -> Option<usize> {
    let wanted = format!("{key}:");
    let quoted = [format!("\"{key}\":"), format!("'{key}':")];
    text.lines()
        .enumerate()
        .skip(first.saturating_sub(1))
        .take(last + 1 - first.min(last + 1))
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.starts_with(&wanted) || quoted.iter().any(|q| t.starts_with(q.as_str()))
        })
        .map(|(i, _)| i + 1)
}

/// Reads a file that must hold a YAML list, checking each item on its own.
/// Returns the raw text (for later line look-ups) and the items.
pub fn load_list<T: DeserializeOwned + Schema>(path: &Path, problems: &mut Vec<Problem>) -> Option<(String, Vec<Item<T>>)> {
    let bytes = read_bytes(path, problems)?;
    parse_list(path, &bytes, problems)
}

/// [`load_list`] over the bytes of a file.
pub fn parse_list<T: DeserializeOwned + Schema>(path: &Path, bytes: &[u8], problems: &mut Vec<Problem>) -> Option<(String, Vec<Item<T>>)> {
    let text = decode(path, bytes, problems)?;
    let doc: Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(syntax_problem_in(path, &text, &e));
            return None;
        }
    };
    let seq = match doc {
        Value::Sequence(seq) => seq,
        Value::Null => Vec::new(),
        _ => {
            problems.push(Problem::error(path, 1, messages::NOT_A_LIST));
            return None;
        }
    };
    let starts = item_starts(&text);
    let mut items = Vec::new();
    for (i, value) in seq.into_iter().enumerate() {
        // An item the line scan did not find (a flow list, `- ` indented)
        // points at the file's first line rather than at a wrong one.
        let (line, start, end) = match starts.get(i) {
            Some(&(line, start)) => (line, start, starts.get(i + 1).map(|&(_, b)| b).unwrap_or(text.len())),
            None => (1, 0, 0),
        };
        let mut item = Item { value: (), line, bad: Vec::new(), start, end };
        let Value::Mapping(map) = value else {
            problems.push(Problem::error(path, line, messages::entry_not_a_map(T::WHAT, i + 1, &value)));
            continue;
        };
        let checked = check_fields::<T>(map, i + 1, &text, &mut item, path, problems);
        match serde_yaml::from_value::<T>(Value::Mapping(checked)) {
            Ok(v) => items.push(Item { value: v, line: item.line, bad: item.bad, start: item.start, end: item.end }),
            Err(e) => problems.push(Problem::error(path, line, messages::entry_unreadable(T::WHAT, i + 1, &clean(&e)))),
        }
    }
    Some((text, items))
}

/// Reads a file that must hold one mapping (synonyms.yaml), checking each
/// field on its own. A missing or unreadable file gives `None`.
pub fn parse_map<T: DeserializeOwned + Schema + Default>(path: &Path, bytes: &[u8], problems: &mut Vec<Problem>) -> Option<(String, T)> {
    let text = decode(path, bytes, problems)?;
    let doc: Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(syntax_problem_in(path, &text, &e));
            return None;
        }
    };
    let map = match doc {
        Value::Mapping(m) => m,
        Value::Null => return Some((text, T::default())),
        _ => {
            problems.push(Problem::error(path, 1, messages::NOT_A_MAP));
            return None;
        }
    };
    let mut item = Item { value: (), line: 1, bad: Vec::new(), start: 0, end: text.len() };
    let checked = check_fields::<T>(map, 1, &text, &mut item, path, problems);
    match serde_yaml::from_value::<T>(Value::Mapping(checked)) {
        Ok(v) => Some((text, v)),
        Err(e) => {
            problems.push(Problem::error(path, 1, messages::entry_unreadable(T::WHAT, 1, &clean(&e))));
            None
        }
    }
}

/// Checks every field of one entry against the schema, reporting each
/// problem at the field's own line. Returns the entry with unknown fields
/// left out and wrong or missing ones replaced by empty values.
fn check_fields<T: Schema>(map: Mapping, n: usize, text: &str, item: &mut Item<()>, path: &Path, problems: &mut Vec<Problem>) -> Mapping {
    let known: Vec<&str> = T::FIELDS.iter().map(|f| f.name).collect();
    let mut out = Mapping::new();
    let mut seen: Vec<&'static str> = Vec::new();
    for (key, value) in map {
        let Some(name) = key.as_str().map(str::to_string).or_else(|| scalar_text(&key)) else {
            problems.push(Problem::error(path, item.line, messages::key_not_text(&key)));
            continue;
        };
        let line = item.line_of(text, &name);
        let Some(field) = T::FIELDS.iter().find(|f| f.name == name) else {
            problems.push(Problem::error(path, line, messages::unknown_field(T::WHAT, &name, &known)));
            continue;
        };
        seen.push(field.name);
        if value.is_null() {
            if field.required {
                problems.push(Problem::error(path, line, messages::empty_field(field.name, field.kind.name(), field.example)));
                item.bad.push(field.name);
                out.insert(Value::String(field.name.into()), field.kind.empty());
            }
            continue;
        }
        match check_value(field, value, text, line) {
            Ok(v) => {
                out.insert(Value::String(field.name.into()), v);
            }
            Err(found) => {
                for (l, message) in found {
                    problems.push(Problem::error(path, l, message));
                }
                item.bad.push(field.name);
                out.insert(Value::String(field.name.into()), field.kind.empty());
            }
        }
    }
    for field in T::FIELDS.iter().filter(|f| f.required && !seen.contains(&f.name)) {
        problems.push(Problem::error(path, item.line, messages::missing_field(T::WHAT, n, field.name, field.example)));
        item.bad.push(field.name);
        out.insert(Value::String(field.name.into()), field.kind.empty());
    }
    out
}

/// A value of a field, checked against its kind: the value to deserialise
/// (scalars turned into text where text is wanted), or every problem in it
/// with its line.
fn check_value(field: &Field, value: Value, text: &str, line: usize) -> Result<Value, Vec<(usize, String)>> {
    let kind = field.kind.name();
    match field.kind {
        FieldKind::Text => as_text(&value).map(Value::String).ok_or_else(|| vec![(line, messages::wrong_type(field.name, kind, field.example, &value))]),
        FieldKind::Number => match &value {
            Value::Number(_) => Ok(value),
            _ => Err(vec![(line, messages::wrong_type(field.name, kind, field.example, &value))]),
        },
        FieldKind::TextList => {
            let Value::Sequence(items) = &value else {
                return Err(vec![(line, messages::wrong_type(field.name, kind, field.example, &value))]);
            };
            let mut out = Vec::with_capacity(items.len());
            let mut bad = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match as_text(v) {
                    Some(s) => out.push(Value::String(s)),
                    None => bad.push((list_item_line(text, line, i), messages::wrong_item(field.name, i, v))),
                }
            }
            if bad.is_empty() { Ok(Value::Sequence(out)) } else { Err(bad) }
        }
        FieldKind::ListMap => check_mapping(field, kind, value, text, line, |word, v| {
            let list = match v {
                Value::Null => Some(Vec::new()),
                Value::Sequence(items) => items.iter().map(as_text).collect::<Option<Vec<String>>>(),
                _ => None,
            };
            list.map(|l| Value::Sequence(l.into_iter().map(Value::String).collect())).ok_or_else(|| messages::wrong_synonyms(field.name, word, v))
        }),
        FieldKind::TextMap => check_mapping(field, kind, value, text, line, |_, v| {
            as_text(v).map(Value::String).ok_or_else(|| messages::wrong_type(field.name, "text", field.example, v))
        }),
    }
}

/// A mapping field: each key must be text, each value passes `value_of`
/// (its message is reported at the key's own line).
fn check_mapping(
    field: &Field,
    kind: &str,
    value: Value,
    text: &str,
    line: usize,
    value_of: impl Fn(&str, &Value) -> Result<Value, String>,
) -> Result<Value, Vec<(usize, String)>> {
    let Value::Mapping(m) = &value else {
        return Err(vec![(line, messages::wrong_type(field.name, kind, field.example, &value))]);
    };
    let mut out = Mapping::new();
    let mut bad = Vec::new();
    for (k, v) in m {
        let Some(key) = as_text(k) else {
            bad.push((line, messages::key_not_text(k)));
            continue;
        };
        match value_of(&key, v) {
            Ok(v) => {
                out.insert(Value::String(key), v);
            }
            Err(message) => bad.push((line_of_key(text, line, usize::MAX - 1, &key).unwrap_or(line), message)),
        }
    }
    if bad.is_empty() { Ok(Value::Mapping(out)) } else { Err(bad) }
}

/// A scalar as text: a string, or a number or true/false written without quotes.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        _ => scalar_text(v),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The line of item `index` of a block list starting after `field_line`
/// (`questions:` then `- …` lines), or the field's line for a flow list.
fn list_item_line(text: &str, field_line: usize, index: usize) -> usize {
    let mut seen = 0;
    for (i, l) in text.lines().enumerate().skip(field_line) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if !t.starts_with('-') {
            // Continuation of a multi-line item, or the next field.
            if l.len() - t.len() == 0 || t.contains(": ") || t.ends_with(':') {
                break;
            }
            continue;
        }
        if seen == index {
            return i + 1;
        }
        seen += 1;
    }
    field_line
}

/// Reads a file's bytes, reporting a missing or unreadable file.
pub fn read_bytes(path: &Path, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            problems.push(Problem::error(path, 1, messages::cannot_read(&e)));
            None
        }
    }
}

/// A file's bytes as UTF-8 text (a byte-order mark dropped).
pub fn decode(path: &Path, bytes: &[u8], problems: &mut Vec<Problem>) -> Option<String> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match String::from_utf8(bytes.to_vec()) {
        Ok(s) => Some(s),
        Err(e) => {
            let line = bytes[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
            problems.push(Problem::error(path, line, messages::NOT_UTF8));
            None
        }
    }
}

/// Reads a file as UTF-8, reporting a missing or unreadable file.
pub fn read(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    let bytes = read_bytes(path, problems)?;
    decode(path, &bytes, problems)
}

/// A problem for a YAML syntax error, at the line the parser stopped on.
pub fn syntax_problem(path: &Path, e: &serde_yaml::Error) -> Problem {
    let line = e.location().map(|l| l.line()).unwrap_or(1);
    Problem::error(path, line, messages::yaml_syntax(&clean(e)))
}

/// [`syntax_problem`] at the line an editor sees: the parser counts a
/// carriage return (and U+0085, U+2028, U+2029) as a line break too, so its
/// line is found again from its position, counting `\n` only (found by the
/// fuzzer: "line 217 of a 139-line file").
fn syntax_problem_in(path: &Path, text: &str, e: &serde_yaml::Error) -> Problem {
    let mut p = syntax_problem(path, e);
    if let Some(l) = e.location() {
        p.line = text.chars().take(l.index()).filter(|&c| c == '\n').count() + 1;
    }
    p
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields serde knows for `T`, from its "unknown field" message.
    fn serde_fields<T: DeserializeOwned>() -> Vec<String> {
        let e = serde_yaml::from_str::<T>("__probe__: 1\n").err().expect("an unknown field is refused").to_string();
        let list = e.split("expected one of ").nth(1).or_else(|| e.split("expected ").nth(1)).expect("serde lists the fields");
        list.split(", ").map(|f| f.trim_matches(|c: char| c == '`' || c.is_whitespace()).split('`').next().unwrap().to_string()).collect()
    }

    fn schema_fields<T: Schema>() -> Vec<String> {
        T::FIELDS.iter().map(|f| f.name.to_string()).collect()
    }

    /// A schema that forgot a field would report a good file's field as
    /// unknown; one with a field the type lacks would let it through to
    /// serde's English message.
    #[test]
    fn every_schema_names_exactly_the_fields_of_its_type() {
        use crate::knowledge::{FaqEntry, Lexicon, Place, Station};
        assert_eq!(schema_fields::<FaqEntry>(), serde_fields::<FaqEntry>());
        assert_eq!(schema_fields::<Station>(), serde_fields::<Station>());
        assert_eq!(schema_fields::<Place>(), serde_fields::<Place>());
        assert_eq!(schema_fields::<Lexicon>(), serde_fields::<Lexicon>());
    }

    /// Found by the fuzzer (fuzz/corpus/knowledge_yaml/crash-668d2d8c…).
    #[test]
    fn a_syntax_error_after_carriage_returns_points_inside_the_file() {
        let text = "- id: a\r  topic: b\r\r\r\r\r\r  x\n- [unclosed: {\n";
        let mut problems = Vec::new();
        assert!(parse_list::<crate::knowledge::FaqEntry>(Path::new("faq.yaml"), text.as_bytes(), &mut problems).is_none());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].line <= 3, "{}", problems[0]);
    }

    #[test]
    fn list_items_point_at_their_own_line() {
        let text = "- id: a\n  questions:\n    - 一\n    - [二]\n    - 三\n  answer: x\n";
        assert_eq!(list_item_line(text, 2, 0), 3);
        assert_eq!(list_item_line(text, 2, 1), 4);
        assert_eq!(list_item_line(text, 2, 2), 5);
        assert_eq!(list_item_line("- q: [a, b]\n", 1, 1), 1);
    }
}
