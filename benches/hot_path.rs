//! The hot path of a question, stage by stage, on the seed knowledge:
//! normalise, segment, FAQ match, article search, render, and the whole
//! answer. `cargo bench --bench hot_path`; CI runs it in test mode
//! (`cargo test --release --bench hot_path`) so that it keeps compiling.
//! The side-by-side figures against the Python baseline come from `bench/run`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use union_bot::knowledge::Knowledge;
use union_bot::{Engine, reply, text};

/// Questions of every kind: FAQ (some exact, some reworded), a figure from an
/// article, a place, and one nothing answers.
const QUESTIONS: &[&str] = &[
    "怎么加入工会？",
    "我是外卖小哥，能入会吗",
    "工会服务热线是多少？",
    "驿站能给手机充电吗",
    "北京有多少个户外劳动者暖心驿站",
    "双15工程是什么意思",
    "怀柔商业街附近有驿站吗",
    "帮我点一份宫保鸡丁外卖",
];

fn engine() -> Engine {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let (knowledge, _) = Knowledge::load(&dir).expect("the seed knowledge loads");
    Engine::in_ram(knowledge).expect("the engine builds")
}

fn hot_path(c: &mut Criterion) {
    let engine = engine();
    let answers: Vec<_> = QUESTIONS.iter().map(|q| engine.answer_at(q, 600)).collect();
    let mut g = c.benchmark_group("hot_path");
    // Times are per question: each iteration runs every question once.
    g.throughput(Throughput::Elements(QUESTIONS.len() as u64));
    g.bench_function("normalise", |b| {
        b.iter(|| QUESTIONS.iter().map(|q| text::normalize(black_box(q)).len()).sum::<usize>())
    });
    g.bench_function("segment", |b| {
        b.iter(|| QUESTIONS.iter().map(|q| engine.analyzer().question(black_box(q)).0.len()).sum::<usize>())
    });
    g.bench_function("faq_match", |b| {
        b.iter(|| QUESTIONS.iter().filter_map(|q| engine.route_faq(black_box(q))).count())
    });
    g.bench_function("article_search", |b| {
        b.iter(|| QUESTIONS.iter().map(|q| engine.search_articles(black_box(q), 3).len()).sum::<usize>())
    });
    g.bench_function("render", |b| b.iter(|| answers.iter().map(|a| reply::plain(black_box(a)).len()).sum::<usize>()));
    g.bench_function("answer", |b| {
        b.iter(|| QUESTIONS.iter().map(|q| reply::plain(&engine.answer_at(black_box(q), 600)).len()).sum::<usize>())
    });
    g.finish();
    c.bench_function("nearest_5_stations", |b| b.iter(|| engine.nearest_stations(black_box(39.99), black_box(116.47), 5)));
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
