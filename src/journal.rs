//! The journal: what workers asked and how the bot did, for the editors.
//!
//! Three append-only files in the data directory, one JSON object per line:
//! - `unanswered.jsonl`: every fallback and every low-confidence answer, with
//!   the question text (personal details replaced, see [`crate::redact`]),
//!   the time and what was shown — the editors' to-do list;
//! - `events.jsonl`: one line per question or shared location, with the time,
//!   the intent, whether it was answered confidently and the district it was
//!   about — enough for `/stats`;
//! - `feedback.jsonl`: one line per 👍/👎, with the time, the answer's
//!   reference, the vote, the channel, and for 👎 only the question that got
//!   it (personal details replaced).
//!
//! None holds a user id, a chat id, an IP address or coordinates, nor a phone number, ID
//! number, card number, plate, e-mail address or name a worker typed. Lines
//! older than `JOURNAL_DAYS` (default 90) are removed by a compaction at
//! start and once a day after, which rewrites a file aside and renames it
//! into place. A line is written with one `write` on a file opened for
//! appending, under an exclusive lock on `.journal.lock` that the compaction
//! holds too: a line appended while a compaction runs (in this process or
//! another) waits for it and lands in the new file, never in the old one.
//!
//! The journal never stands between a worker and the answer: a full or
//! read-only data directory drops the line and logs one warning (again only
//! after it has been writable in between); nothing is passed on.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::answer::{Answer, Kind};
use crate::messages;

pub const UNANSWERED_FILE: &str = "unanswered.jsonl";
pub const EVENTS_FILE: &str = "events.jsonl";
pub const FEEDBACK_FILE: &str = "feedback.jsonl";
/// The lock appends and compactions take (an empty file).
pub const LOCK_FILE: &str = ".journal.lock";
/// How many days of lines are kept when `JOURNAL_DAYS` is not set.
pub use crate::config::DEFAULT_JOURNAL_DAYS;

/// The longest question text kept in the unanswered log.
const MAX_LOGGED_CHARS: usize = 500;
const DAY: u64 = 86_400;

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
    /// Unix time in seconds (the compaction reads it).
    pub t: u64,
    /// The answer's reference (its intent, e.g. `faq_join-how`, or `fallback`).
    #[serde(rename = "ref")]
    pub answer_ref: String,
    /// `up` or `down`.
    pub vote: String,
    /// The question that got a 👎 (never kept for a 👍), personal details replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The channel: `web` or `telegram`.
    #[serde(default)]
    pub via: String,
}

/// The one way a question's text goes to a file: personal details replaced
/// ([`crate::redact::redact`]), trimmed and clipped.
pub fn scrub(question: &str) -> String {
    crate::text::clip(&crate::redact::redact(question.trim()), MAX_LOGGED_CHARS).to_string()
}

/// The journal's files in one data directory.
pub struct Journal {
    dir: PathBuf,
    /// Lines older than this many days are compacted away.
    keep_days: u32,
    /// Opened to read only (`union-bot report`): nothing is ever created.
    read_only: bool,
    state: Mutex<State>,
    /// Lines waiting for the writer thread ([`Journal::write_behind`]).
    queue: Arc<Queue>,
}

/// How long the writer lets lines gather before it writes them.
const GATHER: Duration = Duration::from_millis(2);

/// A line waiting for the writer: its file, the line (with its newline), its time.
struct Queued {
    file: &'static str,
    line: String,
    now: u64,
}

#[derive(Default)]
struct Queue {
    /// Set once the writer thread runs: questions and locations are queued.
    started: AtomicBool,
    lines: Mutex<Vec<Queued>>,
    wake: Condvar,
}

impl Queue {
    fn lock_lines(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        self.lines.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.flush();
    }
}

#[derive(Default)]
struct State {
    /// The files whose last write failed. The first failure is warned about;
    /// later ones are quiet until every file could be written again.
    failing: std::collections::BTreeSet<String>,
    /// Lines dropped because the data directory could not take them.
    dropped: u64,
    /// When the files were last compacted (Unix seconds).
    compacted_at: u64,
}

impl Journal {
    /// Opens the journal in `data_dir` for writing, keeping `JOURNAL_DAYS`
    /// days of lines (the environment, default 90), and compacts it. Fails
    /// only on a bad `JOURNAL_DAYS`; a data directory that cannot be written
    /// is logged once and the journal drops its lines.
    pub fn open(data_dir: &Path) -> Result<Journal> {
        let days = crate::config::journal_days_from_env()?;
        Ok(Journal::with_retention(data_dir, days))
    }

    /// [`Journal::open`] keeping `keep_days` days of lines.
    pub fn with_retention(data_dir: &Path, keep_days: u32) -> Journal {
        let journal = Journal { dir: data_dir.to_path_buf(), keep_days: keep_days.max(1), read_only: false, state: Mutex::new(State::default()), queue: Default::default() };
        {
            let mut state = journal.lock_state();
            match journal.writable() {
                Ok(()) => {
                    if let Err(e) = journal.compact_locked(&mut state, unix_now()) {
                        tracing::warn!(dir = %data_dir.display(), error = %format!("{e:#}"), "{}", messages::JOURNAL_NOT_COMPACTED);
                    }
                }
                Err(e) => journal.failed(&mut state, LOCK_FILE, &e),
            }
        }
        journal
    }

    /// The journal in `data_dir` to read only: creates nothing, writes nothing
    /// (`union-bot report`). A missing directory reads as an empty journal.
    pub fn read_only(data_dir: &Path) -> Journal {
        Journal { dir: data_dir.to_path_buf(), keep_days: DEFAULT_JOURNAL_DAYS, read_only: true, state: Mutex::new(State::default()), queue: Default::default() }
    }

    /// Records a text question and its answer: always an event; a fallback or
    /// a low-confidence answer also goes to the unanswered log, its personal
    /// details replaced. Failures are logged, never passed on: the worker's
    /// reply matters more.
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
        self.append(EVENTS_FILE, &event, now, true);
        let weak = !answer.confident && !matches!(answer.kind, Kind::Empty);
        if weak {
            let shown = if answer.is_fallback() { "fallback".to_string() } else { answer.intent.clone().unwrap_or_else(|| "fallback".into()) };
            let entry = Unanswered {
                t: now,
                q: scrub(question),
                shown,
                suggestions: answer.suggestions.iter().map(|s| s.label.clone()).collect(),
            };
            self.append(UNANSWERED_FILE, &entry, now, true);
        }
    }

    /// Records a shared location's answer (the district only, never the coordinates).
    pub fn record_location(&self, answer: &Answer) {
        let now = unix_now();
        let event = Event {
            t: now,
            via: "location".into(),
            intent: answer.intent.clone(),
            confident: answer.confident,
            fallback: answer.is_fallback(),
            district: district_of(answer),
        };
        self.append(EVENTS_FILE, &event, now, true);
    }

    /// Records a 👍/👎 on the answer `answer_ref`; the question is written
    /// for a 👎 only (through [`scrub`]), and nothing about who voted.
    pub fn record_vote(&self, answer_ref: &str, vote: crate::feedback::Vote, question: Option<&str>, via: &str) {
        self.record_vote_at(answer_ref, vote, question, via, unix_now());
    }

    /// [`Journal::record_vote`] at a given time (tests).
    pub fn record_vote_at(&self, answer_ref: &str, vote: crate::feedback::Vote, question: Option<&str>, via: &str, now: u64) {
        use crate::feedback::Vote;
        let line = VoteLine {
            t: now,
            answer_ref: crate::text::clip(answer_ref, 80).to_string(),
            vote: vote.as_str().to_string(),
            q: if vote == Vote::Down { question.map(scrub).filter(|q| !q.is_empty()) } else { None },
            via: via.to_string(),
        };
        self.append(FEEDBACK_FILE, &line, now, false);
    }

    /// Appends one line to `file`. Text a worker typed must have been through
    /// [`crate::redact::redact`] before it gets here. With the writer started
    /// ([`Journal::write_behind`]) and `behind`, the line is queued for it.
    fn append<T: Serialize>(&self, file: &'static str, value: &T, now: u64, behind: bool) {
        if self.read_only {
            return;
        }
        let Ok(mut line) = serde_json::to_string(value) else { return };
        line.push('\n');
        if behind && self.queue.started.load(Ordering::Acquire) {
            let mut lines = self.queue.lock_lines();
            let was_empty = lines.is_empty();
            lines.push(Queued { file, line, now });
            drop(lines);
            if was_empty {
                self.queue.wake.notify_one();
            }
            return;
        }
        let mut state = self.lock_state();
        self.write_locked(&mut state, vec![Queued { file, line, now }]);
    }

    /// Writes `lines` (in their order) under the journal's lock: for each
    /// file, its lines in one `write` on the file opened for appending.
    fn write_locked(&self, state: &mut State, lines: Vec<Queued>) {
        let Some(now) = lines.iter().map(|q| q.now).max() else { return };
        if now >= state.compacted_at.saturating_add(DAY) {
            if let Err(e) = self.compact_locked(state, now) {
                tracing::debug!(error = %format!("{e:#}"), "journal compaction failed");
            }
        }
        // At most three files: their lines joined, in order.
        let mut files: Vec<(&'static str, String, u64)> = Vec::new();
        for q in lines {
            match files.iter_mut().find(|(f, _, _)| *f == q.file) {
                Some((_, text, n)) => {
                    text.push_str(&q.line);
                    *n += 1;
                }
                None => files.push((q.file, q.line, 1)),
            }
        }
        let lock = std::fs::create_dir_all(&self.dir).and_then(|()| self.file_lock());
        for (file, text, n) in files {
            let result = match &lock {
                Ok(_) => OpenOptions::new().create(true).append(true).open(self.dir.join(file)).and_then(|mut f| f.write_all(text.as_bytes())),
                Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
            };
            match result {
                Ok(()) if !state.failing.is_empty() => {
                    state.failing.remove(file);
                    state.failing.remove(LOCK_FILE);
                    if state.failing.is_empty() {
                        tracing::info!(dir = %self.dir.display(), dropped = state.dropped, "{}", messages::JOURNAL_WRITABLE_AGAIN);
                    }
                }
                Ok(()) => {}
                Err(e) => {
                    state.dropped += n;
                    self.failed(state, file, &e);
                }
            }
        }
        drop(lock);
    }

    /// Writes the questions and locations off the request path: from now on
    /// they are queued and a thread of the journal's own writes them, a few
    /// milliseconds later, many lines in one write (votes are still written
    /// at once). Nothing queued is lost on a stop: [`Journal::flush`] (the
    /// channels call it when they stop; reading the journal and dropping it
    /// do too) writes what waits. A process killed outright loses at most
    /// the last few milliseconds' lines.
    pub fn write_behind(self: &Arc<Self>) {
        if self.read_only || self.queue.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let journal = Arc::downgrade(self);
        let queue = Arc::clone(&self.queue);
        let spawned = std::thread::Builder::new().name("journal".into()).spawn(move || {
            loop {
                let mut lines = queue.lock_lines();
                while lines.is_empty() {
                    if journal.strong_count() == 0 {
                        return;
                    }
                    lines = queue.wake.wait_timeout(lines, Duration::from_millis(500)).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
                }
                drop(lines);
                // Let the lines of the requests in flight join this write.
                std::thread::sleep(GATHER);
                // Gone: its drop wrote what was left.
                let Some(journal) = journal.upgrade() else { return };
                journal.flush();
            }
        });
        if spawned.is_err() {
            // No thread: every line written at once, as before.
            self.queue.started.store(false, Ordering::Release);
            self.flush();
        }
    }

    /// Writes the lines waiting for the writer now (see [`Journal::write_behind`]).
    pub fn flush(&self) {
        if self.queue.lock_lines().is_empty() {
            return;
        }
        let mut state = self.lock_state();
        // Taken under the state's lock: batches are written in their order.
        let lines = std::mem::take(&mut *self.queue.lock_lines());
        self.write_locked(&mut state, lines);
    }

    /// Logs that the journal cannot be written, once until it can again.
    fn failed(&self, state: &mut State, file: &str, e: &std::io::Error) {
        if state.failing.is_empty() {
            tracing::warn!(dir = %self.dir.display(), "{}", messages::journal_not_writable(&self.dir, e));
        }
        state.failing.insert(file.to_string());
    }

    /// Lines dropped since the journal was opened because the data directory
    /// could not take them.
    pub fn dropped(&self) -> u64 {
        self.flush();
        self.lock_state().dropped
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates the directory and the lock file (to know at start whether
    /// the journal can be written at all).
    fn writable(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        self.file_lock().map(drop)
    }

    /// Takes the journal's lock, shared with every process using this data
    /// directory; released when the returned file is dropped.
    fn file_lock(&self) -> std::io::Result<File> {
        let f = OpenOptions::new().create(true).truncate(false).write(true).open(self.dir.join(LOCK_FILE))?;
        f.lock()?;
        Ok(f)
    }

    /// Removes the lines older than the retention from every journal file of
    /// the data directory. Returns how many lines were removed.
    pub fn compact(&self, now: u64) -> Result<usize> {
        anyhow::ensure!(!self.read_only, "the journal is open to read only");
        let mut state = self.lock_state();
        self.compact_locked(&mut state, now)
    }

    fn compact_locked(&self, state: &mut State, now: u64) -> Result<usize> {
        state.compacted_at = now;
        let cutoff = now.saturating_sub(u64::from(self.keep_days) * DAY);
        let mut removed = 0;
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Ok(0) };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "jsonl") && p.is_file()).collect();
        files.sort();
        for path in files {
            let _lock = self.file_lock()?;
            removed += compact_file(&path, cutoff)?;
        }
        Ok(removed)
    }

    /// All unanswered entries, oldest first (torn lines skipped).
    pub fn unanswered(&self) -> Vec<Unanswered> {
        self.flush();
        read_lines(&self.dir.join(UNANSWERED_FILE))
    }

    /// All events, oldest first (torn lines skipped).
    pub fn events(&self) -> Vec<Event> {
        self.flush();
        read_lines(&self.dir.join(EVENTS_FILE))
    }

    /// All votes, oldest first (torn lines skipped).
    pub fn votes(&self) -> Vec<VoteLine> {
        self.flush();
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

/// Rewrites `path` without its lines older than `cutoff` (and without torn
/// lines), aside then renamed into place. The caller holds the lock.
fn compact_file(path: &Path, cutoff: u64) -> Result<usize> {
    #[derive(Deserialize)]
    struct Stamp {
        t: Option<u64>,
    }
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("{}: cannot read", path.display()))),
    };
    let mut kept = Vec::with_capacity(text.len());
    let mut removed = 0;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let keep = line.ends_with(b"\n")
            && match serde_json::from_slice::<Stamp>(line) {
                Ok(Stamp { t: Some(t) }) => t >= cutoff,
                Ok(Stamp { t: None }) => true,
                Err(_) => false,
            };
        if keep {
            kept.extend_from_slice(line);
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            removed += 1;
        }
    }
    if removed == 0 {
        return Ok(0);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.compacting-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(&kept)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent()
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow::Error::new(e).context(format!("{}: cannot rewrite", path.display())));
    }
    Ok(removed)
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

    #[test]
    fn written_behind_lines_keep_their_order_and_none_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let j = Arc::new(Journal::with_retention(dir.path(), 30));
        j.write_behind();
        let now = unix_now();
        let ev = |i: u64| Event { t: now + i, via: "text".into(), intent: None, confident: false, fallback: true, district: None };
        let lines = || std::fs::read_to_string(dir.path().join(EVENTS_FILE)).unwrap_or_default().lines().map(|l| serde_json::from_str::<Event>(l).unwrap().t - now).collect::<Vec<_>>();
        // From several threads at once: each thread's lines in its order, all of them.
        std::thread::scope(|s| {
            for k in 0..4u64 {
                let j = &j;
                s.spawn(move || (0..250).for_each(|i| j.append(EVENTS_FILE, &ev(k * 1000 + i), now, true)));
            }
        });
        assert_eq!(j.events().len(), 1000, "reading flushes first");
        let got = lines();
        for k in 0..4u64 {
            let mine: Vec<u64> = got.iter().copied().filter(|t| t / 1000 == k).collect();
            assert_eq!(mine, (0..250).map(|i| k * 1000 + i).collect::<Vec<_>>());
        }
        // The writer writes by itself, soon.
        j.append(EVENTS_FILE, &ev(5000), now, true);
        let waited = std::time::Instant::now();
        while lines().len() < 1001 {
            assert!(waited.elapsed() < Duration::from_secs(5), "the writer did not write");
            std::thread::sleep(Duration::from_millis(5));
        }
        // What waits when the journal is dropped is written.
        for i in 0..100 {
            j.append(EVENTS_FILE, &ev(6000 + i), now, true);
        }
        // (The writer may hold it for a moment: then its drop writes them.)
        drop(j);
        let waited = std::time::Instant::now();
        while lines().len() < 1101 {
            assert!(waited.elapsed() < Duration::from_secs(5), "lines lost: {}", lines().len());
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(*lines().last().unwrap(), 6099);
    }

    // 👍/👎 (feedback.jsonl)

    #[test]
    fn a_thumbs_down_keeps_its_question_redacted_and_is_compacted_like_the_rest() {
        use crate::feedback::Vote;
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::with_retention(dir.path(), 30);
        let now = 1_704_859_200;
        j.record_vote_at("faq_join-how", Vote::Down, Some("我叫张三，电话13812345678，怎么入会"), "web", now - 40 * DAY);
        j.record_vote_at("faq_join-how", Vote::Up, Some("怎么入会"), "telegram", now);
        j.record_vote_at("fallback", Vote::Down, Some("  怎么考公务员  "), "web", now);
        let text = std::fs::read_to_string(dir.path().join(FEEDBACK_FILE)).unwrap();
        assert!(!text.contains("13812345678") && !text.contains("张三"), "{text}");
        assert!(text.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["t"].is_u64()), "every line has its time: {text}");
        let votes = j.votes();
        assert_eq!(votes.len(), 3);
        assert!(votes[0].q.as_deref().unwrap().contains("〔手机号〕"), "{votes:?}");
        assert_eq!(votes[1].q, None, "a 👍 keeps no question");
        assert_eq!(votes[2].q.as_deref(), Some("怎么考公务员"));
        // The compaction removes the 40-day-old vote, as it does any old line.
        assert_eq!(j.compact(now).unwrap(), 1);
        assert_eq!(j.votes().iter().map(|v| v.answer_ref.as_str()).collect::<Vec<_>>(), ["faq_join-how", "fallback"]);
        let report = j.feedback_report(10);
        assert!(report.contains("fallback：👎 1 次") && report.contains("问：怎么考公务员"), "{report}");
    }
}
