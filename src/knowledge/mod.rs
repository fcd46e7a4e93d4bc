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
        let articles = articles::load_dir(&dir.join(ARTICLES_DIR), &mut problems);
        let article_ids: HashSet<&str> = articles.iter().map(|a| a.id.as_str()).collect();
        let faq = faq::load(&dir.join(FAQ_FILE), &article_ids, &mut problems);
        let stations = station_cache::load(&dir.join(STATIONS_FILE), &article_ids, data_dir, &mut problems);
        let places = places::load(&dir.join(PLACES_FILE), &mut problems);
        let lexicon = lexicon::load(&dir.join(LEXICON_FILE), &mut problems);
        let lookalikes = lookalikes::load(&dir.join(LOOKALIKES_FILE), &mut problems);
        let fingerprint = fingerprint(dir);
        let problems = Problems(problems);
        if problems.has_errors() {
            return Err(problems);
        }
        let knowledge = Knowledge { dir: dir.to_path_buf(), faq, stations, places, lexicon, lookalikes, articles, fingerprint };
        Ok((knowledge, problems.0))
    }

    pub fn faq_entry(&self, id: &str) -> Option<&FaqEntry> {
        self.faq.iter().find(|e| e.id == id)
    }
}

/// A stable hash over the names and contents of every file the knowledge base
/// is made of (sorted, so the order the file system lists them in is irrelevant).
pub fn fingerprint(dir: &Path) -> u64 {
    let mut files = Vec::new();
    for name in [FAQ_FILE, STATIONS_FILE, PLACES_FILE, LEXICON_FILE, LOOKALIKES_FILE] {
        files.push(dir.join(name));
    }
    if let Ok(entries) = std::fs::read_dir(dir.join(ARTICLES_DIR)) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "md") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut hash = crate::text::FNV_OFFSET;
    for f in files {
        let name = f.strip_prefix(dir).unwrap_or(&f).to_string_lossy().into_owned();
        hash = crate::text::fnv1a(name.as_bytes(), hash);
        if let Ok(bytes) = std::fs::read(&f) {
            hash = crate::text::fnv1a(&bytes, hash);
        }
    }
    hash
}
