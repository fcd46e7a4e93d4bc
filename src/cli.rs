//! The command line: `ask`, `nearby`, `eval`, `check`, `index`, `import`.
//! Each subcommand is one function; `main` maps its outcome to an exit code.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::answer::{Answer, Engine, Source, StationHit};
use crate::config::{DEFAULT_DATA_DIR, DEFAULT_KNOWLEDGE_DIR, Paths};
use crate::knowledge::{Knowledge, Problem, Severity};
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
    Ask {
        question: Option<String>,
        #[arg(long)]
        json: bool,
        /// Show how the question was read and the best candidates with their scores.
        #[arg(long)]
        explain: bool,
    },
    /// Answer a shared location: the nearest stations.
    Nearby {
        #[arg(allow_hyphen_values = true)]
        lat: f64,
        #[arg(allow_hyphen_values = true)]
        lon: f64,
        #[arg(long)]
        json: bool,
    },
    /// Run a question set (format: shared/eval/README.md) and report failures.
    Eval {
        file: PathBuf,
        /// Exit 0 when at least this fraction of cases pass.
        #[arg(long)]
        min_pass: Option<f64>,
        /// Print every case, not only failures.
        #[arg(long)]
        verbose: bool,
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
        /// Print what would be written, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Turn a spreadsheet export (CSV) of stations into stations.yaml entries.
    ImportStations {
        csv: PathBuf,
        /// Write the entries to this file instead of appending them to knowledge/stations.yaml.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Report what would be imported, write nothing.
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
        Command::Ask { question, json, explain } => ask(paths, question, json, explain),
        Command::Nearby { lat, lon, json } => nearby(paths, lat, lon, json),
        Command::Eval { file, min_pass, verbose } => run_eval(paths, &file, min_pass, verbose),
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
    let (engine, warnings) = Engine::open(&paths.knowledge, &paths.data)
        .with_context(|| format!("cannot load the knowledge in {}", paths.knowledge.display()))?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    Ok(engine)
}

/// The JSON form of an answer (`ask --json`, `nearby --json`).
#[derive(Serialize)]
pub struct AnswerJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<&'a str>,
    /// The reply as a worker reads it.
    pub answer: String,
    pub confident: bool,
    pub intent: Option<&'a str>,
    pub kind: crate::answer::Kind,
    pub score: f32,
    pub sources: &'a [Source],
    pub suggestions: Vec<&'a str>,
    pub suggestion_keys: Vec<&'a str>,
    pub stations: &'a [StationHit],
}

impl<'a> AnswerJson<'a> {
    pub fn new(question: Option<&'a str>, a: &'a Answer) -> Self {
        AnswerJson {
            question,
            answer: reply::plain(a),
            confident: a.confident,
            intent: a.intent.as_deref(),
            kind: a.kind,
            score: (a.score * 1000.0).round() / 1000.0,
            sources: &a.sources,
            suggestions: a.suggestions.iter().map(|s| s.label.as_str()).collect(),
            suggestion_keys: a.suggestions.iter().map(|s| s.key.as_str()).collect(),
            stations: &a.stations,
        }
    }
}

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

fn ask(paths: &Paths, question: Option<String>, json: bool, explain: bool) -> Result<ExitCode> {
    let engine = open_engine(paths)?;
    if let (true, Some(q)) = (explain, &question) {
        eprint!("{}", engine.explain(q));
    }
    match question {
        Some(q) => print_answer(Some(&q), &engine.answer(&q), json)?,
        None if json => {
            for line in std::io::stdin().lock().lines() {
                let q = line.context("cannot read stdin")?;
                print_answer(Some(&q), &engine.answer(&q), true)?;
            }
        }
        None => bail!("give a question: union-bot ask \"怎么加入工会？\" (or --json to read questions from stdin)"),
    }
    Ok(ExitCode::SUCCESS)
}

fn nearby(paths: &Paths, lat: f64, lon: f64, json: bool) -> Result<ExitCode> {
    let engine = open_engine(paths)?;
    print_answer(None, &engine.nearby(lat, lon), json)?;
    Ok(ExitCode::SUCCESS)
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

fn run_check(paths: &Paths) -> Result<ExitCode> {
    let (problems, summary) = match Knowledge::load(&paths.knowledge) {
        Err(problems) => (problems.0, None),
        Ok((knowledge, mut warnings)) => {
            let summary = format!(
                "{}: {} FAQ entries, {} stations, {} places, {} articles",
                paths.knowledge.display(),
                knowledge.faq.len(),
                knowledge.stations.len(),
                knowledge.places.len(),
                knowledge.articles.len()
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
    writeln!(out, "{errors} errors, {warnings} warnings")?;
    Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn index(paths: &Paths) -> Result<ExitCode> {
    let (knowledge, _) = Knowledge::load(&paths.knowledge)?;
    let analyzer = crate::search::Analyzer::new(&knowledge);
    let index = crate::search::ArticleIndex::build_on_disk(&knowledge, &analyzer, &paths.data)?;
    println!(
        "indexed {} passages of {} articles into {}",
        index.num_docs(),
        knowledge.articles.len(),
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
    if !dry_run {
        std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        let existing: Vec<String> = articles.iter().filter(|a| dir.join(format!("{}.md", a.id)).exists()).map(|a| a.id.clone()).collect();
        if !existing.is_empty() && !force {
            bail!("articles {} exist already; use --force to replace them", existing.join(", "));
        }
    }
    for a in &articles {
        let chars: usize = a.paragraphs.iter().map(|p| p.chars().count()).sum();
        println!("{}  {}  ({} paragraphs, {} characters, {})", a.id, a.title, a.paragraphs.len(), chars, a.kind);
        if dry_run {
            continue;
        }
        let file = dir.join(format!("{}.md", a.id));
        std::fs::write(&file, a.to_markdown()).with_context(|| format!("{}: cannot write", file.display()))?;
    }
    if !dry_run {
        println!("wrote {} articles to {}; review the titles, then run `union-bot check`", articles.len(), dir.display());
    }
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
    for r in &import.refused {
        println!("{name}:{}: refused: {}", r.line, r.reason);
    }
    for r in &import.duplicates {
        println!("{name}:{}: duplicate, skipped: {}", r.line, r.reason);
    }
    for r in &import.remarks {
        println!("{name}:{}: imported, note: {}", r.line, r.reason);
    }
    println!(
        "{} rows: {} imported, {} refused, {} duplicates",
        import.rows,
        import.stations.len(),
        import.refused.len(),
        import.duplicates.len()
    );
    if dry_run || import.stations.is_empty() {
        return Ok(if import.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    let file_name = csv.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let yaml = station_import::to_yaml(&import.stations, &file_name)?;
    let target = out.map(Path::to_path_buf).unwrap_or(stations_file);
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&target).with_context(|| format!("{}: cannot open", target.display()))?;
    f.write_all(yaml.as_bytes()).with_context(|| format!("{}: cannot write", target.display()))?;
    println!("appended {} stations to {}; run `union-bot check`", import.stations.len(), target.display());
    Ok(if import.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn report(paths: &Paths, limit: usize) -> Result<ExitCode> {
    let journal = crate::journal::Journal::open(&paths.data)?;
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

/// Problems as `file:line: message` lines (for the Telegram admin channel).
pub fn format_problems(problems: &[Problem]) -> String {
    problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}
