//! Splits a newspaper page (raw text extracted from a PDF page) into articles.
//!
//! A page holds several articles. Some pages mark headlines with `#`, others
//! only by layout: a few short lines without closing punctuation, followed by
//! a "本报讯（记者 …）" opening or by a photo story that ends with a
//! "本报记者 … 摄影报道" credit. The PDF also breaks paragraphs in the middle
//! of sentences (a paragraph that ends without punctuation continues in the
//! next one); those breaks are repaired here, before anything is indexed.

use super::articles::Article;

/// Lines at most this long, without closing punctuation, may be headlines.
const MAX_HEADLINE_CHARS: usize = 40;

/// Beijing's districts as they appear in running text, with their full names.
const DISTRICTS: &[(&str, &str)] = &[
    ("东城", "东城区"),
    ("西城", "西城区"),
    ("朝阳", "朝阳区"),
    ("海淀", "海淀区"),
    ("丰台", "丰台区"),
    ("石景山", "石景山区"),
    ("门头沟", "门头沟区"),
    ("房山", "房山区"),
    ("通州", "通州区"),
    ("顺义", "顺义区"),
    ("昌平", "昌平区"),
    ("大兴", "大兴区"),
    ("怀柔", "怀柔区"),
    ("平谷", "平谷区"),
    ("密云", "密云区"),
    ("延庆", "延庆区"),
    ("经开区", "北京经济技术开发区"),
    ("经济技术开发区", "北京经济技术开发区"),
];

/// Verbs that newspaper headlines are built around; a line with one of them
/// is more likely the main title than a kicker or a subtitle.
const HEADLINE_VERBS: &[&str] = &[
    "召开", "开展", "推进", "打造", "搭建", "调研", "慰问", "启动", "举办", "组织", "评估", "比拼", "感受", "走访", "发放",
    "建成", "助", "普法", "沟通会",
];

#[derive(Debug, Clone)]
struct Line {
    text: String,
    /// Markdown heading level (number of leading '#'), 0 for plain text.
    level: usize,
}

#[derive(Debug, Default)]
struct Draft {
    headings: Vec<Line>,
    paragraphs: Vec<String>,
    photo_credit: Option<String>,
}

/// Splits one page into articles with ids `{prefix}-01`, `{prefix}-02`, …
/// `source` is the page's file name, recorded in each article's front matter.
pub fn split_page(page: &str, source: &str, prefix: &str) -> Vec<Article> {
    let lines: Vec<Line> = page
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let level = l.chars().take_while(|c| *c == '#').count();
            let text = normalize_punctuation(l[level..].trim());
            Line { text, level }
        })
        .filter(|l| !l.text.is_empty())
        .collect();

    // 1. Find the headline groups.
    let mut is_heading = vec![false; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if !is_candidate(&lines[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len() && is_candidate(&lines[j]) {
            j += 1;
        }
        let marked = lines[i..j].iter().any(|l| l.level > 0);
        let opens_news = lines.get(j).is_some_and(|l| l.text.starts_with("本报讯"));
        let opens_photo = lines.get(j).is_some_and(|l| ends_with_credit(&l.text))
            || lines.get(j + 1).is_some_and(|l| is_credit_line(&l.text));
        if marked || opens_news || opens_photo {
            is_heading[i..j].iter_mut().for_each(|h| *h = true);
        }
        i = j;
    }

    // 2. Walk the page: headline groups open articles, text lines are joined
    //    into paragraphs (repairing page breaks), credits close photo stories.
    let mut drafts: Vec<Draft> = Vec::new();
    let mut open_paragraph = false;
    for (idx, line) in lines.iter().enumerate() {
        if is_heading[idx] {
            let continuing_group = idx > 0 && is_heading[idx - 1];
            if !continuing_group {
                drafts.push(Draft::default());
            }
            if let Some(d) = drafts.last_mut() {
                d.headings.push(line.clone());
            }
            open_paragraph = false;
            continue;
        }
        if is_credit_line(&line.text) {
            let credit = line.text.clone();
            match drafts.last_mut() {
                // A titled photo story: its headline, a paragraph or two, the credit.
                Some(d) if !d.headings.is_empty() && d.photo_credit.is_none() && !d.paragraphs.iter().any(|p| p.starts_with("本报讯")) => {
                    d.photo_credit = Some(credit);
                }
                // An untitled photo at the end of a news article: split it off.
                Some(d) if d.paragraphs.len() > 1 => {
                    let last = d.paragraphs.pop().unwrap_or_default();
                    drafts.push(Draft { headings: Vec::new(), paragraphs: vec![last], photo_credit: Some(credit) });
                }
                Some(d) => d.photo_credit = Some(credit),
                None => drafts.push(Draft { photo_credit: Some(credit), ..Draft::default() }),
            }
            open_paragraph = false;
            continue;
        }
        if drafts.is_empty() {
            drafts.push(Draft::default());
        }
        let d = drafts.last_mut().expect("a draft exists");
        match (open_paragraph, d.paragraphs.last_mut()) {
            (true, Some(p)) => p.push_str(&line.text),
            _ => d.paragraphs.push(line.text.clone()),
        }
        open_paragraph = !ends_sentence(&line.text);
    }

    // 3. Turn drafts into articles.
    let mut out: Vec<Article> = Vec::new();
    for (n, d) in drafts.into_iter().filter(|d| !d.paragraphs.is_empty()).enumerate() {
        let is_first = n == 0;
        let article = finish(d, source, &format!("{prefix}-{:02}", out.len() + 1), is_first);
        // A byline or a credit alone ("本报讯(记者 刘欣欣)" and nothing after
        // it) leaves no text: that is no article (the loader would refuse it).
        if !article.paragraphs.is_empty() {
            out.push(article);
        }
    }
    out
}

/// The id prefix for a page file: its name up to the first '_' ("000_abc.txt" -> "000").
pub fn id_prefix(file_name: &str) -> String {
    let stem = file_name.rsplit_once('.').map(|(s, _)| s).unwrap_or(file_name);
    stem.split('_').next().unwrap_or(stem).to_string()
}

fn finish(d: Draft, source: &str, id: &str, first_on_page: bool) -> Article {
    let mut paragraphs = d.paragraphs;
    let mut reporter = None;
    if let Some(first) = paragraphs.first_mut()
        && let Some((who, rest)) = split_byline(first)
    {
        reporter = Some(who);
        *first = rest;
    }
    // A news article (with a "本报讯" byline) may end with a photo caption
    // ("图为…本报记者 彭程 摄"): that stays in its text. Without a byline, a
    // trailing credit makes the piece a photo story.
    let is_photo = reporter.is_none() && (d.photo_credit.is_some() || paragraphs.last().is_some_and(|p| ends_with_credit(p)));
    if let Some(last) = paragraphs.last_mut()
        && d.photo_credit.is_none()
        && is_photo
        && let Some((text, who)) = split_trailing_credit(last)
    {
        reporter = Some(who);
        *last = text;
    }
    if let Some(c) = &d.photo_credit
        && is_photo
    {
        reporter = Some(credit_name(c));
    }
    // What the byline or the credit leaves of a paragraph may be nothing; a
    // paragraph the loader would skip is not kept either.
    paragraphs.retain(|p| !p.trim().is_empty() && p.trim() != "---");
    let (kicker, title, subtitle) = pick_title(&d.headings, first_on_page);
    let title = title.unwrap_or_else(|| untitled(&paragraphs));
    let mut all = title.clone();
    all.push_str(subtitle.as_deref().unwrap_or(""));
    let body = paragraphs.join("");
    let districts = detect_districts(&all, &body);
    Article {
        id: id.to_string(),
        title,
        subtitle,
        kicker,
        districts,
        source: source.to_string(),
        reporter,
        kind: if is_photo { "photo" } else { "news" }.to_string(),
        paragraphs,
        path: format!("knowledge/articles/{id}.md"),
    }
}

/// Chooses the main title among a headline group; lines before it are the
/// kicker (引题), lines after it the subtitle (副题).
fn pick_title(headings: &[Line], first_on_page: bool) -> (Option<String>, Option<String>, Option<String>) {
    if headings.is_empty() {
        return (None, None, None);
    }
    let t = if let Some(last_marked) = headings.iter().rposition(|l| l.level > 0) {
        last_marked
    } else {
        let score = |i: usize, l: &Line| -> i32 {
            let mut s = 0;
            if l.text.starts_with(['■', '●', '▲', '◆', '□']) {
                s -= 3;
            }
            if is_slogan(&l.text) {
                s -= 3;
            }
            if first_on_page && i == 0 && headings.len() > 1 {
                s -= 2; // the page's banner
            }
            if HEADLINE_VERBS.iter().any(|v| l.text.contains(v)) {
                s += 2;
            }
            s
        };
        let mut best = 0;
        for (i, l) in headings.iter().enumerate() {
            if score(i, l) > score(best, &headings[best]) {
                best = i;
            }
        }
        best
    };
    let mut before: Vec<&str> = headings[..t].iter().map(|l| l.text.as_str()).collect();
    // The page banner ("深入学习贯彻…") belongs to the page, not to the article.
    if first_on_page && t > 0 {
        before.remove(0);
    }
    let after: Vec<&str> = headings[t + 1..].iter().map(|l| l.text.as_str()).collect();
    let join = |v: Vec<&str>| if v.is_empty() { None } else { Some(v.join(" ")) };
    (join(before), Some(headings[t].text.clone()), join(after))
}

/// "拓宽服务阵地 推进评先评优 多渠道送关爱": short phrases set apart by spaces.
fn is_slogan(s: &str) -> bool {
    let parts: Vec<&str> = s.split_whitespace().collect();
    parts.len() >= 2 && parts.iter().all(|p| p.chars().count() <= 8)
}

/// A title for a photo story printed without one: its first sentence, without
/// the leading time word ("昨日，").
fn untitled(paragraphs: &[String]) -> String {
    let first = paragraphs.first().map(String::as_str).unwrap_or("");
    let sentence = crate::text::sentences(first).into_iter().next().unwrap_or(first);
    let sentence = sentence.trim_end_matches(['。', '！', '？']);
    let sentence = match sentence.split_once('，') {
        Some((head, rest)) if head.chars().count() <= 4 => rest,
        _ => sentence,
    };
    // A first sentence of punctuation only ("！") would be an empty title,
    // which the article loader refuses (found by the fuzzer): the
    // paragraph's start instead.
    match crate::text::clip(sentence, 40).trim() {
        "" => crate::text::clip(first.trim(), 40).to_string(),
        title => title.to_string(),
    }
}

fn is_candidate(l: &Line) -> bool {
    if l.level > 0 {
        return true;
    }
    let t = &l.text;
    t.chars().count() <= MAX_HEADLINE_CHARS && !ends_sentence(t) && !t.starts_with("本报讯") && !is_credit_line(t)
}

/// Whether a line ends a sentence (so the next line starts a new paragraph).
fn ends_sentence(s: &str) -> bool {
    if ends_with_credit(s) {
        return true;
    }
    let mut rev = s.chars().rev();
    match rev.next() {
        Some('。' | '！' | '？' | '…' | '；' | '.' | '!' | '?') => true,
        Some('”' | '’' | '」' | '』' | '）' | ')') => matches!(rev.next(), Some('。' | '！' | '？' | '…' | '.' | '!' | '?')),
        _ => false,
    }
}

/// "本报记者 孙妍 摄影报道" on a line of its own.
fn is_credit_line(s: &str) -> bool {
    (s.starts_with("本报记者") || s.starts_with("记者")) && ends_with_credit(s) && s.chars().count() <= 30
}

fn ends_with_credit(s: &str) -> bool {
    let s = s.trim_end();
    s.ends_with("摄影报道") || (s.ends_with('摄') && s.contains("本报记者"))
}

/// "本报记者 孙妍 摄影报道" -> "记者 孙妍（摄影）".
fn credit_name(s: &str) -> String {
    let name = s
        .trim_start_matches("本报记者")
        .trim_start_matches("记者")
        .trim_end()
        .trim_end_matches("摄影报道")
        .trim_end_matches('摄')
        .trim();
    format!("记者 {name}（摄影）")
}

/// Splits "…全文。本报记者 曹立栋 摄影报道" into the text and "记者 曹立栋（摄影）".
fn split_trailing_credit(p: &str) -> Option<(String, String)> {
    let i = p.rfind("本报记者")?;
    let text = p[..i].trim_end().to_string();
    if text.is_empty() {
        return None;
    }
    Some((text, credit_name(&p[i..])))
}

/// Splits "本报讯（记者 盛丽）近日，…" into ("记者 盛丽", "近日，…").
fn split_byline(p: &str) -> Option<(String, String)> {
    let rest = p.strip_prefix("本报讯")?;
    let rest = rest.trim_start();
    let open = rest.chars().next().filter(|c| matches!(c, '（' | '('))?;
    let inner_start = open.len_utf8();
    let close = rest[inner_start..].find(['）', ')'])? + inner_start;
    let who = rest[inner_start..close].trim().to_string();
    let close_len = rest[close..].chars().next().map(char::len_utf8).unwrap_or(1);
    Some((who, rest[close + close_len..].trim_start().to_string()))
}

/// Districts named in the title, or at least twice in the body.
fn detect_districts(title: &str, body: &str) -> Vec<String> {
    let mut found: Vec<(usize, &str)> = Vec::new();
    for (short, full) in DISTRICTS {
        let in_title = title.contains(short);
        let count = body.matches(short).count();
        if (in_title || count >= 2) && !found.iter().any(|(_, f)| f == full) {
            let pos = if in_title { 0 } else { body.find(short).unwrap_or(usize::MAX) };
            found.push((pos, full));
        }
    }
    found.sort_by_key(|(p, _)| *p);
    found.into_iter().map(|(_, f)| f.to_string()).collect()
}

/// One of the pages uses ASCII punctuation inside Chinese text; the others use
/// full-width forms. Snippets read better when all articles use the latter.
fn normalize_punctuation(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let cjk_near = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|&n| crate::text::is_han(n) || is_cjk_punct(n));
        let near = cjk_near(i.checked_sub(1)) || cjk_near(Some(i + 1));
        let mapped = match c {
            ',' if near => '，',
            ';' if near => '；',
            ':' if near => '：',
            '?' if near => '？',
            '!' if near => '！',
            '(' if near => '（',
            ')' if near => '）',
            _ => c,
        };
        out.push(mapped);
    }
    out
}

fn is_cjk_punct(c: char) -> bool {
    matches!(c, '“' | '”' | '‘' | '’' | '，' | '。' | '、' | '（' | '）' | '《' | '》')
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = "深入学习贯彻党的二十大精神 奋力开拓首都工会工作新局面\n\n拓宽服务阵地 推进评先评优 多渠道送关爱\n\n海淀工会搭建“连心桥”\n\n本报讯（记者 赵思远）日前，“网约车司机小站”正式揭牌。“随着队\n\n伍不断发展壮大，势在必行。”\n\n顺义区政府与区总工会联席会议召开\n\n找准工会工作服务党政工作大局切入点和着力点\n\n本报讯（记者 王路曼）近日，会议召开。\n\n“共享阅读区”\n\n记者昨天在北京图书大厦看到，阅读区很安静。\n\n本报记者 孙妍 摄影报道\n\n昨日，贝壳找房工会将医药物资打包运往西吉县。\n\n本报记者 孙妍 摄影报道\n";

    #[test]
    fn splits_plain_page_by_layout() {
        let a = split_page(PLAIN, "003_x.txt", "003");
        let titles: Vec<&str> = a.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, vec!["海淀工会搭建“连心桥”", "顺义区政府与区总工会联席会议召开", "“共享阅读区”", "贝壳找房工会将医药物资打包运往西吉县"]);
        assert_eq!(a[0].kicker.as_deref(), Some("拓宽服务阵地 推进评先评优 多渠道送关爱"));
        assert_eq!(a[0].reporter.as_deref(), Some("记者 赵思远"));
        assert_eq!(a[0].paragraphs[0], "日前，“网约车司机小站”正式揭牌。“随着队伍不断发展壮大，势在必行。”", "page break repaired");
        assert_eq!(a[1].subtitle.as_deref(), Some("找准工会工作服务党政工作大局切入点和着力点"));
        assert_eq!(a[2].kind, "photo");
        assert_eq!(a[2].reporter.as_deref(), Some("记者 孙妍（摄影）"));
        assert_eq!(a[3].kind, "photo");
        assert_eq!(a[0].districts, vec!["海淀区"]);
        assert_eq!(a[3].id, "003-04");
    }

    #[test]
    fn splits_marked_page_by_heading_levels() {
        let page = "# 深入学习贯彻党的二十大精神\n\n## 朝阳区总工会扎实推进户外劳动者服务站点建设\n\n已建成公共区域职工之家60家 户外劳动者工会驿站2178家\n\n本报讯(记者 刘欣欣)继望京骑迹驿站之后,望京户外劳动者驿站近期投入使用。\n\n## 寒冬送暖 工会行动\n\n挨家逐户走访慰问 推出专享“节日盛宴”\n\n## 东城区总工会多措并举开展“冬送温暖”活动\n\n本报讯(记者 边磊)春节临近。\n";
        let a = split_page(page, "001_x.txt", "001");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].title, "朝阳区总工会扎实推进户外劳动者服务站点建设");
        assert_eq!(a[0].kicker, None, "page banner dropped");
        assert_eq!(a[0].subtitle.as_deref(), Some("已建成公共区域职工之家60家 户外劳动者工会驿站2178家"));
        assert_eq!(a[0].paragraphs[0], "继望京骑迹驿站之后，望京户外劳动者驿站近期投入使用。", "ASCII punctuation made full-width");
        assert_eq!(a[1].title, "东城区总工会多措并举开展“冬送温暖”活动");
        assert_eq!(a[1].kicker.as_deref(), Some("寒冬送暖 工会行动 挨家逐户走访慰问 推出专享“节日盛宴”"));
    }

    #[test]
    fn id_prefix_takes_the_page_number() {
        assert_eq!(id_prefix("000_703ec4c1c7c78731.txt"), "000");
        assert_eq!(id_prefix("page.txt"), "page");
    }
}
