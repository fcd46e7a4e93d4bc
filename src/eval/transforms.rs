//! The robustness measurement (`union-bot eval QUESTIONS --transforms SPEC`):
//! every FAQ wording and every question of a question set, turned the way
//! workers really type, must still reach the same answer.
//!
//! The transforms ([`Transform`]):
//! - **traditional**: every character that has a traditional form written so
//!   (the reverse of `fast2s`'s table: 附近有没有驿站 → 附近有沒有驛站);
//! - **homophone**: one character of the first domain word in the question
//!   (lexicon, station and place names, title words; not stop words) replaced by the most
//!   frequent other character of the same toneless reading (工会 → 公会),
//!   skipping replacements that make a more common dictionary word than the
//!   original (驿站 → 一站 is an ambiguity, not a typo);
//! - **pinyin**: that domain word written as its toneless reading (gonghui);
//! - **prefix**: a filler and self-introduction before the question (from the spec);
//! - **story**: a one-sentence story before the question (from the spec).
//!
//! "The same answer": a question must get the same answer (intent) as
//! untransformed, confidently when that was confident (a FAQ wording is
//! answered by its own entry, or by the stations when it names a place or
//! asks for the nearest), and a fallback case ("fallback: true") must stay
//! unanswered (never confident).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use anyhow::{Context, Result};
use serde::Deserialize;

use super::Case;
use crate::answer::Engine;
use crate::repair::{Origin, domain_words, reading};

/// The texts the prefix and story transforms put before a question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Fillers and self-introductions, used in turn.
    pub prefixes: Vec<String>,
    /// One-sentence stories, used in turn.
    pub stories: Vec<String>,
}

impl Spec {
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let spec: Spec = serde_yaml::from_str(&text).with_context(|| format!("{}: not a transform spec (prefixes:, stories:)", path.display()))?;
        anyhow::ensure!(!spec.prefixes.is_empty() && !spec.stories.is_empty(), "{}: needs at least one prefix and one story", path.display());
        Ok(spec)
    }
}

/// One way of turning a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    Traditional,
    Homophone,
    Pinyin,
    Prefix,
    Story,
}

impl Transform {
    pub const ALL: [Transform; 5] = [Transform::Traditional, Transform::Homophone, Transform::Pinyin, Transform::Prefix, Transform::Story];

    pub fn name(self) -> &'static str {
        match self {
            Transform::Traditional => "traditional",
            Transform::Homophone => "homophone",
            Transform::Pinyin => "pinyin",
            Transform::Prefix => "prefix",
            Transform::Story => "story",
        }
    }
}

/// Applies the transforms (built once per engine).
pub struct Transformer {
    spec: Spec,
    to_traditional: HashMap<char, char>,
    /// A character → the most frequent other simplified character of its reading.
    homophones: HashMap<char, Vec<char>>,
    finder: AhoCorasick,
    dict_freq: HashMap<String, Option<usize>>,
    analyzer: crate::search::Analyzer,
}

impl Transformer {
    pub fn new(engine: &Engine, spec: Spec) -> Transformer {
        let analyzer = engine.analyzer();
        let dict = analyzer.jieba();
        // Topic words: not the wordings' words, nor words the matcher drops (什么).
        let words: Vec<String> = domain_words(&engine.knowledge, analyzer)
            .into_iter()
            .filter(|w| w.origin != Origin::Wording && !analyzer.terms(&w.text).is_empty())
            .map(|w| w.text)
            .collect();
        let finder = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&words).expect("domain words build an automaton");

        let mut to_traditional = HashMap::new();
        let mut by_reading: HashMap<&'static str, Vec<(usize, char)>> = HashMap::new();
        let mut buf = String::new();
        for cp in 0x4E00u32..=0x9FFF {
            let Some(c) = char::from_u32(cp) else { continue };
            buf.clear();
            buf.push(c);
            fast2s::replace(&mut buf);
            let s = buf.chars().next().unwrap_or(c);
            if s != c {
                to_traditional.entry(s).or_insert(c);
                continue;
            }
            if let Some(r) = reading(c)
                && dict.has_word(&buf)
            {
                by_reading.entry(r).or_default().push((dict.suggest_freq(&buf), c));
            }
        }
        let mut homophones = HashMap::new();
        for list in by_reading.values_mut() {
            list.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for &(_, c) in list.iter() {
                homophones.insert(c, list.iter().map(|&(_, o)| o).filter(|&o| o != c).take(8).collect());
            }
        }
        // Domain characters outside jieba's single-character words have
        // homophones too.
        for w in &words {
            for c in w.chars() {
                if !homophones.contains_key(&c)
                    && let Some(list) = reading(c).and_then(|r| by_reading.get(r))
                {
                    homophones.insert(c, list.iter().map(|&(_, o)| o).filter(|&o| o != c).take(8).collect());
                }
            }
        }
        let dict_freq = HashMap::new();
        Transformer { spec, to_traditional, homophones, finder, dict_freq, analyzer: analyzer.clone() }
    }

    /// The question turned by `t` (the `i`-th question, for the texts used in
    /// turn), or `None` when the transform does not apply (no domain word,
    /// no traditional form).
    pub fn apply(&mut self, t: Transform, q: &str, i: usize) -> Option<String> {
        match t {
            Transform::Traditional => {
                let out: String = q.chars().map(|c| self.to_traditional.get(&c).copied().unwrap_or(c)).collect();
                (out != q).then_some(out)
            }
            Transform::Homophone => {
                let (s, e) = self.first_word(q)?;
                let word = &q[s..e];
                let chars: Vec<char> = word.chars().collect();
                let own = self.freq(word).unwrap_or(0);
                for (k, c) in chars.iter().enumerate() {
                    for h in self.homophones.get(c).cloned().unwrap_or_default() {
                        let typo: String = chars.iter().enumerate().map(|(j, &d)| if j == k { h } else { d }).collect();
                        if self.freq(&typo).is_some_and(|f| f > own) {
                            continue;
                        }
                        return Some(format!("{}{typo}{}", &q[..s], &q[e..]));
                    }
                }
                None
            }
            Transform::Pinyin => {
                let (s, e) = self.first_word(q)?;
                let romanised: Option<String> = q[s..e].chars().map(reading).collect();
                Some(format!("{} {} {}", &q[..s], romanised?, &q[e..]).trim().to_string())
            }
            Transform::Prefix => Some(format!("{}{q}", self.spec.prefixes[i % self.spec.prefixes.len()])),
            Transform::Story => Some(format!("{}{q}", self.spec.stories[i % self.spec.stories.len()])),
        }
    }

    /// Where the first domain word of a question is (byte range).
    fn first_word(&self, q: &str) -> Option<(usize, usize)> {
        self.finder.find(q).map(|m| (m.start(), m.end()))
    }

    /// How often jieba's dictionary has seen a word (`None`: not a word of it).
    fn freq(&mut self, w: &str) -> Option<usize> {
        let dict = self.analyzer.jieba();
        *self.dict_freq.entry(w.to_string()).or_insert_with(|| dict.has_word(w).then(|| dict.suggest_freq(w)))
    }
}

/// What a turned question must get.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// This FAQ entry, confidently.
    Entry(String),
    /// This intent, and confidence when the original was confident.
    Same { intent: Option<String>, confident: bool },
    /// No confident answer.
    Unanswered,
}

/// The figures of one transform.
#[derive(Debug, Clone)]
pub struct Rate {
    pub transform: Transform,
    pub faq: (usize, usize),
    pub set: (usize, usize),
    /// Questions the transform does not apply to.
    pub skipped: usize,
    pub failures: Vec<String>,
}

impl Rate {
    pub fn passed(&self) -> usize {
        self.faq.0 + self.set.0
    }

    pub fn total(&self) -> usize {
        self.faq.1 + self.set.1
    }

    /// The share that still reaches the same answer (1.0 when none applied).
    pub fn rate(&self) -> f64 {
        if self.total() == 0 { 1.0 } else { self.passed() as f64 / self.total() as f64 }
    }
}

/// Turns every FAQ wording and every text case of `cases` by every
/// transform, and counts what still reaches the same answer.
pub fn measure(engine: &Engine, cases: &[Case], spec: Spec) -> Vec<Rate> {
    let mut probes: Vec<(String, Expect, bool)> = Vec::new(); // (question, expectation, from the FAQ)
    for e in &engine.knowledge.faq {
        for q in &e.questions {
            // `check` holds every wording to its own entry; what the engine
            // answers it (a wording that names a place or asks for the
            // nearest station gets the stations, not the entry) is the reference.
            let a = engine.answer(q);
            let expect = if a.intent.as_deref() == Some(&format!("faq:{}", e.id)) && a.confident {
                Expect::Entry(e.id.clone())
            } else {
                Expect::Same { intent: a.intent, confident: a.confident }
            };
            probes.push((q.clone(), expect, true));
        }
    }
    for c in cases {
        let Some(q) = &c.q else { continue };
        let expect = if c.fallback {
            Expect::Unanswered
        } else {
            let a = engine.answer(q);
            Expect::Same { intent: a.intent, confident: a.confident }
        };
        probes.push((q.clone(), expect, false));
    }
    let mut transformer = Transformer::new(engine, spec);
    let mut out = Vec::new();
    for t in Transform::ALL {
        let mut rate = Rate { transform: t, faq: (0, 0), set: (0, 0), skipped: 0, failures: Vec::new() };
        for (i, (q, expect, from_faq)) in probes.iter().enumerate() {
            let Some(turned) = transformer.apply(t, q, i) else {
                rate.skipped += 1;
                continue;
            };
            let a = engine.answer(&turned);
            let ok = match expect {
                Expect::Entry(id) => a.confident && a.intent.as_deref() == Some(&format!("faq:{id}")),
                Expect::Same { intent, confident } => a.intent == *intent && (a.confident || !confident),
                Expect::Unanswered => !a.confident,
            };
            let slot = if *from_faq { &mut rate.faq } else { &mut rate.set };
            slot.1 += 1;
            if ok {
                slot.0 += 1;
            } else {
                let want = match expect {
                    Expect::Entry(id) => format!("faq:{id}"),
                    Expect::Same { intent, .. } => intent.clone().unwrap_or_else(|| "fallback".into()),
                    Expect::Unanswered => "no confident answer".into(),
                };
                rate.failures.push(format!(
                    "{turned}  (from {q}): expected {want}, got {} ({:.2}{})",
                    a.intent.as_deref().unwrap_or("fallback"),
                    a.score,
                    if a.confident { "" } else { ", not confident" }
                ));
            }
        }
        out.push(rate);
    }
    out
}

/// The table `eval --transforms` prints.
pub fn table(rates: &[Rate]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{:<12} {:>16} {:>16} {:>16} {:>8}", "transform", "FAQ wordings", "question set", "all", "skipped");
    for r in rates {
        let pct = |(p, t): (usize, usize)| if t == 0 { "-".to_string() } else { format!("{p}/{t} {:.1}%", 100.0 * p as f64 / t as f64) };
        let _ = writeln!(s, "{:<12} {:>16} {:>16} {:>16} {:>8}", r.transform.name(), pct(r.faq), pct(r.set), pct((r.passed(), r.total())), r.skipped);
    }
    s
}
