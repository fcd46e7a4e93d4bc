//! The analyzer: normalise, segment with jieba, map synonyms to their
//! canonical word, drop stop words. The tantivy index and the FAQ matcher use
//! the very same analyzer, so a question and a document always meet on the
//! same terms.

use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::fx::{FxMap, FxSet};
use crate::knowledge::Knowledge;
use crate::text::normalize;

/// Filler phrases cut out before segmenting: jieba glues them to their
/// neighbours ("一共建了" becomes 一/共建/了), which hides the real word.
const STRIP_BEFORE_SEGMENTING: &[&str] = &["一共", "总共", "请问"];

/// One word of a question with the sub-words jieba's search mode finds in it
/// ("办手续" → "手续"): the group counts once, however many of its parts match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermGroup {
    /// The word as segmented, canonicalised.
    pub full: String,
    /// Its canonicalised sub-words, without the full word and stop words
    /// (shared with the analyzer's memo: a question's words are not copied).
    pub subs: Arc<[String]>,
}

/// Segments and canonicalises text. Cheap to clone: the dictionary is shared.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    canon: Arc<FxMap<String, String>>,
    stop: Arc<FxSet<String>>,
    /// What the analyzer was made of (see [`Analyzer::key`]).
    key: u64,
    /// The sub-words of words questions are expected to hold (see
    /// [`Analyzer::remembering_sub_words`]), as [`Analyzer::sub_words`]
    /// finds them: a word looked up here is not segmented again.
    sub_words: Arc<FxMap<String, Arc<[String]>>>,
    /// No sub-words (most words), shared: an empty list costs no allocation.
    no_subs: Arc<[String]>,
}

impl Analyzer {
    /// Loads jieba's dictionary (about 120 ms and 40 MB: do it once per
    /// knowledge version, never per question) and adds the domain words:
    /// the lexicon's user words, every synonym, station and place names.
    pub fn new(knowledge: &Knowledge) -> Analyzer {
        Analyzer::open(knowledge, None)
    }

    /// [`Analyzer::new`], with jieba's dictionary read from `data_dir` when
    /// it was kept there for these domain words, else built and kept there
    /// (see [`super::kept_jieba`]).
    pub fn open(knowledge: &Knowledge, data_dir: Option<&std::path::Path>) -> Analyzer {
        let (words, stop, canon) = inputs(knowledge);
        let jieba = super::kept_jieba::load_or_build(&words, data_dir);
        let key = inputs_key(&words, &stop, &canon);
        Analyzer { jieba: Arc::new(jieba), canon: Arc::new(canon.into_iter().collect()), stop: Arc::new(stop.into_iter().collect()), key, sub_words: Arc::default(), no_subs: Arc::from(Vec::new()) }
    }

    /// A hash of everything the analyzer is made of (the domain words given
    /// to jieba in their order, the stop words, the synonyms): two analyzers
    /// with the same key segment every text alike, so what was segmented
    /// with one (the article index, the station terms) serves the other.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// [`Analyzer::key`] of the analyzer `knowledge` would make, without
    /// loading jieba's dictionary: a reload whose key did not change keeps
    /// the analyzer it has.
    pub fn key_of(knowledge: &Knowledge) -> u64 {
        let (words, stop, canon) = inputs(knowledge);
        inputs_key(&words, &stop, &canon)
    }

    /// The jieba dictionary (with the domain words added), shared.
    pub fn jieba(&self) -> &Jieba {
        &self.jieba
    }

    /// The raw jieba segmentation of normalised text (default mode), for tests
    /// and for `union-bot check`.
    pub fn segment(&self, text: &str) -> Vec<String> {
        let n = normalize(text);
        self.jieba.cut(&n, true).into_iter().map(|t| t.word.to_string()).filter(|w| w.trim() != "").collect()
    }

    /// The matching terms of a text: search-mode jieba tokens (a long word also
    /// yields its sub-words), canonicalised, without stop words and
    /// punctuation, each once, in order of first appearance.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.analyze_with(text, |part, t, _| {
            if part == Part::Term {
                out.push(t.to_string());
            }
        });
        out
    }

    /// The words of a text as groups (see [`TermGroup`]), each once.
    pub fn term_groups(&self, text: &str) -> Vec<TermGroup> {
        self.question(text).1
    }

    /// Every part of a text at once (see [`Part`]): for the index, the terms
    /// tantivy gets (repetitions kept) and those the matcher does not use;
    /// for the matcher, the distinct terms and the canonical words of the
    /// default-mode cut. This is the one way text is segmented; the other
    /// functions of the analyzer collect what they need of it.
    pub fn analyze(&self, text: &str) -> Analyzed {
        let mut out = Analyzed::default();
        self.analyze_with(text, |part, t, _| {
            let to = match part {
                Part::Index => &mut out.index_terms,
                Part::IndexOnly => &mut out.index_only,
                Part::Word => &mut out.words,
                Part::Term => &mut out.terms,
            };
            to.push(t.to_string());
        });
        out
    }

    /// The canonical segmentation: one search-mode jieba pass over the
    /// prepared text, each part handed to `emit` as it is found (index terms
    /// in order, a term where it first appears), canonical, with the word as
    /// jieba cut it. Building a 100,000-passage index segmented every text
    /// three times before; this does it once, and strings are made only by
    /// the callers that keep them.
    ///
    /// Search mode emits each default-mode word right after its 2- and
    /// 3-character sub-words (`jieba_rs::Jieba::cut_for_search`), so the
    /// default-mode words are the tokens no later token contains.
    pub fn analyze_with(&self, text: &str, emit: impl FnMut(Part, &str, &str)) {
        self.analyze_prepared(&prepare(text), emit);
    }

    fn analyze_prepared(&self, n: &str, mut emit: impl FnMut(Part, &str, &str)) {
        let tokens = self.jieba.cut_for_search(n, true);
        let is_word = default_words(&tokens);
        // A sentence has a few dozen terms: a list beats a hash set.
        let mut seen: Vec<&str> = Vec::with_capacity(32);
        for (t, word) in tokens.iter().zip(is_word) {
            let w = t.word;
            if !has_alnum(w) {
                continue;
            }
            let canon = self.canon.get(w).map(String::as_str);
            let c = canon.unwrap_or(w);
            if self.stop.contains(c) {
                continue;
            }
            emit(Part::Index, c, w);
            // A word that is its own canonical form was just looked up.
            if canon.is_some() && self.stop.contains(w) {
                emit(Part::IndexOnly, c, w);
                continue;
            }
            if word {
                emit(Part::Word, c, w);
            }
            if w.trim() != "" && !seen.contains(&c) {
                seen.push(c);
                emit(Part::Term, c, w);
            }
        }
    }

    /// A question's matching terms ([`Analyzer::terms`]) and its words as
    /// groups ([`Analyzer::term_groups`]) from one segmentation: the engine
    /// needs both for every question.
    pub fn question(&self, text: &str) -> (Vec<String>, Vec<TermGroup>) {
        self.question_prepared(&prepare(text))
    }

    /// [`Analyzer::question`] of a text already normalised ([`normalize`]),
    /// which is not normalised again.
    pub fn question_normalized(&self, norm: &str) -> (Vec<String>, Vec<TermGroup>) {
        self.question_prepared(&strip_before_segmenting(norm.to_string()))
    }

    fn question_prepared(&self, n: &str) -> (Vec<String>, Vec<TermGroup>) {
        // Sized for a question's words (a few dozen bytes a word), not grown word by word.
        let words = (n.len() / 4 + 1).min(64);
        let mut terms = Vec::with_capacity(words);
        let mut groups: Vec<TermGroup> = Vec::with_capacity(words);
        self.analyze_prepared(n, |part, c, w| match part {
            Part::Word if !groups.iter().any(|g| g.full == c) => groups.push(TermGroup { full: c.to_string(), subs: self.sub_words(w, c) }),
            Part::Term => terms.push(c.to_string()),
            _ => {}
        });
        (terms, groups)
    }

    /// This analyzer, remembering the sub-words of every word of more than
    /// two characters in `texts` (the FAQ's wordings, the lexicon): a
    /// question's words are nearly all among them, and each would otherwise
    /// be segmented again, on its own, for every question that holds it. The
    /// sub-words are the same either way; what it remembered before is
    /// forgotten.
    pub fn remembering_sub_words<'a>(mut self, texts: impl IntoIterator<Item = &'a str>) -> Analyzer {
        let mut memo: FxMap<String, Arc<[String]>> = FxMap::default();
        for text in texts {
            self.analyze_with(text, |part, c, w| {
                if part == Part::Word && w.chars().count() > 2 && !memo.contains_key(w) {
                    memo.insert(w.to_string(), self.segment_sub_words(w, c));
                }
            });
        }
        self.sub_words = Arc::new(memo);
        self
    }

    /// The canonical sub-words of a word of more than two characters (search
    /// mode on the word alone), without the word itself and stop words.
    fn sub_words(&self, w: &str, full: &str) -> Arc<[String]> {
        match self.sub_words.get(w) {
            Some(subs) => subs.clone(),
            None => self.segment_sub_words(w, full),
        }
    }

    /// [`Analyzer::sub_words`], segmenting the word.
    fn segment_sub_words(&self, w: &str, full: &str) -> Arc<[String]> {
        let mut subs: Vec<String> = Vec::new();
        if w.chars().count() > 2 {
            for sub in self.jieba.cut_for_search(w, true) {
                let c = self.canon.get(sub.word).map(String::as_str).unwrap_or(sub.word);
                if sub.word != w && c != full && !self.stop.contains(c) && !subs.iter().any(|s| s == c) {
                    subs.push(c.to_string());
                }
            }
        }
        if subs.is_empty() { self.no_subs.clone() } else { subs.into() }
    }

    /// Whether jieba keeps `word` as one token.
    pub fn keeps_whole(&self, word: &str) -> bool {
        let n = normalize(word);
        self.jieba.cut(&n, true).len() == 1
    }
}

/// Which search-mode tokens are words of the default-mode cut: jieba emits
/// each word right after its 2- and 3-character sub-words, so they are the
/// tokens that no later token contains.
fn default_words(tokens: &[jieba_rs::Token<'_>]) -> Vec<bool> {
    let mut is_word = vec![false; tokens.len()];
    let mut cover: Option<(usize, usize)> = None;
    for (i, t) in tokens.iter().enumerate().rev() {
        let inside = cover.is_some_and(|(s, e)| s <= t.start && t.end <= e && t.end - t.start < e - s);
        if !inside {
            is_word[i] = true;
            cover = Some((t.start, t.end));
        }
    }
    is_word
}

/// Whether a word has a letter or a digit (CJK ideographs, nearly every
/// character we see, without the Unicode table look-up).
fn has_alnum(w: &str) -> bool {
    w.chars().any(|c| matches!(c, '\u{4E00}'..='\u{9FFF}') || c.is_alphanumeric())
}

/// What [`Analyzer::analyze_with`] hands over, each with its canonical term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// A term tantivy indexes (repetitions kept).
    Index,
    /// An indexed term that is not a matching term (also given as `Index`).
    IndexOnly,
    /// A canonical default-mode word.
    Word,
    /// A distinct matching term.
    Term,
}

/// What [`Analyzer::analyze`] finds in a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analyzed {
    /// The terms tantivy indexes, repetitions kept.
    pub index_terms: Vec<String>,
    /// The distinct matching terms, in order of first appearance.
    pub terms: Vec<String>,
    /// Indexed terms that are not matching terms (a stop word whose
    /// canonical word is not one): tantivy has them, the matcher does not.
    pub index_only: Vec<String>,
    /// The canonical default-mode words (not stop words), repetitions kept.
    pub words: Vec<String>,
}

/// Scope keys: one per district (by its names and aliases in places.yaml), one
/// for Beijing as a whole and one for the whole country. A question or a text
/// names a scope when one of its words (see [`TermGroup::full`]) is a key here.
pub fn scope_terms(knowledge: &Knowledge, analyzer: &Analyzer) -> FxMap<String, u8> {
    const BEIJING: u8 = 200;
    const COUNTRY: u8 = 201;
    let mut out = FxMap::default();
    let mut add = |name: &str, key: u8| {
        for g in analyzer.term_groups(name) {
            out.entry(g.full).or_insert(key);
        }
    };
    for (i, p) in knowledge.places.iter().filter(|p| p.is_district()).enumerate() {
        let key = i.min(199) as u8;
        for n in std::iter::once(&p.name).chain(&p.aliases) {
            add(n, key);
        }
    }
    for n in ["北京", "北京市", "全市", "首都", "本市"] {
        add(n, BEIJING);
    }
    for n in ["全国", "全国总工会"] {
        add(n, COUNTRY);
    }
    out
}

/// What an analyzer is made of: the domain words jieba gets (the lexicon's
/// user words, every synonym, station and place names, normalised, in this
/// order), the stop words and the canonical map.
#[allow(clippy::type_complexity)]
fn inputs(knowledge: &Knowledge) -> (Vec<String>, Vec<String>, Vec<(String, String)>) {
    let lex = &knowledge.lexicon;
    let mut words: Vec<&str> = Vec::new();
    words.extend(lex.user_words.iter().map(String::as_str));
    for (canon, variants) in &lex.synonyms {
        words.push(canon);
        words.extend(variants.iter().map(String::as_str));
    }
    for s in &knowledge.stations {
        words.push(&s.name);
        words.extend(s.aliases.iter().map(String::as_str));
    }
    for p in &knowledge.places {
        words.push(&p.name);
        words.extend(p.aliases.iter().map(String::as_str));
    }
    let words = words
        .into_iter()
        .map(normalize)
        // Only whole words: a phrase with a space would never be one jieba token.
        .filter(|n| n.chars().count() >= 2 && !n.contains(' '))
        .collect();
    let mut stop: Vec<String> = lex.stopwords.iter().map(|w| normalize(w)).filter(|w| !w.is_empty()).collect();
    stop.sort_unstable();
    stop.dedup();
    let mut canon: Vec<(String, String)> = lex.canonical_map().into_iter().collect();
    canon.sort_unstable();
    (words, stop, canon)
}

fn inputs_key(words: &[String], stop: &[String], canon: &[(String, String)]) -> u64 {
    use std::hash::Hasher;
    let mut h = super::fx::FxHasher::default();
    let mut put = |s: &str| {
        h.write(s.as_bytes());
        // Never part of UTF-8: no two lists of strings hash as one.
        h.write_u8(0xff);
    };
    for w in words {
        put(w);
    }
    put("\u{0}stop");
    for w in stop {
        put(w);
    }
    put("\u{0}canon");
    for (a, b) in canon {
        put(a);
        put(b);
    }
    h.finish()
}

/// Normalises and cuts out filler phrases (see [`STRIP_BEFORE_SEGMENTING`]).
fn prepare(text: &str) -> String {
    strip_before_segmenting(normalize(text))
}

fn strip_before_segmenting(mut n: String) -> String {
    for p in STRIP_BEFORE_SEGMENTING {
        if n.contains(p) {
            n = n.replace(p, " ");
        }
    }
    n
}

/// The name of the tokenizer of the index's fields: they hold terms the
/// analyzer already made, joined by [`TERM_SEPARATOR`], and tantivy only
/// splits them. Segmenting is the costly part of building an index; this way
/// it happens once per sentence, on every core, and never again in tantivy.
pub const TERMS_TOKENIZER: &str = "union_terms";

/// Separates the terms of a field's text. Normalised text never holds a
/// control character, so no term does.
pub const TERM_SEPARATOR: char = '\u{1f}';

/// Splits a field's text into the terms it joins (see [`TERMS_TOKENIZER`]).
#[derive(Clone, Default)]
pub struct TermsTokenizer {
    token: Token,
}

impl Tokenizer for TermsTokenizer {
    type TokenStream<'a> = SplitTerms<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SplitTerms<'a> {
        self.token.reset();
        SplitTerms { rest: text.split(TERM_SEPARATOR), token: &mut self.token, position: 0 }
    }
}

/// The terms of a field's text, one token each.
pub struct SplitTerms<'a> {
    rest: std::str::Split<'a, char>,
    token: &'a mut Token,
    position: usize,
}

impl TokenStream for SplitTerms<'_> {
    fn advance(&mut self) -> bool {
        for t in self.rest.by_ref() {
            if t.is_empty() {
                continue;
            }
            self.token.text.clear();
            self.token.text.push_str(t);
            self.token.position = self.position;
            self.token.position_length = 1;
            self.position += 1;
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use jieba_rs::TokenizeMode;

    use super::*;

    fn seed() -> (Knowledge, Analyzer) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let (k, _) = Knowledge::load(&dir).expect("the seed knowledge loads");
        let a = Analyzer::new(&k);
        (k, a)
    }

    /// The three segmentations the analyzer had before its one canonical
    /// pass (search-mode terms, index terms, default-mode word groups), kept
    /// here to check that pass against.
    fn old_terms(a: &Analyzer, text: &str) -> Vec<String> {
        let n = prepare(text);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for tok in a.jieba.tokenize(&n, TokenizeMode::Search, true) {
            let w = tok.word;
            if w.trim().is_empty() || !has_alnum(w) {
                continue;
            }
            let c = a.canon.get(w).map(String::as_str).unwrap_or(w);
            if a.stop.contains(c) || a.stop.contains(w) {
                continue;
            }
            if seen.insert(c.to_string()) {
                out.push(c.to_string());
            }
        }
        out
    }

    fn old_index_terms(a: &Analyzer, text: &str) -> Vec<String> {
        let n = prepare(text);
        a.jieba
            .tokenize(&n, TokenizeMode::Search, true)
            .into_iter()
            .filter(|t| has_alnum(t.word))
            .map(|t| a.canon.get(t.word).cloned().unwrap_or_else(|| t.word.to_string()))
            .filter(|w| !a.stop.contains(w))
            .collect()
    }

    fn old_term_groups(a: &Analyzer, text: &str) -> Vec<TermGroup> {
        let canonical = |w: &str| a.canon.get(w).cloned().unwrap_or_else(|| w.to_string());
        let n = prepare(text);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for tok in a.jieba.cut(&n, true) {
            let w = tok.word;
            if !has_alnum(w) {
                continue;
            }
            let full = canonical(w);
            let mut subs = Vec::new();
            if w.chars().count() > 2 {
                for sub in a.jieba.cut_for_search(w, true) {
                    let c = canonical(sub.word);
                    if sub.word != w && c != full && !a.stop.contains(&c) && !subs.contains(&c) {
                        subs.push(c);
                    }
                }
            }
            if a.stop.contains(&full) || a.stop.contains(w) {
                continue;
            }
            if seen.insert(full.clone()) {
                out.push(TermGroup { full, subs: subs.into() });
            }
        }
        out
    }

    /// The one pass gives what each of the three old segmentations gave, and
    /// a question's terms and groups are those of the one pass.
    #[test]
    fn the_one_pass_agrees_with_the_three_old_segmentations() {
        let (k, a) = seed();
        let mut texts: Vec<String> = Vec::new();
        for art in &k.articles {
            texts.push(art.title.clone());
            texts.extend(art.subtitle.clone());
            for p in &art.paragraphs {
                texts.push(p.clone());
                texts.extend(crate::text::sentences(p).into_iter().map(str::to_string));
            }
        }
        for e in &k.faq {
            texts.extend(e.questions.iter().cloned());
            texts.push(e.answer.clone());
        }
        texts.push("请问一共有多少个驿站 A-b 3.5%".into());
        let (_, asked) = crate::sample::seed_and_regression_questions();
        texts.extend(crate::sample::question_mix(&asked, &k, 400, 3));
        for t in &texts {
            let got = a.analyze(t);
            assert_eq!(got.terms, old_terms(&a, t), "terms of {t}");
            assert_eq!(got.index_terms, old_index_terms(&a, t), "index terms of {t}");
            assert_eq!(a.term_groups(t), old_term_groups(&a, t), "groups of {t}");
            let mut seen = HashSet::new();
            let words: Vec<String> = got.words.into_iter().filter(|w| seen.insert(w.clone())).collect();
            let groups: Vec<String> = old_term_groups(&a, t).into_iter().map(|g| g.full).collect();
            assert_eq!(words, groups, "words of {t}");
            assert_eq!(a.question(t), (old_terms(&a, t), old_term_groups(&a, t)), "question {t}");
            assert_eq!(a.question_normalized(&normalize(t)), a.question(t), "normalised question {t}");
        }
    }

    /// The sub-words an analyzer remembers are those it would find: every
    /// question reads the same with the memo as without, whether its words
    /// are remembered or not.
    #[test]
    fn remembered_sub_words_are_the_ones_segmenting_finds() {
        let (k, a) = seed();
        let remembered: Vec<&str> = k.faq.iter().flat_map(|e| e.questions.iter().map(String::as_str)).collect();
        let m = a.clone().remembering_sub_words(remembered.iter().copied());
        assert!(!m.sub_words.is_empty(), "nothing remembered");
        assert!(m.sub_words.values().any(|subs| !subs.is_empty()), "no remembered word has sub-words");
        let (_, asked) = crate::sample::seed_and_regression_questions();
        let mut texts = crate::sample::question_mix(&asked, &k, 400, 5);
        texts.extend(remembered.iter().map(|q| q.to_string()));
        texts.extend(k.articles.iter().map(|art| art.title.clone()));
        let mut hits = 0;
        for t in &texts {
            assert_eq!(m.question(t), a.question(t), "question {t}");
            hits += usize::from(a.question(t).1.iter().any(|g| m.sub_words.values().any(|subs| !subs.is_empty() && *subs == g.subs)));
        }
        assert!(hits > 0, "no question used a remembered word with sub-words");
        // A new memo replaces the old one.
        let none = m.remembering_sub_words(std::iter::empty());
        assert!(none.sub_words.is_empty());
    }

    #[test]
    fn the_terms_tokenizer_splits_what_the_analyzer_joined() {
        let (k, a) = seed();
        let para = &k.articles[0].paragraphs[0];
        let terms = a.analyze(para).index_terms;
        let joined = terms.join(&TERM_SEPARATOR.to_string());
        let mut tok = TermsTokenizer::default();
        let mut stream = tok.token_stream(&joined);
        let mut got = Vec::new();
        while stream.advance() {
            got.push((stream.token().text.clone(), stream.token().position));
        }
        assert_eq!(got, terms.into_iter().enumerate().map(|(i, t)| (t, i)).collect::<Vec<_>>());
    }

    /// The index segments a paragraph sentence by sentence: jieba never
    /// joins words across the punctuation that ends a sentence.
    #[test]
    fn a_paragraph_is_its_sentences() {
        let (k, a) = seed();
        for p in k.articles.iter().flat_map(|art| &art.paragraphs) {
            let sentences: Vec<Analyzed> = crate::text::sentences(p).into_iter().map(|s| a.analyze(s)).collect();
            let index: Vec<String> = sentences.iter().flat_map(|s| s.index_terms.iter().cloned()).collect();
            assert_eq!(index, a.analyze(p).index_terms, "index terms of {p}");
            let mut union: Vec<String> = sentences.iter().flat_map(|s| s.terms.iter().cloned()).collect();
            union.sort();
            union.dedup();
            let mut whole = a.terms(p);
            whole.sort();
            assert_eq!(union, whole, "terms of {p}");
        }
    }
}
