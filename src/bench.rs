//! Benchmarks: the question mix, synthetic knowledge at city scale, and the
//! in-process measurements that `bench/run` drives (`union-bot bench …`).
//!
//! Nothing here is used to answer a worker. The engine is measured exactly as
//! it serves: [`Engine::answer_at`] then [`reply::plain`] for each question,
//! timed one by one; no answer is remembered between questions.
//!
//! Everything random is drawn from a seeded [`Rng`], so two runs with the same
//! seed generate the same questions and the same synthetic knowledge.

mod reload;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::engine::Engine;
use crate::knowledge::{ARTICLES_DIR, Article, Knowledge, LEXICON_FILE, PLACES_FILE, STATIONS_FILE, FAQ_FILE};
use crate::sample::{Rng, question_mix};
use crate::{eval, geo, reply, text};

/// What [`synthesize`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SynthStats {
    pub articles: usize,
    pub passages: usize,
    pub stations: usize,
    pub article_chars: usize,
}

/// A piece of a template sentence: literal text, or a slot filled anew each
/// time the sentence is used.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// A place name (district, neighbourhood, landmark) of the seed.
    Place,
    /// A run of digits, replaced by another number with as many digits.
    Number(usize),
}

/// Cuts a sentence into pieces: place names and numbers become slots.
fn template(s: &str, place_names: &[String]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    'outer: while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            let n = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            if !lit.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut lit)));
            }
            out.push(Piece::Number(n));
            rest = &rest[n..];
            continue;
        }
        for p in place_names {
            if rest.starts_with(p.as_str()) {
                if !lit.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut lit)));
                }
                out.push(Piece::Place);
                rest = &rest[p.len()..];
                continue 'outer;
            }
        }
        lit.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !lit.is_empty() {
        out.push(Piece::Text(lit));
    }
    out
}

fn fill(pieces: &[Piece], place_names: &[String], rng: &mut Rng, out: &mut String) {
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Place => out.push_str(rng.pick(place_names).as_str()),
            Piece::Number(n) => {
                out.push(char::from(b'1' + rng.below(9) as u8));
                for _ in 1..*n {
                    out.push(char::from(b'0' + rng.below(10) as u8));
                }
            }
        }
    }
}

/// Writes a knowledge directory at city scale into `out`: the seed's FAQ,
/// places and lexicon as they are; the seed articles plus synthetic ones until
/// there are `passages` paragraphs; the seed stations plus synthetic ones
/// spread uniformly over Beijing's bounding box until there are `stations`.
///
/// A synthetic article takes a seed article's shape (its number of paragraphs
/// and of sentences per paragraph) and fills it with sentences drawn from the
/// whole seed, each with its place names and numbers replaced at random, so
/// the vocabulary and the postings grow with the corpus instead of repeating
/// 27 articles.
pub fn synthesize(seed_dir: &Path, out: &Path, passages: usize, stations: usize, seed: u64) -> Result<SynthStats> {
    let (k, _) = Knowledge::load(seed_dir).map_err(|p| anyhow::anyhow!("{}: the seed knowledge has errors:\n{p}", seed_dir.display()))?;
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("{}: cannot remove", out.display()))?;
    }
    let articles_dir = out.join(ARTICLES_DIR);
    std::fs::create_dir_all(&articles_dir).with_context(|| format!("{}: cannot create", articles_dir.display()))?;
    for f in [FAQ_FILE, PLACES_FILE, LEXICON_FILE] {
        std::fs::copy(seed_dir.join(f), out.join(f)).with_context(|| format!("{}: cannot copy", seed_dir.join(f).display()))?;
    }
    let mut rng = Rng::new(seed);

    // Place names (longest first, so 朝阳区 is a slot before 朝阳 is) and the sentence pool.
    let mut place_names: Vec<String> =
        k.places.iter().flat_map(|p| std::iter::once(p.name.clone()).chain(p.aliases.iter().cloned())).filter(|n| n.chars().count() >= 2).collect();
    place_names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    place_names.dedup();
    let districts: Vec<&str> = k.places.iter().filter(|p| p.is_district()).map(|p| p.name.as_str()).collect();
    let pool: Vec<Vec<Piece>> = k.articles.iter().flat_map(|a| a.paragraphs.iter()).flat_map(|p| text::sentences(p)).map(|s| template(s, &place_names)).collect();
    let titles: Vec<Vec<Piece>> = k.articles.iter().map(|a| template(&a.title, &place_names)).collect();
    let subtitles: Vec<Vec<Piece>> = k.articles.iter().filter_map(|a| a.subtitle.as_deref()).map(|s| template(s, &place_names)).collect();
    let shapes: Vec<Vec<usize>> = k.articles.iter().map(|a| a.paragraphs.iter().map(|p| text::sentences(p).len().max(1)).collect()).collect();
    if pool.is_empty() || shapes.is_empty() {
        bail!("{}: the seed has no article text to recombine", seed_dir.display());
    }

    let mut stats = SynthStats { articles: 0, passages: 0, stations: 0, article_chars: 0 };
    for a in &k.articles {
        let file = articles_dir.join(format!("{}.md", a.id));
        std::fs::write(&file, a.to_markdown()).with_context(|| format!("{}: cannot write", file.display()))?;
        stats.articles += 1;
        stats.passages += a.paragraphs.len();
        stats.article_chars += a.paragraphs.iter().map(|p| p.chars().count()).sum::<usize>();
    }
    let mut n = 0usize;
    while stats.passages < passages {
        n += 1;
        let shape = rng.pick(&shapes).clone();
        let mut title = String::new();
        fill(&rng.pick(&titles[..])[..], &place_names, &mut rng, &mut title);
        let subtitle = if !subtitles.is_empty() && rng.chance(0.3) {
            let mut s = String::new();
            fill(&rng.pick(&subtitles[..])[..], &place_names, &mut rng, &mut s);
            Some(s)
        } else {
            None
        };
        let paragraphs: Vec<String> = shape
            .iter()
            .map(|&sentences| {
                let mut p = String::new();
                for _ in 0..sentences {
                    fill(&rng.pick(&pool[..])[..], &place_names, &mut rng, &mut p);
                }
                p
            })
            .collect();
        let id = format!("syn-{n:06}");
        let article = Article {
            id: id.clone(),
            title,
            subtitle,
            kicker: None,
            districts: vec![rng.pick(&districts).to_string()],
            source: "synthetic".into(),
            reporter: None,
            kind: "news".into(),
            paragraphs,
            path: format!("knowledge/articles/{id}.md"),
        };
        stats.articles += 1;
        stats.passages += article.paragraphs.len();
        stats.article_chars += article.paragraphs.iter().map(|p| p.chars().count()).sum::<usize>();
        let file = articles_dir.join(format!("{id}.md"));
        std::fs::write(&file, article.to_markdown()).with_context(|| format!("{}: cannot write", file.display()))?;
    }

    // Stations: the seed's, then synthetic ones citing a seed article.
    let mut yaml = std::fs::read_to_string(seed_dir.join(STATIONS_FILE)).with_context(|| format!("{}: cannot read", seed_dir.join(STATIONS_FILE).display()))?;
    yaml.push_str("\n# ---------------------------------------------------------------- synthetic (union-bot bench synth)\n");
    stats.stations = k.stations.len();
    let kinds = ["暖心驿站", "工会驿站", "小哥驿站", "户外劳动者驿站", "职工之家", "爱心驿站"];
    let services = ["歇脚", "饮水", "如厕", "充电", "热饭", "停车", "取暖", "纳凉", "打气筒", "医疗箱"];
    let hours = ["09:00-18:00", "24h", "08:00-20:00", "07:30-21:30", "10:00-22:00"];
    let cite = &k.articles[0].id;
    let mut i = 0usize;
    while stats.stations < stations {
        i += 1;
        let place = rng.pick(&place_names).clone();
        let kind = rng.pick(&kinds);
        let lat = geo::BEIJING_LAT.0 + 0.05 + rng.unit() * (geo::BEIJING_LAT.1 - geo::BEIJING_LAT.0 - 0.1);
        let lon = geo::BEIJING_LON.0 + 0.05 + rng.unit() * (geo::BEIJING_LON.1 - geo::BEIJING_LON.0 - 0.1);
        let mut svc: Vec<&str> = services.iter().copied().filter(|_| rng.chance(0.4)).collect();
        if svc.is_empty() {
            svc.push(services[0]);
        }
        let district = rng.pick(&districts);
        let _ = write!(
            yaml,
            "\n- id: syn-{i:05}\n  name: {place}{kind}{i:05}号\n  kind: {kind}\n  district: {district}\n  address: {district}{place}附近第{}号\n  lat: {lat:.5}\n  lon: {lon:.5}\n  precision: landmark\n  hours: \"{}\"\n  services: [{}]\n  serves: [户外劳动者]\n  description: {place}的{kind}，为户外劳动者提供{}等服务。\n  sources: [{cite}]\n",
            rng.below(300) + 1,
            rng.pick(&hours),
            svc.join(", "),
            svc.join("、"),
        );
        stats.stations += 1;
    }
    std::fs::write(out.join(STATIONS_FILE), yaml).with_context(|| format!("{}: cannot write", out.join(STATIONS_FILE).display()))?;
    Ok(stats)
}

/// Latency figures over many timed calls, in microseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    /// Calls per second on one thread, back to back.
    pub per_second: f64,
}

impl Latency {
    pub fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort_unstable();
        let n = samples.len().max(1);
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        // Nearest rank: the smallest sample with at least p of them at or below it.
        let rank = |p: f64| us(samples.get(((p * n as f64).ceil() as usize).clamp(1, n) - 1).copied().unwrap_or_default());
        let total: Duration = samples.iter().sum();
        Latency {
            samples: samples.len(),
            p50_us: rank(0.50),
            p90_us: rank(0.90),
            p99_us: rank(0.99),
            max_us: samples.last().copied().map(us).unwrap_or(0.0),
            mean_us: us(total) / n as f64,
            per_second: if total.is_zero() { 0.0 } else { samples.len() as f64 / total.as_secs_f64() },
        }
    }
}

/// Times each question through the engine and the plain-text rendering, as
/// the CLI and the eval see them: one warm-up pass, then `rounds` passes.
/// `minute` is fixed so every pass does the same work. Kept out of line so
/// that a profiler can be told to count this function alone
/// (`valgrind --tool=callgrind --toggle-collect='*time_answers*'`), with
/// link-time optimisation too.
#[inline(never)]
pub fn time_answers(engine: &Engine, questions: &[String], rounds: usize, minute: u16) -> (Latency, Vec<(f64, String)>) {
    for q in questions {
        std::hint::black_box(reply::plain(&engine.answer_at(q, minute)));
    }
    let mut samples = Vec::with_capacity(questions.len() * rounds);
    let mut per_question = vec![Vec::with_capacity(rounds); questions.len()];
    for _ in 0..rounds {
        for (i, q) in questions.iter().enumerate() {
            let t = Instant::now();
            let a = engine.answer_at(std::hint::black_box(q), minute);
            let text = reply::plain(&a);
            let d = t.elapsed();
            samples.push(d);
            per_question[i].push(d);
            std::hint::black_box(text);
        }
    }
    // The slowest questions by their median time, for finding out why.
    let mut slowest: Vec<(f64, String)> = per_question
        .iter_mut()
        .zip(questions)
        .map(|(v, q)| {
            v.sort_unstable();
            (v.get(v.len() / 2).copied().unwrap_or_default().as_secs_f64() * 1e6, q.clone())
        })
        .collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    slowest.truncate(5);
    (Latency::of(samples), slowest)
}

/// Times [`Engine::nearest_stations`] (the 5 nearest stations, as a shared
/// location is answered) at `points` random points in Beijing's bounding box.
pub fn time_nearest(engine: &Engine, points: usize, seed: u64) -> Latency {
    let mut rng = Rng::new(seed);
    let pts: Vec<(f64, f64)> = (0..points)
        .map(|_| {
            (
                geo::BEIJING_LAT.0 + rng.unit() * (geo::BEIJING_LAT.1 - geo::BEIJING_LAT.0),
                geo::BEIJING_LON.0 + rng.unit() * (geo::BEIJING_LON.1 - geo::BEIJING_LON.0),
            )
        })
        .collect();
    for &(lat, lon) in pts.iter().take(50) {
        std::hint::black_box(engine.nearest_stations(lat, lon, geo::NEAREST_COUNT));
    }
    let mut samples = Vec::with_capacity(points);
    for &(lat, lon) in &pts {
        let t = Instant::now();
        let near = engine.nearest_stations(std::hint::black_box(lat), std::hint::black_box(lon), geo::NEAREST_COUNT);
        samples.push(t.elapsed());
        std::hint::black_box(near);
    }
    Latency::of(samples)
}

/// A figure of this process from `/proc/self/status` (`VmHWM`: peak
/// resident set; `VmRSS`: resident now), in KiB.
pub fn proc_status_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
}

/// `union-bot bench …`: the parts of the benchmark that run inside union-bot.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Print the benchmark's questions, one a line: the yardstick's, then
    /// EXTRA generated by mixing wordings of the yardstick and of faq.yaml.
    Questions {
        /// The yardstick (question set) whose questions come first.
        yardstick: std::path::PathBuf,
        #[arg(long, default_value_t = 300)]
        extra: usize,
        #[arg(long, default_value_t = 5)]
        seed: u64,
    },
    /// Write a synthetic knowledge directory at city scale into OUT (replaced),
    /// from the knowledge directory (--knowledge); prints what it wrote as JSON.
    Synth {
        out: std::path::PathBuf,
        /// Article paragraphs (indexed passages) to reach, seed ones included.
        #[arg(long, default_value_t = 16_000)]
        passages: usize,
        /// Stations to reach, seed ones included.
        #[arg(long, default_value_t = 11_000)]
        stations: usize,
        #[arg(long, default_value_t = 5)]
        seed: u64,
    },
    /// Open the engine on --knowledge/--data, answer QUESTIONS (one a line)
    /// and print the timings, peak memory and yardstick accuracy as JSON.
    Engine {
        /// Questions, one a line.
        #[arg(long)]
        questions: std::path::PathBuf,
        /// Also run this question set and report how many cases pass.
        #[arg(long)]
        yardstick: Option<std::path::PathBuf>,
        /// Timed passes over the questions (after one warm-up pass).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Remove the index first, so that opening builds it (and is timed).
        #[arg(long)]
        fresh: bool,
        /// Random points at which the 5 nearest stations are timed.
        #[arg(long, default_value_t = 5_000)]
        nearest_points: usize,
    },
    /// Load an HTTP server with keep-alive connections for a fixed time
    /// (the HTTP part of bench/run); prints throughput and latency as JSON.
    Http(crate::bench_http::HttpArgs),
    /// Edit faq.yaml, one article and stations.yaml under a running engine
    /// (it changes --knowledge: give it a copy) and print, as JSON, how long
    /// each took from the write to the first answer that shows it.
    Reload,
}

/// What `bench engine` prints.
#[derive(Debug, Serialize)]
struct EngineReport {
    faq: usize,
    articles: usize,
    passages: u64,
    stations: usize,
    /// Reading and validating knowledge/.
    load_ms: f64,
    /// The jieba dictionary with the domain words.
    analyzer_ms: f64,
    /// Opening the index, or building it (`index_built`).
    index_ms: f64,
    index_built: bool,
    /// When built: the articles and passages segmented (the others were
    /// read from the segments an earlier index kept).
    index_articles_segmented: Option<usize>,
    index_passages_segmented: Option<usize>,
    /// Preparing the matcher (`Engine::from_parts`).
    assemble_ms: f64,
    /// All of the above: from nothing to ready.
    ready_ms: f64,
    first_answer_us: f64,
    questions: usize,
    answer: Latency,
    /// The five slowest questions (median µs).
    slowest: Vec<(f64, String)>,
    /// The share of answers that needed the article search.
    searched: f64,
    nearest5: Latency,
    accuracy_passed: Option<usize>,
    accuracy_total: Option<usize>,
    vm_hwm_kb: Option<u64>,
    vm_rss_kb: Option<u64>,
    /// Resident memory (KiB) after each step of opening: knowledge loaded,
    /// analyzer, index, matcher (where the memory goes).
    rss_steps_kb: [Option<u64>; 4],
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs one `union-bot bench` subcommand.
pub fn main(paths: &crate::config::Paths, command: BenchCommand) -> Result<std::process::ExitCode> {
    use crate::search::{Analyzer, ArticleIndex};
    match command {
        BenchCommand::Http(args) => return crate::bench_http::main(args),
        BenchCommand::Questions { yardstick, extra, seed } => {
            let cases = eval::load(&yardstick)?;
            let (k, _) = Knowledge::load(&paths.knowledge)?;
            let mut out = String::new();
            let asked: Vec<String> = cases.into_iter().filter_map(|c| c.q).collect();
            for q in question_mix(&asked, &k, extra, seed) {
                out.push_str(&q.replace(['\n', '\r'], " "));
                out.push('\n');
            }
            print!("{out}");
        }
        BenchCommand::Synth { out, passages, stations, seed } => {
            let stats = synthesize(&paths.knowledge, &out, passages, stations, seed)?;
            println!("{}", serde_json::to_string(&stats)?);
        }
        BenchCommand::Reload => reload::main(paths)?,
        BenchCommand::Engine { questions, yardstick, rounds, fresh, nearest_points } => {
            let text = std::fs::read_to_string(&questions).with_context(|| format!("{}: cannot read", questions.display()))?;
            let questions: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
            if fresh && paths.data.exists() {
                std::fs::remove_dir_all(&paths.data).with_context(|| format!("{}: cannot remove", paths.data.display()))?;
            }
            let t0 = Instant::now();
            let (knowledge, _) = Knowledge::load_kept(&paths.knowledge, Some(&paths.data))?;
            let t1 = Instant::now();
            // The steps of `Engine::open`, memory given back where it does.
            crate::memory::give_back();
            let rss_load = proc_status_kb("VmRSS");
            let analyzer = Analyzer::open(&knowledge, Some(&paths.data));
            let t2 = Instant::now();
            let rss_analyzer = proc_status_kb("VmRSS");
            let (index, index_built) = ArticleIndex::open_or_build(&knowledge, &analyzer, &paths.data)?;
            let t3 = Instant::now();
            crate::memory::give_back();
            let rss_index = proc_status_kb("VmRSS");
            let passages = index.num_docs();
            let built = index.built();
            let engine = Engine::from_parts(knowledge, analyzer, index);
            crate::memory::give_back();
            let t4 = Instant::now();
            let rss_steps_kb = [rss_load, rss_analyzer, rss_index, proc_status_kb("VmRSS")];
            let first = questions.first().map(|q| {
                let t = Instant::now();
                std::hint::black_box(reply::plain(&engine.answer_at(q, 600)));
                t.elapsed()
            });
            let before = engine.article_searches();
            let (answer, slowest) = time_answers(&engine, &questions, rounds, 600);
            let searched = (engine.article_searches() - before) as f64 / (questions.len() * (rounds + 1)).max(1) as f64;
            let nearest5 = time_nearest(&engine, nearest_points, 11);
            let (accuracy_passed, accuracy_total) = match &yardstick {
                Some(y) => {
                    let outcomes = eval::run(&engine, &eval::load(y)?);
                    (Some(outcomes.iter().filter(|o| o.passed).count()), Some(outcomes.len()))
                }
                None => (None, None),
            };
            let k = &engine.knowledge;
            let report = EngineReport {
                faq: k.faq.len(),
                articles: k.articles.len(),
                passages,
                stations: k.stations.len(),
                load_ms: ms(t1 - t0),
                analyzer_ms: ms(t2 - t1),
                index_ms: ms(t3 - t2),
                index_built,
                index_articles_segmented: built.map(|b| b.articles_segmented),
                index_passages_segmented: built.map(|b| b.passages_segmented),
                assemble_ms: ms(t4 - t3),
                ready_ms: ms(t4 - t0),
                first_answer_us: first.map(|d| d.as_secs_f64() * 1e6).unwrap_or(0.0),
                questions: questions.len(),
                answer,
                slowest,
                searched,
                nearest5,
                accuracy_passed,
                accuracy_total,
                vm_hwm_kb: proc_status_kb("VmHWM"),
                vm_rss_kb: proc_status_kb("VmRSS"),
                rss_steps_kb,
            };
            println!("{}", serde_json::to_string(&report)?);
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
