//! Reading the question (README step 2, after [`crate::search::Analyzer`]
//! segmented it): which of its words the knowledge has, what each weighs,
//! which name the topic, which places they name, and the probes a candidate
//! is checked for. Every measure of a candidate ([`Query::covered`]) is a few
//! bit tests on its mask of those probes.

use crate::search::{FxMap, PassageTerms, TermGroup};

use super::Engine;

/// A sorted set of term ids.
pub(super) type TermSet = Vec<u32>;

/// Terms interned as ids, with their weights (inverse document frequency over
/// FAQ entries and passages). The index's vocabulary ([`PassageTerms`]) keeps
/// its own ids; terms only FAQ entries and stations use are numbered after it.
pub(super) struct Vocab {
    /// Terms outside the index's vocabulary → id (from its length on).
    pub(super) extra: FxMap<String, u32>,
    /// Which ids of the index's vocabulary the matcher knows: the terms of
    /// passages and titles, and those FAQ entries or stations use.
    pub(super) known: Vec<bool>,
    pub(super) weight: Vec<f32>,
    pub(super) unknown_weight: f32,
}

impl Vocab {
    pub(super) fn id(&self, terms: &PassageTerms, t: &str) -> Option<u32> {
        match terms.id(t) {
            Some(id) => self.known[id as usize].then_some(id),
            None => self.extra.get(t).copied(),
        }
    }
}

/// One word of the question: its id (if any document has it), the ids of its
/// sub-words, and its weight.
pub(super) struct QTerm {
    pub(super) full: Option<u32>,
    /// The bit of `full` in a candidate's mask (see [`Query::probes`]).
    pub(super) full_bit: Option<u16>,
    /// Sub-words, each with its id, its own weight and its bit in a
    /// candidate's mask.
    pub(super) subs: Vec<(u32, f32, u16)>,
    /// `full_bit` and the sub-words' bits as masks, when a mask is one word (at most
    /// 64 probes, nearly every question): a hit is then one or two ANDs.
    pub(super) full_mask: u64,
    pub(super) sub_mask: u64,
    pub(super) weight: f32,
    /// A word that asks (多少, 哪里, 几点) or sets the scene (骑手, 手机)
    /// rather than names what is asked about.
    pub(super) asks: bool,
}

/// A question's words with their weights.
pub(super) struct Query {
    pub(super) terms: Vec<QTerm>,
    pub(super) total: f32,
    /// Every id of the question, words and sub-words, sorted.
    pub(super) flat: TermSet,
    /// The scopes (district, Beijing, nationwide) the question names.
    pub(super) scopes: Vec<u8>,
    /// The ids a candidate is checked for, sorted: `flat` and the count term.
    /// A candidate is read once into a mask with bit `i` set when it holds
    /// `probes[i]`; every measure below is then a few bit tests.
    pub(super) probes: Vec<u32>,
    /// The bit of the count term ("多少"), if the lexicon has one.
    pub(super) count_bit: Option<u16>,
    /// The share of the question's weight that the count term has (0 when
    /// the question does not hold it).
    pub(super) count_share: f32,
    /// u64 words in a mask.
    pub(super) words: usize,
    /// Per probe: the most a candidate holding it can gain of the question's
    /// weight (summed over the words it is, or is a sub-word of), for
    /// [`Query::overlap_bound`].
    probe_gain: Vec<f32>,
    /// The probes of words that name the topic (not question or context
    /// words), as a mask.
    topic_mask: Vec<u64>,
    /// The question's matching terms, for the article search.
    pub(super) search_terms: Vec<String>,
    /// [`super::Tuning::sub_word_credit`].
    sub_word_credit: f32,
    /// [`super::Tuning::matched_word_weight`].
    matched_word_weight: f32,
    /// What kind of answer the question wants (see `qtype.rs`).
    pub(super) qtype: super::qtype::Types,
}

/// What a candidate (a mask) covers of a question.
#[derive(Clone, Copy)]
pub(super) struct Covered {
    /// The question's weight it matches.
    pub(super) overlap: f32,
    /// How many of the question's words it matches at all.
    pub(super) matched: usize,
    /// Whether it matches a word that is not a question or context word.
    pub(super) names_topic: bool,
}

/// How much of a word of weight `word` a sub-word of weight `sub` gives
/// (see [`super::Tuning::sub_word_credit`]).
fn sub_credit(sub: f32, word: f32, credit: f32) -> f32 {
    (sub / word.max(1e-6)).min(1.0) * credit
}

pub(super) fn has_bit(m: &[u64], bit: u16) -> bool {
    m[bit as usize / 64] >> (bit % 64) & 1 == 1
}

impl Query {
    /// How much of a word a candidate matches: all of it, or part of it
    /// through a sub-word, in proportion to that sub-word's own weight. `has`
    /// says whether the candidate holds a probe, given by bit and by id.
    pub(super) fn hit_by(&self, t: &QTerm, has: impl Fn(u16, u32) -> bool) -> f32 {
        if let (Some(id), Some(bit)) = (t.full, t.full_bit)
            && has(bit, id)
        {
            return 1.0;
        }
        let best_sub = t.subs.iter().filter(|(id, _, b)| has(*b, *id)).map(|(_, w, _)| *w).fold(0.0f32, f32::max);
        sub_credit(best_sub, t.weight, self.sub_word_credit)
    }

    /// The question's weight that the sorted id set `set` matches.
    pub(super) fn overlap(&self, set: &[u32]) -> f32 {
        self.terms.iter().map(|t| t.weight * self.hit_by(t, |_, id| set.binary_search(&id).is_ok())).sum()
    }

    /// What a candidate covers of the question, given how much of each word
    /// it matches (`hit`, 0 to 1).
    pub(super) fn covered_by(&self, hit: impl Fn(&QTerm) -> f32) -> Covered {
        let mut c = Covered { overlap: 0.0, matched: 0, names_topic: false };
        for t in &self.terms {
            let h = hit(t);
            c.overlap += t.weight * h;
            if h > 0.0 {
                c.matched += usize::from(t.weight >= self.matched_word_weight);
                c.names_topic |= !t.asks;
            }
        }
        c
    }

    /// What the candidate with mask `m` covers of the question.
    pub(super) fn covered(&self, m: &[u64]) -> Covered {
        if m.iter().all(|&x| x == 0) {
            return Covered { overlap: 0.0, matched: 0, names_topic: false }; // every hit is 0
        }
        let one = (self.words == 1).then(|| m[0]);
        self.covered_by(|t| match one {
            Some(m0) if m0 & t.full_mask != 0 => 1.0,
            Some(m0) if m0 & t.sub_mask == 0 => 0.0,
            _ => self.hit_by(t, |b, _| has_bit(m, b)),
        })
    }

    /// An upper bound of `covered(m).overlap`, from the probes alone: each
    /// word a candidate matches gains at most what the probe it matches by
    /// can give (a little slack covers rounding).
    pub(super) fn overlap_bound(&self, m: &[u64]) -> f32 {
        let mut sum = 0.0f32;
        for (x, &word) in m.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                sum += self.probe_gain[x * 64 + bits.trailing_zeros() as usize];
                bits &= bits - 1;
            }
        }
        sum * (1.0 + 1e-4) + 1e-6
    }

    /// Whether a candidate with mask `m` may match a word that names the
    /// topic (when not, `covered(m).names_topic` is false).
    pub(super) fn may_name_topic(&self, m: &[u64]) -> bool {
        m.iter().zip(&self.topic_mask).any(|(a, b)| a & b != 0)
    }

    /// The share of the question's weight that `overlap` is.
    ///
    /// Kept out of line: inlined into the FAQ entry's score, the two
    /// coverages of an entry became one packed division (`divps`) whose
    /// unused lanes held stale stack bytes, and a quarter of that function's
    /// samples sat on it (perf annotate; denormal operands take a microcode
    /// assist). As a call it is one scalar division: answers p50 −10%.
    #[inline(never)]
    pub(super) fn coverage_of(&self, overlap: f32) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        overlap / self.total
    }

    /// Sets in `out` the bits of the probes that the sorted id set `set` holds.
    pub(super) fn mask_into(&self, set: &[u32], out: &mut [u64]) {
        let (mut i, mut j) = (0, 0);
        while i < self.probes.len() && j < set.len() {
            match self.probes[i].cmp(&set[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    out[i / 64] |= 1 << (i % 64);
                    i += 1;
                    j += 1;
                }
            }
        }
    }

    /// Whether a candidate with these scopes answers about another place than
    /// the one asked about (朝阳 when the question says 北京).
    pub(super) fn scope_conflict(&self, scopes: &[u8]) -> bool {
        !self.scopes.is_empty() && !scopes.is_empty() && !self.scopes.iter().any(|s| scopes.contains(s))
    }

    /// [`Query::scope_conflict`] over the scopes of several parts together
    /// (a window's sentences and its title).
    pub(super) fn scope_conflict_of(&self, parts: &[&[u8]]) -> bool {
        !self.scopes.is_empty() && parts.iter().any(|p| !p.is_empty()) && !parts.iter().any(|p| p.iter().any(|s| self.scopes.contains(s)))
    }
}

impl Engine {
    /// Reads a question (normalising it first).
    pub(super) fn query(&self, question: &str) -> Query {
        let mut q = self.query_of(self.analyzer.question(question));
        q.qtype = self.types.read(&crate::text::normalize(question));
        q
    }

    /// [`Engine::query`] of a question already normalised.
    pub(super) fn query_normalized(&self, norm: &str) -> Query {
        let mut q = self.query_of(self.analyzer.question_normalized(norm));
        q.qtype = self.types.read(norm);
        q
    }

    /// [`Engine::query_normalized`] of the part of a long message that asks
    /// (`asked`), with the words of the rest (`aside`) weighed down: those
    /// the knowledge has count at [`super::Tuning::aside_weight`] of their
    /// weight (context words such as 骑手 in full), fillers and the others
    /// (a story's 下大雨, 衣服) not at all, and the scopes they name only
    /// when the question names none.
    pub(super) fn query_split(&self, asked: &str, aside: &str) -> Query {
        if aside.is_empty() {
            return self.query_normalized(asked);
        }
        let (search_terms, mut groups) = self.analyzer.question_normalized(asked);
        let own = groups.len();
        let store = self.index.terms();
        // A question that names no topic of its own ("这种情况该怎么办" after
        // the story of unpaid wages) is about the story: the whole message counts.
        let topical = groups.iter().any(|g| {
            let known = self.vocab.id(store, &g.full).is_some() || g.subs.iter().any(|s| self.vocab.id(store, s).is_some());
            known && !self.question_words.contains(&g.full) && !self.context_words.contains(&g.full)
        });
        if !topical {
            let mut q = self.query_normalized(&format!("{aside} {asked}"));
            q.qtype = self.types.read(asked);
            return q;
        }
        for g in self.analyzer.question_normalized(aside).1 {
            let known = self.vocab.id(store, &g.full).is_some() || g.subs.iter().any(|s| self.vocab.id(store, s).is_some());
            if known && !self.asking.is_filler(&g.full) && !groups.iter().any(|o| o.full == g.full) {
                groups.push(g);
            }
        }
        let mut q = self.query_of_weighed((search_terms, groups), own);
        q.qtype = self.types.read(asked);
        q
    }

    fn query_of(&self, parts: (Vec<String>, Vec<TermGroup>)) -> Query {
        self.query_of_weighed(parts, usize::MAX)
    }

    /// The query of these words; those from `aside_from` on are a long
    /// message's words besides its question (see [`Engine::query_split`]).
    fn query_of_weighed(&self, (mut search_terms, groups): (Vec<String>, Vec<TermGroup>), aside_from: usize) -> Query {
        let t = &self.tuning;
        let store = self.index.terms();
        let mut terms = Vec::with_capacity(groups.len());
        let mut flat = Vec::with_capacity(groups.len() * 2);
        let mut scopes = Vec::new();
        // The article search looks for what the question is about: not for
        // the words that ask (多少) or set the scene (骑手), which nearly every
        // passage or none holds, nor for the sub-words of a word the articles
        // hold whole (户外 and 劳动者 beside 户外劳动者). Each term left out is
        // two posting lists fewer to merge; the passages found are scored on
        // every word of the question all the same.
        let covered_subs: Vec<&str> = groups
            .iter()
            .filter(|g| !g.subs.is_empty() && store.indexed(&g.full) != (false, false))
            .flat_map(|g| g.subs.iter().filter(|s| **s != g.full).map(String::as_str))
            .collect();
        search_terms.retain(|t| !covered_subs.contains(&t.as_str()) && !self.question_words.contains(t) && !self.context_words.contains(t));
        let mut aside_scopes = Vec::new();
        for (gi, g) in groups.into_iter().enumerate() {
            let aside = gi >= aside_from;
            let full = self.vocab.id(store, &g.full);
            let mut subs: Vec<(u32, f32, u16)> = g.subs.iter().filter_map(|t| self.vocab.id(store, t).map(|id| (id, self.vocab.weight[id as usize], 0))).collect();
            let weight = match full {
                Some(id) => self.vocab.weight[id as usize],
                None => subs.iter().map(|(_, w, _)| *w).fold(0.0f32, f32::max),
            };
            // A word the knowledge does not hold, whose last part (its head:
            // 定律 of 牛顿定律) it does not hold either, is about something
            // else than what its first part names: it is not matched by that
            // part (牛顿 of 牛顿商务楼宇), though it weighs as much.
            if full.is_none() && g.subs.iter().any(|h| h.len() < g.full.len() && g.full.ends_with(h.as_str()) && self.vocab.id(store, h).is_none()) {
                subs.clear();
            }
            let weight = if weight > 0.0 { weight } else { t.term_weight(&g.full, self.vocab.unknown_weight) };
            if let Some(k) = self.scope_terms.get(&g.full) {
                if aside { aside_scopes.push(*k) } else { scopes.push(*k) }
            }
            flat.extend(full);
            flat.extend(subs.iter().map(|(id, _, _)| *id));
            let question_word = self.question_words.contains(&g.full);
            let asks = question_word || self.context_words.contains(&g.full);
            let weight = if question_word { weight * t.question_word_weight } else { weight };
            // Who asks (我是美团骑手) still counts in full: "能入会吗" after it
            // asks whether a rider may join.
            let weight = if aside && !asks { weight * t.aside_weight } else { weight };
            terms.push(QTerm { full, full_bit: None, subs, full_mask: 0, sub_mask: 0, weight, asks });
        }
        flat.sort_unstable();
        flat.dedup();
        if scopes.is_empty() {
            scopes = aside_scopes;
        }
        scopes.sort_unstable();
        scopes.dedup();
        let total = terms.iter().map(|t| t.weight).sum();
        let mut probes = flat.clone();
        if let Some(c) = self.count_term
            && let Err(at) = probes.binary_search(&c)
        {
            probes.insert(at, c);
        }
        let bit = |id: u32| probes.binary_search(&id).ok().map(|b| b as u16);
        for t in &mut terms {
            t.full_bit = t.full.and_then(bit);
            for (id, _, b) in &mut t.subs {
                *b = bit(*id).expect("every sub-word is a probe");
            }
            if probes.len() <= 64 {
                t.full_mask = t.full_bit.map(|b| 1u64 << b).unwrap_or(0);
                t.sub_mask = t.subs.iter().fold(0, |m, (_, _, b)| m | 1u64 << b);
            }
        }
        let count_bit = self.count_term.and_then(bit);
        let words = probes.len().div_ceil(64).max(1);
        let count_share = self
            .count_term
            .and_then(|id| terms.iter().find(|t| t.full == Some(id)).map(|t| t.weight))
            .map(|w| w / f32::max(total, 1e-6))
            .unwrap_or(0.0);
        let mut probe_gain = vec![0.0f32; probes.len()];
        let mut topic_mask = vec![0u64; words];
        for q in &terms {
            let gains = q.full_bit.map(|b| (b, q.weight)).into_iter().chain(q.subs.iter().map(|&(_, w, b)| (b, q.weight * sub_credit(w, q.weight, t.sub_word_credit))));
            for (b, gain) in gains {
                probe_gain[b as usize] += gain;
                if !q.asks {
                    topic_mask[b as usize / 64] |= 1 << (b % 64);
                }
            }
        }
        Query {
            terms,
            total,
            flat,
            scopes,
            probes,
            count_bit,
            count_share,
            words,
            probe_gain,
            topic_mask,
            search_terms,
            sub_word_credit: t.sub_word_credit,
            matched_word_weight: t.matched_word_weight,
            qtype: 0,
        }
    }
}
