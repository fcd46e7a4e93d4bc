//! The grounding pass of `check`: every figure an answer states, and every
//! station service, expected service, hours text and district, must be found
//! in one of the articles the entry cites.
//!
//! What it looks at:
//! - **figures** in FAQ answers and station descriptions: a number with its
//!   unit (2178家, 15%, 9点, 1月15日, 18.42万个, 4000余名, 两次, 第二座), read
//!   the way [`figures`] reads them, must occur in a cited article, with the
//!   same digits on both sides of it (15 is not found in 150);
//! - **station texts**: each of `services`, `expected_services` and
//!   `hours_text`, and `district`, normalised as questions are
//!   ([`crate::text::normalize`]), must occur in a cited article, whole or
//!   piece by piece (the pieces between punctuation, all in one article:
//!   "工“惠”小厨餐饮机（热食）" is found as 工惠小厨餐饮机 and 热食).
//!
//! A claim found only in an article the entry does not cite is reported as
//! mis-cited, naming the article that has it. An editor marks a deliberate
//! exception in the entry itself, with the reason:
//!
//! ```yaml
//!   unsourced:
//!     西城区: 报道只写北京图书大厦，没写在哪个区；区是编辑按地图补的
//! ```
//!
//! What it cannot see: a sentence that says something the article does not
//! (a wrong paraphrase, an attribution to the wrong body, a general aim read as
//! a station's service) uses words the article has. Those stay the editor's to
//! catch. Stations imported from a station list (`source_file`) cite no
//! article and are not checked; the hotline 12351, which the bot names in
//! every way out, is not a claim of the answer.

use std::collections::BTreeMap;
use std::path::Path;

use crate::knowledge::{Article, FAQ_FILE, Knowledge, Problem, STATIONS_FILE};

/// The hotline's number: the way out every answer may name, not a figure
/// the answer claims (it is in the articles too: 004-01, 004-02).
const HOTLINE_NUMBER: &str = "12351";

/// What one grounding pass looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub figures: usize,
    pub station_texts: usize,
    /// Claims passed because an editor marked them, with a reason.
    pub marked: usize,
}

/// One claim to ground, with the text it was read from.
struct Claim {
    /// As written (for the message and for finding its line).
    text: String,
    /// What is looked for in the articles.
    kind: ClaimKind,
    /// Which field it came from, for the message.
    field: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ClaimKind {
    Figure,
    Text,
}

/// The articles' texts, prepared once: for figures (width folded, no white
/// space) and for station texts (normalised, no spaces).
struct Corpus<'a> {
    articles: Vec<(&'a Article, String, String)>,
}

impl<'a> Corpus<'a> {
    fn new(articles: &'a [Article]) -> Corpus<'a> {
        let articles = articles
            .iter()
            .map(|a| {
                let mut all = a.title.clone();
                for extra in [&a.subtitle, &a.kicker].into_iter().flatten() {
                    all.push('\n');
                    all.push_str(extra);
                }
                for d in &a.districts {
                    all.push('\n');
                    all.push_str(d);
                }
                for p in &a.paragraphs {
                    all.push('\n');
                    all.push_str(p);
                }
                (a, figure_form(&all), text_form(&all))
            })
            .collect();
        Corpus { articles }
    }

    /// Whether article `i` holds the claim.
    fn holds(&self, i: usize, claim: &Claim) -> bool {
        let (_, figures, texts) = &self.articles[i];
        match claim.kind {
            ClaimKind::Figure => contains_figure(figures, &figure_form(&claim.text)),
            ClaimKind::Text => {
                let norm = crate::text::normalize(&claim.text);
                let whole: String = norm.split(' ').collect();
                !whole.is_empty() && (texts.contains(&whole) || norm.split(' ').filter(|p| !p.is_empty()).all(|p| texts.contains(p)))
            }
        }
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.articles.iter().position(|(a, _, _)| a.id == id)
    }
}

/// Grounds every FAQ answer and every station that cites articles. Problems
/// are warnings, each at the line of the claim in faq.yaml or stations.yaml.
pub fn check(k: &Knowledge) -> (Vec<Problem>, Summary) {
    let corpus = Corpus::new(&k.articles);
    let mut problems = Vec::new();
    let mut summary = Summary::default();

    let faq_path = k.dir.join(FAQ_FILE);
    let faq_text = std::fs::read_to_string(&faq_path).unwrap_or_default();
    let faq_regions = item_regions(&faq_text);
    for (i, e) in k.faq.iter().enumerate() {
        let claims: Vec<Claim> = figures(&e.answer).into_iter().map(|text| Claim { text, kind: ClaimKind::Figure, field: "answer" }).collect();
        summary.figures += claims.len();
        let region = faq_regions.get(i).copied().unwrap_or((e.line, e.line));
        let at = Entry { path: &faq_path, text: &faq_text, region, what: format!("entry \"{}\"", e.id), sources: &e.sources, unsourced: &e.unsourced };
        ground(&corpus, &at, &claims, &mut problems, &mut summary);
    }

    let st_path = k.dir.join(STATIONS_FILE);
    let st_text = std::fs::read_to_string(&st_path).unwrap_or_default();
    let st_regions = item_regions(&st_text);
    for (i, s) in k.stations.iter().enumerate() {
        if s.sources.is_empty() {
            continue; // imported from a station list: nothing to ground it in
        }
        let mut claims = Vec::new();
        for v in &s.services {
            claims.push(Claim { text: v.clone(), kind: ClaimKind::Text, field: "services" });
        }
        for v in &s.expected_services {
            claims.push(Claim { text: v.clone(), kind: ClaimKind::Text, field: "expected_services" });
        }
        if let Some(h) = &s.hours_text {
            claims.push(Claim { text: h.clone(), kind: ClaimKind::Text, field: "hours_text" });
        }
        if !s.district.trim().is_empty() {
            claims.push(Claim { text: s.district.clone(), kind: ClaimKind::Text, field: "district" });
        }
        summary.station_texts += claims.len();
        let described: Vec<Claim> = figures(&s.description).into_iter().map(|text| Claim { text, kind: ClaimKind::Figure, field: "description" }).collect();
        summary.figures += described.len();
        claims.extend(described);
        let region = st_regions.get(i).copied().unwrap_or((1, 1));
        let at = Entry { path: &st_path, text: &st_text, region, what: format!("station \"{}\"", s.id), sources: &s.sources, unsourced: &s.unsourced };
        ground(&corpus, &at, &claims, &mut problems, &mut summary);
        for v in &s.expected_services {
            if s.services.contains(v) {
                let line = line_in(&st_text, region, "expected_services:", v);
                problems.push(Problem::warning(
                    &st_path,
                    line,
                    format!("station \"{}\": \"{v}\" is both a service and an expected service; keep it in one list", s.id),
                ));
            }
        }
    }
    (problems, summary)
}

/// Where an entry is and what it cites.
struct Entry<'a> {
    path: &'a Path,
    text: &'a str,
    /// First and last line of the entry in its file.
    region: (usize, usize),
    what: String,
    sources: &'a [String],
    unsourced: &'a BTreeMap<String, String>,
}

fn ground(corpus: &Corpus, e: &Entry, claims: &[Claim], problems: &mut Vec<Problem>, summary: &mut Summary) {
    let cited: Vec<usize> = e.sources.iter().filter_map(|s| corpus.index_of(s)).collect();
    let marked = |c: &Claim| e.unsourced.keys().any(|k| same_claim(k, &c.text));
    let mut reported: Vec<String> = Vec::new();
    for c in claims {
        if cited.iter().any(|&i| corpus.holds(i, c)) {
            continue;
        }
        if marked(c) {
            summary.marked += 1;
            continue;
        }
        if reported.contains(&c.text) {
            continue; // the same figure twice in one answer: one warning
        }
        reported.push(c.text.clone());
        let line = line_in(e.text, e.region, &format!("{}:", c.field), &c.text);
        let others: Vec<&str> =
            (0..corpus.articles.len()).filter(|i| !cited.contains(i) && corpus.holds(*i, c)).map(|i| corpus.articles[i].0.id.as_str()).collect();
        let what = match c.kind {
            ClaimKind::Figure => "figure",
            ClaimKind::Text => c.field,
        };
        let message = if others.is_empty() {
            format!(
                "{}: {what} \"{}\" is in none of its cited articles ({}) nor in any other; say what the articles say, or mark it under `unsourced:` with the reason",
                e.what,
                c.text,
                e.sources.join(", ")
            )
        } else {
            format!(
                "{}: {what} \"{}\" is mis-cited: it is in {} but not in its cited articles ({}); cite {} or mark it under `unsourced:` with the reason",
                e.what,
                c.text,
                others.join(", "),
                e.sources.join(", "),
                if others.len() == 1 { "that article" } else { "one of them" }
            )
        };
        problems.push(Problem::warning(e.path, line, message));
    }
    // The marks themselves: each with a reason, each still needed.
    for (claim, reason) in e.unsourced {
        let line = line_in(e.text, e.region, "unsourced:", claim);
        let matching: Vec<&Claim> = claims.iter().filter(|c| same_claim(claim, &c.text)).collect();
        if reason.trim().is_empty() {
            problems.push(Problem::warning(e.path, line, format!("{}: `unsourced: {claim}` gives no reason; say why it is not in the cited articles", e.what)));
        }
        if matching.is_empty() {
            problems.push(Problem::warning(e.path, line, format!("{}: `unsourced: {claim}` matches no claim of this entry; remove it", e.what)));
        } else if matching.iter().all(|c| cited.iter().any(|&i| corpus.holds(i, c))) {
            problems.push(Problem::warning(
                e.path,
                line,
                format!("{}: `unsourced: {claim}` is not needed: the cited articles have it; remove the mark", e.what),
            ));
        }
    }
}

fn same_claim(a: &str, b: &str) -> bool {
    let (a, b) = (crate::text::normalize(a), crate::text::normalize(b));
    !a.is_empty() && a == b
}

/// The figures of a text, as written, in order (repeats kept): Arabic numbers
/// with their unit (and a date as one figure: 2023年7月, 1月15日), Chinese
/// numerals followed by a measure word (两次, 五元), ordinals (第二座). A bare
/// 一 is not read (一家, 一次 mostly mean "a"); 第一 is. The hotline's number
/// is left out.
pub fn figures(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().map(crate::text::fold_width).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let ordinal = i > 0 && chars[i - 1] == '第';
        let start = if ordinal { i - 1 } else { i };
        if c.is_ascii_digit() {
            let mut end = number_end(&chars, i);
            end = unit_end(&chars, end);
            // A date runs on: 2023年7月, 1月15日, 2024年1月15日.
            while end > 0 && matches!(chars[end - 1], '年' | '月') && chars.get(end).is_some_and(|c| c.is_ascii_digit()) {
                let next = number_end(&chars, end);
                if matches!(chars.get(next), Some('月' | '日' | '号')) {
                    end = next + 1;
                } else {
                    break;
                }
            }
            let figure: String = chars[start..end].iter().collect();
            if figure != HOTLINE_NUMBER {
                out.push(figure);
            }
            i = end;
        } else if is_chinese_digit(c) && !(i > 0 && is_chinese_numeral(chars[i - 1])) {
            let mut end = i;
            while end < chars.len() && is_chinese_numeral(chars[end]) {
                end += 1;
            }
            let number: String = chars[i..end].iter().collect();
            let with_unit = unit_end(&chars, end);
            let has_measure = with_unit > end && !matches!(chars[with_unit - 1], '余' | '多' | '万' | '亿' | '千' | '百');
            if has_measure && (ordinal || number != "一") {
                out.push(chars[start..with_unit].iter().collect());
                i = with_unit;
            } else {
                i = end;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The end of an Arabic number starting at `i`: digits, with '.' or ','
/// between digits.
fn number_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        if chars[i].is_ascii_digit()
            || (matches!(chars[i], '.' | ',') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) && i > 0 && chars[i - 1].is_ascii_digit())
        {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Measure words and units a figure may end with, longest first where one is
/// the start of another.
const UNITS: &[&str] = &[
    "平方米",
    "平方公里",
    "人次",
    "小时",
    "公里",
    "分钟",
    "周年",
    "%",
    "个",
    "家",
    "座",
    "名",
    "人",
    "次",
    "件",
    "张",
    "本",
    "元",
    "年",
    "月",
    "日",
    "号",
    "点",
    "米",
    "岁",
    "天",
    "周",
    "层",
    "套",
    "盒",
    "届",
    "所",
    "项",
    "条",
    "批",
    "位",
    "种",
    "支",
    "辆",
    "台",
    "间",
    "场",
    "期",
    "倍",
    "成",
    "户",
    "份",
    "袋",
    "箱",
    "斤",
    "克",
    "吨",
    "亩",
    "栋",
    "楼",
    "站",
    "处",
    "类",
];

/// After a number: 余/多, then 万/亿/千/百, then 余/多, then a unit, each optional.
fn unit_end(chars: &[char], mut i: usize) -> usize {
    let more = |c: Option<&char>| matches!(c, Some('余' | '多'));
    if more(chars.get(i)) {
        i += 1;
    }
    if matches!(chars.get(i), Some('万' | '亿' | '千' | '百')) {
        i += 1;
        if more(chars.get(i)) {
            i += 1;
        }
    }
    for u in UNITS {
        let n = u.chars().count();
        if chars.len() >= i + n && chars[i..i + n].iter().copied().eq(u.chars()) {
            return i + n;
        }
    }
    i
}

fn is_chinese_digit(c: char) -> bool {
    matches!(c, '零' | '〇' | '一' | '二' | '两' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十')
}

fn is_chinese_numeral(c: char) -> bool {
    is_chinese_digit(c) || matches!(c, '百' | '千' | '万' | '亿')
}

/// A text as figures are compared: full-width folded, no white space.
fn figure_form(s: &str) -> String {
    s.chars().map(crate::text::fold_width).filter(|c| !c.is_whitespace()).collect()
}

/// A text as station texts are compared: normalised, spaces dropped.
fn text_form(s: &str) -> String {
    crate::text::normalize(s).split(' ').collect()
}

/// Whether `hay` holds `figure` with no digit (or numeral, for a Chinese
/// figure) running on at either side: 15% is not in 115%, 15 is not in 150.
fn contains_figure(hay: &str, figure: &str) -> bool {
    if figure.is_empty() {
        return false;
    }
    let first = figure.chars().next().unwrap_or(' ');
    let last = figure.chars().last().unwrap_or(' ');
    let joins = |a: char, b: char| (a.is_ascii_digit() || a == '.') && b.is_ascii_digit() || is_chinese_numeral(a) && is_chinese_numeral(b);
    hay.match_indices(figure).any(|(at, _)| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + figure.len()..].chars().next();
        !before.is_some_and(|b| joins(b, first) || b.is_ascii_digit() && first == '.')
            && !after
                .is_some_and(|a| joins(last, a) || last.is_ascii_digit() && a == '.' && hay[at + figure.len() + 1..].starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// The (first, last) line of each top-level list item ("- " at column 0).
fn item_regions(text: &str) -> Vec<(usize, usize)> {
    let starts: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.starts_with("- ") || *l == "-").map(|(i, _)| i + 1).collect();
    let total = text.lines().count();
    starts.iter().enumerate().map(|(k, &s)| (s, starts.get(k + 1).map(|n| n - 1).unwrap_or(total))).collect()
}

/// The line in `region` that holds `needle`, looked for from the line of
/// `key` on (the claim's own field); the key's line, or the region's first
/// line, when the text is not found as written.
fn line_in(text: &str, (first, last): (usize, usize), key: &str, needle: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let in_region = |from: usize| (from..=last.min(lines.len())).filter(|&n| n >= 1);
    let key_line = in_region(first).find(|&n| lines[n - 1].trim_start().trim_start_matches("- ").starts_with(key));
    let from = key_line.unwrap_or(first);
    in_region(from).find(|&n| lines[n - 1].contains(needle)).or(key_line).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_figures_with_their_units() {
        let f = figures(
            "截至去年年底，全国已建成工会驿站18.42万个，日服务327万人次，将每年1月15日设为节日，2023年7月启动，推树15%的驿站，早9点到晚6点，4000余名，30余万元，1.3万余人，30多名。拨打12351。",
        );
        assert_eq!(f, ["18.42万个", "327万人次", "1月15日", "2023年7月", "15%", "9点", "6点", "4000余名", "30余万元", "1.3万余人", "30多名"]);
        assert_eq!(
            figures("全年进行两次摸底，五元看大片，第二座，第一座，享受一次免费理发，五一劳动奖章，两节期间，十八届二次执委会"),
            ["两次", "五元", "第二座", "第一座", "十八届", "二次"]
        );
        assert_eq!(figures("双15工程，2000平方米"), ["15", "2000平方米"]);
    }

    #[test]
    fn a_figure_does_not_match_inside_a_longer_number() {
        assert!(contains_figure("推树15%的工会驿站", "15%"));
        assert!(!contains_figure("推树115%的工会驿站", "15%"));
        assert!(!contains_figure("共150张", "15"));
        assert!(!contains_figure("18.42万个", "8.42万个"));
        assert!(contains_figure("已建成18.42万个", "18.42万个"));
        assert!(!contains_figure("十二座", "二座"));
        assert!(contains_figure("之后的第二座商圈", "第二座"));
    }
}
