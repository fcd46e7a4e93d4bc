//! The knowledge base: FAQ, stations, places, lexicon and articles, loaded from
//! `knowledge/` and validated as a whole.
//!
//! Loading never stops at the first mistake: an editor gets every problem at
//! once, each as `file:line: message`, so one `check` run is enough to fix a
//! file. A knowledge base with any error is refused whole; warnings are shown
//! but do not block.

pub mod articles;
pub mod faq;
pub mod import;
pub mod lexicon;
pub mod lookalikes;
pub mod places;
mod station_cache;
pub mod station_import;
pub mod stations;
pub mod yaml;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

pub use articles::Article;
pub use faq::FaqEntry;
pub use lexicon::{CueWords, Lexicon, LongMessageWords, QuestionTypeWords, SmallTalkWords};
pub use places::{Place, PlaceKind};
pub use stations::{Hours, Precision, Station};

/// File names inside the knowledge directory.
pub const FAQ_FILE: &str = "faq.yaml";
pub const STATIONS_FILE: &str = "stations.yaml";
pub const PLACES_FILE: &str = "places.yaml";
pub const LEXICON_FILE: &str = "synonyms.yaml";
pub const LOOKALIKES_FILE: &str = "lookalikes.yaml";
pub const ARTICLES_DIR: &str = "articles";

/// Beijing's bounding box (generous by a few kilometres): every coordinate
/// of the knowledge lies in it, and a shared location outside it is answered
/// as outside Beijing.
pub const BEIJING_LAT: (f64, f64) = (39.40, 41.10);
pub const BEIJING_LON: (f64, f64) = (115.40, 117.55);

/// Whether a point lies in Beijing's bounding box.
pub fn in_beijing(lat: f64, lon: f64) -> bool {
    (BEIJING_LAT.0..=BEIJING_LAT.1).contains(&lat) && (BEIJING_LON.0..=BEIJING_LON.1).contains(&lon)
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong in the knowledge directory, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based; 0 for a problem of a whole directory (shown without a line).
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    pub fn error(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Problem { path: path.to_path_buf(), line, severity: Severity::Error, message: message.into() }
    }

    pub fn warning(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Problem { path: path.to_path_buf(), line, severity: Severity::Warning, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.line {
            0 => write!(f, "{}: {}: {}", self.path.display(), tag, self.message),
            line => write!(f, "{}:{}: {}: {}", self.path.display(), line, tag, self.message),
        }
    }
}

/// Every problem found in one load, errors and warnings.
#[derive(Debug, Clone, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter().filter(|p| p.severity == Severity::Error)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            writeln!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The whole knowledge base, validated.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub dir: PathBuf,
    pub faq: Vec<FaqEntry>,
    pub stations: Vec<Station>,
    pub places: Vec<Place>,
    pub lexicon: Lexicon,
    /// Groups of look-alike characters (`lookalikes.yaml`), for the typo repair.
    pub lookalikes: Vec<String>,
    pub articles: Vec<Article>,
    /// Hash of every file that feeds the index; a change means a rebuild.
    pub fingerprint: u64,
    /// The articles' part of the fingerprint (a reload that finds it the
    /// same takes the articles as they are, see [`Knowledge::load_after`]).
    pub articles_hash: u64,
    /// The key of the parsed stations ([`station_cache`]), when stations.yaml
    /// loaded without a problem and a data directory was given.
    pub stations_key: Option<u64>,
}

impl Knowledge {
    /// Loads and validates everything under `dir`. On success the warnings are
    /// returned beside the knowledge; on any error, every problem is returned.
    pub fn load(dir: &Path) -> Result<(Knowledge, Vec<Problem>), Problems> {
        Knowledge::load_kept(dir, None)
    }

    /// [`Knowledge::load`], reading the parsed stations from `data_dir` when
    /// they were kept there for this very stations.yaml (and keeping them
    /// there when they were not): at 11,000 stations, parsing and checking
    /// the YAML was most of a start. Same knowledge, same problems.
    pub fn load_kept(dir: &Path, data_dir: Option<&Path>) -> Result<(Knowledge, Vec<Problem>), Problems> {
        Knowledge::load_after(dir, data_dir, None)
    }

    /// [`Knowledge::load_kept`] for a reload: what did not change since
    /// `old` was loaded (the articles' bytes, stations.yaml's) is taken from
    /// `old` instead of being parsed again. Same knowledge, same problems.
    pub fn load_after(dir: &Path, data_dir: Option<&Path>, old: Option<&Knowledge>) -> Result<(Knowledge, Vec<Problem>), Problems> {
        let mut problems = Vec::new();
        if !dir.is_dir() {
            let cwd = std::env::current_dir().ok();
            problems.push(Problem::error(dir, 0, crate::messages::knowledge_dir_missing(dir, cwd.as_deref())));
            return Err(Problems(problems));
        }
        if [FAQ_FILE, STATIONS_FILE, PLACES_FILE, LEXICON_FILE, ARTICLES_DIR].iter().all(|f| !dir.join(f).exists()) {
            problems.push(Problem::error(dir, 0, crate::messages::knowledge_dir_empty(dir)));
            return Err(Problems(problems));
        }
        // The articles' part of the fingerprint is hashed from the bytes read
        // for loading (3,934 files at city scale were read twice).
        let (articles, articles_hash) = articles::load_dir(dir, &mut problems, old.map(|k| (k.articles.as_slice(), k.articles_hash)));
        let article_ids: HashSet<&str> = articles.iter().map(|a| a.id.as_str()).collect();
        let faq = faq::load(&dir.join(FAQ_FILE), &article_ids, &mut problems);
        let old_stations = old.and_then(|k| Some((k.stations.as_slice(), k.stations_key?)));
        let (stations, stations_key) = station_cache::load(&dir.join(STATIONS_FILE), &article_ids, data_dir, &mut problems, old_stations);
        let places = places::load(&dir.join(PLACES_FILE), &mut problems);
        let lexicon = lexicon::load(&dir.join(LEXICON_FILE), &mut problems);
        let lookalikes = lookalikes::load(&dir.join(LOOKALIKES_FILE), &mut problems);
        let fingerprint = fingerprint_after_articles(dir, articles_hash);
        let problems = Problems(problems);
        if problems.has_errors() {
            return Err(problems);
        }
        let knowledge = Knowledge { dir: dir.to_path_buf(), faq, stations, places, lexicon, lookalikes, articles, fingerprint, articles_hash, stations_key };
        Ok((knowledge, problems.0))
    }

    pub fn faq_entry(&self, id: &str) -> Option<&FaqEntry> {
        self.faq.iter().find(|e| e.id == id)
    }
}

/// A stable hash over the names and contents of every file the knowledge base
/// is made of (sorted, so the order the file system lists them in is irrelevant:
/// the articles, then the YAML files).
pub fn fingerprint(dir: &Path) -> u64 {
    let mut hash = crate::text::FNV_OFFSET;
    for f in articles::files(&dir.join(ARTICLES_DIR)).unwrap_or_default() {
        hash = fingerprint_file(dir, &f, std::fs::read(&f).ok().as_deref(), hash);
    }
    fingerprint_after_articles(dir, hash)
}

/// One file's part of [`fingerprint`]: its name (relative to the knowledge
/// directory), then its bytes (none when it cannot be read).
fn fingerprint_file(dir: &Path, f: &Path, bytes: Option<&[u8]>, hash: u64) -> u64 {
    let name = f.strip_prefix(dir).unwrap_or(f).to_string_lossy().into_owned();
    let hash = crate::text::fnv1a(name.as_bytes(), hash);
    match bytes {
        Some(b) => crate::text::fnv1a(b, hash),
        None => hash,
    }
}

/// [`fingerprint`] from the hash of the articles on: the YAML files.
fn fingerprint_after_articles(dir: &Path, mut hash: u64) -> u64 {
    let mut files: Vec<PathBuf> = [FAQ_FILE, STATIONS_FILE, PLACES_FILE, LEXICON_FILE, LOOKALIKES_FILE].iter().map(|n| dir.join(n)).collect();
    files.sort();
    for f in files {
        hash = fingerprint_file(dir, &f, std::fs::read(&f).ok().as_deref(), hash);
    }
    hash
}
