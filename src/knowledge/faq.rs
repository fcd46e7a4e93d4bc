//! `faq.yaml`: the entries an editor wrote from the articles.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Problem;
use super::yaml::{self, Field, FieldKind::*};

/// The longest answer an editor may write. The rendered reply adds a title,
/// a source line and suggestions; Telegram's limit is 4,096 characters.
pub const MAX_ANSWER_CHARS: usize = 3000;

/// One FAQ entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaqEntry {
    /// Stable id, used in callback data and in `follow_ups`.
    pub id: String,
    /// Short title shown on suggestion buttons.
    pub topic: String,
    /// Wordings as workers type them.
    pub questions: Vec<String>,
    pub answer: String,
    /// Article ids the answer is drawn from.
    pub sources: Vec<String>,
    #[serde(default)]
    pub follow_ups: Vec<String>,
    /// Which kinds of question the answer fits (`steps`, `whether`, `where`,
    /// `when`, `how_many`; see [`super::QuestionTypeWords`]); when empty, the
    /// engine infers them from the wordings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
    /// Claims of the answer that are deliberately not in the cited articles,
    /// each with the editor's reason (claim → reason); the grounding check
    /// (`crate::grounding`) passes them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unsourced: BTreeMap<String, String>,
    /// Line in faq.yaml where the entry starts (filled in by the loader).
    #[serde(skip)]
    pub line: usize,
}

impl yaml::Schema for FaqEntry {
    const WHAT: &'static str = "条目";
    const FIELDS: &'static [Field] = &[
        Field::required("id", Text, "join-how"),
        Field::required("topic", Text, "怎么入会"),
        Field::required("questions", TextList, "[怎么入会, 怎么加入工会]"),
        Field::required("answer", Text, "打开“北京工会12351”小程序……"),
        Field::required("sources", TextList, "[004-01]"),
        Field::optional("follow_ups", TextList, "[hotline]"),
        Field::optional("answers", TextList, "[steps, where]"),
        Field::optional("unsourced", TextMap, "{\"2178家\": 报道给的是全市数字}"),
    ];
}

pub(super) fn load(path: &Path, article_ids: &HashSet<&str>, problems: &mut Vec<Problem>) -> Vec<FaqEntry> {
    match yaml::read_bytes(path, problems) {
        Some(bytes) => parse(path, &bytes, article_ids, problems),
        None => Vec::new(),
    }
}

/// Checks the bytes of a `faq.yaml` (named `path` in the problems) against
/// the article ids, as [`load`] does the file.
pub fn parse(path: &Path, bytes: &[u8], article_ids: &HashSet<&str>, problems: &mut Vec<Problem>) -> Vec<FaqEntry> {
    let Some((text, items)) = yaml::parse_list::<FaqEntry>(path, bytes, problems) else {
        return Vec::new();
    };
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let mut seen_wordings: HashMap<String, (String, usize)> = HashMap::new();
    let mut entries = Vec::new();
    for item in &items {
        let e = &item.value;
        let id_line = item.line_of(&text, "id");
        if !item.ok("id") {
            // Already reported as wrong or missing.
        } else if e.id.trim().is_empty() {
            problems.push(Problem::error(path, id_line, "entry has an empty id"));
        } else if !e.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            problems.push(Problem::error(path, id_line, format!("id \"{}\": use only a-z, 0-9 and '-' (ids go into button data)", e.id)));
        } else if e.id.len() > 40 {
            problems.push(Problem::error(path, id_line, format!("id \"{}\" is longer than 40 characters", e.id)));
        } else if let Some(first) = seen_ids.get(&e.id) {
            problems.push(Problem::error(path, id_line, format!("duplicate id \"{}\" (first used on line {first})", e.id)));
        } else {
            seen_ids.insert(e.id.clone(), id_line);
        }
        if item.ok("topic") && e.topic.trim().is_empty() {
            problems.push(Problem::error(path, item.line_of(&text, "topic"), format!("entry \"{}\" has an empty topic", e.id)));
        }
        if item.ok("questions") && e.questions.is_empty() {
            problems.push(Problem::error(path, item.line_of(&text, "questions"), format!("entry \"{}\" has no questions", e.id)));
        }
        for q in &e.questions {
            let norm = crate::text::normalize(q);
            let qline = line_containing(&text, item.line, q).unwrap_or(item.line);
            if norm.is_empty() {
                problems.push(Problem::error(path, qline, format!("entry \"{}\" has an empty question", e.id)));
                continue;
            }
            match seen_wordings.get(&norm) {
                Some((other, line)) if other != &e.id => problems.push(Problem::error(
                    path,
                    qline,
                    format!("question \"{q}\" is also a question of entry \"{other}\" (line {line}); keep it in one entry"),
                )),
                Some(_) => problems.push(Problem::warning(path, qline, format!("question \"{q}\" is listed twice in entry \"{}\"", e.id))),
                None => {
                    seen_wordings.insert(norm, (e.id.clone(), qline));
                }
            }
        }
        let answer_chars = e.answer.chars().count();
        if !item.ok("answer") {
            // Already reported as wrong or missing.
        } else if e.answer.trim().is_empty() {
            problems.push(Problem::error(path, item.line_of(&text, "answer"), format!("entry \"{}\" has an empty answer", e.id)));
        } else if answer_chars > MAX_ANSWER_CHARS {
            problems.push(Problem::error(
                path,
                item.line_of(&text, "answer"),
                format!("answer of \"{}\" has {answer_chars} characters; over {MAX_ANSWER_CHARS} it would not fit in one Telegram message", e.id),
            ));
        }
        if item.ok("sources") && e.sources.is_empty() {
            problems.push(Problem::error(path, item.line_of(&text, "sources"), format!("entry \"{}\" cites no source article", e.id)));
        }
        for s in &e.sources {
            if !article_ids.contains(s.as_str()) {
                problems.push(Problem::error(
                    path,
                    item.line_of(&text, "sources"),
                    format!("entry \"{}\" cites article \"{s}\", which is not in knowledge/articles/", e.id),
                ));
            }
        }
        for a in e.answers.iter().filter(|a| !super::QuestionTypeWords::NAMES.contains(&a.as_str())) {
            problems.push(Problem::error(
                path,
                item.line_of(&text, "answers"),
                format!("entry \"{}\" answers \"{a}\", which is no question type (steps, whether, where, when, how_many)", e.id),
            ));
        }
        let mut entry = e.clone();
        entry.line = item.line;
        entries.push(entry);
    }
    for (item, e) in items.iter().zip(&entries) {
        for f in &e.follow_ups {
            if !seen_ids.contains_key(f) {
                problems.push(Problem::error(
                    path,
                    item.line_of(&text, "follow_ups"),
                    format!("entry \"{}\" has follow-up \"{f}\", which is no entry's id", e.id),
                ));
            } else if f == &e.id {
                problems.push(Problem::warning(path, item.line_of(&text, "follow_ups"), format!("entry \"{}\" lists itself as a follow-up", e.id)));
            }
        }
    }
    entries
}

/// The first line at or after `from` that contains `needle`.
fn line_containing(text: &str, from: usize, needle: &str) -> Option<usize> {
    text.lines().enumerate().skip(from.saturating_sub(1)).find(|(_, l)| l.contains(needle)).map(|(i, _)| i + 1)
}
