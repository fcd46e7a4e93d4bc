//! `union-bot bench reload`: each kind of edit made under a running engine,
//! timed from the write to the first answer that shows it, with the watcher
//! polling as the Telegram bot's does. It edits the knowledge directory it
//! is given: run it on a copy (bench/run does).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::config::Paths;
use crate::knowledge::{ARTICLES_DIR, FAQ_FILE, STATIONS_FILE};
use crate::reload::{Live, Outcome};

/// The question whose answer (the hotline entry) shows the FAQ edit.
const QUESTION: &str = "工会服务热线是多少？";

#[derive(Debug, Serialize)]
struct Edit {
    edit: &'static str,
    /// From the write to the first answer that shows the edit (the watcher
    /// looking as the bot's does).
    ms: f64,
    /// The same edit reloaded at once (`/reload`), without the watcher's wait.
    reload_ms: f64,
    /// What the reload redid (jieba's dictionary, the article index).
    redone: String,
}

#[derive(Debug, Serialize)]
struct Report {
    open_ms: f64,
    edits: Vec<Edit>,
}

/// Appends `mark` to the line of `path` that `find` picks.
fn edit_line(path: &Path, find: impl Fn(&[&str]) -> Option<usize>, mark: &str) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let lines: Vec<&str> = text.split('\n').collect();
    let at = find(&lines).with_context(|| format!("{}: no line to edit", path.display()))?;
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[at].push_str(mark);
    std::fs::write(path, out.join("\n")).with_context(|| format!("{}: cannot write", path.display()))
}

fn hotline_answer_line(lines: &[&str]) -> Option<usize> {
    let at = lines.iter().position(|l| *l == "- id: hotline")?;
    Some(at + lines[at..].iter().position(|l| l.trim() == "answer: |")? + 1)
}

fn first_article(k: &Path) -> Result<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(k.join(ARTICLES_DIR))?.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")).collect();
    files.sort();
    files.into_iter().next().context("no article")
}

pub fn main(paths: &Paths) -> Result<()> {
    let t0 = Instant::now();
    let live = Arc::new(Live::open(paths.clone())?);
    let open_ms = t0.elapsed().as_secs_f64() * 1e3;
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = live.watch(Duration::from_secs(2), Arc::clone(&stop), |_| {});
    let k = paths.knowledge.clone();
    let article = first_article(&k)?;
    let mut edits = Vec::new();
    // Marks of this run: on a copy edited by an earlier run, an old mark
    // would show at once, before the edit went live.
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    for n in 1..=2u32 {
        for kind in ["faq.yaml, one line", "one article", "stations.yaml, one line"] {
            let mark = format!("本条已于编辑测试{run}-{n}更新。");
            let before = live.engine();
            let t = Instant::now();
            match kind {
                "faq.yaml, one line" => edit_line(&k.join(FAQ_FILE), hotline_answer_line, &mark)?,
                "one article" => edit_line(&article, |l| l.iter().rposition(|x| !x.trim().is_empty()), &mark)?,
                _ => edit_line(&k.join(STATIONS_FILE), |l| l.iter().position(|x| x.starts_with("  address: ")), &format!("（编辑测试{run}-{n}）"))?,
            }
            // The first answer that shows it: the FAQ's in the reply, the
            // others in the knowledge the answering engine holds.
            let shows = |e: &crate::engine::Engine| match kind {
                "faq.yaml, one line" => crate::reply::plain(&e.answer(QUESTION)).contains(&mark),
                "one article" => {
                    let _ = e.answer(QUESTION);
                    e.knowledge.articles.iter().any(|a| a.paragraphs.last().is_some_and(|p| p.contains(&mark)))
                }
                _ => {
                    let _ = e.answer(QUESTION);
                    e.knowledge.stations.first().is_some_and(|s| s.address.contains(&format!("编辑测试{run}-{n}")))
                }
            };
            let deadline = Instant::now() + Duration::from_secs(120);
            while !shows(live.engine().as_ref()) {
                anyhow::ensure!(Instant::now() < deadline, "the edit of {kind} did not go live");
                std::thread::sleep(Duration::from_millis(2));
            }
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let after = live.engine();
            let mut redone = Vec::new();
            if after.analyzer().key() != before.analyzer().key() {
                redone.push("jieba dictionary");
            }
            let index = match after.index().built() {
                Some(b) if after.index().key() != before.index().key() => format!(
                    "article index (segmented {} of {} articles, {} of {} passages; the rest read)",
                    b.articles_segmented, b.articles, b.passages_segmented, b.passages
                ),
                _ => String::new(),
            };
            if !index.is_empty() {
                redone.push(&index);
            }
            let redone = if redone.is_empty() { "matcher only (index and station terms read)".to_string() } else { redone.join(", ") };
            // The same kind of edit once more, reloaded at once.
            let forced = format!("本条已于编辑测试{n}再次更新。");
            match kind {
                "faq.yaml, one line" => edit_line(&k.join(FAQ_FILE), hotline_answer_line, &forced)?,
                "one article" => edit_line(&article, |l| l.iter().rposition(|x| !x.trim().is_empty()), &forced)?,
                _ => edit_line(&k.join(STATIONS_FILE), |l| l.iter().position(|x| x.starts_with("  address: ")), "（再次）")?,
            }
            let t = Instant::now();
            let outcome = live.reload(true);
            let reload_ms = t.elapsed().as_secs_f64() * 1e3;
            anyhow::ensure!(matches!(outcome, Outcome::Reloaded { .. }), "the edit of {kind} was not reloaded: {}", crate::reload::describe(&outcome));
            edits.push(Edit { edit: kind, ms, reload_ms, redone });
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    println!("{}", serde_json::to_string(&Report { open_ms, edits })?);
    Ok(())
}
