//! The repairer's two per-question look-ups, made cheap: every question goes
//! through [`super::Repairer::repair`], and nearly every one leaves it
//! unchanged, so what it costs is what these cost.
//!
//! - [`Cover`] finds the domain words in a question, leftmost-longest, by one
//!   hash look-up of each character pair (the first two characters of every
//!   domain word, with the lengths of the words that start so), instead of an
//!   Aho-Corasick automaton over a few thousand words: that automaton is a
//!   contiguous NFA (too many patterns for a DFA) walked byte by byte, and
//!   was 4 % of an answer (perf, `bench engine`).
//! - [`Syllables`] gives each ideograph's syllable id from a table indexed by
//!   the character (each slot filled the first time it is needed), instead
//!   of a `pinyin` look-up and a string hash per character of every question
//!   (3 % of an answer).

use std::sync::atomic::{AtomicU16, Ordering};

use crate::search::{FxMap, FxSet};

use super::MAX_WORD_CHARS;

/// Finds domain words (all ideographs, two to [`super::MAX_WORD_CHARS`]
/// characters) in a text of ideographs and other characters.
pub(super) struct Cover {
    /// The first two characters of a domain word, packed → bit `L` set when
    /// a word of `L` characters starts with them.
    starts: FxMap<u64, u8>,
    /// Bit `c - FIRST_BASE` set when some domain word starts with `c` (the
    /// common case of a character that starts none costs one bit test).
    first: Vec<u64>,
    /// Every domain word of three or more characters, packed ([`pack`]): a
    /// run is looked up as a number, not hashed as a string.
    longer: FxSet<u128>,
}

/// The characters [`Cover::first`] and [`Syllables`] index directly: the
/// CJK unified ideographs and extension A (nearly every character typed).
const FIRST_BASE: u32 = 0x3400;
const TABLE_END: u32 = 0xA000;

fn pair(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 21) | u64::from(b as u32)
}

/// Up to six characters as one number, 21 bits each (all of Unicode).
fn pack(chars: impl Iterator<Item = char>) -> u128 {
    chars.fold(0u128, |k, c| (k << 21) | u128::from(c as u32))
}

impl Cover {
    pub(super) fn new<'a>(words: impl Iterator<Item = &'a [char]>) -> Cover {
        let mut starts: FxMap<u64, u8> = FxMap::default();
        let mut first = vec![0u64; (TABLE_END - FIRST_BASE).div_ceil(64) as usize];
        let mut longer: FxSet<u128> = FxSet::default();
        for w in words {
            if w.len() < 2 || w.len() > MAX_WORD_CHARS {
                continue;
            }
            *starts.entry(pair(w[0], w[1])).or_default() |= 1 << w.len();
            if w.len() > 2 {
                longer.insert(pack(w.iter().copied()));
            }
            let c = w[0] as u32;
            if (FIRST_BASE..TABLE_END).contains(&c) {
                let b = (c - FIRST_BASE) as usize;
                first[b / 64] |= 1 << (b % 64);
            }
        }
        Cover { starts, first, longer }
    }

    fn may_start(&self, c: char) -> bool {
        let c = c as u32;
        if (FIRST_BASE..TABLE_END).contains(&c) {
            let b = (c - FIRST_BASE) as usize;
            self.first[b / 64] >> (b % 64) & 1 == 1
        } else {
            true
        }
    }

    /// Marks in `covered` (one entry per character of `chars`, all 0) the
    /// domain words of the text whose `char_indices` are `chars`, numbered
    /// from 1 in order, as an Aho-Corasick search with leftmost-longest
    /// semantics over the words finds them: from each position on, the
    /// longest word that starts at the first position any word starts at,
    /// then on after it.
    pub(super) fn mark(&self, chars: &[(usize, char)], covered: &mut [u32]) {
        let n = chars.len();
        let mut id = 0u32;
        let mut i = 0;
        while i + 1 < n {
            let c = chars[i].1;
            let lens = if self.may_start(c) { self.starts.get(&pair(c, chars[i + 1].1)).copied().unwrap_or(0) } else { 0 };
            let found = if lens == 0 {
                0
            } else {
                (2..=MAX_WORD_CHARS.min(n - i)).rev().find(|&len| lens >> len & 1 == 1 && (len == 2 || self.longer.contains(&pack(chars[i..i + len].iter().map(|&(_, c)| c))))).unwrap_or(0)
            };
            if found == 0 {
                i += 1;
                continue;
            }
            id += 1;
            for x in &mut covered[i..i + found] {
                *x = id;
            }
            i += found;
        }
    }
}

/// A set of characters tested with one bit for the common ideographs (the
/// look-alikes: every character of every question is tested).
pub(super) struct CharSet {
    bits: Vec<u64>,
    others: FxSet<char>,
}

impl CharSet {
    pub(super) fn new(chars: impl Iterator<Item = char>) -> CharSet {
        let mut set = CharSet { bits: vec![0u64; (TABLE_END - FIRST_BASE).div_ceil(64) as usize], others: FxSet::default() };
        for c in chars {
            let x = c as u32;
            if (FIRST_BASE..TABLE_END).contains(&x) {
                let b = (x - FIRST_BASE) as usize;
                set.bits[b / 64] |= 1 << (b % 64);
            } else {
                set.others.insert(c);
            }
        }
        set
    }

    #[inline]
    pub(super) fn contains(&self, c: char) -> bool {
        let x = c as u32;
        if (FIRST_BASE..TABLE_END).contains(&x) {
            let b = (x - FIRST_BASE) as usize;
            self.bits[b / 64] >> (b % 64) & 1 == 1
        } else {
            !self.others.is_empty() && self.others.contains(&c)
        }
    }
}

/// Each ideograph's syllable id (0: none a domain word has), looked up the
/// slow way the first time a question has the character and kept: a table
/// filled at build would read the `pinyin` crate's data for all 27,648
/// characters, a megabyte more resident for characters nobody types.
pub(super) struct Syllables {
    table: Vec<AtomicU16>,
}

/// A slot of [`Syllables`] not looked up yet (no syllable id is this large:
/// ids count the syllables of domain words).
const UNSET: u16 = u16::MAX;

impl Syllables {
    pub(super) fn new() -> Syllables {
        Syllables { table: (FIRST_BASE..TABLE_END).map(|_| AtomicU16::new(UNSET)).collect() }
    }

    /// The syllable id of `c`: from the table when it holds `c`, else (or
    /// the first time) `id_of(c)`, the slow way.
    pub(super) fn get(&self, c: char, id_of: impl Fn(char) -> u16) -> u16 {
        let x = c as u32;
        if !(FIRST_BASE..TABLE_END).contains(&x) {
            return id_of(c);
        }
        let slot = &self.table[(x - FIRST_BASE) as usize];
        match slot.load(Ordering::Relaxed) {
            UNSET => {
                // Threads racing here store the same value.
                let id = id_of(c);
                slot.store(id, Ordering::Relaxed);
                id
            }
            id => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use aho_corasick::{AhoCorasick, MatchKind};

    use super::super::{Repairer, syllable_id};
    use super::*;
    use crate::sample;
    use crate::search::Analyzer;
    use crate::text::normalize;

    /// What the Aho-Corasick automaton this replaced marked: its matches,
    /// leftmost-longest, numbered from 1, on the characters they span.
    fn marked_by_automaton(ac: &AhoCorasick, text: &str, chars: &[(usize, char)]) -> Vec<u32> {
        let mut covered = vec![0u32; chars.len()];
        for (id, m) in ac.find_iter(text).enumerate() {
            for (k, &(b, _)) in chars.iter().enumerate() {
                if b >= m.start() && b < m.end() {
                    covered[k] = id as u32 + 1;
                }
            }
        }
        covered
    }

    #[test]
    fn cover_marks_what_a_leftmost_longest_automaton_over_the_domain_words_marks() {
        let (k, asked) = sample::seed_and_regression_questions();
        let analyzer = Analyzer::new(&k);
        let r = Repairer::new(&k, &analyzer);
        let ac = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(r.words.iter().map(|w| w.text.as_str())).unwrap();
        let wordings: Vec<&String> = k.faq.iter().flat_map(|e| &e.questions).collect();
        // Every question, and wordings run together (words across the seam).
        let mut texts: Vec<String> = asked.iter().chain(wordings.iter().copied()).map(|q| normalize(q)).collect();
        texts.extend(wordings.windows(2).map(|w| normalize(&format!("{}{}", w[0], w[1])).replace(' ', "")));
        texts.extend(r.words.iter().map(|w| format!("{}{}", w.text, w.text)));
        let mut words_found = 0;
        for t in &texts {
            let chars: Vec<(usize, char)> = t.char_indices().collect();
            let mut covered = vec![0u32; chars.len()];
            r.cover.mark(&chars, &mut covered);
            assert_eq!(covered, marked_by_automaton(&ac, t, &chars), "{t}");
            words_found += covered.iter().max().copied().unwrap_or(0);
        }
        assert!(words_found > 1000, "{words_found} domain words found");
    }

    #[test]
    fn the_lookalike_set_holds_exactly_the_characters_with_a_lookalike() {
        let (k, asked) = sample::seed_and_regression_questions();
        let analyzer = Analyzer::new(&k);
        let r = Repairer::new(&k, &analyzer);
        assert!(!r.lookalikes.is_empty(), "the seed has look-alikes");
        let mut tested = 0;
        for c in asked.iter().flat_map(|q| q.chars()).chain(r.lookalikes.keys().copied()).chain(['𠀀', 'a', '1', '\u{3400}', '\u{9fff}', '\u{a000}']) {
            assert_eq!(r.has_lookalike.contains(c), r.lookalikes.contains_key(&c), "{c}");
            tested += 1;
        }
        let outside = CharSet::new(['𠀀', 'é'].into_iter());
        assert!(outside.contains('𠀀') && outside.contains('é') && !outside.contains('中'));
        assert!(tested > 1000, "{tested} characters tested");
    }

    #[test]
    fn the_syllable_table_holds_each_ideographs_syllable() {
        let (k, _) = sample::seed_and_regression_questions();
        let analyzer = Analyzer::new(&k);
        let r = Repairer::new(&k, &analyzer);
        let slow = |c| syllable_id(&r.syllables, c);
        let mut known = 0;
        // Twice: filling the slot, then reading it.
        for _ in 0..2 {
            for c in (FIRST_BASE..TABLE_END).filter_map(char::from_u32).chain(['\u{20000}', '\u{F900}']) {
                let id = r.syllable_table.get(c, slow);
                assert_eq!(id, slow(c), "{c}");
                assert_ne!(id, UNSET);
                known += usize::from(id != 0);
            }
        }
        assert!(known > 2 * 5000, "{known} characters read as a domain syllable");
    }
}
