//! Scoring FAQ entries (README step 4): how much of the question an entry's
//! best wording covers and how much of that wording the question says, what
//! all its wordings and its answer cover, the penalties; and the bounds by
//! which entries that cannot change the answer are left unread. A bound is
//! the score's own formula ([`Engine::wording_score`], [`Engine::entry_score`])
//! with each measure at the most it can be.

use super::query::{Covered, Query, TermSet};
use super::Engine;

/// An entry's terms: its wordings, all its wordings (and topic) together,
/// its answer, and the scopes its wordings name.
pub(super) struct FaqTerms {
    pub(super) wordings: Vec<Wording>,
    pub(super) union: TermSet,
    pub(super) answer: TermSet,
    pub(super) scopes: Vec<u8>,
}

/// A wording of a FAQ entry: its words (each with its sub-words) and their total weight.
pub(super) struct Wording {
    pub(super) flat: TermSet,
    pub(super) groups: Vec<WordingWord>,
    pub(super) total: f32,
    /// What kind of question it is (see `qtype.rs`).
    pub(super) qtype: super::qtype::Types,
}

/// A word of a FAQ wording, with its sub-words.
pub(super) struct WordingWord {
    pub(super) full: u32,
    pub(super) subs: Vec<u32>,
    pub(super) weight: f32,
}

impl WordingWord {
    /// How much of this word a question says: all of it, or part of it
    /// through a sub-word (in proportion to that sub-word's weight, times
    /// `credit`). `asked` says whether the question has a term id.
    fn said_by(&self, asked: impl Fn(u32) -> bool, weights: &[f32], credit: f32) -> f32 {
        if asked(self.full) {
            return self.weight;
        }
        let best = self.subs.iter().filter(|id| asked(**id)).map(|&id| weights[id as usize]).fold(0.0f32, f32::max);
        best.min(self.weight) * credit
    }
}

thread_local! {
    /// One bit per term id, set for the ids of the question being scored
    /// (and cleared after): a FAQ wording's words are looked up in it.
    static QUESTION_IDS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The matcher's FAQ masks, reused from question to question.
    static FAQ_MASKS: std::cell::Cell<FaqMasks> = std::cell::Cell::new(FaqMasks::default());
    /// The order in which [`Engine::faq_candidates`] reads entries, reused.
    static FAQ_ORDER: std::cell::Cell<Vec<(f32, usize)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// One bit per probe of the question (see [`Query::probes`]) for each FAQ
/// wording (numbered across entries), entry's wordings together, and answer.
///
/// The buffers are reused from question to question: outside a question
/// they are all zero, and [`Engine::fill_faq_masks`] records which of their
/// words it set, so that [`FaqMasks::reset`] zeroes those alone (zeroing
/// every wording's mask was 3 % of an answer).
#[derive(Default)]
pub(super) struct FaqMasks {
    pub(super) wordings: Vec<u64>,
    pub(super) unions: Vec<u64>,
    pub(super) answers: Vec<u64>,
    /// Positions set in `wordings`, `unions`, `answers` (repeats allowed).
    set: [Vec<u32>; 3],
}

impl FaqMasks {
    /// Zeroes what the last [`Engine::fill_faq_masks`] set.
    pub(super) fn reset(&mut self) {
        for (v, set) in [&mut self.wordings, &mut self.unions, &mut self.answers].into_iter().zip(&mut self.set) {
            for &at in set.iter() {
                v[at as usize] = 0;
            }
            set.clear();
        }
    }
}

/// Which FAQ wordings (numbered across entries), entries' wordings and
/// entries' answers hold a term: a question's scoring visits only what it
/// touches.
#[derive(Default)]
pub(super) struct FaqPostings {
    pub(super) wordings: Vec<u32>,
    pub(super) unions: Vec<u32>,
    pub(super) answers: Vec<u32>,
}

impl Engine {
    /// One FAQ entry's score (`explain`, `check`); the matcher scores them
    /// all at once with [`Engine::faq_scores`], to the same figures.
    pub(super) fn faq_score(&self, q: &Query, i: usize) -> f32 {
        let f = &self.faq_terms[i];
        let w = q.words;
        let mut masks = vec![0u64; (f.wordings.len() + 2) * w];
        for (k, wording) in f.wordings.iter().enumerate() {
            q.mask_into(&wording.flat, &mut masks[k * w..(k + 1) * w]);
        }
        let n = f.wordings.len();
        q.mask_into(&f.union, &mut masks[n * w..(n + 1) * w]);
        q.mask_into(&f.answer, &mut masks[(n + 1) * w..(n + 2) * w]);
        self.faq_entry_score(q, i, &masks[..n * w], &masks[n * w..(n + 1) * w], &masks[(n + 1) * w..], |id| q.flat.binary_search(&id).is_ok())
    }

    /// Every FAQ entry's score. Only the wordings and entries that share a
    /// probe with the question are read; the others score as they would if
    /// read (a wording that shares nothing is skipped either way).
    pub(super) fn faq_scores(&self, q: &Query) -> Vec<f32> {
        let w = q.words;
        let n = self.faq_terms.len();
        let mut masks = FaqMasks::default();
        self.fill_faq_masks(q, &mut masks);
        let FaqMasks { wordings: wm, unions: um, answers: am, .. } = masks;
        Self::with_question_ids(q, self.vocab.weight.len(), |asked| {
            (0..n)
                .map(|i| {
                    let base = self.wording_base[i] as usize;
                    let k = self.faq_terms[i].wordings.len();
                    self.faq_entry_score(q, i, &wm[base * w..(base + k) * w], &um[i * w..(i + 1) * w], &am[i * w..(i + 1) * w], asked)
                })
                .collect()
        })
    }

    /// The FAQ entries that can matter to the answer, with their scores (as
    /// [`Engine::faq_scores`] gives them; `exact`, the entry a question is
    /// worded exactly as, gets 1 + [`super::Tuning::exact_wording_bonus`] at
    /// least), in entry order. Entries are read best bound first
    /// ([`Engine::entry_bound`]); once no entry left can reach a suggestion's
    /// score nor come within the margin of the best so far, the rest are left
    /// out: none of them could be the answer, its rival or a suggestion (the
    /// best so far only grows, so the thresholds only rise).
    pub(super) fn faq_candidates(&self, q: &Query, exact: Option<usize>) -> Vec<(usize, f32)> {
        let w = q.words;
        let n = self.faq_terms.len();
        let mut masks = FAQ_MASKS.take();
        self.fill_faq_masks(q, &mut masks);
        let FaqMasks { wordings: wm, unions: um, answers: am, .. } = &masks;
        // Entries in order of their quick bound; each is then bounded again
        // on its words before its wordings are read.
        let mut order = FAQ_ORDER.take();
        order.clear();
        order.extend(
            (0..n)
                .filter(|&i| exact == Some(i) || um[i * w..(i + 1) * w].iter().chain(&am[i * w..(i + 1) * w]).any(|&x| x != 0))
                .map(|i| (if exact == Some(i) { f32::MAX } else { self.entry_quick_bound(q, i, &um[i * w..(i + 1) * w], &am[i * w..(i + 1) * w]) }, i)),
        );
        // Read best quick bound first. The entry with the best is read first;
        // once it is, an entry whose quick bound is under the floor its score
        // sets is never read (the floor only rises), so only the others are
        // sorted, not every entry that shares a word.
        if let Some(best) = (0..order.len()).reduce(|b, j| if order[j].0 > order[b].0 { j } else { b }) {
            order.swap(0, best);
        }
        let mut out = Self::with_question_ids(q, self.vocab.weight.len(), |asked| {
            let mut out = Vec::new();
            let mut leader = f32::MIN;
            let mut at = 0;
            while at < order.len() {
                if at == 1 {
                    let floor = self.tuning.irrelevant_below(leader, true);
                    let mut kept = 1;
                    for j in 1..order.len() {
                        if order[j].0 >= floor {
                            order[kept] = order[j];
                            kept += 1;
                        }
                    }
                    order.truncate(kept);
                    order[1..].sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
                    if kept == 1 {
                        break;
                    }
                }
                let (quick, i) = order[at];
                at += 1;
                let floor = self.tuning.irrelevant_below(leader, true);
                if quick < floor {
                    break;
                }
                let u = q.covered(&um[i * w..(i + 1) * w]);
                let a = q.covered(&am[i * w..(i + 1) * w]).overlap;
                if exact != Some(i) && self.entry_bound(q, i, &u, a) < floor {
                    continue;
                }
                let base = self.wording_base[i] as usize;
                let k = self.faq_terms[i].wordings.len();
                let best = self.best_wording(q, i, &wm[base * w..(base + k) * w], asked);
                let mut s = self.entry_score(q, i, best, &u, a);
                if exact == Some(i) {
                    s = s.max(1.0) + self.tuning.exact_wording_bonus;
                }
                leader = leader.max(s);
                if s > 0.0 {
                    out.push((i, s));
                }
            }
            out
        });
        out.sort_unstable_by_key(|&(i, _)| i);
        masks.reset();
        FAQ_MASKS.set(masks);
        FAQ_ORDER.set(order);
        out
    }

    /// A cheaper (looser) bound than [`Engine::entry_bound`], from the masks
    /// alone ([`Query::overlap_bound`]): no word by word reading.
    pub(super) fn entry_quick_bound(&self, q: &Query, i: usize, union: &[u64], answer: &[u64]) -> f32 {
        let u = Covered { overlap: q.overlap_bound(union), matched: 0, names_topic: q.may_name_topic(union) };
        self.entry_bound(q, i, &u, q.overlap_bound(answer))
    }

    /// An upper bound of entry `i`'s score from what all its wordings
    /// together cover (`u`) and what its answer covers (`a`): the entry's
    /// score with its best wording at the most it can be (a wording covers
    /// at most what they all cover, and the question says at most all of
    /// it), and a little slack for rounding.
    pub(super) fn entry_bound(&self, q: &Query, i: usize, u: &Covered, a: f32) -> f32 {
        self.entry_score(q, i, self.wording_score(q, u.overlap, 1.0, 1.0), u, a) + 1e-3
    }

    /// Sets `m` to the masks of the FAQ wordings, entries' wordings and
    /// answers for a question's probes (see [`Query::probes`]), from the
    /// postings. `m` must be all zero (new, or [`FaqMasks::reset`]); its
    /// buffers may be longer than this question needs.
    pub(super) fn fill_faq_masks(&self, q: &Query, m: &mut FaqMasks) {
        let w = q.words;
        let n = self.faq_terms.len();
        let n_wordings = self.wording_count;
        for (v, len) in [(&mut m.wordings, n_wordings * w), (&mut m.unions, n * w), (&mut m.answers, n * w)] {
            debug_assert!(v.iter().all(|&x| x == 0), "the FAQ masks were not reset");
            if v.len() < len {
                v.resize(len, 0);
            }
        }
        let FaqMasks { wordings, unions, answers, set: [set_w, set_u, set_a] } = m;
        let set = |m: &mut [u64], touched: &mut Vec<u32>, at: u32, bit: usize| {
            let k = at as usize * w + bit / 64;
            m[k] |= 1 << (bit % 64);
            touched.push(k as u32);
        };
        for (bit, id) in q.probes.iter().enumerate() {
            if let Some(p) = self.faq_postings.get(id) {
                for &k in &p.wordings {
                    set(wordings, set_w, k, bit);
                }
                for &i in &p.unions {
                    set(unions, set_u, i, bit);
                }
                for &i in &p.answers {
                    set(answers, set_a, i, bit);
                }
            }
        }
    }

    /// Runs `f` with a test for "the question has this term id" (a bit set
    /// over the vocabulary, set for the question's ids and cleared after).
    fn with_question_ids<T>(q: &Query, vocab_len: usize, f: impl FnOnce(&dyn Fn(u32) -> bool) -> T) -> T {
        QUESTION_IDS.with(|ids| {
            let mut ids = ids.borrow_mut();
            let words = vocab_len.div_ceil(64).max(ids.len());
            ids.resize(words, 0);
            for &id in &q.flat {
                ids[id as usize / 64] |= 1 << (id % 64);
            }
            let out = {
                let ids = &*ids;
                f(&|id: u32| ids.get(id as usize / 64).is_some_and(|b| b >> (id % 64) & 1 == 1))
            };
            for &id in &q.flat {
                ids[id as usize / 64] = 0;
            }
            out
        })
    }

    /// Entry `i`'s score given the masks of its wordings (one after another),
    /// of all its wordings together and of its answer.
    fn faq_entry_score(&self, q: &Query, i: usize, wordings: &[u64], union: &[u64], answer: &[u64], asked: impl Fn(u32) -> bool + Copy) -> f32 {
        let best = self.best_wording(q, i, wordings, asked);
        self.entry_score(q, i, best, &q.covered(union), q.covered(answer).overlap)
    }

    /// The score of entry `i`'s best wording, given their masks (one after another).
    fn best_wording(&self, q: &Query, i: usize, wordings: &[u64], asked: impl Fn(u32) -> bool + Copy) -> f32 {
        let f = &self.faq_terms[i];
        let w = q.words;
        let mut best = 0.0f32;
        for (k, wording) in f.wordings.iter().enumerate() {
            let m = &wordings[k * w..(k + 1) * w];
            if m.iter().all(|&x| x == 0) {
                continue;
            }
            let inter = q.covered(m).overlap;
            if inter <= 0.0 {
                continue;
            }
            if self.wording_score(q, inter, 1.0, 1.0) + 1e-4 < best {
                continue; // even if the question said all of it, it could not lead
            }
            // How much of the wording the question says.
            let said: f32 = wording.groups.iter().map(|g| g.said_by(asked, &self.vocab.weight, self.tuning.sub_word_credit)).sum();
            // A wording that asks whether, for a question that asks how (or
            // the other way round), is another question on the same topic.
            let kind = if super::qtype::clash(q.qtype, wording.qtype) { self.tuning.question_type_penalty } else { 1.0 };
            best = best.max(self.wording_score(q, inter, said, wording.total) * kind);
        }
        best
    }

    /// A wording's score: the share of the question's weight it covers
    /// (`covers`), and the share of its own weight (`of`) the question says
    /// (`said`), as [`super::Tuning::wording_covers`] and
    /// [`super::Tuning::wording_said`] weigh them.
    fn wording_score(&self, q: &Query, covers: f32, said: f32, of: f32) -> f32 {
        let t = &self.tuning;
        t.wording_covers * covers / q.total.max(1e-6) + t.wording_said * said / of.max(1e-6)
    }

    /// Entry `i`'s score from its best wording's, what all its wordings
    /// together cover (`u`) and what its answer covers (`a`).
    fn entry_score(&self, q: &Query, i: usize, best: f32, u: &Covered, a: f32) -> f32 {
        let t = &self.tuning;
        let mut score = t.entry_best_wording * best + t.entry_all_wordings * q.coverage_of(u.overlap) + t.entry_answer * q.coverage_of(a);
        if !u.names_topic {
            score *= t.off_topic_penalty;
        }
        if q.scope_conflict(&self.faq_terms[i].scopes) {
            score *= t.scope_penalty;
        }
        if !super::qtype::fits(q.qtype, self.faq_types[i]) {
            score *= t.question_type_penalty;
        }
        score
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::knowledge_and_questions;
    use super::*;

    /// The matcher reads only the FAQ entries that can matter: those it reads
    /// score as `faq_scores` says, and those it leaves out could be neither
    /// the answer, its rival nor a suggestion.
    #[test]
    fn faq_candidates_leave_out_only_entries_that_cannot_matter() {
        let (k, questions) = knowledge_and_questions(11);
        let engine = Engine::in_ram(k).unwrap();
        let t = &engine.tuning;
        let mut left_out = 0;
        for question in &questions {
            let q = engine.query(question);
            let all = engine.faq_scores(&q);
            let top = all.iter().copied().fold(0.0f32, f32::max);
            let read = engine.faq_candidates(&q, None);
            for &(i, s) in &read {
                assert_eq!(s, all[i], "entry {i} for {question}");
            }
            for (i, &s) in all.iter().enumerate().filter(|(_, s)| **s > 0.0) {
                if !read.iter().any(|&(j, _)| j == i) {
                    left_out += 1;
                    let suggested = if top >= t.min_score { t.min_score - t.min_margin } else { t.suggest_score };
                    assert!(s < suggested && s < top - t.min_margin, "entry {i} ({s}, top {top}) left out for {question}");
                }
            }
            // The quick bound holds the bound, which holds the score.
            let w = q.words;
            let mut m = FaqMasks::default();
            engine.fill_faq_masks(&q, &mut m);
            for (i, &s) in all.iter().enumerate() {
                let (um, am) = (&m.unions[i * w..(i + 1) * w], &m.answers[i * w..(i + 1) * w]);
                let bound = engine.entry_bound(&q, i, &q.covered(um), q.covered(am).overlap);
                let quick = engine.entry_quick_bound(&q, i, um, am);
                assert!(s <= bound && bound <= quick, "entry {i}: score {s}, bound {bound}, quick {quick} for {question}");
            }
            // The entry a question is worded exactly as is always read.
            let exact = engine.faq_candidates(&q, Some(3));
            assert!(exact.iter().any(|&(i, s)| i == 3 && s >= 1.05), "{question}");
        }
        assert!(left_out > 0, "the bound never left an entry out");
        // The reused masks are handed back all zero: no question's bits
        // reach the next one.
        let masks = FAQ_MASKS.take();
        assert!(!masks.wordings.is_empty(), "the masks were reused");
        assert!(masks.wordings.iter().chain(&masks.unions).chain(&masks.answers).all(|&x| x == 0), "the FAQ masks were not reset");
    }
}
