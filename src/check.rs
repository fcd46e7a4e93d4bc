//! Checks that need the engine, not only the files: every FAQ wording must
//! route to its own entry (or an editor's new entry silently steals, or loses,
//! questions), entries should not be near-duplicates, every answer must
//! fit in one Telegram message as rendered, and every id must make a
//! reference ([`Ref`]) that fits in a button and a deep link.

use std::collections::BTreeMap;

use crate::engine::{Engine, Ref};
use crate::knowledge::{FAQ_FILE, Problem, STATIONS_FILE};
use crate::reply;

/// A wording that scores at least this for another entry, and within
/// [`ALIKE_MARGIN`] of its own entry's score, makes the two entries "alike":
/// a warning, not an error.
pub const ALIKE_SCORE: f32 = 0.85;
pub const ALIKE_MARGIN: f32 = 0.08;

/// Routing errors, rendering errors and "alike" warnings, each at its line
/// in faq.yaml, and ids that make no reference (see [`references`]).
pub fn routing(engine: &Engine) -> Vec<Problem> {
    let k = &engine.knowledge;
    let path = k.dir.join(FAQ_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut problems = references(engine);
    // (entry, other) → the wording that makes them alike: its entry, line, score for the other.
    let mut alike: BTreeMap<(String, String), (String, String, usize, f32)> = BTreeMap::new();
    for e in &k.faq {
        for q in &e.questions {
            let ranking = engine.faq_ranking(q);
            let Some((routed, score)) = ranking.first() else { continue };
            let line = line_of(&text, e.line, q);
            if routed != &e.id {
                problems.push(Problem::error(
                    &path,
                    line,
                    format!("question \"{q}\" of entry \"{}\" is answered by entry \"{routed}\" (score {score:.2}); reword it or move it", e.id),
                ));
                continue;
            }
            if let Some((other, s)) = ranking.get(1)
                && *s >= ALIKE_SCORE
                && score - s <= ALIKE_MARGIN
            {
                let key = if e.id < *other { (e.id.clone(), other.clone()) } else { (other.clone(), e.id.clone()) };
                let better = alike.get(&key).is_none_or(|(_, _, _, best)| s > best);
                if better {
                    alike.insert(key, (q.clone(), e.id.clone(), line, *s));
                }
            }
        }
        if let Some(a) = engine.answer_to(&Ref::Faq(e.id.clone())) {
            let parts = reply::html(&a);
            if parts.len() > 1 {
                problems.push(Problem::error(
                    &path,
                    e.line,
                    format!("the answer of \"{}\" renders as {} Telegram messages (over {} characters); shorten it", e.id, parts.len(), reply::TELEGRAM_LIMIT),
                ));
            }
        }
    }
    for ((a, b), (q, owner, line, s)) in alike {
        let other = if owner == a { &b } else { &a };
        problems.push(Problem::warning(
            &path,
            line,
            format!(
                "entries \"{a}\" and \"{b}\" are alike: \"{q}\" (of \"{owner}\") scores {s:.2} for \"{other}\" too; merge them or make their wordings more distinct"
            ),
        ));
    }
    problems
}

/// Every FAQ entry and station must make a [`Ref`] whose text form a
/// button and a deep link can carry (and every article).
pub fn references(engine: &Engine) -> Vec<Problem> {
    let k = &engine.knowledge;
    let mut problems = Vec::new();
    let faq_text = std::fs::read_to_string(k.dir.join(FAQ_FILE)).unwrap_or_default();
    let stations_text = std::fs::read_to_string(k.dir.join(STATIONS_FILE)).unwrap_or_default();
    let refs = k.faq.iter().map(|e| (Ref::Faq(e.id.clone()), FAQ_FILE, &faq_text)).chain(k.stations.iter().map(|s| (Ref::Station(s.id.clone()), STATIONS_FILE, &stations_text)));
    for (r, file, text) in refs {
        if let Err(e) = r.validate() {
            let id = r.id();
            problems.push(Problem::error(&k.dir.join(file), line_of(text, 1, &format!("id: {id}")), format!("id \"{id}\": {e}")));
        }
    }
    for a in &k.articles {
        if let Err(e) = Ref::Article(a.id.clone()).validate() {
            problems.push(Problem::error(&k.dir.join(crate::knowledge::ARTICLES_DIR).join(format!("{}.md", a.id)), 1, format!("article id \"{}\": {e}", a.id)));
        }
    }
    problems
}

fn line_of(text: &str, from: usize, needle: &str) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
        .unwrap_or(from)
}
