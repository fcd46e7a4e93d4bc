//! Deciding (README step 5): the candidates ranked on their one scale, the
//! rival (the best candidate that is really a different answer), whether the
//! best clears the minimum and leads the rival by the margin, which close
//! runners-up to offer, and the honest fallback with the closest topics.

use super::Engine;

/// A scored candidate answer.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cand {
    /// A FAQ entry, by index.
    Faq(usize),
    /// An article passage, by passage id.
    Passage(usize),
}

/// What the candidates decide.
pub(super) enum Decision {
    /// The best candidate answers, confidently or not; when not, the close
    /// runners-up are offered beside it.
    Answer { top: Cand, score: f32, confident: bool, suggestions: Vec<Cand> },
    /// Nothing scores enough: "I don't know", the best score, and the closest
    /// topics (none known: the default ones).
    Fallback { score: f32, suggestions: Vec<Cand> },
}

/// The candidates best first; ties keep the order they were listed in (a
/// stable sort, without its buffer).
pub(super) fn ranked(cands: Vec<(Cand, f32)>) -> Vec<(Cand, f32)> {
    let mut order: Vec<(usize, f32)> = cands.iter().enumerate().map(|(k, c)| (k, c.1)).collect();
    order.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    order.iter().map(|&(k, _)| cands[k]).collect()
}

/// The two best scores of the candidates (`f32::MIN` for none).
pub(super) fn top_two(cands: &[(Cand, f32)]) -> [f32; 2] {
    let mut top = [f32::MIN; 2];
    for &(_, s) in cands {
        if s > top[0] {
            top = [s, top[0]];
        } else if s > top[1] {
            top[1] = s;
        }
    }
    top
}

impl Engine {
    /// What ranked candidates (best first) decide.
    pub(super) fn decide(&self, ranked: &[(Cand, f32)]) -> Decision {
        let t = &self.tuning;
        let Some(&(top, score)) = ranked.first().filter(|(_, s)| *s >= t.min_score) else {
            return self.fallback(ranked, ranked.first().map(|c| c.1).unwrap_or(0.0));
        };
        // The runner-up that is really a different answer (a FAQ entry citing
        // the top article, or the article a top FAQ entry cites, is the same answer).
        let rival = ranked.iter().skip(1).find(|(c, _)| !self.same_answer(top, *c));
        let margin = rival.map(|(_, s)| score - s).unwrap_or(1.0);
        let confident = margin >= t.min_margin;
        let suggestions = if confident {
            Vec::new()
        } else {
            ranked
                .iter()
                .filter(|(c, s)| *s >= t.min_score - t.min_margin && !self.same_answer(top, *c))
                .take(t.doubtful_suggestions)
                .map(|(c, _)| *c)
                .collect()
        };
        Decision::Answer { top, score, confident, suggestions }
    }

    /// The honest fallback, offering the closest FAQ topics of `ranked`.
    pub(super) fn fallback(&self, ranked: &[(Cand, f32)], score: f32) -> Decision {
        let t = &self.tuning;
        let suggestions = ranked.iter().filter(|(c, s)| matches!(c, Cand::Faq(_)) && *s >= t.suggest_score).take(t.fallback_suggestions).map(|(c, _)| *c).collect();
        Decision::Fallback { score, suggestions }
    }

    /// Whether two candidates are one answer: the same entry, the same
    /// article, or an entry and an article it cites.
    fn same_answer(&self, a: Cand, b: Cand) -> bool {
        let cites = |faq: usize, pid: usize| {
            let art = &self.knowledge.articles[self.passages[pid].article].id;
            self.knowledge.faq[faq].sources.iter().any(|s| s == art)
        };
        match (a, b) {
            (Cand::Faq(x), Cand::Faq(y)) => x == y,
            (Cand::Passage(x), Cand::Passage(y)) => self.passages[x].article == self.passages[y].article,
            (Cand::Faq(f), Cand::Passage(p)) | (Cand::Passage(p), Cand::Faq(f)) => cites(f, p),
        }
    }
}
