//! Whether-questions about something the knowledge does not offer (README
//! step 5): "驿站能寄存快递吗", "入会能送手机吗", "工会能帮我贷款吗" share their
//! topic (驿站, 入会, 工会) with entries that answer other things. What such a
//! question asks about is what follows its modal word (`question_types:
//! modals:`, 能, 可以, 能不能…): when the best candidate covers less than
//! [`super::Tuning::min_focus_coverage`] of that part's topic words (not
//! question or context words), the honest fallback is shown, with the
//! closest topics.

use aho_corasick::{AhoCorasick, MatchKind};

use super::decide::Cand;
use super::Engine;
use crate::text;

/// Finds the last modal word of a normalised question.
pub(super) struct ModalFinder {
    finder: Option<AhoCorasick>,
}

impl ModalFinder {
    pub(super) fn new(modals: &[String]) -> ModalFinder {
        let words: Vec<String> = modals.iter().map(|w| text::normalize(w)).filter(|w| !w.is_empty()).collect();
        let finder = (!words.is_empty()).then(|| AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&words).expect("modal words build an automaton"));
        ModalFinder { finder }
    }

    /// What follows the last modal word of `norm`, if any.
    pub(super) fn focus<'a>(&self, norm: &'a str) -> Option<&'a str> {
        let end = self.finder.as_ref()?.find_iter(norm).last()?.end();
        Some(&norm[end..])
    }
}

impl Engine {
    /// Whether the best candidate misses what a whether-question asks about
    /// (see the module's text). `norm` is the part of the question that asks.
    pub(super) fn misses_focus(&self, norm: &str, qtype: super::qtype::Types, top: Cand) -> bool {
        if qtype != super::qtype::WHETHER {
            return false;
        }
        let Some(focus) = self.modals.focus(norm) else { return false };
        let store = self.index.terms();
        let groups = self.analyzer.question_normalized(focus).1;
        let mut total = 0.0f32;
        let mut covered = 0.0f32;
        for g in &groups {
            if self.question_words.contains(&g.full) || self.context_words.contains(&g.full) {
                continue;
            }
            let full = self.vocab.id(store, &g.full);
            let weight = full.map(|id| self.vocab.weight[id as usize]).filter(|w| *w > 0.0).unwrap_or_else(|| self.tuning.term_weight(&g.full, self.vocab.unknown_weight));
            total += weight;
            // The word itself, not a word it is part of: 快递 (parcels) is
            // not said by 快递员 (a courier).
            let said = match full {
                Some(id) => self.candidate_has(top, id),
                None => self.candidate_says(top, &g.full),
            };
            if said {
                covered += weight;
            }
        }
        total > 0.0 && covered < self.tuning.min_focus_coverage * total
    }

    /// Whether a candidate's text (a FAQ entry's wordings and answer; a
    /// passage) holds a word the knowledge has no term for, as written.
    fn candidate_says(&self, c: Cand, word: &str) -> bool {
        match c {
            Cand::Faq(i) => {
                let e = &self.knowledge.faq[i];
                e.questions.iter().any(|q| q.contains(word)) || e.answer.contains(word)
            }
            Cand::Passage(pid) => {
                let p = &self.passages[pid];
                self.knowledge.articles[p.article].paragraphs[p.paragraph].contains(word)
            }
        }
    }

    /// Whether a candidate has a term as a word: one of a FAQ entry's
    /// wordings has it as a whole word (not a sub-word); a passage's
    /// sentences or its article's title hold it.
    fn candidate_has(&self, c: Cand, id: u32) -> bool {
        match c {
            Cand::Faq(i) => self.faq_terms[i].wordings.iter().any(|w| w.groups.iter().any(|g| g.full == id)),
            Cand::Passage(pid) => {
                let store = self.index.terms();
                store.title(self.passages[pid].article).0.binary_search(&id).is_ok() || store.sentences(pid).any(|s| s.terms.binary_search(&id).is_ok())
            }
        }
    }
}
