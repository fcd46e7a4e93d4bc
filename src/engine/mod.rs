//! The answer engine: a worker's question in, a sourced [`Answer`] out.
//! [`Engine::answer_at`] is the pipeline of README's "How a question is
//! answered", one step a line; each step is decided in its own file:
//!
//! 1. normalise: [`crate::text::normalize`] (and the place named: [`crate::geo::PlaceFinder`]);
//! 2. segment and weigh the words: [`crate::search::Analyzer`], then `query.rs`;
//! 3. route a greeting, a named station, a place, a nearby cue: `route.rs`,
//!    and the stations that answer: `stations.rs`;
//! 4. score FAQ entries (`faq.rs`) and article passages (`passages.rs`) on one scale;
//! 5. decide (`decide.rs`): confident, doubtful with alternatives, or the fallback;
//!
//! then `present.rs` turns the decision into an [`Answer`] (what happened,
//! never words: [`crate::reply`] says it). Every threshold and weight is in
//! [`Tuning`]; `inspect.rs` serves `explain`, `check` and the benchmark;
//! `build.rs` assembles an engine from one version of the knowledge.
//!
//! The engine knows nothing of any channel.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicU64;

use anyhow::Result;

use crate::geo;
use crate::knowledge::{Knowledge, Place, Problem};
use crate::search::{Analyzer, ArticleIndex, FxMap, FxSet, Passage};
use crate::text;

mod answer;
mod asking;
mod build;
mod context;
mod decide;
mod faq;
mod focus;
mod inspect;
mod passages;
mod present;
mod qtype;
mod query;
mod reference;
mod route;
mod stations;
mod tuning;

pub use answer::{Answer, Kind, Note, Source, SourceKind, StationHit, Suggestion};
pub use reference::{Ref, RefError};
pub use tuning::Tuning;

use decide::{Cand, ranked, top_two};
use faq::{FaqPostings, FaqTerms};
use query::{TermSet, Vocab};
use route::Route;

/// The answer engine over one version of the knowledge.
pub struct Engine {
    pub knowledge: Knowledge,
    /// Every threshold and weight it decides by.
    tuning: Tuning,
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
    /// FAQ entry index by id (the first entry of an id, as `Knowledge::faq_entry`).
    faq_by_id: FxMap<String, usize>,
    station_by_id: FxMap<String, usize>,
    /// Questions that needed the article search (see [`Engine::article_searches`]).
    searches: AtomicU64,
    /// Finds station names and aliases (normalised, without 的) in a question,
    /// the longest first; `station_of` maps each pattern to its station. One
    /// pass over the question, however many stations are imported.
    station_names: aho_corasick::AhoCorasick,
    station_of: Vec<usize>,
    /// Each station's terms (name, kind, services, who it serves), to rank
    /// the stations near a place by how well they fit the question.
    station_terms: Vec<TermSet>,
    /// The canonical term of "多少" (a question for a figure), if the lexicon has it.
    count_term: Option<u32>,
    /// Words that name a scope (a district, Beijing, the whole country) → scope key.
    scope_terms: FxMap<String, u8>,
    /// The lexicon's cue words and greetings, read off a normalised question.
    cues: route::CueFinder,
    /// Canonical question words from the lexicon (多少, 地址, 开放时间…).
    question_words: FxSet<String>,
    /// Canonical context words from the lexicon (骑手, 手机, 电动车…).
    context_words: FxSet<String>,
    /// Every FAQ wording, normalised without spaces → its entry.
    exact_wordings: FxMap<String, usize>,
    /// Reads typos and romanised words as the domain words they stand for.
    repairer: crate::repair::Repairer,
    /// Finds the part of a long message that asks.
    asking: asking::AskingFinder,
    /// Reads what kind of answer a question wants.
    types: qtype::TypeFinder,
    /// The question types each FAQ entry answers.
    faq_types: Vec<qtype::Types>,
    /// Finds what a whether-question asks about.
    modals: focus::ModalFinder,
}

impl Engine {
    /// Loads `knowledge_dir`, opens (or builds, when the knowledge changed) the
    /// index in `data_dir`, and prepares the matcher. Returns the warnings too.
    pub fn open(knowledge_dir: &Path, data_dir: &Path) -> Result<(Engine, Vec<Problem>)> {
        let (knowledge, warnings) = Knowledge::load_kept(knowledge_dir, Some(data_dir))?;
        // What reading the files left behind is given back before jieba's
        // tables (allocated apart, they would not reuse it) are read: the
        // peak of a start is lower by as much.
        crate::memory::give_back();
        let analyzer = Analyzer::open(&knowledge, Some(data_dir));
        let (index, rebuilt) = ArticleIndex::open_or_build(&knowledge, &analyzer, data_dir)?;
        if rebuilt {
            tracing::info!(passages = index.num_docs(), "built the article index");
        }
        crate::memory::give_back();
        let engine = Engine::from_parts(knowledge, analyzer, index);
        crate::memory::give_back();
        Ok((engine, warnings))
    }

    /// Builds an engine with the index in RAM (tests, benchmarks, `check`).
    pub fn in_ram(knowledge: Knowledge) -> Result<Engine> {
        Engine::in_ram_tuned(knowledge, Tuning::default())
    }

    /// [`Engine::in_ram`], deciding by another [`Tuning`].
    pub fn in_ram_tuned(knowledge: Knowledge, tuning: Tuning) -> Result<Engine> {
        let analyzer = Analyzer::new(&knowledge);
        let index = ArticleIndex::build_in_ram(&knowledge, &analyzer)?;
        Ok(Engine::from_parts_tuned(knowledge, analyzer, index, tuning))
    }

    /// Assembles an engine from loaded knowledge, its analyzer and its index.
    pub fn from_parts(knowledge: Knowledge, analyzer: Analyzer, index: ArticleIndex) -> Engine {
        Engine::from_parts_tuned(knowledge, analyzer, index, Tuning::default())
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// Answers a question at the current Beijing time.
    pub fn answer(&self, question: &str) -> Answer {
        self.answer_at(question, geo::beijing_minute_now())
    }

    /// Answers a question; `minute` (after midnight, Beijing time) decides "open now".
    pub fn answer_at(&self, question: &str, minute: u16) -> Answer {
        // 1. Normalise (at most so many characters looked at), and find the place it names.
        let question = text::clip(question, text::MAX_QUESTION_CHARS);
        if text::is_blank(question) {
            // Nothing was written: a prompt and the menu, not the reply for stickers.
            return Answer { suggestions: self.default_suggestions(), ..Answer::sure(Kind::Blank, None) };
        }
        let norm = text::normalize(question);
        let norm = self.repairer.repair(&norm);
        // A long message is scored on the part that asks, the rest weighed
        // down; a place named in the rest (a story, a self-introduction)
        // still counts, unless the question asks what is near the worker now.
        let split = self.asking.split(&norm);
        let (asked, aside) = match &split {
            Some((asked, aside)) => (asked.as_str(), aside.as_str()),
            None => (&*norm, ""),
        };
        let place = match self.place_finder.find(asked) {
            Some(i) => Some(i),
            None if !aside.is_empty() && !self.cues.read(asked).nearby => self.place_finder.find(aside),
            None => None,
        }
        .map(|i| &self.knowledge.places[i]);
        let mut answer = self.answer_normalized(asked, aside, place, minute);
        if answer.district.is_none() {
            answer.district = place.map(|p| if p.is_district() { p.name.clone() } else { p.district.clone() }).filter(|d| !d.is_empty());
        }
        answer
    }

    /// Answers the normalised question `norm`; `aside` is what a long
    /// message said besides (see `asking.rs`; empty for most questions).
    fn answer_normalized(&self, norm: &str, aside: &str, place: Option<&Place>, minute: u16) -> Answer {
        // 3. Route what needs no scoring: it is read off the normalised text,
        //    so it comes before segmenting.
        let place_aside = place.is_some() && !aside.is_empty() && self.place_finder.find(norm).is_none();
        let counting = match self.route(norm, place, place_aside) {
            Route::Empty => return self.opening(Kind::Empty),
            Route::Greeting => return self.opening(Kind::Greeting),
            Route::SmallTalk(kind) => return self.opening(kind),
            Route::Station(i) => return self.station_answer(i, minute),
            Route::Place(place) => return self.place_answer(place, norm, aside, minute),
            Route::NeedLocation => return Answer::sure(Kind::NeedLocation, None),
            Route::Match { counting } => counting,
        };
        // 2. Segment and weigh the question's words.
        let q = self.query_split(norm, aside);
        // 4. Score FAQ entries (one worded exactly as the question wins), then
        //    the passages that could still matter.
        let exact = if norm.contains(' ') { self.exact_wordings.get(&norm.replace(' ', "")) } else { self.exact_wordings.get(norm) }.copied();
        let mut cands: Vec<(Cand, f32)> = self.faq_candidates(&q, exact).into_iter().map(|(i, s)| (Cand::Faq(i), s)).collect();
        let passages = self.passage_candidates(&q, counting, top_two(&cands));
        cands.extend(passages.cands);
        // 5. Decide, and say what was decided.
        let ranked = ranked(cands);
        let mut decision = self.decide(&ranked);
        // A whether-question about what the best candidate does not cover
        // ("驿站能寄存快递吗") is not answered by what shares its topic.
        if let decide::Decision::Answer { top, score, .. } = &decision
            && exact.is_none()
            && self.misses_focus(norm, q.qtype, *top)
        {
            decision = self.fallback(&ranked, *score);
        }
        self.present(decision, &passages.windows)
    }

    /// The stations nearest to a shared location, at the current Beijing time.
    pub fn nearby(&self, lat: f64, lon: f64) -> Answer {
        self.nearby_at(lat, lon, geo::beijing_minute_now())
    }

    /// The `k` stations nearest to a point, nearest first, with their
    /// distances in metres (what [`Engine::nearby`] lists).
    pub fn nearest_stations(&self, lat: f64, lon: f64, k: usize) -> Vec<(usize, f64)> {
        self.station_index.nearest(lat, lon, k)
    }

    /// Answers the text form of a [`Ref`] (a suggestion's key, a button's
    /// data, a deep link); `None` when it is not one, or names nothing the
    /// knowledge has (any more).
    pub fn answer_ref(&self, key: &str) -> Option<Answer> {
        self.answer_to(&key.parse().ok()?)
    }

    /// Answers with what `r` names, confidently; `None` when the knowledge
    /// does not have it (any more).
    pub fn answer_to(&self, r: &Ref) -> Option<Answer> {
        let article = |id: &str| self.article_by_id.get(id).copied();
        match r {
            Ref::Faq(id) => self.knowledge.faq.iter().position(|e| e.id == *id).map(|i| self.faq_answer(i, 1.0, true)),
            Ref::Article(id) => {
                let ai = article(id)?;
                let pid = self.passages.iter().position(|p| p.article == ai)?;
                Some(self.passage_answer(pid, None, 1.0, true))
            }
            Ref::Passage { article: id, paragraph } => {
                let ai = article(id)?;
                let pid = self.passages.iter().position(|p| p.article == ai && p.paragraph == *paragraph)?;
                Some(self.passage_answer(pid, None, 1.0, true))
            }
            Ref::Station(id) => self.station_by_id.get(id).map(|&i| self.station_answer(i, geo::beijing_minute_now())),
            Ref::District(id) => self.district_place(id).map(|d| self.place_answer(d, &text::normalize(&d.name), "", geo::beijing_minute_now())),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::knowledge::Knowledge;
    use crate::sample;

    /// The seed knowledge, and questions to probe the matcher with: 300 mixed
    /// from our regression wordings and faq.yaml (`seed` picks them), then
    /// every FAQ wording.
    pub(crate) fn knowledge_and_questions(seed: u64) -> (Knowledge, Vec<String>) {
        let (k, asked) = sample::seed_and_regression_questions();
        let mut questions = sample::question_mix(&asked, &k, 300, seed);
        questions.extend(k.faq.iter().flat_map(|e| e.questions.iter().cloned()));
        (k, questions)
    }
}
