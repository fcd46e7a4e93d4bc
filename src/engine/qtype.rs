//! What kind of answer a question wants (README step 4): 怎么/如何 asks for
//! the steps, 能不能/可以吗 whether, 哪里 where, 几点 when, 多少 how many.
//! The words are `synonyms.yaml`'s `question_types:`
//! ([`crate::knowledge::QuestionTypeWords`]). A FAQ entry answers the types
//! its editor lists (`answers:`), or else those most of its wordings ask; an
//! entry that answers other types than the question's has its score multiplied by [`super::Tuning::question_type_penalty`].

use aho_corasick::{AhoCorasick, MatchKind};

use crate::knowledge::{FaqEntry, QuestionTypeWords};
use crate::text;

/// A set of question types, one bit each in the order of
/// [`QuestionTypeWords::NAMES`].
pub(super) type Types = u8;

/// The "whether" type (能不能, 可以吗).
pub(super) const WHETHER: Types = 1 << 1;

/// Reads the question types off a normalised text in one automaton pass.
pub(super) struct TypeFinder {
    finder: Option<AhoCorasick>,
    types: Vec<Types>,
}

impl TypeFinder {
    pub(super) fn new(words: &QuestionTypeWords) -> TypeFinder {
        let mut list: Vec<String> = Vec::new();
        let mut types: Vec<Types> = Vec::new();
        for (bit, (_, ws)) in words.lists().iter().enumerate() {
            for w in ws.iter().map(|w| text::normalize(w)).filter(|w| !w.is_empty()) {
                match list.iter().position(|x| *x == w) {
                    Some(at) => types[at] |= 1 << bit,
                    None => {
                        list.push(w);
                        types.push(1 << bit);
                    }
                }
            }
        }
        let finder = (!list.is_empty()).then(|| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&list).expect("question type words build an automaton"));
        TypeFinder { finder, types }
    }

    /// The type a normalised question asks (0: none read). A question that
    /// asks for steps, a place, a time or a figure asks that, whether or not
    /// it ends in 吗: "入会需要去哪里办手续吗" wants the place.
    pub(super) fn read(&self, norm: &str) -> Types {
        let Some(f) = &self.finder else { return 0 };
        let found = f.find_overlapping_iter(norm).fold(0, |acc, m| acc | self.types[m.pattern().as_usize()]);
        if found & !WHETHER != 0 { found & !WHETHER } else { found }
    }

    /// `norm` without its question-type words: an entry's topic ("怎么入会")
    /// lent to a follow-up ("要钱吗") gives its subject, not its type.
    pub(super) fn strip(&self, norm: &str) -> String {
        let Some(f) = &self.finder else { return norm.to_string() };
        let mut out = String::with_capacity(norm.len());
        let mut at = 0;
        for m in f.find_iter(norm) {
            out.push_str(&norm[at..m.start()]);
            out.push(' ');
            at = m.end();
        }
        out.push_str(&norm[at..]);
        out
    }

    /// The types an entry answers: those its editor lists, or else those
    /// that two of its wordings ask at least.
    pub(super) fn of_entry(&self, e: &FaqEntry) -> Types {
        if !e.answers.is_empty() {
            return e.answers.iter().filter_map(|a| QuestionTypeWords::NAMES.iter().position(|n| n == a)).fold(0, |acc, b| acc | 1 << b);
        }
        let mut counts = [0usize; 8];
        for q in &e.questions {
            let t = self.read(&text::normalize(q));
            for (b, c) in counts.iter_mut().enumerate() {
                *c += usize::from(t >> b & 1 == 1);
            }
        }
        let need = 2;
        counts.iter().enumerate().filter(|(_, c)| **c >= need).fold(0, |acc, (b, _)| acc | 1 << b)
    }
}

/// The "steps" type (怎么, 如何).
pub(super) const STEPS: Types = 1;

/// Whether a FAQ wording of type `wording` is another question than one of
/// type `asked` on the same topic: the question asks how, the wording
/// whether ("手机能入会吗" for "外卖小哥怎么加入工会"). The other way round is
/// no clash: the steps answer whether it can be done.
pub(super) fn clash(asked: Types, wording: Types) -> bool {
    asked & STEPS != 0 && wording & (STEPS | WHETHER) == WHETHER
}

/// Whether an entry that answers `entry` fits a question asking `asked`
/// (either unknown: it fits). Any entry may answer yes or no: only a question
/// for the steps, a place, a time or a figure is held to its type.
pub(super) fn fits(asked: Types, entry: Types) -> bool {
    asked & !WHETHER == 0 || entry == 0 || asked & entry != 0
}
