//! Article search: the jieba tokenizer, the tantivy schema, building and
//! opening the index on disk, and the passage query.
//!
//! Each article paragraph is one tantivy document (a passage) with the
//! article's title beside it, so a hit points at the paragraph that answers,
//! not at a whole page. The index lives in `DATA_DIR/index-<fingerprint>`:
//! it is rebuilt only when something in `knowledge/` changed.

pub mod analyzer;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

pub use analyzer::{Analyzer, JiebaTokenizer, TOKENIZER_NAME, TermGroup};

use crate::knowledge::Knowledge;

/// Part of the knowledge fingerprint: change it whenever the schema or the way
/// text is turned into terms changes, so old indexes are rebuilt.
pub const INDEX_FORMAT: &str = "union-bot index v1 (paragraph passages, canonical jieba terms)";

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
        TextFieldIndexing::default().set_tokenizer(TOKENIZER_NAME).set_index_option(IndexRecordOption::WithFreqs),
    );
    let pid = b.add_u64_field("pid", FAST | STORED);
    let title = b.add_text_field("title", text.clone());
    let body = b.add_text_field("body", text);
    (b.build(), Fields { pid, title, body })
}

/// Registers the jieba tokenizer on an index. Custom tokenizers are not saved
/// in the index, so this runs on every build and every open.
pub fn register_tokenizer(index: &Index, analyzer: &Analyzer) {
    index.tokenizers().register(TOKENIZER_NAME, JiebaTokenizer(analyzer.clone()));
}

/// The article index, ready to search.
pub struct ArticleIndex {
    reader: IndexReader,
    fields: Fields,
    /// Where the index lives on disk (`None` when built in RAM).
    pub dir: Option<PathBuf>,
}

impl ArticleIndex {
    /// Builds the index in RAM (tests, benchmarks).
    pub fn build_in_ram(knowledge: &Knowledge, analyzer: &Analyzer) -> Result<ArticleIndex> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        fill(&index, fields, knowledge, analyzer)?;
        Self::from_index(index, fields, analyzer, None)
    }

    /// Opens the index for this knowledge from `data_dir`, building it first
    /// when there is none for the current fingerprint. Returns whether it was built.
    pub fn open_or_build(knowledge: &Knowledge, analyzer: &Analyzer, data_dir: &Path) -> Result<(ArticleIndex, bool)> {
        let dir = index_dir(data_dir, knowledge.fingerprint);
        let (schema, fields) = schema();
        if dir.join(READY_MARKER).exists()
            && let Ok(index) = Index::open_in_dir(&dir)
        {
            if index.schema() == schema {
                return Ok((Self::from_index(index, fields, analyzer, Some(dir))?, false));
            }
        }
        Self::build_on_disk(knowledge, analyzer, data_dir).map(|i| (i, true))
    }

    /// Builds the index for this knowledge on disk, aside, then moves it into
    /// place: a half-built index is never opened. Older indexes are removed.
    pub fn build_on_disk(knowledge: &Knowledge, analyzer: &Analyzer, data_dir: &Path) -> Result<ArticleIndex> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("{}: cannot create the data directory", data_dir.display()))?;
        let dir = index_dir(data_dir, knowledge.fingerprint);
        let tmp = data_dir.join(format!(".building-{:016x}-{}", knowledge.fingerprint, std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
        let (schema, fields) = schema();
        {
            let index = Index::create_in_dir(&tmp, schema).with_context(|| format!("{}: cannot create the index", tmp.display()))?;
            fill(&index, fields, knowledge, analyzer)?;
        }
        std::fs::write(tmp.join(READY_MARKER), format!("{:016x}\n", knowledge.fingerprint))?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir).with_context(|| format!("{}: cannot move the new index into place", dir.display()))?;
        remove_stale(data_dir, &dir);
        let index = Index::open_in_dir(&dir).with_context(|| format!("{}: cannot open the new index", dir.display()))?;
        Self::from_index(index, fields, analyzer, Some(dir))
    }

    fn from_index(index: Index, fields: Fields, analyzer: &Analyzer, dir: Option<PathBuf>) -> Result<ArticleIndex> {
        register_tokenizer(&index, analyzer);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(ArticleIndex { reader, fields, dir })
    }

    /// The best passages for a question's terms: a union of term queries over
    /// title (boosted) and body, BM25-scored. tantivy's QueryParser would turn
    /// a Chinese question into one phrase query, which almost never matches.
    pub fn search(&self, terms: &[String], limit: usize) -> Result<Vec<(usize, f32)>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len() * 2);
        for t in terms {
            let title = TermQuery::new(Term::from_field_text(self.fields.title, t), IndexRecordOption::WithFreqs);
            let body = TermQuery::new(Term::from_field_text(self.fields.body, t), IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(title), TITLE_BOOST))));
            clauses.push((Occur::Should, Box::new(body)));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let seg = searcher.segment_reader(addr.segment_ord);
            let col = seg.fast_fields().u64("pid")?;
            if let Some(pid) = col.first(addr.doc_id) {
                out.push((pid as usize, score));
            }
        }
        Ok(out)
    }

    /// Number of passages in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

const READY_MARKER: &str = "READY";

fn index_dir(data_dir: &Path, fingerprint: u64) -> PathBuf {
    data_dir.join(format!("index-{fingerprint:016x}"))
}

fn fill(index: &Index, fields: Fields, knowledge: &Knowledge, analyzer: &Analyzer) -> Result<()> {
    register_tokenizer(index, analyzer);
    // One thread: the corpus is small, and document ids then follow insertion order.
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 50_000_000)?;
    for (pid, p) in passages(knowledge).iter().enumerate() {
        let article = &knowledge.articles[p.article];
        let mut doc = TantivyDocument::default();
        doc.add_u64(fields.pid, pid as u64);
        doc.add_text(fields.title, &article.title);
        if let Some(sub) = &article.subtitle {
            doc.add_text(fields.title, sub);
        }
        doc.add_text(fields.body, &article.paragraphs[p.paragraph]);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
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
