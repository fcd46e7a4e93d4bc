//! The answer engine: a worker's question in, a sourced [`Answer`] out.
//!
//! The pipeline, in order:
//! 1. normalise and segment the question ([`Analyzer::terms`]);
//! 2. a station named in the question → that station's details;
//! 3. a place plus a "where / nearby / rest" cue → the nearest stations to it;
//!    the cue without a place → ask for a location;
//! 4. otherwise score every FAQ entry and the best article passages on one
//!    scale (how much of the question's information they cover) and answer
//!    with the best one when it clears a calibrated bar, or fall back honestly.
//!
//! The engine knows nothing of Telegram: channels render [`Answer`] with
//! [`crate::reply`].

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::geo;
use crate::knowledge::{Knowledge, Problem, Station};
use crate::search::{Analyzer, ArticleIndex, FxMap, FxSet, Passage, PassageTerms, passages, scope_terms};
use crate::text;

/// Below this score nothing is answered: the fallback is shown instead.
pub const MIN_SCORE: f32 = 0.46;
/// At or above [`MIN_SCORE`], an answer is confident when it leads the next
/// different candidate by at least this much.
pub const MIN_MARGIN: f32 = 0.06;
/// In a fallback, FAQ entries scoring at least this are offered as the
/// closest topics (articles are not: a passage that shares a word or two
/// with an off-topic question is no topic to offer).
pub const SUGGEST_SCORE: f32 = 0.3;
/// Article answers weigh a little less than FAQ entries an editor wrote.
const ARTICLE_DISCOUNT: f32 = 0.9;
/// The matched weight at which a question is specific enough for an article
/// passage to answer it in full (a rare word weighs about 4, a common one 1).
const ARTICLE_SPECIFIC_WEIGHT: f32 = 5.0;
/// A candidate that shares only question words and context words with a
/// question ("手机" with the joining entry, "多少" with a figures entry) counts this much.
const OFF_TOPIC_PENALTY: f32 = 0.5;
/// A candidate about another place than the one asked about counts this much.
const SCOPE_PENALTY: f32 = 0.7;
/// Passages fetched from tantivy per question.
const ARTICLE_CANDIDATES: usize = 24;

/// What kind of reply this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Faq,
    Article,
    Station,
    Nearby,
    NeedLocation,
    OutsideBeijing,
    Greeting,
    Fallback,
    Empty,
}

/// A cited source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub title: String,
    pub path: String,
}

/// Something the worker may tap next: a FAQ entry, an article or a station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// A short reference the engine answers with [`Engine::answer_ref`]:
    /// `f:<faq id>`, `a:<article id>` or `s:<station id>` (ASCII, ≤ 48 bytes).
    pub key: String,
    pub label: String,
}

/// A station in a nearby answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationHit {
    pub id: String,
    pub name: String,
    pub address: String,
    pub district: String,
    pub distance_m: Option<f64>,
    pub lat: f64,
    pub lon: f64,
    pub hours: Option<String>,
    pub open_now: Option<bool>,
    pub services: Vec<String>,
    /// The coordinates are only district-level or area-level estimates.
    pub approximate: bool,
}

/// The engine's reply, before any rendering.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub kind: Kind,
    /// `faq:<id>`, `article:<id>`, `station:<id>`, `nearby`, `need_location`,
    /// `outside_beijing`, `greeting`; `None` for fallbacks.
    pub intent: Option<String>,
    pub confident: bool,
    pub score: f32,
    /// A heading for the answer (entry topic, article title, station name).
    pub title: Option<String>,
    /// The answer's text, plain, paragraphs separated by '\n'.
    pub body: String,
    pub sources: Vec<Source>,
    /// Close alternatives ("您是想问…") or, in a fallback, the closest topics.
    pub suggestions: Vec<Suggestion>,
    /// Related entries a worker may want next.
    pub follow_ups: Vec<Suggestion>,
    pub stations: Vec<StationHit>,
    /// The place the stations were looked up around, when typed.
    pub place: Option<String>,
    /// The notice shown above a station list ("5公里内没有…").
    pub note: Option<String>,
    /// The district the question was about, when it named a place (for /stats).
    pub district: Option<String>,
}

impl Answer {
    fn new(kind: Kind) -> Answer {
        Answer {
            kind,
            intent: None,
            confident: false,
            score: 0.0,
            title: None,
            body: String::new(),
            sources: Vec::new(),
            suggestions: Vec::new(),
            follow_ups: Vec::new(),
            stations: Vec::new(),
            place: None,
            note: None,
            district: None,
        }
    }

    /// Whether this is an honest "I don't know" (the unanswered log records these).
    pub fn is_fallback(&self) -> bool {
        matches!(self.kind, Kind::Fallback | Kind::Empty)
    }
}

/// Terms interned as ids, with their weights (inverse document frequency over
/// FAQ entries and passages). The index's vocabulary ([`PassageTerms`]) keeps
/// its own ids; terms only FAQ entries and stations use are numbered after it.
struct Vocab {
    /// Terms outside the index's vocabulary → id (from its length on).
    extra: FxMap<String, u32>,
    /// Which ids of the index's vocabulary the matcher knows: the terms of
    /// passages and titles, and those FAQ entries or stations use.
    known: Vec<bool>,
    weight: Vec<f32>,
    unknown_weight: f32,
}

impl Vocab {
    fn id(&self, terms: &PassageTerms, t: &str) -> Option<u32> {
        match terms.id(t) {
            Some(id) => self.known[id as usize].then_some(id),
            None => self.extra.get(t).copied(),
        }
    }
}

/// Numbers the terms of FAQ entries and stations while the engine is assembled.
struct Interner<'a> {
    terms: &'a PassageTerms,
    extra: FxMap<String, u32>,
    known: Vec<bool>,
}

impl Interner<'_> {
    fn id(&mut self, t: &str) -> u32 {
        if let Some(id) = self.terms.id(t) {
            self.known[id as usize] = true;
            return id;
        }
        if let Some(&id) = self.extra.get(t) {
            return id;
        }
        let id = (self.terms.vocab_len() + self.extra.len()) as u32;
        self.extra.insert(t.to_string(), id);
        id
    }

    fn set_of(&mut self, terms: &[String]) -> TermSet {
        let mut v: Vec<u32> = terms.iter().map(|t| self.id(t)).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

type TermSet = Vec<u32>;

struct FaqTerms {
    wordings: Vec<Wording>,
    union: TermSet,
    answer: TermSet,
    scopes: Vec<u8>,
}

thread_local! {
    /// One bit per term id, set for the ids of the question being scored
    /// (and cleared after): a FAQ wording's words are looked up in it.
    static QUESTION_IDS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The matcher's FAQ masks, reused from question to question.
    static FAQ_MASKS: std::cell::Cell<FaqMasks> = std::cell::Cell::new(FaqMasks::default());
}

/// One bit per probe of the question (see [`Query::probes`]) for each FAQ
/// wording (numbered across entries), entry's wordings together, and answer.
#[derive(Default)]
struct FaqMasks {
    wordings: Vec<u64>,
    unions: Vec<u64>,
    answers: Vec<u64>,
}

/// Which FAQ wordings (numbered across entries), entries' wordings and
/// entries' answers hold a term: a question's scoring visits only what it
/// touches.
#[derive(Default)]
struct FaqPostings {
    wordings: Vec<u32>,
    unions: Vec<u32>,
    answers: Vec<u32>,
}

/// One word of the question: its id (if any document has it), the ids of its
/// sub-words, and its weight.
struct QTerm {
    full: Option<u32>,
    /// The bit of `full` in a candidate's mask (see [`Query::probes`]).
    full_bit: Option<u16>,
    /// Sub-words with their own weights.
    subs: Vec<(u32, f32)>,
    /// The bits of `subs`, in the same order.
    sub_bits: Vec<u16>,
    /// `full_bit` and `sub_bits` as masks, when a mask is one word (at most
    /// 64 probes, nearly every question): a hit is then one or two ANDs.
    full_mask: u64,
    sub_mask: u64,
    weight: f32,
    /// A word that asks (多少, 哪里, 几点) or sets the scene (骑手, 手机)
    /// rather than names what is asked about.
    asks: bool,
}

/// How much of a word counts when only one of its sub-words matches.
const SUB_WORD_CREDIT: f32 = 0.7;

/// A question's words with their weights.
struct Query {
    terms: Vec<QTerm>,
    total: f32,
    /// Every id of the question, words and sub-words, sorted.
    flat: TermSet,
    /// The scopes (district, Beijing, nationwide) the question names.
    scopes: Vec<u8>,
    /// The ids a candidate is checked for, sorted: `flat` and the count term.
    /// A candidate is read once into a mask with bit `i` set when it holds
    /// `probes[i]`; every measure below is then a few bit tests.
    probes: Vec<u32>,
    /// The bit of the count term ("多少"), if the lexicon has one.
    count_bit: Option<u16>,
    /// u64 words in a mask.
    words: usize,
    /// Per probe: the most a candidate holding it can gain of the question's
    /// weight (summed over the words it is, or is a sub-word of), for
    /// [`Query::overlap_bound`].
    probe_gain: Vec<f32>,
    /// The probes of words that name the topic (not question or context
    /// words), as a mask.
    topic_mask: Vec<u64>,
    /// The question's matching terms, for the article search.
    search_terms: Vec<String>,
}

/// Buffers reused from passage to passage while a question is scored.
#[derive(Default)]
struct Scratch {
    /// Masks of the sentences, the title, the passage and a window.
    masks: Vec<u64>,
    /// Whether each sentence states a count.
    counts: Vec<bool>,
}

/// What a candidate (a mask) covers of a question.
#[derive(Clone, Copy)]
struct Covered {
    /// The question's weight it matches.
    overlap: f32,
    /// How many of the question's words it matches at all.
    matched: usize,
    /// Whether it matches a word that is not a question or context word.
    names_topic: bool,
}

fn has_bit(m: &[u64], bit: u16) -> bool {
    m[bit as usize / 64] >> (bit % 64) & 1 == 1
}

impl Query {
    /// How much of a word a candidate matches: all of it, or part of it
    /// through a sub-word, in proportion to that sub-word's own weight. `has`
    /// says whether the candidate holds a probe, given by bit and by id.
    fn hit_by(t: &QTerm, has: impl Fn(u16, u32) -> bool) -> f32 {
        if let (Some(id), Some(bit)) = (t.full, t.full_bit)
            && has(bit, id)
        {
            return 1.0;
        }
        let best_sub = t.subs.iter().zip(&t.sub_bits).filter(|((id, _), b)| has(**b, *id)).map(|((_, w), _)| *w).fold(0.0f32, f32::max);
        (best_sub / t.weight.max(1e-6)).min(1.0) * SUB_WORD_CREDIT
    }

    /// The question's weight that the sorted id set `set` matches.
    fn overlap(&self, set: &[u32]) -> f32 {
        self.terms.iter().map(|t| t.weight * Self::hit_by(t, |_, id| set.binary_search(&id).is_ok())).sum()
    }

    /// What the candidate with mask `m` covers of the question.
    fn covered(&self, m: &[u64]) -> Covered {
        let mut c = Covered { overlap: 0.0, matched: 0, names_topic: false };
        if m.iter().all(|&x| x == 0) {
            return c; // every hit is 0
        }
        let one = (self.words == 1).then(|| m[0]);
        for t in &self.terms {
            let h = match one {
                Some(m0) if m0 & t.full_mask != 0 => 1.0,
                Some(m0) if m0 & t.sub_mask == 0 => 0.0,
                _ => Self::hit_by(t, |b, _| has_bit(m, b)),
            };
            c.overlap += t.weight * h;
            if h > 0.0 {
                c.matched += usize::from(t.weight >= 0.5);
                c.names_topic |= !t.asks;
            }
        }
        c
    }

    /// An upper bound of `covered(m).overlap`, from the probes alone: each
    /// word a candidate matches gains at most what the probe it matches by
    /// can give (a little slack covers rounding).
    fn overlap_bound(&self, m: &[u64]) -> f32 {
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
    fn may_name_topic(&self, m: &[u64]) -> bool {
        m.iter().zip(&self.topic_mask).any(|(a, b)| a & b != 0)
    }

    /// The share of the question's weight that `overlap` is.
    ///
    /// Kept out of line: inlined into [`Engine::faq_entry_score`], the two
    /// coverages of an entry became one packed division (`divps`) whose
    /// unused lanes held stale stack bytes, and a quarter of that function's
    /// samples sat on it (perf annotate; denormal operands take a microcode
    /// assist). As a call it is one scalar division: answers p50 −10%.
    #[inline(never)]
    fn coverage_of(&self, overlap: f32) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        overlap / self.total
    }

    /// Sets in `out` the bits of the probes that the sorted id set `set` holds.
    fn mask_into(&self, set: &[u32], out: &mut [u64]) {
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

    fn weight_of(&self, id: u32) -> Option<f32> {
        self.terms.iter().find(|t| t.full == Some(id)).map(|t| t.weight)
    }

    /// Whether a candidate with these scopes answers about another place than
    /// the one asked about (朝阳 when the question says 北京).
    fn scope_conflict(&self, scopes: &[u8]) -> bool {
        !self.scopes.is_empty() && !scopes.is_empty() && !self.scopes.iter().any(|s| scopes.contains(s))
    }
}

/// A wording of a FAQ entry: its words (each with its sub-words) and their total weight.
struct Wording {
    flat: TermSet,
    groups: Vec<WordingWord>,
    total: f32,
}

/// A word of a FAQ wording, with its sub-words.
struct WordingWord {
    full: u32,
    subs: Vec<u32>,
    weight: f32,
}

impl WordingWord {
    /// How much of this word a question says: all of it, or part of it
    /// through a sub-word (in proportion to that sub-word's weight).
    /// `asked` says whether the question has a term id.
    fn said_by(&self, asked: impl Fn(u32) -> bool, weights: &[f32]) -> f32 {
        if asked(self.full) {
            return self.weight;
        }
        let best = self.subs.iter().filter(|id| asked(**id)).map(|&id| weights[id as usize]).fold(0.0f32, f32::max);
        best.min(self.weight) * SUB_WORD_CREDIT
    }
}

/// A scored candidate answer.
#[derive(Debug, Clone, Copy)]
enum Cand {
    Faq(usize),
    Passage(usize),
}

/// The answer engine over one version of the knowledge.
pub struct Engine {
    pub knowledge: Knowledge,
    analyzer: Analyzer,
    index: ArticleIndex,
    passages: Vec<Passage>,
    vocab: Vocab,
    faq_terms: Vec<FaqTerms>,
    /// Term id → the FAQ wordings, entries and answers that hold it.
    faq_postings: FxMap<u32, FaqPostings>,
    /// Entry `i`'s wordings are numbered from `wording_base[i]` on.
    wording_base: Vec<u32>,
    /// How many wordings all entries have.
    wording_count: usize,
    /// Finds the place a question names, in one pass over it.
    place_finder: geo::PlaceFinder,
    /// The stations by latitude, for nearest-station look-ups.
    station_index: geo::StationIndex,
    /// Station indexes by district (without 区), in station order.
    district_stations: HashMap<String, Vec<usize>>,
    /// Article and station ids → their index in the knowledge.
    article_by_id: FxMap<String, usize>,
    /// Questions that needed the article search (see [`Engine::article_searches`]).
    searches: std::sync::atomic::AtomicU64,
    station_by_id: FxMap<String, usize>,
    /// Finds station names and aliases (normalised, without 的) in a question,
    /// the longest first; `station_of` maps each pattern to its station. One
    /// pass over the question, however many stations are imported.
    station_names: aho_corasick::AhoCorasick,
    station_of: Vec<usize>,
    station_terms: Vec<TermSet>,
    /// The canonical term of "多少" (a question for a figure), if the lexicon has it.
    count_term: Option<u32>,
    /// Words that name a scope (a district, Beijing, the whole country) → scope key.
    scope_terms: FxMap<String, u8>,
    /// Canonical question words from the lexicon (多少, 地址, 开放时间…).
    question_words: FxSet<String>,
    /// Canonical context words from the lexicon (骑手, 手机, 电动车…).
    context_words: FxSet<String>,
    /// Every FAQ wording, normalised without spaces → its entry.
    exact_wordings: FxMap<String, usize>,
    /// Reads typos and romanised words as the domain words they stand for.
    repairer: crate::repair::Repairer,
}

impl Engine {
    /// Loads `knowledge_dir`, opens (or builds, when the knowledge changed) the
    /// index in `data_dir`, and prepares the matcher. Returns the warnings too.
    pub fn open(knowledge_dir: &Path, data_dir: &Path) -> Result<(Engine, Vec<Problem>)> {
        let (knowledge, warnings) = Knowledge::load(knowledge_dir)?;
        let analyzer = Analyzer::new(&knowledge);
        let (index, rebuilt) = ArticleIndex::open_or_build(&knowledge, &analyzer, data_dir)?;
        if rebuilt {
            tracing::info!(passages = index.num_docs(), "built the article index");
        }
        Ok((Engine::from_parts(knowledge, analyzer, index), warnings))
    }

    /// Builds an engine with the index in RAM (tests, benchmarks, `check`).
    pub fn in_ram(knowledge: Knowledge) -> Result<Engine> {
        let analyzer = Analyzer::new(&knowledge);
        let index = ArticleIndex::build_in_ram(&knowledge, &analyzer)?;
        Ok(Engine::from_parts(knowledge, analyzer, index))
    }

    /// Assembles an engine from loaded knowledge, its analyzer and its index.
    pub fn from_parts(knowledge: Knowledge, analyzer: Analyzer, index: ArticleIndex) -> Engine {
        let mut docs: Vec<TermSet> = Vec::new();
        let scope_terms = scope_terms(&knowledge, &analyzer);
        let scopes_of = |text: &str| -> Vec<u8> {
            let mut v: Vec<u8> = analyzer.term_groups(text).iter().filter_map(|g| scope_terms.get(&g.full).copied()).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        // Passages and titles were segmented when the index was built; their
        // terms keep the index's ids. FAQ entries and stations are few enough
        // to segment here.
        let store = index.terms();
        let mut ids = Interner { terms: store, extra: FxMap::default(), known: (0..store.vocab_len() as u32).map(|id| store.is_matching(id)).collect() };

        // FAQ wordings keep their word groups, weighed once the weights are known.
        let mut faq_groups: Vec<Vec<Vec<(u32, Vec<u32>)>>> = Vec::with_capacity(knowledge.faq.len());
        let mut faq_terms = Vec::with_capacity(knowledge.faq.len());
        for e in &knowledge.faq {
            let mut groups_of_entry = Vec::new();
            let mut wordings = Vec::new();
            for q in &e.questions {
                let groups: Vec<(u32, Vec<u32>)> = analyzer.term_groups(q).into_iter().map(|g| (ids.id(&g.full), ids.set_of(&g.subs))).collect();
                let flat = ids.set_of(&analyzer.terms(q));
                groups_of_entry.push(groups);
                wordings.push(Wording { flat, groups: Vec::new(), total: 0.0 });
            }
            let mut all_words: Vec<String> = e.questions.iter().flat_map(|q| analyzer.terms(q)).collect();
            all_words.extend(analyzer.terms(&e.topic));
            let union = ids.set_of(&all_words);
            let answer = ids.set_of(&analyzer.terms(&e.answer));
            let mut doc = union.clone();
            doc.extend(&answer);
            doc.sort_unstable();
            doc.dedup();
            docs.push(doc);
            let mut scopes: Vec<u8> = e.questions.iter().chain(std::iter::once(&e.topic)).flat_map(|q| scopes_of(q)).collect();
            scopes.sort_unstable();
            scopes.dedup();
            faq_groups.push(groups_of_entry);
            faq_terms.push(FaqTerms { wordings, union, answer, scopes });
        }

        let passages = passages(&knowledge);

        let mut station_names = Vec::new();
        let mut station_terms = Vec::with_capacity(knowledge.stations.len());
        for (i, s) in knowledge.stations.iter().enumerate() {
            for n in std::iter::once(&s.name).chain(&s.aliases) {
                let n = squeeze(&text::normalize(n));
                if n.chars().count() >= 3 {
                    station_names.push((n, i));
                }
            }
            let blob = format!("{} {} {} {} {} {}", s.name, s.aliases.join(" "), s.kind, s.services.join(" "), s.serves.join(" "), s.description);
            // Not a document for the weights: an imported list of 11,000
            // stations would otherwise make "驿站" and "喝水" weigh nothing.
            station_terms.push(ids.set_of(&analyzer.terms(&blob)));
        }
        let station_of: Vec<usize> = station_names.iter().map(|(_, i)| *i).collect();
        let station_names = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(station_names.iter().map(|(n, _)| n.as_str()))
            .expect("station names build an automaton");

        // Documents for the weights: FAQ entries and passages (their counts
        // come with the index).
        let n_docs = (docs.len() + passages.len()).max(1) as f32;
        let Interner { extra, known, .. } = ids;
        let n_ids = store.vocab_len() + extra.len();
        let mut df: Vec<u32> = (0..n_ids as u32).map(|id| store.df(id)).collect();
        for d in &docs {
            for &t in d {
                df[t as usize] += 1;
            }
        }
        let mut by_id: Vec<&str> = (0..store.vocab_len() as u32).map(|id| store.term(id)).collect();
        by_id.resize(n_ids, "");
        for (t, &i) in &extra {
            by_id[i as usize] = t;
        }
        let weight: Vec<f32> = df
            .iter()
            .zip(&by_id)
            .map(|(&d, t)| term_weight(t, ((n_docs + 1.0) / (d as f32 + 0.5)).ln()))
            .collect();
        let unknown_weight = UNKNOWN_WEIGHT_SHARE * ((n_docs + 1.0) / 0.5).ln();
        let vocab = Vocab { extra, known, weight, unknown_weight };
        for (f, groups_of_entry) in faq_terms.iter_mut().zip(faq_groups) {
            for (w, groups) in f.wordings.iter_mut().zip(groups_of_entry) {
                w.groups = groups
                    .into_iter()
                    .map(|(full, subs)| WordingWord { full, subs, weight: vocab.weight[full as usize] })
                    .collect();
                w.total = w.groups.iter().map(|g| g.weight).sum();
            }
        }
        let mut faq_postings: FxMap<u32, FaqPostings> = FxMap::default();
        let mut wording_base = Vec::with_capacity(faq_terms.len());
        let mut k = 0u32;
        for (i, f) in faq_terms.iter().enumerate() {
            wording_base.push(k);
            for w in &f.wordings {
                for &t in &w.flat {
                    faq_postings.entry(t).or_default().wordings.push(k);
                }
                k += 1;
            }
            for &t in &f.union {
                faq_postings.entry(t).or_default().unions.push(i as u32);
            }
            for &t in &f.answer {
                faq_postings.entry(t).or_default().answers.push(i as u32);
            }
        }
        let exact_wordings = knowledge
            .faq
            .iter()
            .enumerate()
            .flat_map(|(i, e)| e.questions.iter().map(move |q| (text::normalize(q).replace(' ', ""), i)))
            .collect();
        let context_words = knowledge.lexicon.context_words.iter().flat_map(|w| analyzer.terms(w)).collect();
        let question_words = knowledge.lexicon.question_words.iter().flat_map(|w| analyzer.terms(w)).collect();
        let count_term = analyzer.terms("多少").first().and_then(|t| vocab.id(store, t));
        let place_finder = geo::PlaceFinder::new(&knowledge.places);
        let station_index = geo::StationIndex::new(&knowledge.stations);
        let mut district_stations: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s) in knowledge.stations.iter().enumerate() {
            district_stations.entry(strip_district(&s.district).to_string()).or_default().push(i);
        }
        let article_by_id = knowledge.articles.iter().enumerate().rev().map(|(i, a)| (a.id.clone(), i)).collect();
        let station_by_id = knowledge.stations.iter().enumerate().rev().map(|(i, s)| (s.id.clone(), i)).collect();
        let repairer = crate::repair::Repairer::new(&knowledge, &analyzer);
        Engine {
            knowledge,
            analyzer,
            index,
            passages,
            vocab,
            faq_terms,
            faq_postings,
            wording_count: k as usize,
            wording_base,
            place_finder,
            station_index,
            district_stations,
            article_by_id,
            searches: std::sync::atomic::AtomicU64::new(0),
            station_by_id,
            station_names,
            station_of,
            station_terms,
            count_term,
            scope_terms,
            question_words,
            context_words,
            exact_wordings,
            repairer,
        }
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Answers a question at the current Beijing time.
    pub fn answer(&self, question: &str) -> Answer {
        self.answer_at(question, geo::beijing_minute_now())
    }

    /// Answers a question; `minute` (after midnight, Beijing time) decides "open now".
    pub fn answer_at(&self, question: &str, minute: u16) -> Answer {
        let question = text::clip(question, text::MAX_QUESTION_CHARS);
        let norm = text::normalize(question);
        let norm = self.repairer.repair(&norm);
        let place = self.place_finder.find(&norm).map(|i| &self.knowledge.places[i]);
        let mut answer = self.answer_normalized(&norm, place, minute);
        if answer.district.is_none() {
            answer.district = place.map(|p| if p.is_district() { p.name.clone() } else { p.district.clone() }).filter(|d| !d.is_empty());
        }
        answer
    }

    fn answer_normalized(&self, norm: &str, place: Option<&crate::knowledge::Place>, minute: u16) -> Answer {
        if norm.is_empty() {
            let mut a = Answer::new(Kind::Empty);
            a.suggestions = self.default_suggestions();
            return a;
        }
        if is_greeting(norm) {
            let mut a = Answer::new(Kind::Greeting);
            a.intent = Some("greeting".into());
            a.confident = true;
            a.score = 1.0;
            a.suggestions = self.default_suggestions();
            return a;
        }
        let cues = Cues::of(norm);

        if let Some(i) = self.named_station(norm)
            && !cues.counting
        {
            return self.station_answer(i, minute);
        }
        if let Some(place) = place
            && cues.wants_station_near(norm, place)
        {
            return self.place_answer(place, norm, minute);
        }
        if cues.nearby && cues.station && !cues.counting {
            let mut a = Answer::new(Kind::NeedLocation);
            a.intent = Some("need_location".into());
            a.confident = true;
            a.score = 1.0;
            return a;
        }
        self.match_question(norm, cues.counting)
    }

    /// The stations nearest to a shared location.
    pub fn nearby(&self, lat: f64, lon: f64) -> Answer {
        self.nearby_at(lat, lon, geo::beijing_minute_now())
    }

    pub fn nearby_at(&self, lat: f64, lon: f64, minute: u16) -> Answer {
        if !lat.is_finite() || !lon.is_finite() || !geo::in_beijing(lat, lon) {
            let mut a = Answer::new(Kind::OutsideBeijing);
            a.intent = Some("outside_beijing".into());
            a.confident = true;
            a.score = 1.0;
            return a;
        }
        let mut a = Answer::new(Kind::Nearby);
        a.intent = Some("nearby".into());
        a.confident = true;
        a.score = 1.0;
        let near = self.station_index.nearest(lat, lon, geo::NEAREST_COUNT);
        let within: Vec<(usize, f64)> = near.iter().copied().filter(|(_, d)| *d <= geo::NEARBY_RADIUS_M).collect();
        let shown = if within.is_empty() {
            a.note = Some(crate::reply::none_within_radius());
            near.into_iter().take(3).collect()
        } else {
            within
        };
        for (i, d) in shown {
            a.stations.push(self.hit(i, Some(d), minute));
        }
        self.cite_stations(&mut a);
        a
    }

    /// How many questions needed the article search so far (the others were
    /// decided by a FAQ entry no passage could reach; for benchmarks).
    pub fn article_searches(&self) -> u64 {
        self.searches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The `k` stations nearest to a point, nearest first, with their
    /// distances in metres (what [`Engine::nearby`] lists).
    pub fn nearest_stations(&self, lat: f64, lon: f64, k: usize) -> Vec<(usize, f64)> {
        self.station_index.nearest(lat, lon, k)
    }

    /// Answers a suggestion key (`f:<id>`, `a:<id>`, `s:<id>`), as pressed on a button.
    pub fn answer_ref(&self, key: &str) -> Option<Answer> {
        let (kind, id) = key.split_once(':')?;
        match kind {
            "f" => self.knowledge.faq.iter().position(|e| e.id == id).map(|i| self.faq_answer(i, 1.0, true)),
            "a" => {
                let ai = self.knowledge.articles.iter().position(|a| a.id == id)?;
                let pid = self.passages.iter().position(|p| p.article == ai)?;
                Some(self.passage_answer(pid, None, 1.0, true))
            }
            "s" => self.knowledge.stations.iter().position(|s| s.id == id).map(|i| self.station_answer(i, geo::beijing_minute_now())),
            _ => None,
        }
    }

    /// The articles whose passages best match a question, best first, as
    /// (article id, paragraph, score): the article search on its own.
    pub fn search_articles(&self, question: &str, limit: usize) -> Vec<(String, usize, f32)> {
        let q = self.query(question);
        let counting = Cues::of(&text::normalize(question)).counting;
        let hits = self.index.search(&q.search_terms, ARTICLE_CANDIDATES).unwrap_or_default();
        let mut scratch = Scratch::default();
        let mut scored: Vec<(String, usize, f32)> = hits
            .into_iter()
            .map(|(pid, _)| {
                let p = &self.passages[pid];
                (self.knowledge.articles[p.article].id.clone(), p.paragraph, self.passage_score(&q, pid, counting, &mut scratch).0)
            })
            .collect();
        scored.sort_by(|a, b| b.2.total_cmp(&a.2));
        let mut seen = std::collections::HashSet::new();
        scored.retain(|(id, _, _)| seen.insert(id.clone()));
        scored.truncate(limit);
        scored
    }

    /// The FAQ entry a wording routes to, with its score (for `check`).
    pub fn route_faq(&self, question: &str) -> Option<(String, f32)> {
        self.faq_ranking(question).into_iter().next()
    }

    /// Every FAQ entry's score for a question, best first (the matcher alone,
    /// without the shortcut for a question worded exactly as an entry lists it).
    pub fn faq_ranking(&self, question: &str) -> Vec<(String, f32)> {
        let q = self.query(question);
        let mut v: Vec<(String, f32)> = self.faq_scores(&q).into_iter().enumerate().map(|(i, s)| (self.knowledge.faq[i].id.clone(), s)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }

    /// A report of how a question is read and scored, for tuning (`ask --explain`).
    pub fn explain(&self, question: &str) -> String {
        let q = self.query(question);
        let norm = text::normalize(question);
        let mut out = String::new();
        out.push_str("words:");
        for (g, t) in self.analyzer.term_groups(question).iter().zip(&q.terms) {
            out.push_str(&format!(" {}{}({:.2})", g.full, if g.subs.is_empty() { String::new() } else { format!("[{}]", g.subs.join(",")) }, t.weight));
        }
        out.push_str(&format!("  scopes: {:?}\n", q.scopes));
        let counting = Cues::of(&norm).counting;
        let mut cands: Vec<(String, f32)> = (0..self.faq_terms.len()).map(|i| (format!("faq:{}", self.knowledge.faq[i].id), self.faq_score(&q, i))).collect();
        let mut scratch = Scratch::default();
        for (pid, bm25) in self.index.search(&q.search_terms, ARTICLE_CANDIDATES).unwrap_or_default() {
            let (s, w) = self.passage_score(&q, pid, counting, &mut scratch);
            let p = &self.passages[pid];
            let para = &self.knowledge.articles[p.article].paragraphs[p.paragraph];
            cands.push((format!("passage:{}#{} bm25 {bm25:.1} «{}»", self.knowledge.articles[p.article].id, p.paragraph, text::clip(&para[w], 40)), s));
        }
        cands.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (c, s) in cands.iter().take(8) {
            out.push_str(&format!("{s:.3} {c}\n"));
        }
        out
    }

    fn query(&self, question: &str) -> Query {
        self.query_of(self.analyzer.question(question))
    }

    /// [`Engine::query`] of a question already normalised.
    fn query_normalized(&self, norm: &str) -> Query {
        self.query_of(self.analyzer.question_normalized(norm))
    }

    fn query_of(&self, (mut search_terms, groups): (Vec<String>, Vec<crate::search::TermGroup>)) -> Query {
        let store = self.index.terms();
        let mut terms = Vec::new();
        let mut flat = Vec::new();
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
        for g in groups {
            let full = self.vocab.id(store, &g.full);
            let subs: Vec<(u32, f32)> = g.subs.iter().filter_map(|t| self.vocab.id(store, t).map(|id| (id, self.vocab.weight[id as usize]))).collect();
            let weight = match full {
                Some(id) => self.vocab.weight[id as usize],
                None => subs.iter().map(|(_, w)| *w).fold(0.0f32, f32::max),
            };
            let weight = if weight > 0.0 { weight } else { term_weight(&g.full, self.vocab.unknown_weight) };
            if let Some(k) = self.scope_terms.get(&g.full) {
                scopes.push(*k);
            }
            flat.extend(full);
            flat.extend(subs.iter().map(|(id, _)| *id));
            let question_word = self.question_words.contains(&g.full);
            let asks = question_word || self.context_words.contains(&g.full);
            // A question word tells what kind of answer is wanted, not what
            // about: it steers the choice but weighs half in the coverage.
            let weight = if question_word { weight * 0.5 } else { weight };
            terms.push(QTerm { full, full_bit: None, subs, sub_bits: Vec::new(), full_mask: 0, sub_mask: 0, weight, asks });
        }
        flat.sort_unstable();
        flat.dedup();
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
            t.sub_bits = t.subs.iter().map(|(id, _)| bit(*id).expect("every sub-word is a probe")).collect();
            if probes.len() <= 64 {
                t.full_mask = t.full_bit.map(|b| 1u64 << b).unwrap_or(0);
                t.sub_mask = t.sub_bits.iter().fold(0, |m, b| m | 1u64 << b);
            }
        }
        let count_bit = self.count_term.and_then(bit);
        let words = probes.len().div_ceil(64).max(1);
        let mut probe_gain = vec![0.0f32; probes.len()];
        let mut topic_mask = vec![0u64; words];
        for t in &terms {
            let gains = t.full_bit.map(|b| (b, t.weight)).into_iter().chain(
                t.subs.iter().zip(&t.sub_bits).map(|((_, w), &b)| (b, t.weight * ((w / t.weight.max(1e-6)).min(1.0) * SUB_WORD_CREDIT))),
            );
            for (b, gain) in gains {
                probe_gain[b as usize] += gain;
                if !t.asks {
                    topic_mask[b as usize / 64] |= 1 << (b % 64);
                }
            }
        }
        Query { terms, total, flat, scopes, probes, count_bit, words, probe_gain, topic_mask, search_terms }
    }

    /// One FAQ entry's score (`explain`, `check`); the matcher scores them
    /// all at once with [`Engine::faq_scores`], to the same figures.
    fn faq_score(&self, q: &Query, i: usize) -> f32 {
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
    fn faq_scores(&self, q: &Query) -> Vec<f32> {
        let w = q.words;
        let n = self.faq_terms.len();
        let mut masks = FaqMasks::default();
        self.fill_faq_masks(q, &mut masks);
        let FaqMasks { wordings: wm, unions: um, answers: am } = masks;
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
    /// worded exactly as, gets 1.05 at least), in entry order. Entries are
    /// read best bound first ([`Engine::entry_bound`]); once no entry left can
    /// reach a suggestion's score nor come within the margin of the best so
    /// far, the rest are left out: none of them could be the answer, its
    /// rival or a suggestion (the best so far only grows, so the thresholds
    /// only rise).
    fn faq_candidates(&self, q: &Query, exact: Option<usize>) -> Vec<(usize, f32)> {
        let w = q.words;
        let n = self.faq_terms.len();
        let mut masks = FAQ_MASKS.take();
        self.fill_faq_masks(q, &mut masks);
        let FaqMasks { wordings: wm, unions: um, answers: am } = &masks;
        // Entries in order of their quick bound; each is then bounded again
        // on its words before its wordings are read.
        let mut order: Vec<(f32, usize)> = (0..n)
            .filter(|&i| exact == Some(i) || um[i * w..(i + 1) * w].iter().chain(&am[i * w..(i + 1) * w]).any(|&x| x != 0))
            .map(|i| (if exact == Some(i) { f32::MAX } else { self.entry_quick_bound(q, i, &um[i * w..(i + 1) * w], &am[i * w..(i + 1) * w]) }, i))
            .collect();
        order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let mut out = Self::with_question_ids(q, self.vocab.weight.len(), |asked| {
            let mut out = Vec::new();
            let mut leader = f32::MIN;
            for &(quick, i) in &order {
                let floor = irrelevant_below(leader, true);
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
                    s = s.max(1.0) + 0.05;
                }
                leader = leader.max(s);
                if s > 0.0 {
                    out.push((i, s));
                }
            }
            out
        });
        out.sort_unstable_by_key(|&(i, _)| i);
        FAQ_MASKS.set(masks);
        out
    }

    /// A cheaper (looser) bound than [`Engine::entry_bound`], from the masks
    /// alone ([`Query::overlap_bound`]): no word by word reading.
    fn entry_quick_bound(&self, q: &Query, i: usize, union: &[u64], answer: &[u64]) -> f32 {
        let u = Covered { overlap: q.overlap_bound(union), matched: 0, names_topic: q.may_name_topic(union) };
        self.entry_bound(q, i, &u, q.overlap_bound(answer))
    }

    /// An upper bound of entry `i`'s score from what all its wordings
    /// together cover (`u`) and what its answer covers (`a`): the entry's
    /// score with its best wording at the most it can be (a wording covers
    /// at most what they all cover, and what the question says of it adds at
    /// most 0.4), and a little slack for rounding.
    fn entry_bound(&self, q: &Query, i: usize, u: &Covered, a: f32) -> f32 {
        self.entry_score(q, i, 0.6 * q.coverage_of(u.overlap) + 0.4, u, a) + 1e-3
    }

    /// Sets `m` to the masks of the FAQ wordings, entries' wordings and
    /// answers for a question's probes (see [`Query::probes`]), from the
    /// postings (`m`'s buffers are reused, zeroed first).
    fn fill_faq_masks(&self, q: &Query, m: &mut FaqMasks) {
        let w = q.words;
        let n = self.faq_terms.len();
        let n_wordings = self.wording_count;
        for (v, len) in [(&mut m.wordings, n_wordings * w), (&mut m.unions, n * w), (&mut m.answers, n * w)] {
            v.clear();
            v.resize(len, 0);
        }
        let set = |m: &mut [u64], at: u32, bit: usize| m[at as usize * w + bit / 64] |= 1 << (bit % 64);
        for (bit, id) in q.probes.iter().enumerate() {
            if let Some(p) = self.faq_postings.get(id) {
                for &k in &p.wordings {
                    set(&mut m.wordings, k, bit);
                }
                for &i in &p.unions {
                    set(&mut m.unions, i, bit);
                }
                for &i in &p.answers {
                    set(&mut m.answers, i, bit);
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
            let share = 0.6 * inter / q.total.max(1e-6);
            if share + 0.4 + 1e-4 < best {
                continue; // what the question says of it adds at most 0.4: it cannot lead
            }
            // How much of the wording the question says.
            let said: f32 = wording.groups.iter().map(|g| g.said_by(asked, &self.vocab.weight)).sum();
            let s = share + 0.4 * said / wording.total.max(1e-6);
            best = best.max(s);
        }
        best
    }

    /// Entry `i`'s score from its best wording's, what all its wordings
    /// together cover (`u`) and what its answer covers (`a`).
    fn entry_score(&self, q: &Query, i: usize, best: f32, u: &Covered, a: f32) -> f32 {
        let mut score = 0.6 * best + 0.25 * q.coverage_of(u.overlap) + 0.15 * q.coverage_of(a);
        if !u.names_topic {
            score *= OFF_TOPIC_PENALTY;
        }
        if q.scope_conflict(&self.faq_terms[i].scopes) {
            score *= SCOPE_PENALTY;
        }
        score
    }

    /// Scores a passage; returns the score and the best window of sentences.
    /// `scratch` holds the masks (reused from passage to passage).
    fn passage_score(&self, q: &Query, pid: usize, counting: bool, scratch: &mut Scratch) -> (f32, std::ops::Range<usize>) {
        self.passage_score_above(q, pid, counting, f32::MIN, scratch).expect("no floor")
    }

    /// [`Engine::passage_score`], or `None` without reading its windows when
    /// the words of the whole passage bound its score below `floor` (see
    /// [`Engine::window_bound`]).
    fn passage_score_above(&self, q: &Query, pid: usize, counting: bool, floor: f32, scratch: &mut Scratch) -> Option<(f32, std::ops::Range<usize>)> {
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
        let count_w = self.count_term.and_then(|id| q.weight_of(id)).map(|w| w / q.total.max(1e-6)).unwrap_or(0.0);
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
                let mut c = 0.5 * q.coverage_of(sets.overlap) + 0.5 * q.coverage_of(q.covered(own_m).overlap);
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
                if sets.matched < 2 || !sets.names_topic {
                    c *= 0.5; // one word in common is a coincidence, not an answer
                }
                // A short, general question ("驿站提供什么服务") is matched by
                // many paragraphs in passing; an article answers only a question
                // specific enough to point at it.
                c *= (sets.overlap / ARTICLE_SPECIFIC_WEIGHT).min(1.0);
                if self.window_scope_conflict(q, &[si.scopes, if j > i { sj.scopes } else { &[] }, title_scopes]) {
                    c *= SCOPE_PENALTY;
                }
                if j > i {
                    c -= 0.02; // prefer the shorter window on a tie
                }
                if c > best.0 {
                    best = (c, range);
                }
            }
        }
        let score = ARTICLE_DISCOUNT * (0.4 * whole + 0.6 * best.0.clamp(0.0, 1.0));
        Some((score, best.1))
    }

    /// An upper bound of the score of a passage (or of any passage) whose
    /// words, all together, cover `all` of the question. Every measure of a
    /// window is at most what the whole gives: its coverage (which may gain
    /// `count_w`, the count bonus), the weight it matches (which scales the
    /// window's score up to [`ARTICLE_SPECIFIC_WEIGHT`]), and whether it
    /// matches two words and one that names the topic (or is halved). The
    /// rest only lowers it. A little slack covers rounding.
    fn window_bound(&self, q: &Query, all: &Covered, count_w: f32) -> f32 {
        let w = q.coverage_of(all.overlap).clamp(0.0, 1.0);
        let halved = if all.matched < 2 || !all.names_topic { 0.5 } else { 1.0 };
        let window = (w + count_w).max(0.0) * halved * (all.overlap / ARTICLE_SPECIFIC_WEIGHT).clamp(0.0, 1.0);
        ARTICLE_DISCOUNT * (0.4 * w + 0.6 * window.min(1.0)) + 1e-3
    }

    /// An upper bound of any passage's score for this question (see
    /// [`Engine::passage_score`]): [`Engine::window_bound`] of the words found
    /// anywhere in the articles.
    fn passage_bound(&self, q: &Query, counting: bool) -> f32 {
        let store = self.index.terms();
        let mut all = Covered { overlap: 0.0, matched: 0, names_topic: false };
        for t in &q.terms {
            let h = Query::hit_by(t, |_, id| store.is_matching(id));
            all.overlap += t.weight * h;
            if h > 0.0 {
                all.matched += usize::from(t.weight >= 0.5);
                all.names_topic |= !t.asks;
            }
        }
        let count_w = if counting { self.count_term.and_then(|id| q.weight_of(id)).map(|w| w / q.total.max(1e-6)).unwrap_or(0.0) } else { 0.0 };
        self.window_bound(q, &all, count_w)
    }

    /// [`Query::scope_conflict`] over the scopes of a window's sentences and
    /// its title together.
    fn window_scope_conflict(&self, q: &Query, parts: &[&[u8]]) -> bool {
        !q.scopes.is_empty() && parts.iter().any(|p| !p.is_empty()) && !parts.iter().any(|p| p.iter().any(|s| q.scopes.contains(s)))
    }

    fn match_question(&self, norm: &str, counting: bool) -> Answer {
        let q = self.query_normalized(norm);
        let mut cands: Vec<(Cand, f32)> = Vec::new();
        // A question worded exactly as an entry lists it goes to that entry.
        let exact = self.exact_wordings.get(&norm.replace(' ', "")).copied();
        cands.extend(self.faq_candidates(&q, exact).into_iter().map(|(i, s)| (Cand::Faq(i), s)));
        // No passage can score above `passage_bound`. When the best FAQ entry
        // leads that bound and every other entry by the margin, it is the
        // confident answer whatever the articles hold (no passage can be the
        // answer, its rival or a suggestion), and the search is skipped.
        let mut faq_top = [f32::MIN; 2];
        for &(_, s) in &cands {
            if s > faq_top[0] {
                faq_top = [s, faq_top[0]];
            } else if s > faq_top[1] {
                faq_top[1] = s;
            }
        }
        let decided = faq_top[0] >= MIN_SCORE
            && faq_top[0] - faq_top[1] >= MIN_MARGIN
            && faq_top[0] - self.passage_bound(&q, counting) >= MIN_MARGIN;
        let hits = if decided {
            Vec::new()
        } else {
            self.searches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.index.search(&q.search_terms, ARTICLE_CANDIDATES).unwrap_or_else(|e| {
                tracing::error!(error = %e, "article search failed");
                Vec::new()
            })
        };
        let mut scratch = Scratch::default();
        let mut windows: Vec<(usize, std::ops::Range<usize>)> = Vec::with_capacity(hits.len());
        // The best passage of each article, articles in order of their first hit.
        let mut best_per_article: Vec<(usize, usize, f32)> = Vec::new();
        // A passage that cannot reach the best candidate so far by the margin,
        // nor the score of a suggestion, changes nothing in the answer (it
        // can be neither the answer, nor its rival, nor a suggestion): its
        // windows are not read.
        let mut leader = faq_top[0];
        for (rank, (pid, _bm25)) in hits.iter().enumerate() {
            let floor = irrelevant_below(leader, false);
            let Some((mut s, window)) = self.passage_score_above(&q, *pid, counting, floor, &mut scratch) else {
                continue;
            };
            s -= 0.002 * rank as f32; // BM25 order breaks ties
            leader = leader.max(s);
            windows.push((*pid, window));
            let art = self.passages[*pid].article;
            match best_per_article.iter_mut().find(|(a, _, _)| *a == art) {
                Some(b) if s > b.2 => *b = (art, *pid, s),
                Some(_) => {}
                None => best_per_article.push((art, *pid, s)),
            }
        }
        cands.extend(best_per_article.iter().map(|&(_, pid, s)| (Cand::Passage(pid), s)));
        // Best first; ties keep the order candidates were listed in (a stable sort, without its buffer).
        let mut ranked: Vec<(usize, f32)> = cands.iter().enumerate().map(|(k, c)| (k, c.1)).collect();
        ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let cands: Vec<(Cand, f32)> = ranked.iter().map(|&(k, _)| cands[k]).collect();

        let Some(&(top, top_score)) = cands.first() else {
            return self.fallback(&cands);
        };
        if top_score < MIN_SCORE {
            return self.fallback(&cands);
        }
        // The runner-up that is really a different answer (a FAQ entry citing
        // the top article, or the article a top FAQ entry cites, is the same answer).
        let rival = cands.iter().skip(1).find(|(c, _)| !self.same_answer(top, *c));
        let margin = rival.map(|(_, s)| top_score - s).unwrap_or(1.0);
        let confident = margin >= MIN_MARGIN;
        let mut answer = match top {
            Cand::Faq(i) => self.faq_answer(i, top_score, confident),
            Cand::Passage(pid) => self.passage_answer(pid, windows.iter().find(|(p, _)| *p == pid).map(|(_, w)| w.clone()), top_score, confident),
        };
        if !confident {
            answer.suggestions = cands
                .iter()
                .filter(|(c, s)| *s >= MIN_SCORE - MIN_MARGIN && !self.same_answer(top, *c))
                .take(2)
                .map(|(c, _)| self.suggestion(*c))
                .collect();
        }
        answer
    }

    fn same_answer(&self, a: Cand, b: Cand) -> bool {
        let cites = |faq: usize, pid: usize| {
            let art = &self.knowledge.articles[self.passages[pid].article].id;
            self.knowledge.faq[faq].sources.iter().any(|s| s == art)
        };
        match (a, b) {
            (Cand::Faq(x), Cand::Faq(y)) => x == y,
            (Cand::Passage(x), Cand::Passage(y)) => self.passages[x].article == self.passages[y].article,
            (Cand::Faq(f), Cand::Passage(p)) | (Cand::Passage(p), Cand::Faq(f)) => cites(f, p),
        }
    }

    fn suggestion(&self, c: Cand) -> Suggestion {
        match c {
            Cand::Faq(i) => {
                let e = &self.knowledge.faq[i];
                Suggestion { key: format!("f:{}", e.id), label: e.topic.clone() }
            }
            Cand::Passage(pid) => {
                let a = &self.knowledge.articles[self.passages[pid].article];
                Suggestion { key: format!("a:{}", a.id), label: text::clip(&a.title, 20).to_string() }
            }
        }
    }

    fn fallback(&self, cands: &[(Cand, f32)]) -> Answer {
        let mut a = Answer::new(Kind::Fallback);
        a.score = cands.first().map(|c| c.1).unwrap_or(0.0);
        a.suggestions = cands
            .iter()
            .filter(|(c, s)| matches!(c, Cand::Faq(_)) && *s >= SUGGEST_SCORE)
            .take(3)
            .map(|(c, _)| self.suggestion(*c))
            .collect();
        if a.suggestions.is_empty() {
            a.suggestions = self.default_suggestions();
        }
        a
    }

    /// The topics offered when nothing closer is known: joining, stations, the hotline.
    pub fn default_suggestions(&self) -> Vec<Suggestion> {
        let wanted = ["join-how", "station-nearby", "hotline", "help"];
        let mut out: Vec<Suggestion> = wanted
            .iter()
            .filter_map(|id| self.knowledge.faq.iter().find(|e| e.id == *id))
            .map(|e| Suggestion { key: format!("f:{}", e.id), label: e.topic.clone() })
            .collect();
        if out.is_empty() {
            out = self.knowledge.faq.iter().take(3).map(|e| Suggestion { key: format!("f:{}", e.id), label: e.topic.clone() }).collect();
        }
        out
    }

    fn article_source(&self, article_id: &str) -> Option<Source> {
        let a = &self.knowledge.articles[*self.article_by_id.get(article_id)?];
        Some(Source { title: a.title.clone(), path: a.path.clone() })
    }

    fn faq_answer(&self, i: usize, score: f32, confident: bool) -> Answer {
        let e = &self.knowledge.faq[i];
        let mut a = Answer::new(Kind::Faq);
        a.intent = Some(format!("faq:{}", e.id));
        a.confident = confident;
        a.score = score;
        a.title = Some(e.topic.clone());
        a.body = e.answer.trim().to_string();
        a.sources = e.sources.iter().filter_map(|s| self.article_source(s)).collect();
        a.follow_ups = e
            .follow_ups
            .iter()
            .filter_map(|f| self.knowledge.faq_entry(f))
            .map(|f| Suggestion { key: format!("f:{}", f.id), label: f.topic.clone() })
            .collect();
        a
    }

    fn passage_answer(&self, pid: usize, window: Option<std::ops::Range<usize>>, score: f32, confident: bool) -> Answer {
        let p = &self.passages[pid];
        let article = &self.knowledge.articles[p.article];
        let para = &article.paragraphs[p.paragraph];
        let snippet = match window {
            Some(r) if r.end <= para.len() && para.is_char_boundary(r.start) && para.is_char_boundary(r.end) => &para[r],
            _ => first_sentences(para, 2),
        };
        let mut a = Answer::new(Kind::Article);
        a.intent = Some(format!("article:{}", article.id));
        a.confident = confident;
        a.score = score;
        a.title = Some(article.title.clone());
        a.body = snippet.trim().to_string();
        a.sources = vec![Source { title: article.title.clone(), path: article.path.clone() }];
        a
    }

    fn hit(&self, i: usize, distance: Option<f64>, minute: u16) -> StationHit {
        let s: &Station = &self.knowledge.stations[i];
        StationHit {
            id: s.id.clone(),
            name: s.name.clone(),
            address: s.address.clone(),
            district: s.district.clone(),
            distance_m: distance.map(|d| d.round()),
            lat: s.lat,
            lon: s.lon,
            hours: s.hours_text.clone().or_else(|| s.hours.clone()),
            open_now: s.parsed_hours.map(|h| h.is_open_at(minute)),
            services: s.services.clone(),
            approximate: !matches!(s.precision.as_str(), "exact" | "landmark"),
        }
    }

    fn cite_stations(&self, a: &mut Answer) {
        for h in &a.stations {
            if let Some(s) = self.station_by_id.get(&h.id).map(|&i| &self.knowledge.stations[i]) {
                if let Some(file) = &s.source_file {
                    let source = Source { title: crate::reply::station_list_title(file), path: format!("knowledge/{}", crate::knowledge::STATIONS_FILE) };
                    if !a.sources.contains(&source) {
                        a.sources.push(source);
                    }
                }
                for src in &s.sources {
                    if let Some(source) = self.article_source(src)
                        && !a.sources.contains(&source)
                    {
                        a.sources.push(source);
                    }
                }
            }
        }
    }

    /// A station named in the question ("富商市场的暖心驿站" names 富商市场暖心驿站).
    fn named_station(&self, norm: &str) -> Option<usize> {
        let squeezed = squeeze(norm);
        self.station_names
            .find_iter(&squeezed)
            .max_by_key(|m| m.end() - m.start())
            .map(|m| self.station_of[m.pattern().as_usize()])
    }

    fn station_answer(&self, i: usize, minute: u16) -> Answer {
        let s = &self.knowledge.stations[i];
        let mut a = Answer::new(Kind::Station);
        a.intent = Some(format!("station:{}", s.id));
        a.confident = true;
        a.score = 1.0;
        a.title = Some(s.name.clone());
        a.body = s.description.clone();
        a.stations.push(self.hit(i, None, minute));
        self.cite_stations(&mut a);
        a
    }

    /// Stations near a typed place. For a district, the stations in it ranked
    /// by how well they fit the question (a driver asking about parking gets
    /// the drivers' station first); for a neighbourhood, the nearest ones.
    fn place_answer(&self, place: &crate::knowledge::Place, norm: &str, minute: u16) -> Answer {
        let mut a = Answer::new(Kind::Nearby);
        a.intent = Some("nearby".into());
        a.confident = true;
        a.score = 1.0;
        a.place = Some(place.name.clone());
        let q = self.query(norm);
        let fit = |i: usize| q.overlap(&self.station_terms[i]);
        let stations = &self.knowledge.stations;
        if place.is_district() {
            let district = place.name.as_str();
            let mut ranked: Vec<(usize, f64, f32)> = self
                .district_stations
                .get(strip_district(district))
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|&i| (i, geo::haversine_m(place.lat, place.lon, stations[i].lat, stations[i].lon), fit(i)))
                .collect();
            ranked.sort_by(|x, y| y.2.total_cmp(&x.2).then(x.1.total_cmp(&y.1)));
            if ranked.is_empty() {
                a.note = Some(crate::reply::none_in_district(district));
                ranked = self.station_index.nearest(place.lat, place.lon, 3).into_iter().map(|(i, d)| (i, d, 0.0)).collect();
            }
            for (i, _, _) in ranked.into_iter().take(geo::NEAREST_COUNT) {
                a.stations.push(self.hit(i, None, minute));
            }
        } else {
            // Nearest first, but a station that fits the question (24 hours,
            // parking, drivers) moves up among those within the radius.
            let mut within: Vec<(usize, f64, f32)> =
                self.station_index.within(place.lat, place.lon, geo::NEARBY_RADIUS_M).into_iter().map(|(i, d)| (i, d, fit(i))).collect();
            if within.is_empty() {
                a.note = Some(crate::reply::none_within_radius());
                within = self.station_index.nearest(place.lat, place.lon, 3).into_iter().map(|(i, d)| (i, d, 0.0)).collect();
            } else {
                within.sort_by(|x, y| (y.2 > 0.0).cmp(&(x.2 > 0.0)).then(x.1.total_cmp(&y.1)));
                within.truncate(geo::NEAREST_COUNT);
            }
            for (i, d, _) in within {
                a.stations.push(self.hit(i, Some(d), minute));
            }
        }
        self.cite_stations(&mut a);
        a
    }
}

/// A district's name without 区, as stations and places may write it either way.
fn strip_district(name: &str) -> &str {
    name.trim_end_matches('区')
}

/// The weight of a term given its inverse document frequency: single
/// characters say little on their own.
fn term_weight(term: &str, idf: f32) -> f32 {
    let chars = term.chars().count();
    let w = idf.max(0.05);
    if chars == 1 { w * 0.4 } else { w }
}

/// Cheap cues read off the normalised question.
struct Cues {
    /// 附近, 周边, 最近, 离我…: the worker wants something close by.
    nearby: bool,
    /// 驿站, 站, 歇脚, 休息, 厕所…: the worker wants a place to go.
    station: bool,
    /// 在哪, 哪里, 哪儿, 有没有: the worker asks where.
    where_: bool,
    /// 多少, 几个, 几家: a figure, not a location.
    counting: bool,
    /// "有…吗": the worker asks whether there is one.
    exists: bool,
}

/// The words of each cue, in the order of [`Cues`]' fields.
const CUE_WORDS: [&[&str]; 5] = [
    &["附近", "周边", "周围", "最近的", "离我", "身边", "旁边", "边上", "这边", "这附近", "就近", "近的", "我在", "我现在在", "我这"],
    &["驿站", "服务站", "站点", "小站", "歇脚", "歇会", "歇一", "休息", "厕所", "如厕", "喝水", "热水", "充电", "停车", "吃饭", "取暖", "落脚", "能量补给"],
    &["在哪", "哪里", "哪儿", "哪有", "有没有", "有吗", "去哪", "怎么走", "地址", "位置"],
    &["多少", "几个", "几家", "几座", "几处", "数量", "总共", "一共"],
    &["有没有", "有木有", "有吗", "有么", "有不"],
];

/// Every cue word in one automaton, each with the cues (bits) it belongs to:
/// one pass over the question instead of fifty substring searches.
static CUE_FINDER: std::sync::LazyLock<(aho_corasick::AhoCorasick, Vec<u8>)> = std::sync::LazyLock::new(|| {
    let mut words: Vec<&str> = Vec::new();
    let mut cues: Vec<u8> = Vec::new();
    for (bit, list) in CUE_WORDS.iter().enumerate() {
        for w in *list {
            match words.iter().position(|x| x == w) {
                Some(at) => cues[at] |= 1 << bit,
                None => {
                    words.push(w);
                    cues.push(1 << bit);
                }
            }
        }
    }
    (aho_corasick::AhoCorasick::new(&words).expect("cue words build an automaton"), cues)
});

impl Cues {
    fn of(norm: &str) -> Cues {
        let (finder, cues) = &*CUE_FINDER;
        let found = finder.find_overlapping_iter(norm).fold(0u8, |acc, m| acc | cues[m.pattern().as_usize()]);
        let any = |bit: u8| found & (1 << bit) != 0;
        Cues {
            nearby: any(0),
            station: any(1),
            where_: any(2),
            counting: any(3),
            exists: any(4) || (norm.contains('有') && norm.ends_with(['吗', '么', '没', '不'])),
        }
    }

    /// A typed place is a request for stations when the question asks for a
    /// station or where to go, or is little more than the place itself.
    fn wants_station_near(&self, norm: &str, place: &crate::knowledge::Place) -> bool {
        if self.counting {
            return false;
        }
        if self.nearby || (self.station && (self.where_ || self.exists)) {
            return true;
        }
        // "我在望京", "望京的驿站", "望京": the place, perhaps a station word,
        // and a few filler characters. "建外的驿站有多大" asks something else.
        let rest: String = std::iter::once(&place.name)
            .chain(&place.aliases)
            .fold(norm.to_string(), |acc, n| acc.replace(&text::normalize(n), ""));
        let rest = ["驿站", "服务站", "站点", "小站"].iter().fold(rest, |acc, w| acc.replace(w, ""));
        let rest = rest.replace(['我', '在', '这', '边', '呢', '了', '的', '附', '近', '哪', '儿', '里', '有', '吗', ' '], "");
        rest.chars().count() <= 1
    }
}

fn is_greeting(norm: &str) -> bool {
    const GREETINGS: &[&str] = &[
        "你好", "您好", "在吗", "在不在", "hi", "hello", "哈喽", "嗨", "有人吗", "你好呀", "你好啊", "您好啊", "早上好", "下午好", "晚上好",
        "hey", "喂", "start", "开始", "你是谁", "你是干什么的", "谢谢", "谢谢你", "多谢", "好的", "ok", "收到",
    ];
    let n = norm.replace(' ', "");
    GREETINGS.contains(&n.as_str())
}

/// The first `n` sentences of a paragraph.
fn first_sentences(para: &str, n: usize) -> &str {
    match text::sentences(para).into_iter().take(n).last() {
        Some(last) => &para[..last.as_ptr() as usize - para.as_ptr() as usize + last.len()],
        None => para,
    }
}

/// Unknown words (in no FAQ entry, passage or station) weigh this share of
/// the rarest known word: enough that a question about something else is not
/// answered, not so much that one generic word ("手续") sinks a good match.
const UNKNOWN_WEIGHT_SHARE: f32 = 0.6;

/// Whether a text states a count: digits followed by a counter word
/// ("18.42万个", "2178家", "4000余名", "70%"), not a year or a programme name.
fn has_count(s: &str) -> bool {
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

/// The score under which a candidate cannot change the answer, given the
/// best candidate so far (`leader`; `f32::MIN` when there is none yet): it
/// can be neither the answer, nor its rival (within [`MIN_MARGIN`]), nor a
/// suggestion beside a doubtful answer (`MIN_SCORE - MIN_MARGIN`), nor, for
/// a FAQ entry (`faq`) while the best so far is below [`MIN_SCORE`], one of
/// the fallback's suggestions ([`SUGGEST_SCORE`]). The best so far only
/// grows, so this only rises.
fn irrelevant_below(leader: f32, faq: bool) -> f32 {
    if leader == f32::MIN {
        return f32::MIN;
    }
    let suggested = if faq && leader < MIN_SCORE { SUGGEST_SCORE } else { MIN_SCORE - MIN_MARGIN };
    (leader - MIN_MARGIN).min(suggested)
}

/// A name without spaces and the particle 的, for matching station names.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| *c != ' ' && *c != '的').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The old definitions, kept here to check the faster ones against.
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

    #[test]
    fn cues_are_read_as_before() {
        let cases = crate::eval::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/questions.yaml")).unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let (k, _) = Knowledge::load(&dir).unwrap();
        for q in crate::bench::question_mix(&cases, &k, 500, 4).iter().chain(CUE_WORDS.iter().flat_map(|l| l.iter()).map(|w| w.to_string()).collect::<Vec<_>>().iter()) {
            let norm = text::normalize(q);
            let any = |words: &[&str]| words.iter().any(|w| norm.contains(w));
            let c = Cues::of(&norm);
            let want = [any(CUE_WORDS[0]), any(CUE_WORDS[1]), any(CUE_WORDS[2]), any(CUE_WORDS[3]), any(CUE_WORDS[4]) || (norm.contains('有') && norm.ends_with(['吗', '么', '没', '不']))];
            assert_eq!([c.nearby, c.station, c.where_, c.counting, c.exists], want, "{q}");
        }
    }

    /// The seed knowledge, and questions to probe the matcher with: 300 mixed
    /// from our regression wordings and faq.yaml (`seed` picks them), then
    /// every FAQ wording.
    fn knowledge_and_questions(seed: u64) -> (Knowledge, Vec<String>) {
        let (k, _) = Knowledge::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")).unwrap();
        let cases = crate::eval::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/questions.yaml")).unwrap();
        let mut questions = crate::bench::question_mix(&cases, &k, 300, seed);
        questions.extend(k.faq.iter().flat_map(|e| e.questions.iter().cloned()));
        (k, questions)
    }

    /// The matcher reads only the FAQ entries that can matter: those it reads
    /// score as `faq_scores` says, and those it leaves out could be neither
    /// the answer, its rival nor a suggestion.
    #[test]
    fn faq_candidates_leave_out_only_entries_that_cannot_matter() {
        let (k, questions) = knowledge_and_questions(11);
        let engine = Engine::in_ram(k).unwrap();
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
                    let suggested = if top >= MIN_SCORE { MIN_SCORE - MIN_MARGIN } else { SUGGEST_SCORE };
                    assert!(s < suggested && s < top - MIN_MARGIN, "entry {i} ({s}, top {top}) left out for {question}");
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
