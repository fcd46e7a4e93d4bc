//! The yardstick runner: a question set in the format of
//! `shared/eval/README.md`, each case checked on the reply as a worker reads it.

pub mod transforms;

use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::answer::{Answer, Engine};
use crate::engine::Ref;
use crate::reply;

/// One case of a question set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// A text message.
    #[serde(default)]
    pub q: Option<String>,
    /// A shared location, [lat, lon].
    #[serde(default)]
    pub near: Option<[f64; 2]>,
    /// The reply contains at least one of these.
    #[serde(default)]
    pub any: Vec<String>,
    /// The reply contains every one of these.
    #[serde(default)]
    pub all: Vec<String>,
    /// One cited source's title contains this.
    #[serde(default)]
    pub source: Option<String>,
    /// No confident answer exists: the reply must say so and give 12351.
    #[serde(default)]
    pub fallback: bool,
    /// (optional) `q` is a follow-up of an answer about this reference
    /// (`station_huairou-fushang`, `faq_count-chaoyang`, `district_chaoyang`).
    #[serde(default)]
    pub context: Option<String>,
    /// (optional) `q` is a follow-up of this question: asked first, its
    /// answer's context is `q`'s (after `context`, when both are given).
    #[serde(default)]
    pub after: Option<String>,
}

impl Case {
    /// What the case asks, for reports.
    pub fn label(&self) -> String {
        match (&self.q, &self.near) {
            (Some(q), _) if self.after.is_some() || self.context.is_some() => {
                let before = self.after.iter().chain(&self.context).map(String::as_str).collect::<Vec<_>>().join(" → ");
                format!("{q} (after {before})")
            }
            (Some(q), _) => q.clone(),
            (None, Some([lat, lon])) => format!("📍 {lat}, {lon}"),
            (None, None) => "(empty case)".into(),
        }
    }

    /// What a right reply shows, for reports.
    pub fn expected(&self) -> String {
        let mut parts = Vec::new();
        if self.fallback {
            parts.push("an honest fallback with 12351".to_string());
        }
        if !self.any.is_empty() {
            parts.push(format!("any of {:?}", self.any));
        }
        if !self.all.is_empty() {
            parts.push(format!("all of {:?}", self.all));
        }
        if let Some(s) = &self.source {
            parts.push(format!("a source titled …{s}…"));
        }
        parts.join(", ")
    }
}

/// The outcome of one case.
pub struct Outcome {
    pub case: Case,
    pub passed: bool,
    pub reply: String,
    pub answer: Answer,
}

/// Reads a question set.
pub fn load(path: &Path) -> Result<Vec<Case>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let cases: Vec<Case> = serde_yaml::from_str(&text).with_context(|| format!("{}: not a question set", path.display()))?;
    for c in &cases {
        if let Some(r) = &c.context {
            r.parse::<Ref>().map_err(|e| anyhow::anyhow!("{}: case \"{}\": context \"{r}\": {e}", path.display(), c.label()))?;
        }
    }
    Ok(cases)
}

/// The context a case's question is asked in: its `context`, then the
/// answer to its `after` question asked in that.
fn context_of(engine: &Engine, case: &Case) -> Option<Ref> {
    let given: Option<Ref> = case.context.as_deref().and_then(|r| r.parse().ok());
    match &case.after {
        Some(before) => engine.answer_in_context(before, given.as_ref()).context,
        None => given,
    }
}

/// Runs one case against the engine.
pub fn run_case(engine: &Engine, case: &Case) -> Outcome {
    let answer = match (&case.q, case.near) {
        (Some(q), _) => engine.answer_in_context(q, context_of(engine, case).as_ref()),
        (None, Some([lat, lon])) => engine.nearby(lat, lon),
        (None, None) => engine.answer(""),
    };
    let text = reply::plain(&answer);
    let passed = judge(case, &answer, &text);
    Outcome { case: case.clone(), passed, reply: text, answer }
}

fn judge(case: &Case, answer: &Answer, text: &str) -> bool {
    if case.fallback {
        return !answer.confident && answer.is_fallback() && text.contains("12351");
    }
    if case.near.is_some() && case.q.is_none() {
        let nearest = answer.stations.first().map(|s| s.name.as_str()).unwrap_or("");
        return case.any.is_empty() || case.any.iter().any(|w| nearest.contains(w.as_str()));
    }
    let any_ok = case.any.is_empty() || case.any.iter().any(|w| text.contains(w.as_str()));
    let all_ok = case.all.iter().all(|w| text.contains(w.as_str()));
    let source_ok = case.source.as_ref().is_none_or(|s| answer.sources.iter().any(|src| src.title.contains(s.as_str())));
    any_ok && all_ok && source_ok && !answer.is_fallback()
}

/// Runs every case.
pub fn run(engine: &Engine, cases: &[Case]) -> Vec<Outcome> {
    cases.iter().map(|c| run_case(engine, c)).collect()
}
