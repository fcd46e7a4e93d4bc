//! Scoring article passages (README step 4): the tantivy search for the
//! question's topic words, each passage's best one- or two-sentence window,
//! the count rule for a figure question ("多少"), and the bounds by which the
//! search, or a passage's windows, are skipped when they cannot change the
//! answer. A bound is the score's own formula ([`Engine::window_adjusted`],
//! [`Engine::passage_total`]) with each measure at the most it can be.

use std::ops::Range;
use std::sync::atomic::Ordering;

use super::decide::Cand;
use super::query::{Covered, Query, has_bit};
use super::Engine;

/// Buffers reused from passage to passage while a question is scored.
#[derive(Default)]
pub(super) struct Scratch {
    /// Masks of the sentences, the title, the passage and a window.
    masks: Vec<u64>,
    /// Whether each sentence states a count.
    counts: Vec<bool>,
}

/// The passages a question's candidates gain: the best passage of each
/// article (articles in order of their first hit), and the window of each
/// passage read.
pub(super) struct PassageCands {
    pub(super) cands: Vec<(Cand, f32)>,
    pub(super) windows: Vec<(usize, Range<usize>)>,
}

impl Engine {
    /// The best passages for a question, given the best two FAQ scores
    /// (`faq_top`). No passage can score above [`Engine::passage_bound`]:
    /// when the best FAQ entry leads that bound and every other entry by the
    /// margin, it is the confident answer whatever the articles hold (no
    /// passage can be the answer, its rival or a suggestion), and the search
    /// is skipped. A passage that cannot reach the best candidate so far by
    /// the margin, nor the score of a suggestion, changes nothing in the
    /// answer either: its windows are not read.
    pub(super) fn passage_candidates(&self, q: &Query, counting: bool, faq_top: [f32; 2]) -> PassageCands {
        let t = &self.tuning;
        let decided = faq_top[0] >= t.min_score && faq_top[0] - faq_top[1] >= t.min_margin && faq_top[0] - self.passage_bound(q, counting) >= t.min_margin;
        let hits = if decided {
            Vec::new()
        } else {
            self.searches.fetch_add(1, Ordering::Relaxed);
            self.index.search(&q.search_terms, t.article_candidates).unwrap_or_else(|e| {
                tracing::error!(error = %e, "article search failed");
                Vec::new()
            })
        };
        let mut scratch = Scratch::default();
        let mut windows: Vec<(usize, Range<usize>)> = Vec::with_capacity(hits.len());
        // The best passage of each article, articles in order of their first hit.
        let mut best_per_article: Vec<(usize, usize, f32)> = Vec::new();
        let mut leader = faq_top[0];
        for (rank, (pid, _bm25)) in hits.iter().enumerate() {
            let floor = t.irrelevant_below(leader, false);
            let Some((mut s, window)) = self.passage_score_above(q, *pid, counting, floor, &mut scratch) else {
                continue;
            };
            s -= t.bm25_rank_cost * rank as f32; // BM25 order breaks ties
            // A news report tells what was done, not the steps a worker
            // takes: a question for the steps (怎么入会) prefers the FAQ.
            if q.qtype & super::qtype::STEPS != 0 {
                s *= t.question_type_penalty;
            }
            leader = leader.max(s);
            windows.push((*pid, window));
            let art = self.passages[*pid].article;
            match best_per_article.iter_mut().find(|(a, _, _)| *a == art) {
                Some(b) if s > b.2 => *b = (art, *pid, s),
                Some(_) => {}
                None => best_per_article.push((art, *pid, s)),
            }
        }
        PassageCands { cands: best_per_article.iter().map(|&(_, pid, s)| (Cand::Passage(pid), s)).collect(), windows }
    }

    /// Scores a passage; returns the score and the best window of sentences.
    /// `scratch` holds the masks (reused from passage to passage).
    pub(super) fn passage_score(&self, q: &Query, pid: usize, counting: bool, scratch: &mut Scratch) -> (f32, Range<usize>) {
        self.passage_score_above(q, pid, counting, f32::MIN, scratch).expect("no floor")
    }

    /// [`Engine::passage_score`], or `None` without reading its windows when
    /// the words of the whole passage bound its score below `floor` (see
    /// [`Engine::window_bound`]).
    pub(super) fn passage_score_above(&self, q: &Query, pid: usize, counting: bool, floor: f32, scratch: &mut Scratch) -> Option<(f32, Range<usize>)> {
        let t = &self.tuning;
        let Scratch { masks: scratch, counts } = scratch;
        let store = self.index.terms();
        let p = &self.passages[pid];
        let (title, title_scopes) = store.title(p.article);
        let para = &self.knowledge.articles[p.article].paragraphs[p.paragraph];
        let sentences = store.sentence_ids(pid);
        let n = sentences.len();
        let w = q.words;
        // Masks: each sentence, the title, the whole passage, then a window's
        // sentences, and the same with the title.
        scratch.clear();
        scratch.resize((n + 4) * w, 0);
        let (sent, rest) = scratch.split_at_mut(n * w);
        let (title_m, rest) = rest.split_at_mut(w);
        let (whole_m, rest) = rest.split_at_mut(w);
        let (own_m, sets_m) = rest.split_at_mut(w);
        for (k, s) in sentences.clone().enumerate() {
            q.mask_into(store.sentence(s).terms, &mut sent[k * w..(k + 1) * w]);
        }
        q.mask_into(title, title_m);
        whole_m.copy_from_slice(title_m);
        for k in 0..n {
            for x in 0..w {
                whole_m[x] |= sent[k * w + x];
            }
        }
        let whole_covered = q.covered(whole_m);
        let whole = q.coverage_of(whole_covered.overlap);
        // A question for a figure ("多少") is answered by a sentence with a
        // count in it ("2178家"), not by one that merely says "数量".
        let count_w = q.count_share;
        if floor > f32::MIN && self.window_bound(q, &whole_covered, if counting { count_w } else { 0.0 }) < floor {
            return None;
        }
        // Whether each sentence states a count. A window states one when one
        // of its sentences does: a figure never runs across the punctuation
        // that ends a sentence.
        counts.clear();
        if counting {
            counts.extend(sentences.clone().map(|k| has_count(&para[store.sentence(k).range()])));
        }
        let mut best = (f32::MIN, 0..para.len());
        for i in 0..n {
            for j in i..(i + 2).min(n) {
                for x in 0..w {
                    own_m[x] = sent[i * w + x] | if j > i { sent[j * w + x] } else { 0 };
                    sets_m[x] = own_m[x] | title_m[x];
                }
                // The title counts for the score, but the sentences alone
                // choose which of them to show.
                let sets = q.covered(sets_m);
                let mut c = t.window_with_title * q.coverage_of(sets.overlap) + t.window_own * q.coverage_of(q.covered(own_m).overlap);
                let (si, sj) = (store.sentence(sentences.start + i), store.sentence(sentences.start + j));
                let range = si.range.0..sj.range.1;
                if counting {
                    let has_count = counts[i] || counts[j];
                    let said_count = q.count_bit.is_some_and(|b| has_bit(sets_m, b));
                    c += match (has_count, said_count) {
                        (true, false) => count_w,
                        (false, true) => -count_w,
                        _ => 0.0,
                    };
                }
                c = self.window_adjusted(c, &sets);
                if q.scope_conflict_of(&[si.scopes, if j > i { sj.scopes } else { &[] }, title_scopes]) {
                    c *= t.scope_penalty;
                }
                if j > i {
                    c -= t.longer_window_cost; // prefer the shorter window on a tie
                }
                if c > best.0 {
                    best = (c, range);
                }
            }
        }
        Some((self.passage_total(whole, best.0), best.1))
    }

    /// A window's score `c` after the two rules on what it covers (`cov`):
    /// one word in common is a coincidence ([`super::Tuning::coincidence_penalty`]),
    /// and a question too general to point at an article is answered by none
    /// in full ([`super::Tuning::article_specific_weight`]).
    fn window_adjusted(&self, mut c: f32, cov: &Covered) -> f32 {
        let t = &self.tuning;
        if cov.matched < 2 || !cov.names_topic {
            c *= t.coincidence_penalty;
        }
        c * (cov.overlap / t.article_specific_weight).min(1.0)
    }

    /// A passage's score from the share of the question the whole passage
    /// covers and its best window's score.
    fn passage_total(&self, whole: f32, window: f32) -> f32 {
        let t = &self.tuning;
        t.article_discount * (t.passage_whole * whole + t.passage_window * window.clamp(0.0, 1.0))
    }

    /// An upper bound of the score of a passage (or of any passage) whose
    /// words, all together, cover `all` of the question. Every measure of a
    /// window is at most what the whole gives: its coverage (which may gain
    /// `count_w`, the count bonus), the weight it matches, and whether it
    /// matches two words and one that names the topic. The rest (the scope
    /// penalty, the longer window's cost) only lowers it. A little slack
    /// covers rounding.
    fn window_bound(&self, q: &Query, all: &Covered, count_w: f32) -> f32 {
        let w = q.coverage_of(all.overlap).clamp(0.0, 1.0);
        let t = &self.tuning;
        let window = self.window_adjusted((t.window_with_title + t.window_own) * w + count_w, all).max(0.0);
        self.passage_total(w, window) + 1e-3
    }

    /// An upper bound of any passage's score for this question (see
    /// [`Engine::passage_score`]): [`Engine::window_bound`] of the words found
    /// anywhere in the articles.
    pub(super) fn passage_bound(&self, q: &Query, counting: bool) -> f32 {
        let store = self.index.terms();
        let all = q.covered_by(|t| q.hit_by(t, |_, id| store.is_matching(id)));
        self.window_bound(q, &all, if counting { q.count_share } else { 0.0 })
    }
}

/// Whether a text states a count: digits followed by a counter word
/// ("18.42万个", "2178家", "4000余名", "70%"), not a year or a programme name.
pub(super) fn has_count(s: &str) -> bool {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars.next_if(|c| c.is_ascii_digit() || *c == '.').is_some() {}
            while chars.next_if(|c| matches!(c, '余' | '多' | '万' | '千' | '百' | '亿')).is_some() {}
            if chars.peek().is_some_and(|c| "个家名件人%座处张所次元位".contains(*c)) {
                return true;
            }
            chars.next(); // the character after the figure is not a counter
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tests::knowledge_and_questions;
    use super::*;
    use crate::knowledge::Knowledge;
    use crate::text;

    /// The old definition, kept here to check the faster one against.
    fn has_count_by_chars(s: &str) -> bool {
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_ascii_digit() {
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                while i < chars.len() && matches!(chars[i], '余' | '多' | '万' | '千' | '百' | '亿') {
                    i += 1;
                }
                if i < chars.len() && "个家名件人%座处张所次元位".contains(chars[i]) {
                    return true;
                }
            }
            i += 1;
        }
        false
    }

    #[test]
    fn counts_are_found_as_before_and_sentence_by_sentence() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let (k, _) = Knowledge::load(&dir).unwrap();
        let mut texts: Vec<String> = ["18.42万个", "2178家", "4000余名", "70%", "2022年", "12a3个", "3.5", "第1个", "1", "个", "1.2.3万亿家x"].map(String::from).to_vec();
        for p in k.articles.iter().flat_map(|a| &a.paragraphs) {
            let sentences = text::sentences(p);
            for (i, s) in sentences.iter().enumerate() {
                texts.push(s.to_string());
                assert_eq!(has_count(s), has_count_by_chars(s), "{s}");
                if let Some(next) = sentences.get(i + 1) {
                    let start = s.as_ptr() as usize - p.as_ptr() as usize;
                    let end = next.as_ptr() as usize - p.as_ptr() as usize + next.len();
                    assert_eq!(has_count(&p[start..end]), has_count(s) || has_count(next), "window {}", &p[start..end]);
                }
            }
        }
        for t in &texts {
            assert_eq!(has_count(t), has_count_by_chars(t), "{t}");
        }
    }

    /// The article search is skipped on the strength of `passage_bound`: no
    /// passage may ever score above it.
    #[test]
    fn no_passage_scores_above_the_bound() {
        let (k, mut questions) = knowledge_and_questions(9);
        questions.extend(k.articles.iter().map(|a| a.title.clone()));
        questions.extend(k.articles.iter().flat_map(|a| a.paragraphs.first().cloned()));
        let engine = Engine::in_ram(k).unwrap();
        let mut scratch = Scratch::default();
        for question in &questions {
            let q = engine.query(question);
            for counting in [false, true] {
                let bound = engine.passage_bound(&q, counting);
                for pid in 0..engine.passages.len() {
                    let (s, _) = engine.passage_score(&q, pid, counting, &mut scratch);
                    assert!(s <= bound, "passage {pid} scores {s} > bound {bound} for {question} (counting {counting})");
                    // Skipped under a floor only when it scores below it, and then
                    // with the same score as the full reading when not skipped.
                    for floor in [s - 1e-4, s, s + 1e-3, s + 0.05, 0.2, 0.4, 0.6] {
                        match engine.passage_score_above(&q, pid, counting, floor, &mut scratch) {
                            None => assert!(s < floor, "passage {pid} ({s}) skipped at floor {floor} for {question}"),
                            Some((t, _)) => assert_eq!(t, s, "passage {pid} for {question}"),
                        }
                    }
                }
            }
        }
    }
}
