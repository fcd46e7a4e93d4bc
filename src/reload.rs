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
        fn items(k: &Knowledge) -> BTreeMap<String, String> {
            let mut m = BTreeMap::new();
            for e in &k.faq {
                let mut e = e.clone();
                e.line = 0;
                m.insert(format!("faq:{}", e.id), format!("{e:?}"));
            }
            for s in &k.stations {
                m.insert(format!("station:{}", s.id), format!("{s:?}"));
            }
            for p in &k.places {
                m.insert(format!("place:{}", p.name), format!("{p:?}"));
            }
            for a in &k.articles {
                m.insert(format!("article:{}", a.id), format!("{a:?}"));
            }
            m.insert("synonyms".into(), format!("{:?}", k.lexicon));
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
        let (knowledge, warnings) = match Knowledge::load(&self.paths.knowledge) {
            Ok(k) => k,
            Err(problems) => return Outcome::Refused { problems: problems.0 },
        };
        let old = self.engine();
        let changes = Changes::between(&old.knowledge, &knowledge);
        if !force && changes.is_empty() && knowledge.fingerprint == old.knowledge.fingerprint {
            return Outcome::Unchanged;
        }
        // A save cut short at an entry boundary is valid YAML with entries
        // missing. Losing many at once is refused unless asked for (/reload).
        if !force && let Some(problem) = mass_removal(&old.knowledge, &knowledge, &changes) {
            return Outcome::Refused { problems: vec![problem] };
        }
        let analyzer = crate::search::Analyzer::new(&knowledge);
        let index = match crate::search::ArticleIndex::open_or_build(&knowledge, &analyzer, &self.paths.data) {
            Ok((index, _)) => index,
            Err(e) => return Outcome::Failed { error: format!("{e:#}") },
        };
        let engine = Engine::from_parts(knowledge, analyzer, index);
        match self.current.write() {
            Ok(mut g) => *g = Arc::new(engine),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(engine),
        }
        Outcome::Reloaded { changes, warnings }
    }

    /// Watches the knowledge directory by polling its fingerprint every
    /// `every` (editors often save by writing a new file and renaming it over
    /// the old one; a fingerprint of names and contents sees that too). Each
    /// reload that is not `Unchanged` is passed to `report`. Runs on its own
    /// thread until `stop` is set.
    pub fn watch(
        self: &Arc<Self>,
        every: Duration,
        stop: Arc<std::sync::atomic::AtomicBool>,
        report: impl Fn(&Outcome) + Send + 'static,
    ) -> std::thread::JoinHandle<()> {
        let live = Arc::clone(self);
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(every);
                // A file half-written at this instant is refused now and
                // picked up at the next poll, once the editor's save completes.
                let outcome = live.reload(false);
                if !matches!(outcome, Outcome::Unchanged) {
                    report(&outcome);
                }
            }
        })
    }
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
