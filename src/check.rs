//! Checks that need the engine, not only the files: every FAQ wording must
//! route to its own entry, or an editor's new entry silently steals (or loses)
//! questions.

use crate::answer::Engine;
use crate::knowledge::{FAQ_FILE, Problem};

/// One error per FAQ wording that the matcher routes to another entry,
/// naming both ids, at the wording's line in faq.yaml.
pub fn routing(engine: &Engine) -> Vec<Problem> {
    let k = &engine.knowledge;
    let path = k.dir.join(FAQ_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut problems = Vec::new();
    for e in &k.faq {
        for q in &e.questions {
            let Some((routed, score)) = engine.route_faq(q) else { continue };
            if routed != e.id {
                let line = line_of(&text, e.line, q);
                problems.push(Problem::error(
                    &path,
                    line,
                    format!("question \"{q}\" of entry \"{}\" is answered by entry \"{routed}\" (score {score:.2}); reword it or move it", e.id),
                ));
            }
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
