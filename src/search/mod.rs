//! Article search: the jieba tokenizer, the tantivy schema, building and
//! opening the index on disk, and the passage query.
//!
//! Each article paragraph is one tantivy document (a passage) with the
//! article's title beside it, so a hit points at the paragraph that answers,
//! not at a whole page. The index lives in `DATA_DIR/index-<key>`, the key
//! made of the knowledge's fingerprint and [`INDEX_FORMAT`]: it is rebuilt
//! only when something in `knowledge/` changed, or the way it is indexed.
//!
//! Beside tantivy's files the index keeps what the matcher needs of every
//! passage ([`PassageTerms`]: each sentence's terms and scopes, each title's,
//! and how many passages hold each term), computed in the same jieba pass that
//! feeds tantivy. Opening an index reads that file instead of segmenting the
//! whole corpus again: at 100,000 passages that was seconds at every start.
//! It keeps too the segmented text of each article ([`segments`]): the index
//! of an edited knowledge segments only the articles that changed.

pub mod analyzer;
mod fx;
pub mod kept_jieba;
mod read_only;
mod segments;
mod station_terms;
mod terms;

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Result;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};

pub use analyzer::{Analyzed, Analyzer, TERM_SEPARATOR, TERMS_TOKENIZER, TermGroup, TermsTokenizer, scope_terms};
pub use fx::{FxHasher, FxMap, FxSet};
pub use station_terms::{STATION_TERMS_FORMAT, StationTerms};
pub use terms::{PassageTerms, Sentence};
pub use read_only::DataDirError;
pub use segments::SEGMENTS_FORMAT;

use crate::knowledge::Knowledge;

/// Part of an index's key (with the knowledge's fingerprint): change it
/// whenever the schema or the way text is turned into terms changes, so that
/// an old index on disk is never reused with a new binary.
pub const INDEX_FORMAT: &str = "union-bot index v4 (paragraph passages, canonical jieba terms joined for the terms tokenizer, passage terms beside; traditional characters normalised to simplified)";

/// How much more a title match counts than a body match.
pub const TITLE_BOOST: f32 = 2.0;

/// One paragraph of one article.
#[derive(Debug, Clone)]
pub struct Passage {
    pub article: usize,
    pub paragraph: usize,
}

/// Lists the passages of a knowledge base in a fixed order: the position in
/// this list is the passage id stored in the index.
pub fn passages(knowledge: &Knowledge) -> Vec<Passage> {
    let mut out = Vec::new();
    for (a, article) in knowledge.articles.iter().enumerate() {
        for p in 0..article.paragraphs.len() {
            out.push(Passage { article: a, paragraph: p });
        }
    }
    out
}

#[derive(Clone, Copy)]
struct Fields {
    pid: Field,
    title: Field,
    body: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(TERMS_TOKENIZER).set_index_option(IndexRecordOption::WithFreqs),
    );
    let pid = b.add_u64_field("pid", FAST | STORED);
    let title = b.add_text_field("title", text.clone());
    let body = b.add_text_field("body", text);
    (b.build(), Fields { pid, title, body })
}

/// Registers the tokenizer on an index: the term splitter its fields use
/// (their text is the analyzer's terms, see [`TERMS_TOKENIZER`]). Custom
/// tokenizers are not saved in the index, so this runs on every build and
/// every open.
pub fn register_tokenizer(index: &Index) {
    index.tokenizers().register(TERMS_TOKENIZER, TermsTokenizer::default());
}

/// The article index, ready to search. Cheap to clone (what it holds is
/// shared): a reload that keeps the articles keeps their index.
#[derive(Clone)]
pub struct ArticleIndex {
    /// Kept so the searcher's segments stay open.
    _reader: IndexReader,
    /// The one searcher of this index version (it never reloads).
    searcher: Searcher,
    fields: Fields,
    /// Passage id of each document, by segment and document id (read once
    /// from the `pid` fast field instead of opening the column per hit).
    pids: std::sync::Arc<Vec<Vec<u32>>>,
    terms: std::sync::Arc<PassageTerms>,
    /// [`index_key`] of what it was built from.
    key: u64,
    /// Where the index lives on disk (`None` when built in RAM).
    pub dir: Option<PathBuf>,
    /// What building it segmented (`None` when it was opened).
    built: Option<BuildStats>,
}

impl ArticleIndex {
    /// Builds the index in RAM (tests, benchmarks).
    pub fn build_in_ram(knowledge: &Knowledge, analyzer: &Analyzer) -> Result<ArticleIndex> {
        Self::build_in_ram_reading(knowledge, analyzer, None)
    }

    /// Builds the index in RAM, reading the segmented text of the articles
    /// that an index in `data_dir` kept (a data directory that cannot take a
    /// new index may still hold the last one).
    fn build_in_ram_reading(knowledge: &Knowledge, analyzer: &Analyzer, data_dir: Option<&Path>) -> Result<ArticleIndex> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let kept = data_dir.and_then(|d| segments::Kept::find(d, segmentation_key(knowledge, analyzer)));
        let (terms, stats) = fill(&index, fields, knowledge, analyzer, kept.as_ref(), None)?;
        let mut built = Self::from_index(index, fields, terms, None, index_key(knowledge, analyzer))?;
        built.built = Some(stats);
        Ok(built)
    }

    /// Opens the index for this knowledge from `data_dir`, building it first
    /// when there is none for the current fingerprint. Returns whether it was built.
    ///
    /// An index on disk is opened read-only (no lock file, nothing written),
    /// so a read-only data directory with a current index answers as well as
    /// a writable one. When the index must be built and the data directory
    /// cannot take it (read-only, full, not a directory), it is built in
    /// memory with one warning: the bot answers, slower to start.
    pub fn open_or_build(knowledge: &Knowledge, analyzer: &Analyzer, data_dir: &Path) -> Result<(ArticleIndex, bool)> {
        let key = index_key(knowledge, analyzer);
        let dir = index_dir(data_dir, key);
        let (schema, fields) = schema();
        if dir.join(READY_MARKER).exists()
            && let Ok(index) = read_only::open(&dir)
            && index.schema() == schema
        {
            match PassageTerms::read(&dir.join(TERMS_FILE)) {
                Ok(terms) if terms.fits(knowledge) => return Ok((Self::from_index(index, fields, terms, Some(dir), key)?, false)),
                Ok(_) => tracing::warn!(dir = %dir.display(), "the passage terms do not fit the knowledge; rebuilding the index"),
                Err(e) => tracing::warn!(dir = %dir.display(), error = %format!("{e:#}"), "cannot read the passage terms; rebuilding the index"),
            }
        }
        match Self::build_on_disk(knowledge, analyzer, data_dir) {
            Ok(index) => Ok((index, true)),
            Err(e) => match e.downcast_ref::<DataDirError>() {
                Some(d) => {
                    tracing::warn!("{}", crate::messages::index_in_memory(&d.dir, &d.source));
                    Ok((Self::build_in_ram_reading(knowledge, analyzer, Some(data_dir))?, true))
                }
                None => Err(e),
            },
        }
    }

    /// Builds the index for this knowledge on disk, aside, then moves it into
    /// place: a half-built index is never opened. Older indexes are removed.
    /// A data directory that cannot take it is a [`DataDirError`].
    ///
    /// The articles an index already in `data_dir` segmented for the same
    /// analyzer and scope words are read from its kept segments, not
    /// segmented again; the new index keeps every article's (see [`segments`]).
    pub fn build_on_disk(knowledge: &Knowledge, analyzer: &Analyzer, data_dir: &Path) -> Result<ArticleIndex> {
        let data_error = |e: std::io::Error| anyhow::Error::new(DataDirError { dir: data_dir.to_path_buf(), source: e });
        std::fs::create_dir_all(data_dir).map_err(data_error)?;
        let key = index_key(knowledge, analyzer);
        let dir = index_dir(data_dir, key);
        let seg_key = segmentation_key(knowledge, analyzer);
        let kept = segments::Kept::find(data_dir, seg_key);
        let tmp = data_dir.join(format!(".building-{key:016x}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(data_error)?;
        let (schema, fields) = schema();
        let built = (|| -> Result<(PassageTerms, BuildStats)> {
            let (terms, stats) = {
                let index = Index::create_in_dir(&tmp, schema).map_err(|e| read_only::data_dir_error(data_dir, e))?;
                let seg_file = tmp.join(segments::FILE);
                let mut keeper = segments::Keeper::create(&seg_file, seg_key, knowledge.articles.len())
                    .inspect_err(|e| tracing::debug!(path = %seg_file.display(), error = %e, "cannot keep the segments"))
                    .ok();
                let filled = fill(&index, fields, knowledge, analyzer, kept.as_ref(), keeper.as_mut()).map_err(|e| match e.downcast::<tantivy::TantivyError>() {
                    Ok(t) => read_only::data_dir_error(data_dir, t),
                    Err(e) => e,
                })?;
                // The segments only spare work: an index without them is whole.
                if let Some(k) = keeper
                    && let Err(e) = k.finish()
                {
                    tracing::debug!(path = %seg_file.display(), error = %e, "cannot keep the segments");
                    let _ = std::fs::remove_file(&seg_file);
                }
                filled
            };
            terms.write(&tmp.join(TERMS_FILE)).map_err(|e| match e.downcast::<std::io::Error>() {
                Ok(io) => data_error(io),
                Err(e) => e,
            })?;
            std::fs::write(tmp.join(READY_MARKER), format!("{key:016x}\n")).map_err(data_error)?;
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::rename(&tmp, &dir).map_err(data_error)?;
            Ok((terms, stats))
        })();
        drop(kept);
        let (terms, stats) = match built {
            Ok(built) => built,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        remove_stale(data_dir, &dir);
        let index = read_only::open(&dir).map_err(|e| anyhow::anyhow!(crate::messages::index_unreadable(&dir, &read_only::plain(&e))))?;
        let mut built = Self::from_index(index, fields, terms, Some(dir), key)?;
        built.built = Some(stats);
        Ok(built)
    }

    fn from_index(index: Index, fields: Fields, terms: PassageTerms, dir: Option<PathBuf>, key: u64) -> Result<ArticleIndex> {
        register_tokenizer(&index);
        let reader: IndexReader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let searcher = reader.searcher();
        let mut pids = Vec::with_capacity(searcher.segment_readers().len());
        for seg in searcher.segment_readers() {
            let col = seg.fast_fields().u64("pid")?;
            pids.push((0..seg.max_doc()).map(|d| col.first(d).map(|p| p as u32).unwrap_or(u32::MAX)).collect());
        }
        Ok(ArticleIndex { _reader: reader, searcher, fields, pids: std::sync::Arc::new(pids), terms: std::sync::Arc::new(terms), key, dir, built: None })
    }

    /// The best passages for a question's terms: a union of term queries over
    /// title (boosted) and body, BM25-scored. tantivy's QueryParser would turn
    /// a Chinese question into one phrase query, which almost never matches.
    ///
    /// A term a field never indexed matches nothing and changes no other
    /// term's score, so its query is left out rather than looked up in vain.
    pub fn search(&self, terms: &[String], limit: usize) -> Result<Vec<(usize, f32)>> {
        self.search_with(terms, limit, true)
    }

    fn search_with(&self, terms: &[String], limit: usize, skip_unindexed: bool) -> Result<Vec<(usize, f32)>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len() * 2);
        for t in terms {
            let (in_title, in_body) = if skip_unindexed { self.terms.indexed(t) } else { (true, true) };
            if in_title {
                let title = TermQuery::new(Term::from_field_text(self.fields.title, t), IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(title), TITLE_BOOST))));
            }
            if in_body {
                let body = TermQuery::new(Term::from_field_text(self.fields.body, t), IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(body)));
            }
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        let top = self.searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        Ok(top
            .into_iter()
            .filter_map(|(score, addr)| {
                let pid = *self.pids.get(addr.segment_ord as usize)?.get(addr.doc_id as usize)?;
                (pid != u32::MAX).then_some((pid as usize, score))
            })
            .collect())
    }

    /// Number of passages in the index.
    pub fn num_docs(&self) -> u64 {
        self.searcher.num_docs()
    }

    /// What the matcher needs of every passage and title.
    pub fn terms(&self) -> &PassageTerms {
        &self.terms
    }

    /// [`index_key`] of the knowledge and analyzer it was built from: when a
    /// reload's key is the same, this index serves the new knowledge as it is.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// What building this index segmented and what it read (`None` when
    /// it was opened as built).
    pub fn built(&self) -> Option<BuildStats> {
        self.built
    }
}

const READY_MARKER: &str = "READY";
const TERMS_FILE: &str = "passages.bin";

fn index_dir(data_dir: &Path, key: u64) -> PathBuf {
    data_dir.join(format!("index-{key:016x}"))
}

/// What names an index on disk: what the index is made of, and nothing
/// else. The articles (ids, titles, paragraphs), the analyzer that segmented
/// them ([`Analyzer::key`]: lexicon, station and place names) and the scope
/// words (districts), with [`INDEX_FORMAT`]. An edit of faq.yaml, or of a
/// station's address, hours or services, keeps the index.
pub fn index_key(knowledge: &Knowledge, analyzer: &Analyzer) -> u64 {
    let mut h = segments::KeyHasher::default();
    h.put(INDEX_FORMAT.as_bytes());
    h.put(&analyzer.key().to_le_bytes());
    h.put_scopes(&scope_terms(knowledge, analyzer));
    for a in &knowledge.articles {
        h.put_article(a);
    }
    h.finish()
}

/// What segmenting an article for the index depends on besides its text
/// (see [`segments::segmentation_key`]): [`index_key`] without the articles.
pub fn segmentation_key(knowledge: &Knowledge, analyzer: &Analyzer) -> u64 {
    segments::segmentation_key(INDEX_FORMAT, analyzer.key(), &scope_terms(knowledge, analyzer))
}

/// Passages segmented per batch: large enough to keep every core busy, small
/// enough that a batch's terms never weigh much.
const BATCH: usize = 2048;

/// Passages read from kept segments per batch (see [`fill`]).
const READ_BATCH: usize = 256;

/// What a build segmented and what it read from the segments kept beside an
/// earlier index (see [`segments`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildStats {
    pub articles: usize,
    /// Articles whose title or paragraphs were segmented (not found kept).
    pub articles_segmented: usize,
    pub passages: usize,
    /// Paragraphs segmented with jieba; the others were read.
    pub passages_segmented: usize,
}

/// Indexes every passage and returns what the matcher needs of them. Each
/// sentence is segmented once, on all cores, or read from `kept` when the
/// article did not change; its terms go to tantivy (joined, for the term
/// splitter), to [`PassageTerms`] and, when given, to `keeper`. Whatever was
/// read and what was segmented, tantivy and the passage terms get the same
/// texts in the same order as from a build from nothing.
fn fill(
    index: &Index,
    fields: Fields,
    knowledge: &Knowledge,
    analyzer: &Analyzer,
    kept: Option<&segments::Kept>,
    mut keeper: Option<&mut segments::Keeper>,
) -> Result<(PassageTerms, BuildStats)> {
    register_tokenizer(index);
    let scopes = scope_terms(knowledge, analyzer);
    let articles = &knowledge.articles;
    let hashes: Vec<u64> = if kept.is_some() || keeper.is_some() { articles.iter().map(segments::article_hash).collect() } else { vec![0; articles.len()] };
    let mut stats = BuildStats { articles: articles.len(), ..Default::default() };
    // Whether some part of each article was segmented.
    let mut segmented = vec![false; articles.len()];
    let mut terms = terms::Builder::new(knowledge);
    // Titles first: the matcher reads title and subtitle as one text;
    // tantivy indexes them as two values of the title field.
    let mut titles: Vec<Vec<String>> = Vec::with_capacity(articles.len());
    for (a, article) in articles.iter().enumerate() {
        let title = match kept.and_then(|k| k.title(hashes[a])) {
            Some(t) => t,
            None => {
                segmented[a] = true;
                terms::segment_title(analyzer, article, &scopes)
            }
        };
        terms.add_title(&title);
        if let Some(k) = keeper.as_deref_mut() {
            k.put_title(hashes[a], &title);
        }
        titles.push(title.values.iter().map(|v| terms::join(v)).collect());
    }
    // Articles in batches of about BATCH passages to segment, or of
    // READ_BATCH passages to read: reading runs ahead of tantivy, and what
    // waits for it (three batches) is held in memory.
    let mut batches: Vec<Range<usize>> = Vec::new();
    let (mut from, mut to_segment, mut to_read) = (0, 0, 0);
    for (a, article) in articles.iter().enumerate() {
        if kept.is_some_and(|k| k.has(hashes[a])) {
            to_read += article.paragraphs.len();
        } else {
            to_segment += article.paragraphs.len();
        }
        if to_segment >= BATCH || to_read >= READ_BATCH {
            batches.push(from..a + 1);
            (from, to_segment, to_read) = (a + 1, 0, 0);
        }
    }
    if from < articles.len() {
        batches.push(from..articles.len());
    }
    // One thread: document ids then follow insertion order (and the BM25
    // order of equal scores with it). Segmenting, the costly part, is spread
    // over the cores below.
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 50_000_000)?;
    let total: usize = articles.iter().map(|a| a.paragraphs.len()).sum();
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    // The next batch is read and segmented while this one is interned and
    // indexed: per article, its passage texts and whether they were segmented.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(Vec<terms::PassageText>, bool)>>(1);
    std::thread::scope(|s| -> Result<()> {
        let scopes = &scopes;
        let (batches, hashes) = (&batches, &hashes);
        s.spawn(move || {
            for batch in batches {
                let mut texts: Vec<Option<Vec<terms::PassageText>>> = batch.clone().map(|a| kept.and_then(|k| k.body(hashes[a], &articles[a]))).collect();
                let todo: Vec<Passage> = batch
                    .clone()
                    .zip(&texts)
                    .filter(|(_, t)| t.is_none())
                    .flat_map(|(a, _)| (0..articles[a].paragraphs.len()).map(move |p| Passage { article: a, paragraph: p }))
                    .collect();
                let mut fresh = segment_batch(&todo, knowledge, analyzer, scopes, workers).into_iter();
                let out = batch
                    .clone()
                    .zip(texts.iter_mut())
                    .map(|(a, t)| match t.take() {
                        Some(t) => (t, false),
                        None => (fresh.by_ref().take(articles[a].paragraphs.len()).collect(), true),
                    })
                    .collect();
                if tx.send(out).is_err() {
                    break;
                }
            }
        });
        let mut pid = 0u64;
        for (batch, texts) in batches.iter().zip(rx.iter()) {
            for (a, (texts, fresh)) in batch.clone().zip(texts) {
                for text in &texts {
                    terms.add_passage(text);
                    let mut doc = TantivyDocument::default();
                    doc.add_u64(fields.pid, pid);
                    for t in &titles[a] {
                        doc.add_text(fields.title, t);
                    }
                    doc.add_text(fields.body, &text.body);
                    writer.add_document(doc)?;
                    pid += 1;
                }
                if fresh {
                    segmented[a] = true;
                    stats.passages_segmented += texts.len();
                }
                if let Some(k) = keeper.as_deref_mut() {
                    k.put_body(a, &texts);
                }
            }
        }
        anyhow::ensure!(pid as usize == total, "segmenting stopped after {pid} of {total} passages");
        stats.passages = total;
        Ok(())
    })?;
    writer.commit()?;
    writer.wait_merging_threads()?;
    stats.articles_segmented = segmented.iter().filter(|&&s| s).count();
    if let Some(k) = kept
        && k.damaged() > 0
    {
        tracing::warn!(path = %k.path().display(), damaged = k.damaged(), "damaged records of the kept segments were ignored; their articles were segmented again");
    }
    Ok((terms.finish(), stats))
}

/// Segments a batch of passages on `workers` threads, in order.
fn segment_batch(batch: &[Passage], knowledge: &Knowledge, analyzer: &Analyzer, scopes: &FxMap<String, u8>, workers: usize) -> Vec<terms::PassageText> {
    let one = |p: &Passage| terms::segment(analyzer, &knowledge.articles[p.article].paragraphs[p.paragraph], scopes);
    if workers <= 1 || batch.len() < 64 {
        return batch.iter().map(one).collect();
    }
    let chunk = batch.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = batch.chunks(chunk).map(|c| s.spawn(move || c.iter().map(one).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("a segmenting thread panicked")).collect()
    })
}

/// Removes indexes of older fingerprints and abandoned builds (best effort:
/// a reader still holding files open keeps them alive on Unix).
fn remove_stale(data_dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p != keep && (name.starts_with("index-") || name.starts_with(".building-")) {
            let _ = std::fs::remove_dir_all(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn seed() -> (Knowledge, Analyzer) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let (k, _) = Knowledge::load(&dir).expect("the seed knowledge loads");
        let a = Analyzer::new(&k);
        (k, a)
    }

    /// Questions that reach many passages: every FAQ wording and article title.
    pub(super) fn wordings_and_titles(k: &Knowledge) -> Vec<String> {
        let mut questions: Vec<String> = k.faq.iter().flat_map(|e| e.questions.iter().cloned()).collect();
        questions.extend(k.articles.iter().map(|art| art.title.clone()));
        questions
    }

    #[test]
    fn passage_terms_survive_the_disk() {
        let (k, a) = seed();
        let data = tempfile::tempdir().unwrap();
        let built = ArticleIndex::build_on_disk(&k, &a, data.path()).unwrap();
        let (opened, rebuilt) = ArticleIndex::open_or_build(&k, &a, data.path()).unwrap();
        assert!(!rebuilt, "a built index is opened, not rebuilt");
        assert_eq!(built.terms(), opened.terms());
        assert_eq!(ArticleIndex::build_in_ram(&k, &a).unwrap().terms(), opened.terms());
        assert!(opened.terms().fits(&k));
        // A damaged terms file means a rebuild, never a wrong answer.
        let file = opened.dir.clone().unwrap().join(TERMS_FILE);
        std::fs::write(&file, b"union-bot passage terms 1\n\x05").unwrap();
        drop(opened);
        let (_, rebuilt) = ArticleIndex::open_or_build(&k, &a, data.path()).unwrap();
        assert!(rebuilt, "a damaged terms file is rebuilt");
    }

    /// Leaving out the queries of terms a field never indexed changes no hit
    /// and no score.
    #[test]
    fn skipping_unindexed_terms_changes_no_hit() {
        let (k, a) = seed();
        let index = ArticleIndex::build_in_ram(&k, &a).unwrap();
        let mut questions = wordings_and_titles(&k);
        questions.extend(["帮我点一份外卖", "怀柔有几家驿站", "北京图书大厦的共享阅读区是什么", "asdf 12351"].map(String::from));
        for q in &questions {
            let terms = a.terms(q);
            let pruned = index.search_with(&terms, 24, true).unwrap();
            let full = index.search_with(&terms, 24, false).unwrap();
            assert_eq!(pruned, full, "hits for {q}");
        }
    }
}
