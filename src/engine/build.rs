//! Assembling an engine from one version of the knowledge: every term of the
//! FAQ entries and stations numbered beside the index's vocabulary, the
//! words' weights (inverse document frequency over FAQ entries and
//! passages), the FAQ postings, and the finders for station names and places.
//! Done once per knowledge version, never per question.

use std::collections::HashMap;
use std::path::Path;

use crate::geo;
use crate::knowledge::Knowledge;
use crate::search::{Analyzer, ArticleIndex, FxMap, PassageTerms, StationTerms, passages, scope_terms};
use crate::text;

use super::faq::{FaqPostings, FaqTerms, Wording, WordingWord};
use super::query::{TermSet, Vocab};
use super::route::{CueFinder, squeeze};
use super::stations::strip_district;
use super::{Engine, Tuning};

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
        self.set_of_iter(terms.iter().map(String::as_str))
    }

    fn set_of_iter<'t>(&mut self, terms: impl Iterator<Item = &'t str>) -> TermSet {
        let mut v: Vec<u32> = terms.map(|t| self.id(t)).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

impl Engine {
    /// The article index it searches (shared by a reload that keeps it).
    pub fn index(&self) -> &ArticleIndex {
        &self.index
    }

    /// Assembles an engine from loaded knowledge, its analyzer and its index,
    /// deciding by `tuning`.
    pub fn from_parts_tuned(knowledge: Knowledge, analyzer: Analyzer, index: ArticleIndex, tuning: Tuning) -> Engine {
        // The two automata over every station name first: building one takes
        // several times the memory it keeps, and what it frees is reused by
        // the rest here instead of raising the peak of a start at its end.
        let repairer = crate::repair::Repairer::new(&knowledge, &analyzer);
        let analyzer = analyzer.remembering_sub_words(sub_word_texts(&knowledge));
        let mut station_names = Vec::new();
        for (i, s) in knowledge.stations.iter().enumerate() {
            for n in std::iter::once(&s.name).chain(&s.aliases) {
                let n = squeeze(&text::normalize(n));
                if n.chars().count() >= 3 {
                    station_names.push((n, i));
                }
            }
        }
        let station_of: Vec<usize> = station_names.iter().map(|(_, i)| *i).collect();
        let station_names = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(station_names.iter().map(|(n, _)| n.as_str()))
            .expect("station names build an automaton");

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
                wordings.push(Wording { flat, groups: Vec::new(), total: 0.0, qtype: 0 });
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

        let mut station_terms = Vec::with_capacity(knowledge.stations.len());
        // Not a document for the weights: an imported list of 11,000
        // stations would otherwise make "驿站" and "喝水" weigh nothing.
        // Segmented once and kept beside the index (read at every start).
        let data_dir = index.dir.as_deref().and_then(Path::parent);
        let kept = StationTerms::load_or_build(&knowledge.stations, &analyzer, data_dir);
        for i in 0..kept.len() {
            station_terms.push(ids.set_of_iter(kept.of(i)));
        }

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
        let weight: Vec<f32> = df.iter().zip(&by_id).map(|(&d, t)| tuning.term_weight(t, ((n_docs + 1.0) / (d as f32 + 0.5)).ln())).collect();
        let unknown_weight = tuning.unknown_weight_share * ((n_docs + 1.0) / 0.5).ln();
        let vocab = Vocab { extra, known, weight, unknown_weight };
        for (f, groups_of_entry) in faq_terms.iter_mut().zip(faq_groups) {
            for (w, groups) in f.wordings.iter_mut().zip(groups_of_entry) {
                w.groups = groups.into_iter().map(|(full, subs)| WordingWord { full, subs, weight: vocab.weight[full as usize] }).collect();
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
        let cues = CueFinder::new(&knowledge.lexicon);
        let place_finder = geo::PlaceFinder::new(&knowledge.places);
        let station_index = geo::StationIndex::new(&knowledge.stations);
        let mut district_stations: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s) in knowledge.stations.iter().enumerate() {
            district_stations.entry(strip_district(&s.district).to_string()).or_default().push(i);
        }
        let article_by_id = knowledge.articles.iter().enumerate().rev().map(|(i, a)| (a.id.clone(), i)).collect();
        let faq_by_id = knowledge.faq.iter().enumerate().rev().map(|(i, e)| (e.id.clone(), i)).collect();
        let station_by_id = knowledge.stations.iter().enumerate().rev().map(|(i, s)| (s.id.clone(), i)).collect();
        let asking = super::asking::AskingFinder::new(&knowledge.lexicon.long_messages);
        let types = super::qtype::TypeFinder::new(&knowledge.lexicon.question_types);
        let faq_types = knowledge.faq.iter().map(|e| types.of_entry(e)).collect();
        for (f, e) in faq_terms.iter_mut().zip(&knowledge.faq) {
            for (w, q) in f.wordings.iter_mut().zip(&e.questions) {
                w.qtype = types.read(&crate::text::normalize(q));
            }
        }
        let modals = super::focus::ModalFinder::new(&knowledge.lexicon.question_types.modals);
        Engine {
            knowledge,
            tuning,
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
            faq_by_id,
            searches: std::sync::atomic::AtomicU64::new(0),
            station_by_id,
            station_names,
            station_of,
            station_terms,
            count_term,
            scope_terms,
            cues,
            question_words,
            context_words,
            exact_wordings,
            repairer,
            asking,
            types,
            faq_types,
            modals,
        }
    }
}

/// The texts whose words questions hold nearly always: the FAQ's wordings
/// and topics, the lexicon's words and the places' names (see
/// [`Analyzer::remembering_sub_words`]).
fn sub_word_texts(knowledge: &Knowledge) -> impl Iterator<Item = &str> {
    let lex = &knowledge.lexicon;
    let faq = knowledge.faq.iter().flat_map(|e| e.questions.iter().chain(std::iter::once(&e.topic)));
    let synonyms = lex.synonyms.iter().flat_map(|(canon, variants)| std::iter::once(canon).chain(variants));
    let places = knowledge.places.iter().flat_map(|p| std::iter::once(&p.name).chain(&p.aliases));
    faq.chain(&lex.user_words).chain(synonyms).chain(places).map(String::as_str)
}
