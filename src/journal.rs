//! The journal: what workers asked and how the bot did, for the editors.
//!
//! Two append-only files in the data directory, one JSON object per line:
//! - `unanswered.jsonl`: every fallback and every low-confidence answer, with
//!   the question text, the time and what was shown — the editors' to-do list;
//! - `events.jsonl`: one line per question or shared location, with the time,
//!   the intent, whether it was answered confidently and the district it was
//!   about — enough for `/stats`;
//! - `feedback.jsonl`: one line per 👍/👎, with the time, the answer's
//!   reference, the vote, and for 👎 only the question that got it.
//!
//! None holds a user id, a chat id, an IP address or coordinates. Every
//! question text that goes to a file passes through [`scrub`]. A line is written with
//! one `write` on a file opened for appending and flushed at once, so a crash
//! loses at most the line being written; readers skip a torn last line.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::answer::{Answer, Kind};

pub const UNANSWERED_FILE: &str = "unanswered.jsonl";
pub const EVENTS_FILE: &str = "events.jsonl";
pub const FEEDBACK_FILE: &str = "feedback.jsonl";

/// The longest question text kept in the unanswered log.
const MAX_LOGGED_CHARS: usize = 500;

/// One unanswered (or weakly answered) question.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Unanswered {
    /// Unix time in seconds.
    pub t: u64,
    pub q: String,
    /// What the worker was shown: "fallback", or the intent of a low-confidence answer.
    pub shown: String,
    #[serde(default)]
    pub suggestions: Vec<String>,
}

/// One question or shared location, without its text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    pub t: u64,
    /// "text" or "location".
    pub via: String,
    pub intent: Option<String>,
    pub confident: bool,
    pub fallback: bool,
    #[serde(default)]
    pub district: Option<String>,
}

/// One 👍/👎 on an answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VoteLine {
    pub t: u64,
    /// The answer's reference (its intent, e.g. `faq:join-how`, or `fallback`).
    #[serde(rename = "ref")]
    pub answer_ref: String,
    /// `up` or `down`.
    pub vote: String,
    /// The question that got a 👎 (never kept for a 👍).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The channel: `web` or `telegram`.
    #[serde(default)]
    pub via: String,
}

/// The one way a question's text goes to a file: trimmed and clipped.
/// (Redacting personal details — phone, ID and card numbers, plates, names —
/// belongs here too, so that no file ever gets them.)
pub fn scrub(question: &str) -> String {
    crate::text::clip(question.trim(), MAX_LOGGED_CHARS).to_string()
}

/// The journal's files.
pub struct Journal {
    dir: PathBuf,
    lock: Mutex<()>,
}

impl Journal {
    /// Opens (creating when needed) the journal in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Journal> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("{}: cannot create the data directory", data_dir.display()))?;
        for f in [UNANSWERED_FILE, EVENTS_FILE, FEEDBACK_FILE] {
            append_file(&data_dir.join(f))?;
        }
        Ok(Journal { dir: data_dir.to_path_buf(), lock: Mutex::new(()) })
    }

    /// Records a text question and its answer: always an event; a fallback or
    /// a low-confidence answer also goes to the unanswered log. Failures are
    /// logged, never passed on: the worker's reply matters more.
    pub fn record(&self, question: &str, answer: &Answer) {
        let now = unix_now();
        self.record_at(question, answer, now);
    }

    /// [`Journal::record`] at a given time (tests).
    pub fn record_at(&self, question: &str, answer: &Answer, now: u64) {
        let event = Event {
            t: now,
            via: "text".into(),
            intent: answer.intent.clone(),
            confident: answer.confident,
            fallback: answer.is_fallback(),
            district: district_of(answer),
        };
        self.append(EVENTS_FILE, &event);
        let weak = !answer.confident && !matches!(answer.kind, Kind::Empty);
        if weak {
            let shown = if answer.is_fallback() { "fallback".to_string() } else { answer.intent.clone().unwrap_or_else(|| "fallback".into()) };
            let entry = Unanswered {
                t: now,
                q: scrub(question),
                shown,
                suggestions: answer.suggestions.iter().map(|s| s.label.clone()).collect(),
            };
            self.append(UNANSWERED_FILE, &entry);
        }
    }

    /// Records a shared location's answer (the district only, never the coordinates).
    pub fn record_location(&self, answer: &Answer) {
        let event = Event {
            t: unix_now(),
            via: "location".into(),
            intent: answer.intent.clone(),
            confident: answer.confident,
            fallback: answer.is_fallback(),
            district: district_of(answer),
        };
        self.append(EVENTS_FILE, &event);
    }

    /// Records a 👍/👎 on the answer `answer_ref`; the question is written
    /// for a 👎 only (scrubbed), and nothing about who voted.
    pub fn record_vote(&self, answer_ref: &str, vote: crate::feedback::Vote, question: Option<&str>, via: &str) {
        use crate::feedback::Vote;
        let line = VoteLine {
            t: unix_now(),
            answer_ref: crate::text::clip(answer_ref, 80).to_string(),
            vote: vote.as_str().to_string(),
            q: if vote == Vote::Down { question.map(scrub).filter(|q| !q.is_empty()) } else { None },
            via: via.to_string(),
        };
        self.append(FEEDBACK_FILE, &line);
    }

    /// All votes, oldest first (torn lines skipped).
    pub fn votes(&self) -> Vec<VoteLine> {
        read_lines(&self.dir.join(FEEDBACK_FILE))
    }

    /// The answers with the most 👎 (with their 👍 beside), and for each the
    /// questions that got the 👎, as plain text for an editor.
    pub fn feedback_report(&self, limit: usize) -> String {
        let votes = self.votes();
        if votes.is_empty() {
            return "还没有收到👍/👎反馈。".to_string();
        }
        let ups = votes.iter().filter(|v| v.vote == "up").count();
        let downs = votes.len() - ups;
        let mut out = format!("反馈：👍 {ups} 次，👎 {downs} 次。\n");
        let mut by_ref: HashMap<&str, (usize, usize, Vec<&str>)> = HashMap::new();
        for v in &votes {
            let e = by_ref.entry(v.answer_ref.as_str()).or_default();
            if v.vote == "down" {
                e.1 += 1;
                if let Some(q) = v.q.as_deref()
                    && !e.2.contains(&q)
                {
                    e.2.push(q);
                }
            } else {
                e.0 += 1;
            }
        }
        let mut worst: Vec<(&str, (usize, usize, Vec<&str>))> = by_ref.into_iter().filter(|(_, c)| c.1 > 0).collect();
        worst.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
        if worst.is_empty() {
            return out.trim_end().to_string();
        }
        out.push_str("👎最多的回答：\n");
        for (i, (r, (up, down, questions))) in worst.iter().take(limit).enumerate() {
            out.push_str(&format!("{}. {r}：👎 {down} 次，👍 {up} 次\n", i + 1));
            for q in questions.iter().rev().take(5) {
                out.push_str(&format!("   问：{q}\n"));
            }
        }
        out.trim_end().to_string()
    }

    fn append<T: Serialize>(&self, file: &str, value: &T) {
        let Ok(mut line) = serde_json::to_string(value) else { return };
        line.push('\n');
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.dir.join(file);
        let result = append_file(&path).and_then(|mut f| {
            f.write_all(line.as_bytes())?;
            f.flush()?;
            Ok(())
        });
        if let Err(e) = result {
            tracing::error!(file = %path.display(), error = %e, "cannot write to the journal");
        }
    }

    /// All unanswered entries, oldest first (torn lines skipped).
    pub fn unanswered(&self) -> Vec<Unanswered> {
        read_lines(&self.dir.join(UNANSWERED_FILE))
    }

    /// All events, oldest first (torn lines skipped).
    pub fn events(&self) -> Vec<Event> {
        read_lines(&self.dir.join(EVENTS_FILE))
    }

    /// The most frequent unanswered questions, wordings of the same thing
    /// grouped, as plain text for an editor (escape before sending as HTML).
    pub fn unanswered_report(&self, limit: usize) -> String {
        let groups = group_questions(&self.unanswered());
        if groups.is_empty() {
            return "还没有记录到答不上来的问题。".to_string();
        }
        let mut out = format!("答不上来或把握不大的问题（按次数，共{}组）：\n", groups.len());
        for (i, g) in groups.iter().take(limit).enumerate() {
            out.push_str(&format!("{}. {}（{}次", i + 1, g.representative, g.count));
            if g.wordings.len() > 1 {
                out.push_str(&format!("，{}种问法", g.wordings.len()));
            }
            out.push_str(&format!("，当时显示：{}）\n", g.shown));
            for w in g.wordings.iter().filter(|w| **w != g.representative).take(3) {
                out.push_str(&format!("   也问：{w}\n"));
            }
        }
        out.trim_end().to_string()
    }

    /// Questions today and this week, the fallback rate, the top entries and
    /// the top districts, as plain text.
    pub fn stats_report(&self, now_unix_secs: u64) -> String {
        let events = self.events();
        let s = Stats::of(&events, now_unix_secs);
        let mut out = format!(
            "今天（北京时间）：{} 次提问，本周（近7天）：{} 次。\n近7天没答上来的比例：{:.0}%（{} 次）\n",
            s.today,
            s.week,
            s.fallback_rate * 100.0,
            s.week_fallbacks
        );
        if !s.top_intents.is_empty() {
            out.push_str("近7天最常用的回答：\n");
            for (k, n) in &s.top_intents {
                out.push_str(&format!("  {k}：{n}次\n"));
            }
        }
        if !s.top_districts.is_empty() {
            out.push_str("近7天问得最多的区：\n");
            for (k, n) in &s.top_districts {
                out.push_str(&format!("  {k}：{n}次\n"));
            }
        }
        out.trim_end().to_string()
    }
}

/// Figures for `/stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub today: usize,
    pub week: usize,
    pub week_fallbacks: usize,
    pub fallback_rate: f64,
    pub top_intents: Vec<(String, usize)>,
    pub top_districts: Vec<(String, usize)>,
}

impl Stats {
    pub fn of(events: &[Event], now: u64) -> Stats {
        const DAY: u64 = 86_400;
        const BEIJING: u64 = 8 * 3600;
        let today_start = (now + BEIJING) / DAY * DAY - BEIJING;
        let week_start = now.saturating_sub(7 * DAY);
        let today = events.iter().filter(|e| e.t >= today_start && e.t <= now).count();
        let week: Vec<&Event> = events.iter().filter(|e| e.t >= week_start && e.t <= now).collect();
        let week_fallbacks = week.iter().filter(|e| e.fallback).count();
        let fallback_rate = if week.is_empty() { 0.0 } else { week_fallbacks as f64 / week.len() as f64 };
        let top = |key: &dyn Fn(&Event) -> Option<String>| -> Vec<(String, usize)> {
            let mut counts: HashMap<String, usize> = HashMap::new();
            for e in &week {
                if let Some(k) = key(e) {
                    *counts.entry(k).or_default() += 1;
                }
            }
            let mut v: Vec<(String, usize)> = counts.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(5);
            v
        };
        let top_intents = top(&|e: &Event| if e.fallback { None } else { e.intent.clone() });
        let top_districts = top(&|e: &Event| e.district.clone());
        Stats { today, week: week.len(), week_fallbacks, fallback_rate, top_intents, top_districts }
    }
}

/// Unanswered questions that are wordings of the same thing.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The most frequent wording.
    pub representative: String,
    pub count: usize,
    pub wordings: Vec<String>,
    /// What was shown the last time.
    pub shown: String,
}

/// Groups questions whose character bigrams overlap enough (Jaccard ≥ 0.5 on
/// the normalised text: "怎么考公务员" and "公务员怎么考" fall together,
/// "怎么考公务员" and "怎么入会" do not), most frequent group first.
pub fn group_questions(entries: &[Unanswered]) -> Vec<Group> {
    struct G {
        grams: std::collections::HashSet<(char, char)>,
        /// normalised wording → (first raw form seen, count)
        wordings: HashMap<String, (String, usize)>,
        count: usize,
        shown: String,
        last: u64,
    }
    let mut groups: Vec<G> = Vec::new();
    for e in entries {
        let norm = crate::text::normalize(&e.q).replace(' ', "");
        if norm.is_empty() {
            continue;
        }
        let grams = bigrams(&norm);
        let found = groups.iter_mut().find(|g| jaccard(&g.grams, &grams) >= 0.5);
        match found {
            Some(g) => {
                g.wordings.entry(norm.clone()).or_insert_with(|| (e.q.trim().to_string(), 0)).1 += 1;
                g.count += 1;
                g.grams.extend(grams);
                g.shown = e.shown.clone();
                g.last = g.last.max(e.t);
            }
            None => {
                let mut wordings = HashMap::new();
                wordings.insert(norm.clone(), (e.q.trim().to_string(), 1));
                groups.push(G { grams, wordings, count: 1, shown: e.shown.clone(), last: e.t });
            }
        }
    }
    let mut out: Vec<(Group, u64)> = groups
        .into_iter()
        .map(|g| {
            let mut w: Vec<(String, usize)> = g.wordings.into_values().collect();
            w.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let representative = w[0].0.clone();
            (Group { representative, count: g.count, wordings: w.into_iter().map(|(s, _)| s).collect(), shown: g.shown }, g.last)
        })
        .collect();
    out.sort_by(|a, b| b.0.count.cmp(&a.0.count).then(b.1.cmp(&a.1)));
    out.into_iter().map(|(g, _)| g).collect()
}

fn bigrams(s: &str) -> std::collections::HashSet<(char, char)> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() == 1 {
        return [(chars[0], ' ')].into_iter().collect();
    }
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

fn jaccard(a: &std::collections::HashSet<(char, char)>, b: &std::collections::HashSet<(char, char)>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 { 0.0 } else { inter as f64 / union as f64 }
}

/// The district an answer was about: the place the question named, or the
/// nearest station's.
fn district_of(answer: &Answer) -> Option<String> {
    answer.district.clone().or_else(|| answer.stations.first().map(|s| s.district.clone())).filter(|d| !d.is_empty())
}

fn append_file(path: &Path) -> Result<File> {
    OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("{}: cannot open for appending", path.display()))
}

fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    let Ok(f) = File::open(path) else { return Vec::new() };
    BufReader::new(f).lines().map_while(Result::ok).filter_map(|l| serde_json::from_str(&l).ok()).collect()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(q: &str) -> Unanswered {
        Unanswered { t: 1, q: q.into(), shown: "fallback".into(), suggestions: vec![] }
    }

    #[test]
    fn groups_wordings_of_the_same_question() {
        let entries = vec![u("怎么考公务员"), u("公务员怎么考"), u("怎么考公务员？"), u("今天天气怎么样"), u("怎么入会")];
        let groups = group_questions(&entries);
        assert_eq!(groups[0].count, 3, "{groups:?}");
        assert_eq!(groups[0].representative, "怎么考公务员");
        assert_eq!(groups.len(), 3, "{groups:?}");
    }

    #[test]
    fn stats_count_today_and_week_in_beijing_time() {
        // 2024-01-10 12:00 Beijing = 04:00 UTC.
        let now = 1_704_859_200;
        let ev = |t: u64, fallback: bool, district: Option<&str>| Event {
            t,
            via: "text".into(),
            intent: Some("faq:join-how".into()),
            confident: !fallback,
            fallback,
            district: district.map(String::from),
        };
        let events = vec![
            ev(now - 3600, false, Some("朝阳区")),
            ev(now - 13 * 3600, true, None), // 23:00 the day before, Beijing time
            ev(now - 3 * 86_400, false, Some("朝阳区")),
            ev(now - 9 * 86_400, false, Some("海淀区")),
        ];
        let s = Stats::of(&events, now);
        assert_eq!((s.today, s.week, s.week_fallbacks), (1, 3, 1));
        assert_eq!(s.top_districts, vec![("朝阳区".to_string(), 2)]);
        assert_eq!(s.top_intents, vec![("faq:join-how".to_string(), 2)]);
    }
}
