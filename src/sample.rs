//! Generated questions: a seeded random generator, the benchmark's mix of
//! workers' wordings, and (for unit tests) the seed knowledge with our
//! regression questions. The benchmark and the tests of the engine, the
//! analyzer and geo share these; nothing here answers a worker.

use crate::knowledge::Knowledge;

/// A small deterministic random generator (SplitMix64): the same seed gives
/// the same questions and the same synthetic corpus on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A float in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Who asks, as workers open a message.
const PREFIXES: &[&str] = &["请问", "你好，", "我是外卖小哥，", "我是快递员，", "跑网约车的问一下，", "麻烦问下", "我想问问", "打扰一下，", "师傅，", "小助手，"];
/// How workers end one.
const SUFFIXES: &[&str] = &["？", "吗", "呢？", "啊", "??", "。谢谢", "🙏", "！", "，急", "…"];

/// The questions of a benchmark run: every question of `asked` (the
/// yardstick's text questions), then `extra` more made by mixing wordings
/// from them and from `faq.yaml`: a worker's opening, a synonym for a word,
/// another place, half of one wording joined to half of another wording of
/// the same entry, and a closing particle.
pub fn question_mix(asked: &[String], knowledge: &Knowledge, extra: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<String> = asked.to_vec();
    let base = out.clone();
    let groups: Vec<Vec<&str>> = knowledge
        .lexicon
        .synonyms
        .iter()
        .map(|(c, vs)| std::iter::once(c.as_str()).chain(vs.iter().map(String::as_str)).collect())
        .collect();
    let places: Vec<&str> = knowledge.places.iter().filter(|p| !p.is_district()).map(|p| p.name.as_str()).collect();
    for _ in 0..extra {
        let from_faq = base.is_empty() || rng.chance(0.5);
        let mut q = if from_faq {
            let e = rng.pick(&knowledge.faq);
            let mut q = rng.pick(&e.questions).clone();
            if e.questions.len() > 1 && rng.chance(0.25) {
                let other = rng.pick(&e.questions);
                let head: String = q.chars().take(q.chars().count().div_ceil(2)).collect();
                let tail: String = other.chars().skip(other.chars().count() / 2).collect();
                q = head + &tail;
            }
            q
        } else {
            rng.pick(&base).clone()
        };
        if rng.chance(0.5) {
            // Say one word the way another worker would.
            let found: Vec<(&Vec<&str>, &str)> =
                groups.iter().flat_map(|g| g.iter().filter(|w| w.chars().count() >= 2 && q.contains(**w)).map(move |w| (g, *w))).collect();
            if !found.is_empty() {
                let (g, w) = found[rng.below(found.len())];
                q = q.replacen(w, *rng.pick(&g[..]), 1);
            }
        }
        if rng.chance(0.2) && !places.is_empty() {
            if let Some(p) = places.iter().find(|p| q.contains(**p)) {
                q = q.replacen(p, *rng.pick(&places[..]), 1);
            }
        }
        if rng.chance(0.4) {
            q = format!("{}{q}", *rng.pick(PREFIXES));
        }
        if rng.chance(0.5) {
            q.push_str(*rng.pick(SUFFIXES));
        }
        out.push(q);
    }
    out
}

/// The seed knowledge (`knowledge/`) and the `q`s of our regression
/// questions (`tests/data/questions.yaml`), for unit tests.
#[cfg(test)]
pub(crate) fn seed_and_regression_questions() -> (Knowledge, Vec<String>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (k, _) = Knowledge::load(&root.join("knowledge")).expect("the seed knowledge loads");
    let text = std::fs::read_to_string(root.join("tests/data/questions.yaml")).expect("tests/data/questions.yaml");
    let cases: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).expect("a list of cases");
    let asked = cases.iter().filter_map(|c| c.get("q")?.as_str().map(str::to_string)).collect();
    (k, asked)
}
