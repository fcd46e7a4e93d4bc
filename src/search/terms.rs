//! [`PassageTerms`]: what the matcher needs of every passage and title, built
//! in the same jieba pass that feeds tantivy and kept beside the index.
//!
//! The matcher scores the best sentence window of each passage tantivy
//! returns; for that it needs each sentence's distinct terms and the scopes
//! (districts, Beijing, the country) it names, and for weighing a question's
//! words, how many passages hold each term. Terms are stored once, as ids into
//! one vocabulary, and each sentence's ids sit sorted in one shared array.

use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

use super::analyzer::{Analyzed, Analyzer, Part, TERM_SEPARATOR};
use super::fx::FxMap;
use crate::knowledge::Knowledge;

/// A passage segmented for the index (on a worker thread), its terms kept
/// in a few strings rather than a string each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PassageText {
    /// The body's index terms, joined by [`TERM_SEPARATOR`].
    pub(super) body: String,
    /// Each sentence's distinct terms and indexed-only terms, each followed
    /// by [`TERM_SEPARATOR`].
    pub(super) terms: String,
    pub(super) index_only: String,
    pub(super) scopes: Vec<u8>,
    /// Per sentence: byte range in the paragraph, and the end of its part of
    /// `terms`, `index_only` and `scopes`.
    pub(super) sentences: Vec<(Range<usize>, usize, usize, usize)>,
}

/// An article's title segmented for the index: the matcher reads title and
/// subtitle as one text; tantivy indexes them as two values of the title field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TitleText {
    /// The index terms of each value of the title field (title, subtitle).
    pub(super) values: Vec<Vec<String>>,
    /// The distinct matching terms of title and subtitle read as one text.
    pub(super) terms: Vec<String>,
    /// The scope keys that text names, sorted.
    pub(super) scopes: Vec<u8>,
}

/// Segments an article's title (and subtitle).
pub(super) fn segment_title(analyzer: &Analyzer, article: &crate::knowledge::Article, scopes: &FxMap<String, u8>) -> TitleText {
    let mut joined = article.title.clone();
    let mut values = vec![analyzer.analyze(&article.title).index_terms];
    if let Some(s) = &article.subtitle {
        joined.push(' ');
        joined.push_str(s);
        values.push(analyzer.analyze(s).index_terms);
    }
    let joined: Analyzed = analyzer.analyze(&joined);
    TitleText { values, scopes: scopes_of(&joined.words, scopes), terms: joined.terms }
}

/// Terms joined for the term splitter.
pub(super) fn join(terms: &[String]) -> String {
    let mut out = String::with_capacity(terms.iter().map(|t| t.len() + 1).sum());
    for t in terms {
        if !out.is_empty() {
            out.push(TERM_SEPARATOR);
        }
        out.push_str(t);
    }
    out
}

/// Segments a paragraph sentence by sentence: jieba never joins words across
/// the punctuation that ends a sentence, so the body's terms are the
/// sentences' terms in order, as if the paragraph had been segmented whole.
pub(super) fn segment(analyzer: &Analyzer, para: &str, scopes: &FxMap<String, u8>) -> PassageText {
    let mut p = PassageText { body: String::with_capacity(para.len()), terms: String::new(), index_only: String::new(), scopes: Vec::new(), sentences: Vec::new() };
    for s in crate::text::sentences(para) {
        let start = s.as_ptr() as usize - para.as_ptr() as usize;
        let first_scope = p.scopes.len();
        analyzer.analyze_with(s, |part, t, _| match part {
            Part::Index => {
                if !p.body.is_empty() {
                    p.body.push(TERM_SEPARATOR);
                }
                p.body.push_str(t);
            }
            Part::IndexOnly => {
                p.index_only.push_str(t);
                p.index_only.push(TERM_SEPARATOR);
            }
            Part::Term => {
                p.terms.push_str(t);
                p.terms.push(TERM_SEPARATOR);
            }
            Part::Word => p.scopes.extend(scopes.get(t)),
        });
        let own = &mut p.scopes[first_scope..];
        own.sort_unstable();
        let kept = {
            let mut k = 0;
            for i in 0..own.len() {
                if i == 0 || own[i] != own[k - 1] {
                    own[k] = own[i];
                    k += 1;
                }
            }
            k
        };
        p.scopes.truncate(first_scope + kept);
        p.sentences.push((start..start + s.len(), p.terms.len(), p.index_only.len(), p.scopes.len()));
    }
    p
}

fn scopes_of(words: &[String], scopes: &FxMap<String, u8>) -> Vec<u8> {
    let mut v: Vec<u8> = words.iter().filter_map(|w| scopes.get(w).copied()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A term the matcher compares (in a sentence's or a title's term set).
const MATCH: u8 = 1;
/// A term tantivy indexed in the body field.
const BODY: u8 = 2;
/// A term tantivy indexed in the title field.
const TITLE: u8 = 4;

/// One sentence of a passage.
#[derive(Debug, Clone, Copy)]
pub struct Sentence<'a> {
    /// Byte range in the paragraph.
    pub range: (usize, usize),
    /// Its distinct terms, as sorted vocabulary ids.
    pub terms: &'a [u32],
    /// The scope keys it names, sorted.
    pub scopes: &'a [u8],
}

impl Sentence<'_> {
    pub fn range(&self) -> Range<usize> {
        self.range.0..self.range.1
    }
}

/// Every passage's sentences and every title, as term ids, with the
/// vocabulary and the passage frequency of each term.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassageTerms {
    vocab: Vec<String>,
    roles: Vec<u8>,
    /// Passages whose term set (all its sentences) holds the term.
    df: Vec<u32>,
    /// Passage `p`'s sentences are `first[p]..first[p + 1]`.
    first: Vec<u32>,
    /// Per sentence: byte range in the paragraph, end of its ids and scopes.
    starts: Vec<u32>,
    ends: Vec<u32>,
    ids_end: Vec<u32>,
    scopes_end: Vec<u32>,
    ids: Vec<u32>,
    scopes: Vec<u8>,
    /// Per article: end of its title's ids and scopes.
    title_ids_end: Vec<u32>,
    title_scopes_end: Vec<u32>,
    title_ids: Vec<u32>,
    title_scopes: Vec<u8>,
    /// Term → id (built on load, never saved).
    lookup: FxMap<String, u32>,
}

impl PassageTerms {
    /// The number of terms in the vocabulary (the ids are `0..len`).
    pub fn vocab_len(&self) -> usize {
        self.vocab.len()
    }

    pub fn term(&self, id: u32) -> &str {
        &self.vocab[id as usize]
    }

    /// The id of any term of the vocabulary.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.lookup.get(term).copied()
    }

    /// Whether tantivy indexed `term` in the title field, in the body field.
    pub fn indexed(&self, term: &str) -> (bool, bool) {
        match self.lookup.get(term) {
            Some(&id) => {
                let r = self.roles[id as usize];
                (r & TITLE != 0, r & BODY != 0)
            }
            None => (false, false),
        }
    }

    /// How many passages hold the term.
    pub fn df(&self, id: u32) -> u32 {
        self.df.get(id as usize).copied().unwrap_or(0)
    }

    pub fn num_passages(&self) -> usize {
        self.first.len().saturating_sub(1)
    }

    /// Whether the matcher compares this term (it is in some sentence or title).
    pub fn is_matching(&self, id: u32) -> bool {
        self.roles.get(id as usize).is_some_and(|r| r & MATCH != 0)
    }

    /// The sentences of passage `pid`.
    pub fn sentences(&self, pid: usize) -> impl ExactSizeIterator<Item = Sentence<'_>> + '_ {
        self.sentence_ids(pid).map(move |k| self.sentence(k))
    }

    /// The numbers of passage `pid`'s sentences (for [`PassageTerms::sentence`]).
    pub fn sentence_ids(&self, pid: usize) -> Range<usize> {
        self.first[pid] as usize..self.first[pid + 1] as usize
    }

    /// Sentence number `k` (of all passages).
    pub fn sentence(&self, k: usize) -> Sentence<'_> {
        let ids_start = if k == 0 { 0 } else { self.ids_end[k - 1] as usize };
        let scopes_start = if k == 0 { 0 } else { self.scopes_end[k - 1] as usize };
        Sentence {
            range: (self.starts[k] as usize, self.ends[k] as usize),
            terms: &self.ids[ids_start..self.ids_end[k] as usize],
            scopes: &self.scopes[scopes_start..self.scopes_end[k] as usize],
        }
    }

    /// The terms and scopes of article `a`'s title (with its subtitle).
    pub fn title(&self, a: usize) -> (&[u32], &[u8]) {
        let ids_start = if a == 0 { 0 } else { self.title_ids_end[a - 1] as usize };
        let scopes_start = if a == 0 { 0 } else { self.title_scopes_end[a - 1] as usize };
        (&self.title_ids[ids_start..self.title_ids_end[a] as usize], &self.title_scopes[scopes_start..self.title_scopes_end[a] as usize])
    }

    /// Whether these terms were built from this knowledge's articles (the
    /// fingerprint already says so; this guards against a damaged file).
    pub fn fits(&self, knowledge: &Knowledge) -> bool {
        let passages = super::passages(knowledge);
        self.title_ids_end.len() == knowledge.articles.len()
            && self.num_passages() == passages.len()
            && passages.iter().enumerate().all(|(pid, p)| {
                let para = &knowledge.articles[p.article].paragraphs[p.paragraph];
                self.sentences(pid).all(|s| s.range.1 <= para.len() && para.is_char_boundary(s.range.0) && para.is_char_boundary(s.range.1))
            })
    }

    /// Saves the terms (little-endian arrays with their lengths).
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut out = Vec::with_capacity(16 + self.ids.len() * 4 + self.vocab.iter().map(|t| t.len() + 4).sum::<usize>());
        out.extend_from_slice(MAGIC);
        let mut text_ends = Vec::with_capacity(self.vocab.len());
        let mut text = Vec::new();
        for t in &self.vocab {
            text.extend_from_slice(t.as_bytes());
            text_ends.push(text.len() as u32);
        }
        put_u8s(&mut out, &text);
        put_u32s(&mut out, &text_ends);
        put_u8s(&mut out, &self.roles);
        for v in [&self.df, &self.first, &self.starts, &self.ends, &self.ids_end, &self.scopes_end, &self.ids] {
            put_u32s(&mut out, v);
        }
        put_u8s(&mut out, &self.scopes);
        put_u32s(&mut out, &self.title_ids_end);
        put_u32s(&mut out, &self.title_scopes_end);
        put_u32s(&mut out, &self.title_ids);
        put_u8s(&mut out, &self.title_scopes);
        std::fs::write(path, out).with_context(|| format!("{}: cannot write", path.display()))
    }

    /// Reads what [`PassageTerms::write`] saved.
    pub fn read(path: &Path) -> Result<PassageTerms> {
        let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let mut r: &[u8] = &bytes;
        ensure!(r.starts_with(MAGIC), "{}: not a passage terms file", path.display());
        r = &r[MAGIC.len()..];
        let text = get_u8s(&mut r)?;
        let text_ends = get_u32s(&mut r)?;
        let mut vocab = Vec::with_capacity(text_ends.len());
        let mut start = 0usize;
        for &e in &text_ends {
            let e = e as usize;
            ensure!(start <= e && e <= text.len(), "{}: damaged vocabulary", path.display());
            vocab.push(std::str::from_utf8(&text[start..e]).context("a term is not UTF-8")?.to_string());
            start = e;
        }
        let mut t = PassageTerms { vocab, roles: get_u8s(&mut r)?, ..Default::default() };
        t.df = get_u32s(&mut r)?;
        t.first = get_u32s(&mut r)?;
        t.starts = get_u32s(&mut r)?;
        t.ends = get_u32s(&mut r)?;
        t.ids_end = get_u32s(&mut r)?;
        t.scopes_end = get_u32s(&mut r)?;
        t.ids = get_u32s(&mut r)?;
        t.scopes = get_u8s(&mut r)?;
        t.title_ids_end = get_u32s(&mut r)?;
        t.title_scopes_end = get_u32s(&mut r)?;
        t.title_ids = get_u32s(&mut r)?;
        t.title_scopes = get_u8s(&mut r)?;
        ensure!(r.is_empty(), "{}: trailing bytes", path.display());
        t.check().with_context(|| format!("{}: damaged", path.display()))?;
        t.lookup = t.vocab.iter().enumerate().map(|(i, s)| (s.clone(), i as u32)).collect();
        Ok(t)
    }

    /// Checks that every range and id points inside its array.
    fn check(&self) -> Result<()> {
        let n = self.vocab.len();
        ensure!(self.roles.len() == n && self.df.len() == n, "vocabulary arrays differ in length");
        let k = self.starts.len();
        ensure!(self.ends.len() == k && self.ids_end.len() == k && self.scopes_end.len() == k, "sentence arrays differ in length");
        ensure!(!self.first.is_empty() && self.first[0] == 0, "no passages");
        ensure!(self.first.windows(2).all(|w| w[0] <= w[1]) && *self.first.last().unwrap() as usize == k, "bad passage bounds");
        ensure!(ascending_within(&self.ids_end, self.ids.len()) && ascending_within(&self.scopes_end, self.scopes.len()), "bad sentence bounds");
        ensure!(self.starts.iter().zip(&self.ends).all(|(s, e)| s <= e), "bad sentence range");
        ensure!(self.title_ids_end.len() == self.title_scopes_end.len(), "title arrays differ in length");
        ensure!(ascending_within(&self.title_ids_end, self.title_ids.len()) && ascending_within(&self.title_scopes_end, self.title_scopes.len()), "bad title bounds");
        if self.ids.iter().chain(&self.title_ids).any(|&id| id as usize >= n) {
            bail!("a term id is out of range");
        }
        Ok(())
    }
}

const MAGIC: &[u8] = b"union-bot passage terms 1\n";

fn ascending_within(ends: &[u32], len: usize) -> bool {
    ends.windows(2).all(|w| w[0] <= w[1]) && ends.last().is_none_or(|&e| e as usize == len)
}

fn put_u32s(out: &mut Vec<u8>, v: &[u32]) {
    out.extend_from_slice(&(v.len() as u64).to_le_bytes());
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

fn put_u8s(out: &mut Vec<u8>, v: &[u8]) {
    out.extend_from_slice(&(v.len() as u64).to_le_bytes());
    out.extend_from_slice(v);
}

fn take<'a>(r: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    ensure!(r.len() >= n, "the file ends too early");
    let (head, tail) = r.split_at(n);
    *r = tail;
    Ok(head)
}

fn get_len(r: &mut &[u8]) -> Result<usize> {
    let b = take(r, 8)?;
    Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
}

fn get_u32s(r: &mut &[u8]) -> Result<Vec<u32>> {
    let n = get_len(r)?;
    let b = take(r, n.checked_mul(4).context("length overflow")?)?;
    Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
}

fn get_u8s(r: &mut &[u8]) -> Result<Vec<u8>> {
    let n = get_len(r)?;
    Ok(take(r, n)?.to_vec())
}

/// Builds [`PassageTerms`] passage by passage, in passage id order.
pub(super) struct Builder {
    t: PassageTerms,
    /// Per term: 1 + the last passage counted in its `df`.
    last: Vec<u32>,
    /// A sentence's ids, reused.
    ids: Vec<u32>,
}

impl Builder {
    pub(super) fn new(knowledge: &Knowledge) -> Builder {
        let mut t = PassageTerms::default();
        t.first.push(0);
        t.title_ids_end.reserve(knowledge.articles.len());
        // The vocabulary grows with the corpus, about a new term per passage
        // or two: room for it up front spares rehashing a large map.
        let passages: usize = knowledge.articles.iter().map(|a| a.paragraphs.len()).sum();
        t.lookup.reserve(passages.min(1 << 21));
        Builder { t, last: Vec::new(), ids: Vec::with_capacity(64) }
    }

    fn intern(&mut self, term: &str, role: u8) -> u32 {
        let id = match self.t.lookup.get(term) {
            Some(&id) => id,
            None => {
                let id = self.t.vocab.len() as u32;
                self.t.vocab.push(term.to_string());
                self.t.lookup.insert(term.to_string(), id);
                self.t.roles.push(0);
                self.t.df.push(0);
                self.last.push(0);
                id
            }
        };
        self.t.roles[id as usize] |= role;
        id
    }

    /// Adds the next article's title.
    pub(super) fn add_title(&mut self, title: &TitleText) {
        for v in &title.values {
            for t in v {
                self.intern(t, TITLE);
            }
        }
        let mut ids: Vec<u32> = title.terms.iter().map(|t| self.intern(t, MATCH)).collect();
        ids.sort_unstable();
        ids.dedup();
        self.t.title_ids.extend(ids);
        self.t.title_ids_end.push(self.t.title_ids.len() as u32);
        self.t.title_scopes.extend_from_slice(&title.scopes);
        self.t.title_scopes_end.push(self.t.title_scopes.len() as u32);
    }

    /// Adds the next passage, segmented.
    pub(super) fn add_passage(&mut self, text: &PassageText) {
        let pid = self.t.num_passages() as u32;
        let (mut terms_at, mut only_at, mut scopes_at) = (0, 0, 0);
        for (range, terms_end, only_end, scopes_end) in &text.sentences {
            let mut ids = std::mem::take(&mut self.ids);
            ids.clear();
            for t in text.terms[terms_at..*terms_end].split_terminator(TERM_SEPARATOR) {
                ids.push(self.intern(t, MATCH | BODY));
            }
            for t in text.index_only[only_at..*only_end].split_terminator(TERM_SEPARATOR) {
                self.intern(t, BODY);
            }
            (terms_at, only_at) = (*terms_end, *only_end);
            ids.sort_unstable();
            ids.dedup();
            for &id in &ids {
                if self.last[id as usize] != pid + 1 {
                    self.last[id as usize] = pid + 1;
                    self.t.df[id as usize] += 1;
                }
            }
            self.t.ids.extend_from_slice(&ids);
            self.ids = ids;
            self.t.ids_end.push(self.t.ids.len() as u32);
            self.t.scopes.extend_from_slice(&text.scopes[scopes_at..*scopes_end]);
            scopes_at = *scopes_end;
            self.t.scopes_end.push(self.t.scopes.len() as u32);
            self.t.starts.push(range.start as u32);
            self.t.ends.push(range.end as u32);
        }
        self.t.first.push(self.t.starts.len() as u32);
    }

    pub(super) fn finish(self) -> PassageTerms {
        self.t
    }
}
