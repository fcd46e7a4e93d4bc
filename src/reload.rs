//! The live engine: the engine that is serving now, swapped atomically for a
//! new one when the knowledge changes on disk and the change is good.
//!
//! A reload loads and validates `knowledge/`, builds the new index aside, and
//! only then replaces the engine. A bad edit changes nothing: the last good
//! knowledge keeps serving, and the problems (file:line) are returned to the
//! caller, who logs them and tells the admins.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Result;

use crate::answer::Engine;
use crate::config::Paths;
use crate::knowledge::{self, Knowledge, Problem};

/// What a successful reload changed, for the admins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Compares two knowledge bases item by item (FAQ entries, stations,
    /// places, articles), naming each as `faq:<id>`, `station:<id>`, ….
    pub fn between(old: &Knowledge, new: &Knowledge) -> Changes {
        /// One item, compared by value (a FAQ entry without its line).
        #[derive(PartialEq)]
        enum Item<'a> {
            Faq(crate::knowledge::FaqEntry),
            Station(&'a crate::knowledge::Station),
            Place(&'a crate::knowledge::Place),
            Article(&'a crate::knowledge::Article),
            Lexicon(&'a crate::knowledge::Lexicon),
        }
        fn items(k: &Knowledge) -> BTreeMap<String, Item<'_>> {
            let mut m = BTreeMap::new();
            for e in &k.faq {
                let mut e = e.clone();
                e.line = 0;
                m.insert(format!("faq:{}", e.id), Item::Faq(e));
            }
            for s in &k.stations {
                m.insert(format!("station:{}", s.id), Item::Station(s));
            }
            for p in &k.places {
                m.insert(format!("place:{}", p.name), Item::Place(p));
            }
            for a in &k.articles {
                m.insert(format!("article:{}", a.id), Item::Article(a));
            }
            m.insert("synonyms".into(), Item::Lexicon(&k.lexicon));
            m
        }
        let (a, b) = (items(old), items(new));
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        let mut c = Changes::default();
        for k in keys {
            match (a.get(k), b.get(k)) {
                (None, Some(_)) => c.added.push(k.clone()),
                (Some(_), None) => c.removed.push(k.clone()),
                (Some(x), Some(y)) if x != y => c.changed.push(k.clone()),
                _ => {}
            }
        }
        c
    }
}

/// The outcome of a reload attempt.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Nothing changed on disk since the last load.
    Unchanged,
    /// The new knowledge is serving; here is what changed (and any warnings).
    Reloaded { changes: Changes, warnings: Vec<Problem> },
    /// The files on disk are refused; the previous knowledge keeps serving.
    Refused { problems: Vec<Problem> },
    /// Something went wrong inside (e.g. the disk is full); nothing changed.
    Failed { error: String },
}

/// The engine that is serving now.
pub struct Live {
    paths: Paths,
    current: RwLock<Arc<Engine>>,
    /// The fingerprint of the last files looked at (good or refused), so a
    /// refused edit is reported once, not on every poll.
    seen: RwLock<u64>,
}

impl Live {
    /// Opens the knowledge (building the index when needed). Fails when the
    /// knowledge on disk is bad: there is no last good version to fall back on.
    pub fn open(paths: Paths) -> Result<Live> {
        let (engine, warnings) = Engine::open(&paths.knowledge, &paths.data)?;
        for w in warnings {
            tracing::warn!("{w}");
        }
        let fp = engine.knowledge.fingerprint;
        Ok(Live { paths, current: RwLock::new(Arc::new(engine)), seen: RwLock::new(fp) })
    }

    /// Wraps an engine that is already built (tests).
    pub fn from_engine(paths: Paths, engine: Engine) -> Live {
        let fp = engine.knowledge.fingerprint;
        Live { paths, current: RwLock::new(Arc::new(engine)), seen: RwLock::new(fp) }
    }

    /// The engine serving now. Cheap; hold it for one answer, not forever.
    pub fn engine(&self) -> Arc<Engine> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Reloads when the files changed since the last look (`force` reloads
    /// even when they did not, as `/reload` does).
    pub fn reload(&self, force: bool) -> Outcome {
        let fp = knowledge::fingerprint(&self.paths.knowledge);
        let seen = self.seen.read().map(|g| *g).unwrap_or(0);
        if !force && fp == seen {
            return Outcome::Unchanged;
        }
        if let Ok(mut g) = self.seen.write() {
            *g = fp;
        }
        let old = self.engine();
        // What did not change (the articles, stations.yaml) is taken from
        // the knowledge serving now rather than parsed again.
        let (knowledge, warnings) = match Knowledge::load_after(&self.paths.knowledge, Some(&self.paths.data), Some(&old.knowledge)) {
            Ok(k) => k,
            Err(problems) => return Outcome::Refused { problems: problems.0 },
        };
        let changes = Changes::between(&old.knowledge, &knowledge);
        if !force && changes.is_empty() && knowledge.fingerprint == old.knowledge.fingerprint {
            return Outcome::Unchanged;
        }
        // A save cut short at an entry boundary is valid YAML with entries
        // missing. Losing many at once is refused unless asked for (/reload).
        if !force && let Some(problem) = mass_removal(&old.knowledge, &knowledge, &changes) {
            return Outcome::Refused { problems: vec![problem] };
        }
        let engine = match rebuild(&old, knowledge, &self.paths) {
            Ok(engine) => engine,
            Err(e) => return Outcome::Failed { error: format!("{e:#}") },
        };
        match self.current.write() {
            Ok(mut g) => *g = Arc::new(engine),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(engine),
        }
        Outcome::Reloaded { changes, warnings }
    }

    /// Watches the knowledge directory: every [`QUICK_LOOK`] the YAML files'
    /// and the articles directory's sizes and times (a few `stat` calls),
    /// and every `every` the fingerprint of names and contents (editors often
    /// save by writing a new file and renaming it over the old one; an
    /// article rewritten in place changes no directory). A change seen
    /// either way is reloaded at once. Each reload that is not `Unchanged` is
    /// passed to `report`. Runs on its own thread until `stop` is set.
    pub fn watch(
        self: &Arc<Self>,
        every: Duration,
        stop: Arc<std::sync::atomic::AtomicBool>,
        report: impl Fn(&Outcome) + Send + 'static,
    ) -> std::thread::JoinHandle<()> {
        let live = Arc::clone(self);
        std::thread::spawn(move || {
            let tick = every.min(QUICK_LOOK);
            let mut stamp = quick_stamp(&live.paths.knowledge);
            let mut last_full = std::time::Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(tick);
                let now = quick_stamp(&live.paths.knowledge);
                if now == stamp && last_full.elapsed() < every {
                    continue;
                }
                stamp = now;
                last_full = std::time::Instant::now();
                // A file half-written at this instant is refused now and
                // picked up at the next look, once the editor's save completes.
                let outcome = live.reload(false);
                if !matches!(outcome, Outcome::Unchanged) {
                    report(&outcome);
                }
            }
        })
    }
}

/// How often the watcher looks at the knowledge files' sizes and times.
pub const QUICK_LOOK: Duration = Duration::from_millis(200);

/// The sizes, modification times and inodes of the YAML files and of the
/// articles directory: what an edit of a YAML file (in place or by rename)
/// or an added, removed or renamed article changes.
fn quick_stamp(dir: &std::path::Path) -> u64 {
    use std::hash::Hasher;
    use std::os::unix::fs::MetadataExt;
    let mut h = crate::search::FxHasher::default();
    for name in [knowledge::FAQ_FILE, knowledge::STATIONS_FILE, knowledge::PLACES_FILE, knowledge::LEXICON_FILE, knowledge::LOOKALIKES_FILE, knowledge::ARTICLES_DIR] {
        match std::fs::metadata(dir.join(name)) {
            Ok(m) => {
                for x in [m.len(), m.mtime() as u64, m.mtime_nsec() as u64, m.ino(), m.ctime_nsec() as u64] {
                    h.write_u64(x);
                }
            }
            Err(_) => h.write_u8(0),
        }
    }
    h.finish()
}

/// The engine for new knowledge, redoing only what the edit needs: jieba's
/// dictionary is loaded again only when the words it is given changed
/// (synonyms.yaml, station or place names), the article index is rebuilt only
/// when what it is made of changed (articles, those words, districts), and
/// station terms are segmented again only when stations changed (see
/// [`crate::search::StationTerms`]). A new index for an edit of some
/// articles segments those articles alone and reads the others' segmented
/// text from the index serving (its kept segments). An edit of faq.yaml
/// redoes the FAQ's part of the matcher and reads the rest.
fn rebuild(old: &Engine, knowledge: Knowledge, paths: &Paths) -> Result<Engine> {
    use crate::search::{Analyzer, ArticleIndex, index_key};
    let analyzer = if Analyzer::key_of(&knowledge) == old.analyzer().key() { old.analyzer().clone() } else { Analyzer::open(&knowledge, Some(&paths.data)) };
    let index = if index_key(&knowledge, &analyzer) == old.index().key() {
        old.index().clone()
    } else {
        ArticleIndex::open_or_build(&knowledge, &analyzer, &paths.data)?.0
    };
    Ok(Engine::from_parts(knowledge, analyzer, index))
}

/// A problem when an edit removes more than a third of the FAQ entries or of
/// the stations (and more than three) at once.
fn mass_removal(old: &Knowledge, new: &Knowledge, changes: &Changes) -> Option<Problem> {
    for (prefix, file, before) in [("faq:", knowledge::FAQ_FILE, old.faq.len()), ("station:", knowledge::STATIONS_FILE, old.stations.len())] {
        let removed = changes.removed.iter().filter(|r| r.starts_with(prefix)).count();
        if removed > 3 && removed * 3 > before {
            return Some(Problem::error(
                &new.dir.join(file),
                1,
                format!("{removed} of {before} entries disappeared at once; if the file was not saved in full, save it again; if the removal is intended, send /reload"),
            ));
        }
    }
    None
}

/// One-line summary of a reload outcome, for logs and admins.
pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Unchanged => "knowledge unchanged".to_string(),
        Outcome::Reloaded { changes, warnings } => {
            let mut s = if changes.is_empty() {
                "reloaded: no entry changed".to_string()
            } else {
                let list = |v: &Vec<String>| if v.is_empty() { "-".to_string() } else { v.join(", ") };
                format!("reloaded: added {}; removed {}; changed {}", list(&changes.added), list(&changes.removed), list(&changes.changed))
            };
            for w in warnings {
                s.push('\n');
                s.push_str(&w.to_string());
            }
            s
        }
        Outcome::Refused { problems } => {
            let mut s = "edit refused, the previous knowledge keeps serving:".to_string();
            for p in problems {
                s.push('\n');
                s.push_str(&p.to_string());
            }
            s
        }
        Outcome::Failed { error } => format!("reload failed, the previous knowledge keeps serving: {error}"),
    }
}
