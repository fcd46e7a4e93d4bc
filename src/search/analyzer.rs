//! The analyzer: normalise, segment with jieba, map synonyms to their
//! canonical word, drop stop words. The tantivy index and the FAQ matcher use
//! the very same analyzer, so a question and a document always meet on the
//! same terms.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jieba_rs::{Jieba, TokenizeMode};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::knowledge::Knowledge;
use crate::text::normalize;

/// The name under which the jieba tokenizer is registered in tantivy. Used by
/// the schema and by [`super::register_tokenizer`] alike.
pub const TOKENIZER_NAME: &str = "union_jieba";

/// Filler phrases cut out before segmenting: jieba glues them to their
/// neighbours ("一共建了" becomes 一/共建/了), which hides the real word.
const STRIP_BEFORE_SEGMENTING: &[&str] = &["一共", "总共", "请问"];

/// One word of a question with the sub-words jieba's search mode finds in it
/// ("办手续" → "手续"): the group counts once, however many of its parts match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermGroup {
    /// The word as segmented, canonicalised.
    pub full: String,
    /// Its canonicalised sub-words, without the full word and stop words.
    pub subs: Vec<String>,
}

/// Segments and canonicalises text. Cheap to clone: the dictionary is shared.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    canon: Arc<HashMap<String, String>>,
    stop: Arc<HashSet<String>>,
}

impl Analyzer {
    /// Loads jieba's dictionary (about 120 ms and 40 MB: do it once per
    /// knowledge version, never per question) and adds the domain words:
    /// the lexicon's user words, every synonym, station and place names.
    pub fn new(knowledge: &Knowledge) -> Analyzer {
        let mut jieba = Jieba::new();
        let lex = &knowledge.lexicon;
        let mut words: Vec<String> = Vec::new();
        words.extend(lex.user_words.iter().cloned());
        for (canon, variants) in &lex.synonyms {
            words.push(canon.clone());
            words.extend(variants.iter().cloned());
        }
        for s in &knowledge.stations {
            words.push(s.name.clone());
            words.extend(s.aliases.iter().cloned());
        }
        for p in &knowledge.places {
            words.push(p.name.clone());
            words.extend(p.aliases.iter().cloned());
        }
        for w in words {
            let n = normalize(&w);
            // Only whole words: a phrase with a space would never be one jieba token.
            if n.chars().count() >= 2 && !n.contains(' ') {
                jieba.add_word(&n, None, None);
            }
        }
        let stop = lex.stopwords.iter().map(|w| normalize(w)).filter(|w| !w.is_empty()).collect();
        Analyzer { jieba: Arc::new(jieba), canon: Arc::new(lex.canonical_map()), stop: Arc::new(stop) }
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
        let n = prepare(text);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for tok in self.jieba.tokenize(&n, TokenizeMode::Search, true) {
            let w = tok.word;
            if w.trim().is_empty() || !w.chars().any(|c| c.is_alphanumeric()) {
                continue;
            }
            let c = self.canon.get(w).map(String::as_str).unwrap_or(w);
            if self.stop.contains(c) || self.stop.contains(w) {
                continue;
            }
            if seen.insert(c.to_string()) {
                out.push(c.to_string());
            }
        }
        out
    }

    /// The same terms with repetitions kept, for indexing (term frequency
    /// matters to BM25).
    fn index_terms(&self, text: &str) -> Vec<String> {
        let n = prepare(text);
        self.jieba
            .tokenize(&n, TokenizeMode::Search, true)
            .into_iter()
            .filter(|t| t.word.chars().any(|c| c.is_alphanumeric()))
            .map(|t| self.canon.get(t.word).cloned().unwrap_or_else(|| t.word.to_string()))
            .filter(|w| !self.stop.contains(w))
            .collect()
    }

    /// The words of a question as groups (see [`TermGroup`]), each once.
    pub fn term_groups(&self, text: &str) -> Vec<TermGroup> {
        let n = prepare(text);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for tok in self.jieba.cut(&n, true) {
            let w = tok.word;
            if !w.chars().any(|c| c.is_alphanumeric()) {
                continue;
            }
            let full = self.canonical(w);
            let mut subs = Vec::new();
            if w.chars().count() > 2 {
                for sub in self.jieba.cut_for_search(w, true) {
                    let c = self.canonical(sub.word);
                    if sub.word != w && c != full && !self.stop.contains(&c) && !subs.contains(&c) {
                        subs.push(c);
                    }
                }
            }
            if self.stop.contains(&full) || self.stop.contains(w) {
                continue;
            }
            if seen.insert(full.clone()) {
                out.push(TermGroup { full, subs });
            }
        }
        out
    }

    fn canonical(&self, w: &str) -> String {
        self.canon.get(w).cloned().unwrap_or_else(|| w.to_string())
    }

    /// Whether jieba keeps `word` as one token.
    pub fn keeps_whole(&self, word: &str) -> bool {
        let n = normalize(word);
        self.jieba.cut(&n, true).len() == 1
    }
}

/// Normalises and cuts out filler phrases (see [`STRIP_BEFORE_SEGMENTING`]).
fn prepare(text: &str) -> String {
    let mut n = normalize(text);
    for p in STRIP_BEFORE_SEGMENTING {
        if n.contains(p) {
            n = n.replace(p, " ");
        }
    }
    n
}

/// The analyzer as a tantivy tokenizer. tantivy clones tokenizers freely; the
/// dictionary stays shared behind the `Arc`.
#[derive(Clone)]
pub struct JiebaTokenizer(pub Analyzer);

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = TermStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        let tokens = self
            .0
            .index_terms(text)
            .into_iter()
            .enumerate()
            .map(|(i, t)| Token { offset_from: 0, offset_to: 0, position: i, text: t, position_length: 1 })
            .collect();
        TermStream { tokens, next: 0 }
    }
}

/// A token stream over terms computed up front.
pub struct TermStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for TermStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}
