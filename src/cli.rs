//! The command line: `ask`, `nearby`, `eval`, `check`, `index`, `import`.
//! Each subcommand is one function; `main` maps its outcome to an exit code.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use crate::answer::{Answer, Engine};
use crate::config::{DEFAULT_DATA_DIR, DEFAULT_KNOWLEDGE_DIR, Paths};
use crate::knowledge::{Knowledge, Severity};
use crate::text::count;
use crate::{check, eval, reply};

/// 工会小助手: answers Beijing workers' questions about their trade union's services.
#[derive(Debug, Parser)]
#[command(name = "union-bot", version, about)]
pub struct Cli {
    /// The knowledge directory (faq.yaml, stations.yaml, places.yaml, synonyms.yaml, articles/).
    #[arg(long, global = true, env = "KNOWLEDGE_DIR", default_value = DEFAULT_KNOWLEDGE_DIR)]
    pub knowledge: PathBuf,
    /// The data directory (the article index; git-ignored).
    #[arg(long, global = true, env = "DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a question as the bot would (plain text, or one JSON object with --json).
    /// With --json and no question, answer each line of stdin.
    /// Not journaled: a question asked here is an editor's test, not a worker's.
    Ask {
        /// The question as a worker would type it, in quotes: union-bot ask "怎么入会"
        question: Option<String>,
        /// Print one JSON object per question (answer, confident, intent, kind,
        /// score, sources, suggestions, stations) instead of the reply's text.
        #[arg(long)]
        json: bool,
        /// Show how the question was read and the best candidates with their scores.
        #[arg(long)]
        explain: bool,
        /// Read the question as a follow-up of an answer about REF (the
        /// `context` of a previous `--json` answer: station_huairou-fushang,
        /// faq_count-chaoyang, district_chaoyang).
        #[arg(long, value_name = "REF")]
        context: Option<String>,
    },
    /// Answer a shared location: the nearest stations.
    Nearby {
        /// Latitude, WGS-84 degrees (Beijing: 39.4 to 41.1), e.g. 39.9087.
        #[arg(allow_hyphen_values = true)]
        lat: f64,
        /// Longitude, WGS-84 degrees (Beijing: 115.4 to 117.55), e.g. 116.3975.
        #[arg(allow_hyphen_values = true)]
        lon: f64,
        #[arg(long)]
        json: bool,
    },
    /// Run a question set and report failures (the format: ../shared/eval/README.md).
    Eval {
        /// The question set, e.g. ../shared/eval/questions.yaml or tests/data/questions.yaml.
        file: PathBuf,
        /// Exit 0 when at least this fraction of cases pass.
        #[arg(long)]
        min_pass: Option<f64>,
        /// Print every case, not only failures.
        #[arg(long)]
        verbose: bool,
        /// Measure robustness instead: every FAQ wording and every question of
        /// FILE turned by each transform (traditional characters, a homophone
        /// typo, a pinyin word, a filler prefix, a story first), with the
        /// prefixes and stories of this spec; prints the rate per transform
        /// and exits 1 when one is under --min-pass (default 0.98).
        #[arg(long, value_name = "SPEC")]
        transforms: Option<PathBuf>,
    },
    /// Validate knowledge/: every problem, each as file:line; exit 1 on any error.
    Check,
    /// Build the article index now.
    Index,
    /// Split a newspaper page into articles under knowledge/articles/.
    Import {
        page: PathBuf,
        /// Replace articles that already exist.
        #[arg(long)]
        force: bool,
        /// Print what the real run would do, write nothing (exit 1 when it would refuse).
        #[arg(long)]
        dry_run: bool,
    },
    /// Turn a spreadsheet export (CSV) of stations into stations.yaml entries.
    ImportStations {
        csv: PathBuf,
        /// Write the entries to this file instead of appending them to knowledge/stations.yaml.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Report every row as the real run would, write nothing; exit 0 when
        /// rows would be imported (or none is refused), 1 when all are refused.
        #[arg(long)]
        dry_run: bool,
    },
    /// The most frequent unanswered questions (grouped) and usage figures.
    Report {
        /// How many groups of unanswered questions to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Benchmarks (run them all with bench/run): questions, synthetic knowledge, engine timings.
    #[command(subcommand)]
    Bench(crate::bench::BenchCommand),
    /// Serve the web page and the HTTP API on WEB_ADDR (default 127.0.0.1:8080).
    Web,
    /// Run every configured channel in one process: the web channel when
    /// WEB_ADDR is set, Telegram when TELOXIDE_TOKEN is.
    Serve,
    /// Write a QR code (SVG and PNG) for a station poster.
    Qr {
        /// The page's public URL, e.g. https://bot.example.org/
        url: String,
        /// Open the page on this station (adds ?station=ID).
        #[arg(long)]
        station: Option<String>,
        /// Where to write: FILE.svg and FILE.png.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the Telegram bot (TELOXIDE_TOKEN; long polling, or --webhook URL).
    Telegram {
        /// The public HTTPS URL Telegram posts updates to (listening on WEBHOOK_ADDR).
        #[arg(long)]
        webhook: Option<String>,
    },
}

/// Parses the command line, runs it and returns the exit code. Errors are
/// printed with their whole context chain.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = Paths { knowledge: cli.knowledge.clone(), data: cli.data.clone() };
    match run(cli.command, &paths) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, paths: &Paths) -> Result<ExitCode> {
    match command {
        Command::Ask { question, json, explain, context } => ask(paths, question, json, explain, context.as_deref()),
        Command::Nearby { lat, lon, json } => nearby(paths, lat, lon, json),
        Command::Eval { file, min_pass, verbose, transforms: Some(spec) } => run_transforms(paths, &file, &spec, min_pass, verbose),
        Command::Eval { file, min_pass, verbose, transforms: None } => run_eval(paths, &file, min_pass, verbose),
        Command::Check => run_check(paths),
        Command::Index => index(paths),
        Command::Import { page, force, dry_run } => import(paths, &page, force, dry_run),
        Command::ImportStations { csv, out, dry_run } => import_stations(paths, &csv, out.as_deref(), dry_run),
        Command::Report { limit } => report(paths, limit),
        Command::Bench(what) => crate::bench::main(paths, what),
        Command::Telegram { webhook } => crate::telegram::main(paths, webhook),
        Command::Web => crate::web::main(paths),
        Command::Serve => crate::serve::main(paths),
        Command::Qr { url, station, out } => qr(paths, &url, station.as_deref(), &out),
    }
}

/// Opens the engine, printing knowledge warnings to stderr.
pub fn open_engine(paths: &Paths) -> Result<Engine> {
    let (engine, warnings) = Engine::open(&paths.knowledge, &paths.data).map_err(|e| knowledge_error(e, &paths.knowledge))?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    Ok(engine)
}

/// A knowledge base refused: its problems under one line naming it (a
/// missing directory is one line of its own). Other errors (the data
/// directory) pass as they are.
fn knowledge_error(e: anyhow::Error, dir: &Path) -> anyhow::Error {
    match e.downcast::<crate::knowledge::Problems>() {
        Ok(p) if p.0.len() == 1 && p.0[0].line == 0 => anyhow::anyhow!("{}", p.0[0].message),
        Ok(p) => anyhow::anyhow!("{}\n{}", crate::messages::knowledge_refused(dir), p.to_string().trim_end()),
        Err(e) => e,
    }
}

/// The JSON form of an answer (`ask --json`, `nearby --json`): beside the
/// other renderings in [`crate::reply`], where the web API gives it too.
pub use crate::reply::AnswerJson;

fn print_answer(question: Option<&str>, a: &Answer, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &AnswerJson::new(question, a))?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", reply::plain(a))?;
    }
    Ok(())
}

fn ask(paths: &Paths, question: Option<String>, json: bool, explain: bool, context: Option<&str>) -> Result<ExitCode> {
    let context: Option<crate::engine::Ref> = match context {
        Some(c) => Some(c.parse().map_err(|e| anyhow::anyhow!("--context {c}: {e}; give the context of a previous answer, such as station_huairou-fushang, faq_count-chaoyang or district_chaoyang"))?),
        None => None,
    };
    let engine = open_engine(paths)?;
    if let (true, Some(q)) = (explain, &question) {
        eprint!("{}", engine.explain(q));
    }
    match question {
        Some(q) => print_answer(Some(&q), &engine.answer_in_context(&q, context.as_ref()), json)?,
        None if json => {
            for line in std::io::stdin().lock().lines() {
                let q = line.context("cannot read stdin")?;
                print_answer(Some(&q), &engine.answer_in_context(&q, context.as_ref()), true)?;
            }
        }
        None => bail!("give a question: union-bot ask \"怎么加入工会？\" (or --json to read questions from stdin)"),
    }
    // The process ends now: freeing the engine piece by piece would take
    // longer than the answer did (tens of milliseconds at city scale).
    std::mem::forget(engine);
    Ok(ExitCode::SUCCESS)
}

fn nearby(paths: &Paths, lat: f64, lon: f64, json: bool) -> Result<ExitCode> {
    check_coordinates(lat, lon)?;
    let engine = open_engine(paths)?;
    print_answer(None, &engine.nearby(lat, lon), json)?;
    std::mem::forget(engine);
    Ok(ExitCode::SUCCESS)
}

/// Refuses what is no point on Earth (NaN, infinity, a latitude beyond ±90°,
/// a longitude beyond ±180°): a usage error, not a place outside Beijing.
/// Beijing's longitude given as the latitude gets the swapped order as a hint.
fn check_coordinates(lat: f64, lon: f64) -> Result<()> {
    if lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0 {
        return Ok(());
    }
    if crate::geo::in_beijing(lon, lat) {
        bail!("{lat} {lon}: no such point; the latitude comes first, did you mean `union-bot nearby {lon} {lat}`?");
    }
    bail!("{lat} {lon}: no such point; give the latitude (-90 to 90), then the longitude (-180 to 180), in WGS-84 degrees: union-bot nearby 39.9087 116.3975");
}

fn run_eval(paths: &Paths, file: &Path, min_pass: Option<f64>, verbose: bool) -> Result<ExitCode> {
    let cases = eval::load(file)?;
    let engine = open_engine(paths)?;
    let outcomes = eval::run(&engine, &cases);
    let mut out = std::io::stdout().lock();
    let mut passed = 0;
    for o in &outcomes {
        if o.passed {
            passed += 1;
            if verbose {
                writeln!(out, "ok   {}", o.case.label())?;
            }
            continue;
        }
        writeln!(out, "FAIL {}", o.case.label())?;
        writeln!(out, "  expected: {}", o.case.expected())?;
        writeln!(out, "  got ({}, score {:.2}, confident {}):", o.answer.intent.as_deref().unwrap_or("fallback"), o.answer.score, o.answer.confident)?;
        for l in o.reply.lines() {
            writeln!(out, "    {l}")?;
        }
    }
    let failed = outcomes.len() - passed;
    writeln!(out, "{passed} passed, {failed} failed")?;
    let fraction = if outcomes.is_empty() { 1.0 } else { passed as f64 / outcomes.len() as f64 };
    let ok = failed == 0 || min_pass.is_some_and(|m| fraction >= m);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn run_transforms(paths: &Paths, file: &Path, spec: &Path, min_pass: Option<f64>, verbose: bool) -> Result<ExitCode> {
    let cases = eval::load(file)?;
    let spec = eval::transforms::Spec::load(spec)?;
    let engine = open_engine(paths)?;
    let rates = eval::transforms::measure(&engine, &cases, spec);
    let mut out = std::io::stdout().lock();
    if verbose {
        for r in &rates {
            for f in &r.failures {
                writeln!(out, "FAIL [{}] {f}", r.transform.name())?;
            }
        }
    }
    write!(out, "{}", eval::transforms::table(&rates))?;
    let min = min_pass.unwrap_or(0.98);
    Ok(if rates.iter().all(|r| r.rate() >= min) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn run_check(paths: &Paths) -> Result<ExitCode> {
    let (problems, summary) = match Knowledge::load(&paths.knowledge) {
        Err(problems) => (problems.0, None),
        Ok((knowledge, mut warnings)) => {
            let (grounding, g) = crate::grounding::check(&knowledge);
            warnings.extend(grounding);
            let summary = format!(
                "{}: {}, {}, {}, {}; grounding: {} and {} checked, {} marked unsourced",
                paths.knowledge.display(),
                count(knowledge.faq.len(), "FAQ entry", "FAQ entries"),
                count(knowledge.stations.len(), "station", "stations"),
                count(knowledge.places.len(), "place", "places"),
                count(knowledge.articles.len(), "article", "articles"),
                count(g.figures, "figure", "figures"),
                count(g.station_texts, "station text", "station texts"),
                g.marked
            );
            let engine = Engine::in_ram(knowledge)?;
            warnings.extend(check::routing(&engine));
            (warnings, Some(summary))
        }
    };
    let mut out = std::io::stdout().lock();
    for p in &problems {
        writeln!(out, "{p}")?;
    }
    let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
    let warnings = problems.len() - errors;
    if let Some(s) = summary {
        writeln!(out, "{s}")?;
    }
    writeln!(out, "{}, {}", count(errors, "error", "errors"), count(warnings, "warning", "warnings"))?;
    Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn index(paths: &Paths) -> Result<ExitCode> {
    let (knowledge, _) = Knowledge::load(&paths.knowledge)?;
    let analyzer = crate::search::Analyzer::open(&knowledge, Some(&paths.data));
    let index = crate::search::ArticleIndex::build_on_disk(&knowledge, &analyzer, &paths.data)?;
    println!(
        "indexed {} of {} into {}",
        count(index.num_docs() as usize, "passage", "passages"),
        count(knowledge.articles.len(), "article", "articles"),
        index.dir.as_deref().map(|d| d.display().to_string()).unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

fn import(paths: &Paths, page: &Path, force: bool, dry_run: bool) -> Result<ExitCode> {
    let text = std::fs::read_to_string(page).with_context(|| format!("{}: cannot read", page.display()))?;
    let name = page.file_name().map(|n| n.to_string_lossy().into_owned()).context("the page has no file name")?;
    let prefix = crate::knowledge::import::id_prefix(&name);
    let articles = crate::knowledge::import::split_page(&text, &name, &prefix);
    if articles.is_empty() {
        bail!("{}: no article found on this page", page.display());
    }
    let dir = paths.knowledge.join(crate::knowledge::ARTICLES_DIR);
    let existing: Vec<String> = articles.iter().filter(|a| dir.join(format!("{}.md", a.id)).exists()).map(|a| a.id.clone()).collect();
    let refused = (!existing.is_empty() && !force)
        .then(|| format!("{} {} exist already; use --force to replace them", if existing.len() == 1 { "article" } else { "articles" }, existing.join(", ")));
    if let (Some(why), false) = (&refused, dry_run) {
        bail!("{why}");
    }
    if !dry_run {
        std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    for a in &articles {
        let chars: usize = a.paragraphs.iter().map(|p| p.chars().count()).sum();
        let replaces = if existing.contains(&a.id) { ", exists already" } else { "" };
        println!("{}  {}  ({}, {}, {}{replaces})", a.id, a.title, count(a.paragraphs.len(), "paragraph", "paragraphs"), count(chars, "character", "characters"), a.kind);
        if dry_run {
            continue;
        }
        let file = dir.join(format!("{}.md", a.id));
        std::fs::write(&file, a.to_markdown()).with_context(|| format!("{}: cannot write", file.display()))?;
    }
    if dry_run {
        // What the real run would do, with the same options.
        return Ok(match refused {
            Some(why) => {
                println!("dry run: the real run would write nothing: {why}");
                ExitCode::FAILURE
            }
            None if existing.is_empty() => {
                println!("dry run: the real run would write {} to {}", count(articles.len(), "article", "articles"), dir.display());
                ExitCode::SUCCESS
            }
            None => {
                println!("dry run: the real run would write {} to {}, replacing {}", count(articles.len(), "article", "articles"), dir.display(), existing.join(", "));
                ExitCode::SUCCESS
            }
        });
    }
    println!("wrote {} to {}; review the titles, then run `union-bot check`", count(articles.len(), "article", "articles"), dir.display());
    Ok(ExitCode::SUCCESS)
}

fn import_stations(paths: &Paths, csv: &Path, out: Option<&Path>, dry_run: bool) -> Result<ExitCode> {
    use crate::knowledge::station_import;
    let stations_file = paths.knowledge.join(crate::knowledge::STATIONS_FILE);
    let existing: Vec<crate::knowledge::Station> = match std::fs::read_to_string(&stations_file) {
        Ok(text) => serde_yaml::from_str(&text)
            .with_context(|| format!("{}: has errors; run `union-bot check` and fix them first", stations_file.display()))?,
        Err(_) => Vec::new(),
    };
    let import = station_import::read_csv(csv, &existing)?;
    let name = csv.display();
    let imported = if dry_run { "would be imported" } else { "imported" };
    // Every row in the file's order; a row's note right after it.
    let mut rows: Vec<(usize, String)> = import.lines.iter().zip(&import.stations).map(|(l, s)| (*l, format!("{imported}: \"{}\" ({})", s.name, s.address))).collect();
    rows.extend(import.refused.iter().map(|r| (r.line, format!("refused: {}", r.reason))));
    rows.extend(import.duplicates.iter().map(|r| (r.line, format!("duplicate, skipped: {}", r.reason))));
    rows.extend(import.remarks.iter().map(|r| (r.line, format!("note: {}", r.reason))));
    rows.sort_by_key(|(line, _)| *line);
    for (line, what) in &rows {
        println!("{name}:{line}: {what}");
    }
    println!(
        "{}: {} {imported}, {} refused, {}{}",
        count(import.rows, "row", "rows"),
        import.stations.len(),
        import.refused.len(),
        count(import.duplicates.len(), "duplicate", "duplicates"),
        if dry_run { " (dry run: nothing written)" } else { "" }
    );
    if dry_run {
        let would_import = !import.stations.is_empty();
        return Ok(if would_import || import.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    if import.stations.is_empty() {
        return Ok(if import.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    let file_name = csv.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let yaml = station_import::to_yaml(&import.stations, &file_name)?;
    let target = out.map(Path::to_path_buf).unwrap_or(stations_file);
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&target).with_context(|| format!("{}: cannot open", target.display()))?;
    f.write_all(yaml.as_bytes()).with_context(|| format!("{}: cannot write", target.display()))?;
    println!("appended {} to {}; run `union-bot check`", count(import.stations.len(), "station", "stations"), target.display());
    Ok(if import.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn report(paths: &Paths, limit: usize) -> Result<ExitCode> {
    let journal = crate::journal::Journal::read_only(&paths.data);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    println!("{}\n", journal.stats_report(now));
    println!("{}\n", journal.unanswered_report(limit));
    println!("{}", journal.feedback_report(limit));
    Ok(ExitCode::SUCCESS)
}

fn qr(paths: &Paths, url: &str, station: Option<&str>, out: &Path) -> Result<ExitCode> {
    if let Some(id) = station {
        // A poster for a station the page does not know would open on "not found".
        let (knowledge, _) = Knowledge::load(&paths.knowledge)?;
        if !knowledge.stations.iter().any(|s| s.id == id) {
            bail!("no station {id} in {}", paths.knowledge.display());
        }
    }
    let text = crate::qr::poster_url(url, station)?;
    let (svg, png) = crate::qr::write(&text, out)?;
    println!("{text}\nwrote {} and {}", svg.display(), png.display());
    Ok(ExitCode::SUCCESS)
}
