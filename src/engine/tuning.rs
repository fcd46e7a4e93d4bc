//! [`Tuning`]: every threshold and weight the engine decides by, each said
//! once. The engine reads one `Tuning` ([`Default`] is the calibrated one);
//! tests and the benchmark may build an engine with another
//! ([`super::Engine::with_tuning`]).
//!
//! The figures were calibrated on the yardstick and `tests/data/questions.yaml`:
//! change one, then run `union-bot eval` on both and `union-bot check`.

/// Every threshold and weight of the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    // --- Deciding (README step 5) ---
    /// Below this score nothing is answered: the fallback is shown instead.
    pub min_score: f32,
    /// At or above `min_score`, an answer is confident when it leads the next
    /// different candidate by at least this much; below that lead, the
    /// candidates within it (and scoring at least `min_score - min_margin`)
    /// are offered as "您是不是想问…".
    pub min_margin: f32,
    /// In a fallback, FAQ entries scoring at least this are offered as the
    /// closest topics (articles are not: a passage that shares a word or two
    /// with an off-topic question is no topic to offer).
    pub suggest_score: f32,
    /// How many close alternatives a doubtful answer offers.
    pub doubtful_suggestions: usize,
    /// How many closest topics a fallback offers.
    pub fallback_suggestions: usize,

    // --- Weighing the words (README step 2) ---
    /// A word's weight is its inverse document frequency over FAQ entries and
    /// passages, at least this.
    pub min_idf: f32,
    /// A single character says little on its own: its weight is multiplied by this.
    pub single_char_weight: f32,
    /// Unknown words (in no FAQ entry, passage or station) weigh this share of
    /// the rarest known word: enough that a question about something else is
    /// not answered, not so much that one generic word ("手续") sinks a good match.
    pub unknown_weight_share: f32,
    /// A question word (多少, 哪里) tells what kind of answer is wanted, not
    /// what about: it steers the choice but its weight is multiplied by this.
    pub question_word_weight: f32,
    /// A long message's words besides the part that asks (a filler, a
    /// self-introduction, a story; see `asking.rs`) weigh this share of
    /// their weight, when the knowledge has them at all.
    pub aside_weight: f32,
    /// How much of a word counts when only one of its sub-words matches (in
    /// proportion to the sub-word's own weight, at most the word's).
    pub sub_word_credit: f32,
    /// A matched word weighing at least this counts as a word in common (a
    /// passage window needs two of them).
    pub matched_word_weight: f32,

    // --- Penalties, FAQ entries and passages alike (README step 4) ---
    /// A candidate that shares only question words and context words with a
    /// question ("手机" with the joining entry, "多少" with a figures entry)
    /// has its score multiplied by this.
    pub off_topic_penalty: f32,
    /// A candidate about another place than the one asked about has its
    /// score multiplied by this.
    pub scope_penalty: f32,
    /// A FAQ entry that answers another kind of question than the one asked
    /// (the steps for 怎么, whether for 能不能, a place for 哪里, a time for
    /// 几点, a figure for 多少; see `qtype.rs`) has its score multiplied by this.
    pub question_type_penalty: f32,
    /// A whether-question ("驿站能寄存快递吗") whose best candidate covers less
    /// than this share of what follows its modal word (能, 可以; topic words
    /// only) gets the fallback: the knowledge does not say (see `focus.rs`).
    pub min_focus_coverage: f32,

    // --- FAQ entries (README step 4) ---
    /// A wording's score: this times the share of the question it covers …
    pub wording_covers: f32,
    /// … plus this times the share of the wording the question says.
    pub wording_said: f32,
    /// An entry's score: this times its best wording's score …
    pub entry_best_wording: f32,
    /// … plus this times the share of the question all its wordings (and its
    /// topic) cover together …
    pub entry_all_wordings: f32,
    /// … plus this times the share of the question its answer covers.
    pub entry_answer: f32,
    /// A question worded exactly as an entry lists it scores at least 1 plus this.
    pub exact_wording_bonus: f32,

    // --- Article passages (README step 4) ---
    /// Passages fetched from tantivy per question.
    pub article_candidates: usize,
    /// Article answers weigh a little less than FAQ entries an editor wrote:
    /// a passage's score is multiplied by this.
    pub article_discount: f32,
    /// A passage's score: this times the share of the question the whole
    /// passage (with its title) covers …
    pub passage_whole: f32,
    /// … plus this times its best window's score.
    pub passage_window: f32,
    /// A window's score: this times the share of the question it covers with
    /// the article's title …
    pub window_with_title: f32,
    /// … plus this times the share its sentences alone cover (the title
    /// counts for the score, but the sentences alone choose which to show).
    pub window_own: f32,
    /// A window sharing fewer than two words with the question, or none that
    /// names the topic, has its score multiplied by this: one word in common
    /// is a coincidence, not an answer.
    pub coincidence_penalty: f32,
    /// The matched weight at which a question is specific enough for a
    /// passage to answer it in full (a rare word weighs about 4, a common one
    /// 1); below it, a window's score is scaled down in proportion. A short,
    /// general question ("驿站提供什么服务") is matched by many paragraphs in
    /// passing; an article answers only a question specific enough to point at it.
    pub article_specific_weight: f32,
    /// A two-sentence window costs this much, so that the shorter wins a tie.
    pub longer_window_cost: f32,
    /// Each place down tantivy's (BM25) list costs a passage this much: BM25
    /// order breaks ties.
    pub bm25_rank_cost: f32,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            min_score: 0.46,
            min_margin: 0.06,
            suggest_score: 0.3,
            doubtful_suggestions: 2,
            fallback_suggestions: 3,
            min_idf: 0.05,
            single_char_weight: 0.4,
            unknown_weight_share: 0.6,
            question_word_weight: 0.5,
            aside_weight: 0.15,
            sub_word_credit: 0.7,
            matched_word_weight: 0.5,
            off_topic_penalty: 0.5,
            scope_penalty: 0.7,
            question_type_penalty: 0.8,
            min_focus_coverage: 0.5,
            wording_covers: 0.6,
            wording_said: 0.4,
            entry_best_wording: 0.6,
            entry_all_wordings: 0.25,
            entry_answer: 0.15,
            exact_wording_bonus: 0.05,
            article_candidates: 24,
            article_discount: 0.9,
            passage_whole: 0.4,
            passage_window: 0.6,
            window_with_title: 0.5,
            window_own: 0.5,
            coincidence_penalty: 0.5,
            article_specific_weight: 5.0,
            longer_window_cost: 0.02,
            bm25_rank_cost: 0.002,
        }
    }
}

impl Tuning {
    /// The score under which a candidate cannot change the answer, given the
    /// best candidate so far (`leader`; `f32::MIN` when there is none yet): it
    /// can be neither the answer, nor its rival (within `min_margin`), nor a
    /// suggestion beside a doubtful answer (`min_score - min_margin`), nor,
    /// for a FAQ entry (`faq`) while the best so far is below `min_score`,
    /// one of the fallback's suggestions (`suggest_score`). The best so far
    /// only grows, so this only rises.
    pub fn irrelevant_below(&self, leader: f32, faq: bool) -> f32 {
        if leader == f32::MIN {
            return f32::MIN;
        }
        let suggested = if faq && leader < self.min_score { self.suggest_score } else { self.min_score - self.min_margin };
        (leader - self.min_margin).min(suggested)
    }

    /// The weight of a term given its inverse document frequency: single
    /// characters say little on their own.
    pub fn term_weight(&self, term: &str, idf: f32) -> f32 {
        let chars = term.chars().count();
        let w = idf.max(self.min_idf);
        if chars == 1 { w * self.single_char_weight } else { w }
    }
}

