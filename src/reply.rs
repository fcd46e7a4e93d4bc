//! Every sentence the bot says, and the rendering of an [`Answer`] to plain
//! text (CLI, eval) and to Telegram HTML. HTML escaping happens in exactly one
//! place: [`escape_html`], called only by [`Doc::html`].

use crate::engine::{Answer, Kind, Note, Source, SourceKind, StationHit};
use crate::geo;
use serde::Serialize;

/// Telegram's limit for one message, in characters (UTF-16 units, in fact;
/// all our text is in the Basic Multilingual Plane except emoji, which we
/// count as two to be safe).
pub const TELEGRAM_LIMIT: usize = 4096;

/// The hotline, named the way the articles name it.
pub const HOTLINE: &str = "北京工会12351职工服务热线";

pub fn greeting() -> &'static str {
    "您好！我是工会小助手，专门回答北京工会的服务问题：\n• 找附近的工会驿站（发位置或地名，如“我在望京”）\n• 怎么加入工会、入会有什么好处\n• 互助保障、劳动纠纷、困难帮扶、12351热线等\n直接打字提问就行，也可以点下面的按钮。"
}

/// Small talk: the short warm replies to thanks, an OK and a goodbye (the
/// menu of topics follows each, never the self-introduction).
pub fn thanks() -> &'static str {
    "不客气！还有问题随时问我，找驿站也可以直接发位置。"
}

pub fn okay() -> &'static str {
    "好的！还有别的想问的，直接打字就行。"
}

pub fn goodbye() -> &'static str {
    "再见！路上注意安全，有问题随时来问我。"
}

pub fn empty_question() -> &'static str {
    "我只看得懂文字和位置哦。请打字描述您的问题，比如“怎么入会”“附近有驿站吗”，或者分享您的位置找驿站。"
}

/// The reply to a message with nothing in it (blank, or only "？？？"); the
/// menu of topics follows it.
pub fn blank_question() -> &'static str {
    "您还没写问题呢。直接打字问我就行，找驿站可以发位置或地名（如“我在望京”）。"
}

pub fn need_location() -> &'static str {
    "想找离您最近的工会驿站，请点下方“📍 发送位置找驿站”分享位置，或直接发地名，比如“我在望京”“怀柔商业街附近有驿站吗”。"
}

pub fn outside_beijing() -> String {
    format!("您分享的位置不在北京市范围内。我只收录了北京的工会驿站，这里帮不上忙；有问题可以拨打{HOTLINE}咨询。")
}

pub fn fallback() -> String {
    format!("抱歉，这个问题我还答不上来。我只了解北京工会的服务（驿站、入会、互助保障、劳动纠纷、困难帮扶等），不想瞎猜误导您。可以拨打{HOTLINE}咨询。")
}

fn none_within_radius() -> String {
    format!(
        "{}公里内没有我收录的工会驿站，下面是离得最近的几个。全市有很多驿站我还没收录，可以拨打{HOTLINE}问问附近的站点。",
        geo::NEARBY_RADIUS_M / 1000.0
    )
}

fn none_in_district(district: &str) -> String {
    format!("我还没有收录{district}的工会驿站，下面是离那里最近的几个。也可以拨打{HOTLINE}问问附近的站点。")
}

pub fn unsupported_message() -> &'static str {
    "收到啦！不过我只看得懂文字和位置。想找驿站请分享位置或发地名，其他问题请直接打字问我。"
}

pub fn slow_down() -> &'static str {
    "您发得太快啦，我歇一会儿再回答，请稍等一分钟。"
}

pub fn internal_error() -> String {
    format!("抱歉，我这边出了点问题，请稍后再试。着急的话可以拨打{HOTLINE}。")
}

pub fn not_available() -> &'static str {
    "这个命令不对您开放。"
}

/// The buttons of the persistent reply keyboard (Telegram). Pressing one of
/// the last three sends its label as a question, so the engine answers it.
pub const BUTTON_LOCATION: &str = "📍 发送位置找驿站";
pub const BUTTON_JOIN: &str = "如何入会";
pub const BUTTON_HOTLINE: &str = "工会热线";
pub const BUTTON_HELP: &str = "我能问什么";

/// The grey hint in the input field while the reply keyboard shows.
pub const INPUT_PLACEHOLDER: &str = "直接打字提问，如：怎么入会";

/// URL buttons under a station's pin.
pub const BUTTON_AMAP: &str = "高德地图打开";
pub const BUTTON_BAIDU: &str = "百度地图打开";

/// The 👍/👎 buttons under an answer, and the toast after a vote.
pub const BUTTON_HELPFUL: &str = "👍 有帮助";
pub const BUTTON_NOT_HELPFUL: &str = "👎 没帮助";

pub fn vote_thanks() -> &'static str {
    "谢谢您的反馈！"
}

/// A button that shows one station of a list (its pin and map links).
pub fn station_button(name: &str) -> String {
    format!("📍 {name}")
}

/// The command menu everyone sees (setMyCommands), command → description.
pub const COMMANDS: &[(&str, &str)] = &[
    ("start", "开始使用，显示常用按钮"),
    ("help", "我能问什么"),
    ("nearby", "找附近的工会驿站"),
    ("join", "怎么加入工会"),
    ("hotline", "工会服务热线12351"),
];

/// The commands added to the menu in the admins' private chats.
pub const ADMIN_COMMANDS: &[(&str, &str)] = &[
    ("reload", "重新加载知识库"),
    ("stats", "使用统计"),
    ("unanswered", "没答上来的问题"),
];

pub fn unknown_command() -> &'static str {
    "这个命令我不认识。直接打字提问就行，或者发 /help 看看我能回答什么。"
}

pub fn stale_button() -> &'static str {
    "这个按钮对应的内容已经更新了，请直接打字提问。"
}

/// What the reply says above a list of stations.
fn note(n: &Note) -> String {
    match n {
        Note::NoneWithinRadius => none_within_radius(),
        Note::NoneInDistrict(district) => none_in_district(district),
    }
}

/// What the admins read about a reload (the reply to `/reload`, and the
/// message when the watcher refuses an edit). Changed items keep their ids
/// (`faq:join-how`), problems their `file:line`; the log has
/// [`crate::reload::describe`].
pub fn reload_report(outcome: &crate::reload::Outcome) -> String {
    use crate::reload::Outcome;
    let problems = |head: String, list: &[crate::knowledge::Problem]| {
        let mut s = head;
        for p in list {
            s.push('\n');
            s.push_str(&p.to_string());
        }
        s
    };
    match outcome {
        Outcome::Unchanged => "知识库没有变化。".to_string(),
        Outcome::Reloaded { changes, warnings } => {
            let mut s = if changes.is_empty() {
                "已重新加载，没有条目变化。".to_string()
            } else {
                let mut s = "已重新加载，新的知识库已生效。".to_string();
                for (label, items) in [("新增", &changes.added), ("删除", &changes.removed), ("修改", &changes.changed)] {
                    if !items.is_empty() {
                        s.push_str(&format!("\n{label}（{}）：{}", items.len(), items.join("、")));
                    }
                }
                s
            };
            if !warnings.is_empty() {
                s = problems(format!("{s}\n提醒（{}条，不影响使用）：", warnings.len()), warnings);
            }
            s
        }
        Outcome::Refused { problems: list } => problems("这次修改没有生效，机器人继续使用之前的知识库。请改正下面的问题（文件:行号）后再保存：".to_string(), list),
        Outcome::Failed { error } => format!("重新加载失败，机器人继续使用之前的知识库：{error}"),
    }
}

/// How an imported station list is cited.
fn station_list_title(file: &str) -> String {
    format!("工会驿站名录（{file}）")
}

const SOURCE_LABEL: &str = "来源：";
const DID_YOU_MEAN: &str = "您是不是想问：";
const TRY_ASKING: &str = "您可以试试问：";
const RELATED: &str = "相关问题：";

/// A styled piece of a line.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Text(String),
    Bold(String),
}

/// A reply as lines of styled pieces; an empty line separates paragraphs.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub lines: Vec<Vec<Seg>>,
}

impl Doc {
    fn text(&mut self, s: impl Into<String>) {
        let s = s.into();
        if !s.contains('\n') {
            self.lines.push(vec![Seg::Text(s)]);
            return;
        }
        for l in s.split('\n') {
            self.lines.push(vec![Seg::Text(l.to_string())]);
        }
    }

    fn line(&mut self, segs: Vec<Seg>) {
        self.lines.push(segs);
    }

    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(Vec::new());
        }
    }

    /// Plain text, as the CLI prints it and as eval reads it.
    pub fn plain(&self) -> String {
        let text = |s: &Seg| match s {
            Seg::Text(t) | Seg::Bold(t) => t.len(),
        };
        let mut out = String::with_capacity(self.lines.iter().map(|l| l.iter().map(text).sum::<usize>() + 1).sum());
        for l in &self.lines {
            for s in l {
                match s {
                    Seg::Text(t) | Seg::Bold(t) => out.push_str(t),
                }
            }
            out.push('\n');
        }
        out.truncate(out.trim_end().len());
        out
    }

    /// Telegram HTML, split into messages under the limit at line boundaries
    /// (paragraph boundaries where possible).
    pub fn html(&self) -> Vec<String> {
        let rendered: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                l.iter()
                    .map(|s| match s {
                        Seg::Text(t) => escape_html(t),
                        Seg::Bold(t) => format!("<b>{}</b>", escape_html(t)),
                    })
                    .collect::<String>()
            })
            .collect();
        split_messages(&rendered, TELEGRAM_LIMIT - 96)
    }
}

/// The only HTML escaping in the program.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Length as Telegram counts it (UTF-16 code units).
pub fn telegram_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Packs rendered lines into messages of at most `limit` UTF-16 units,
/// breaking at blank lines when possible, at any line otherwise, and inside a
/// line (at a character boundary, never inside an entity) only when a single
/// line is too long.
fn split_messages(lines: &[String], limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut last_break: Option<usize> = None;
    for line in lines {
        let pieces = if telegram_len(line) > limit { hard_split(line, limit) } else { vec![line.clone()] };
        for piece in pieces {
            let extra = telegram_len(&piece) + usize::from(!cur.is_empty());
            if !cur.is_empty() && telegram_len(&cur) + extra > limit {
                match last_break {
                    Some(b) if b > 0 => {
                        let rest = cur.split_off(b);
                        out.push(cur.trim_end().to_string());
                        cur = rest.trim_start_matches('\n').to_string();
                    }
                    _ => {
                        out.push(cur.trim_end().to_string());
                        cur = String::new();
                    }
                }
                last_break = None;
            }
            if !cur.is_empty() {
                cur.push('\n');
            }
            if piece.is_empty() {
                last_break = Some(cur.len());
            }
            cur.push_str(&piece);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim_end().to_string());
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// Splits one over-long line, never inside an HTML entity or tag.
fn hard_split(line: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_entity = false;
    let mut in_tag = false;
    let mut open_bold = false;
    for c in line.chars() {
        cur.push(c);
        match c {
            '&' => in_entity = true,
            ';' => in_entity = false,
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                open_bold = !cur.ends_with("</b>") && cur.ends_with("<b>") || (open_bold && !cur.ends_with("</b>"));
            }
            _ => {}
        }
        if telegram_len(&cur) >= limit - 8 && !in_entity && !in_tag {
            if open_bold {
                cur.push_str("</b>");
            }
            out.push(std::mem::take(&mut cur));
            if open_bold {
                cur.push_str("<b>");
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Lays an answer out as a document.
pub fn document(a: &Answer) -> Doc {
    let mut d = Doc { lines: Vec::with_capacity(8) };
    match a.kind {
        Kind::Empty => d.text(empty_question()),
        Kind::Blank => d.text(blank_question()),
        Kind::Greeting => d.text(greeting()),
        Kind::Thanks => d.text(thanks()),
        Kind::Okay => d.text(okay()),
        Kind::Goodbye => d.text(goodbye()),
        Kind::NeedLocation => d.text(need_location()),
        Kind::OutsideBeijing => d.text(outside_beijing()),
        Kind::Fallback => d.text(fallback()),
        Kind::Faq => d.text(a.body.clone()),
        Kind::Article => {
            if let Some(t) = &a.title {
                d.line(vec![Seg::Text("据《".into()), Seg::Bold(t.clone()), Seg::Text("》报道：".into())]);
            }
            d.text(a.body.clone());
        }
        Kind::Station => {
            if let Some(h) = a.stations.first() {
                station_block(&mut d, h, None);
            }
            if !a.body.is_empty() {
                d.text(a.body.clone());
            }
        }
        Kind::Nearby => {
            let head = match &a.place {
                Some(p) => format!("{p}附近的工会驿站："),
                None => "离您最近的工会驿站（直线距离）：".to_string(),
            };
            d.line(vec![Seg::Bold(head)]);
            if let Some(n) = &a.note {
                d.text(note(n));
            }
            for (i, h) in a.stations.iter().enumerate() {
                d.blank();
                station_block(&mut d, h, Some(i + 1));
            }
            d.blank();
            if a.place.is_some() {
                d.text("分享您的位置，我能按实际距离帮您排序。");
            }
            d.text(format!("更多站点可拨打{HOTLINE}咨询。"));
        }
    }
    if !a.sources.is_empty() {
        d.blank();
        let titles: Vec<std::borrow::Cow<str>> = a
            .sources
            .iter()
            .map(|s| match s.kind {
                SourceKind::Article => s.title.as_str().into(),
                SourceKind::StationList => station_list_title(&s.title).into(),
            })
            .collect();
        d.text(labelled(SOURCE_LABEL, titles.iter().map(|t| t.as_ref()), "；", ("《", "》")));
    }
    if !a.suggestions.is_empty() {
        d.blank();
        let label = if a.is_fallback() || a.is_small_talk() || matches!(a.kind, Kind::Greeting | Kind::Blank) { TRY_ASKING } else { DID_YOU_MEAN };
        d.text(labelled(label, a.suggestions.iter().map(|s| s.label.as_str()), " / ", ("", "")));
    }
    if !a.follow_ups.is_empty() {
        d.blank();
        d.text(labelled(RELATED, a.follow_ups.iter().map(|s| s.label.as_str()), " / ", ("", "")));
    }
    d
}

/// `label`, then the items, each between `wrap`'s two halves, `sep` between
/// them ("来源：《…》；《…》"), made in one allocation: every answer has a
/// line or two of this kind.
fn labelled<'a>(label: &str, items: impl Iterator<Item = &'a str> + Clone, sep: &str, (open, close): (&str, &str)) -> String {
    let len = label.len() + items.clone().map(|t| sep.len() + open.len() + t.len() + close.len()).sum::<usize>();
    let mut out = String::with_capacity(len);
    out.push_str(label);
    for (i, t) in items.enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(open);
        out.push_str(t);
        out.push_str(close);
    }
    out
}

fn station_block(d: &mut Doc, h: &StationHit, number: Option<usize>) {
    let mut head = Vec::new();
    let name = match number {
        Some(n) => format!("{n}. {}", h.name),
        None => h.name.clone(),
    };
    head.push(Seg::Bold(name));
    if let Some(m) = h.distance_m {
        // Typed places and many stations have estimated coordinates: "0米" would claim too much.
        let distance = if m < 100.0 { "就在附近".to_string() } else { geo::format_distance(m) };
        head.push(Seg::Text(format!("｜{distance}")));
    }
    d.line(head);
    let approx = match (h.locatable, h.approximate) {
        (false, _) => UNLOCATED,
        (true, true) => "（位置为大致估计）",
        (true, false) => "",
    };
    d.text(format!("地址：{}{approx}", h.address));
    match (&h.hours, h.open_now) {
        (Some(hours), Some(true)) => d.text(format!("开放时间：{hours}（现在开放）")),
        (Some(hours), Some(false)) => d.text(format!("开放时间：{hours}（现在未开放）")),
        (Some(hours), None) => d.text(format!("开放时间：{hours}")),
        (None, _) => d.text(format!("开放时间：报道未写明，可拨打{HOTLINE}确认")),
    }
    if !h.services.is_empty() {
        d.text(format!("服务：{}", h.services.join("、")));
    }
    if !h.expected_services.is_empty() {
        d.text(expected_services(&h.expected_services, !h.services.is_empty()));
    }
}

/// After the address of a station whose point is only its district's (`StationHit::locatable`
/// false): no distance is shown for it and no pin dropped.
pub const UNLOCATED: &str = "（具体位置不详，不能算距离）";

/// What a station of its kind is expected to offer, which the articles do not
/// say of this one: never presented as the station's own services.
pub fn expected_services(items: &[String], has_own: bool) -> String {
    let list = items.join("、");
    if has_own {
        format!("一般驿站还提供{list}，具体请问12351。")
    } else {
        format!("服务：报道没写这个站具体有什么。一般驿站提供{list}，具体请问12351。")
    }
}

/// The answer as plain text.
pub fn plain(a: &Answer) -> String {
    document(a).plain()
}

/// The answer as Telegram HTML messages, each under the limit.
pub fn html(a: &Answer) -> Vec<String> {
    document(a).html()
}


// The JSON form (`ask --json`, `nearby --json`, the web API's answers)

/// The JSON form of an answer (`ask --json`, `nearby --json`).
#[derive(Serialize)]
pub struct AnswerJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<&'a str>,
    /// The reply as a worker reads it.
    pub answer: String,
    pub confident: bool,
    pub intent: Option<&'a str>,
    pub kind: Kind,
    pub score: f32,
    pub sources: &'a [Source],
    pub suggestions: Vec<&'a str>,
    pub suggestion_keys: Vec<&'a str>,
    pub stations: &'a [StationHit],
    /// What the next question may lean on (`ask --context`, the API's `context`).
    pub context: Option<&'a crate::engine::Ref>,
}

impl<'a> AnswerJson<'a> {
    pub fn new(question: Option<&'a str>, a: &'a Answer) -> Self {
        AnswerJson {
            question,
            answer: plain(a),
            confident: a.confident,
            intent: a.intent.as_deref(),
            kind: a.kind,
            score: (a.score * 1000.0).round() / 1000.0,
            sources: &a.sources,
            suggestions: a.suggestions.iter().map(|s| s.label.as_str()).collect(),
            suggestion_keys: a.suggestions.iter().map(|s| s.key.as_str()).collect(),
            stations: &a.stations,
            context: a.context.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_once() {
        assert_eq!(escape_html("<b>&"), "&lt;b&gt;&amp;");
    }

    #[test]
    fn splits_long_text_under_the_limit() {
        let lines: Vec<String> = (0..300).map(|i| format!("第{i}行：工会驿站提供喝水、休息、充电服务。&lt;")).collect();
        let parts = split_messages(&lines, 1000);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(telegram_len(p) <= 1000, "part of {} units", telegram_len(p));
        }
        let one = vec!["字".repeat(5000)];
        for p in split_messages(&one, 1000) {
            assert!(telegram_len(&p) <= 1000);
        }
    }
}
