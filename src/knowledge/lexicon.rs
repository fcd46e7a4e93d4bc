//! `synonyms.yaml`: colloquial words mapped to canonical ones, words jieba must
//! keep whole, words that carry no meaning for matching, and the cue words
//! and greetings a question is routed by before any scoring.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Problem;
use super::yaml::{self, Field, FieldKind::*};

/// The lexicon as written in the file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    /// canonical word -> the variants that mean the same.
    #[serde(default)]
    pub synonyms: BTreeMap<String, Vec<String>>,
    /// Words jieba must keep whole (domain terms, programme names).
    #[serde(default)]
    pub user_words: Vec<String>,
    /// Words that carry no meaning for matching.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Canonical words that ask (多少, 地址, 几点) rather than name a topic: a
    /// candidate that shares only these with a question does not answer it.
    #[serde(default)]
    pub question_words: Vec<String>,
    /// Canonical words that say who asks or with what (骑手, 手机, 电动车),
    /// not what about: a candidate that shares only these (and question
    /// words) with a question does not answer it.
    #[serde(default)]
    pub context_words: Vec<String>,
    /// Words looked for anywhere in a question, before any scoring.
    #[serde(default)]
    pub cues: CueWords,
    /// Whole messages that greet or ask who the bot is.
    #[serde(default)]
    pub greetings: Vec<String>,
    /// Whole messages that thank, acknowledge or say goodbye.
    #[serde(default)]
    pub small_talk: SmallTalkWords,
    /// How the part of a long message that asks is found (`long_messages:`).
    #[serde(default)]
    pub long_messages: LongMessageWords,
    /// Which kind of answer a question wants (`question_types:`).
    #[serde(default)]
    pub question_types: QuestionTypeWords,
}

/// The small talk of `synonyms.yaml` (`small_talk:`): whole messages (or
/// runs of these words, "好的谢谢") answered with a short warm reply and
/// the menu, never matched against the FAQ nor logged as unanswered.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmallTalkWords {
    /// 谢谢, 多谢, 辛苦了…: answered with "不客气".
    #[serde(default)]
    pub thanks: Vec<String>,
    /// 好的, 收到, 明白了…: an acknowledgement.
    #[serde(default)]
    pub ok: Vec<String>,
    /// 拜拜, 再见…: a goodbye.
    #[serde(default)]
    pub bye: Vec<String>,
}

impl SmallTalkWords {
    /// Each list with its name in the file.
    pub fn lists(&self) -> [(&'static str, &[String]); 3] {
        [("thanks", &self.thanks), ("ok", &self.ok), ("bye", &self.bye)]
    }
}

/// The words by which the part of a long, voice-typed message that asks is
/// found (`synonyms.yaml`'s `long_messages:`); see `crate::engine`'s asking.rs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LongMessageWords {
    /// 嗯, 这个, 打扰一下…: words that say nothing, cut from where a clause starts.
    #[serde(default)]
    pub fillers: Vec<String>,
    /// 我是…骑手, 在…跑了…: who the worker is; `…` stands for a few characters.
    #[serde(default)]
    pub self_intro: Vec<String>,
    /// 想问, 请问, 问一下…: what follows the last of them is the question.
    #[serde(default)]
    pub ask_markers: Vec<String>,
    /// 吗, 怎么, 哪, 多少…: a clause holding one asks.
    #[serde(default)]
    pub ask_cues: Vec<String>,
    /// 了, 今天, 刚才…: a clause before the question holding one (and no
    /// ask cue) tells a story.
    #[serde(default)]
    pub story_words: Vec<String>,
}

impl LongMessageWords {
    /// Each list with its name in the file.
    pub fn lists(&self) -> [(&'static str, &[String]); 5] {
        [
            ("fillers", &self.fillers),
            ("self_intro", &self.self_intro),
            ("ask_markers", &self.ask_markers),
            ("ask_cues", &self.ask_cues),
            ("story_words", &self.story_words),
        ]
    }
}

/// The words that say which kind of answer a question wants
/// (`synonyms.yaml`'s `question_types:`), looked for in the question as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuestionTypeWords {
    /// 怎么, 如何, 流程…: the steps.
    #[serde(default)]
    pub steps: Vec<String>,
    /// 能不能, 可以吗…: yes or no.
    #[serde(default)]
    pub whether: Vec<String>,
    /// 哪里, 在哪…: a place.
    #[serde(default, rename = "where")]
    pub where_: Vec<String>,
    /// 几点, 什么时候…: a time.
    #[serde(default)]
    pub when: Vec<String>,
    /// 多少, 几个…: a figure.
    #[serde(default)]
    pub how_many: Vec<String>,
    /// 能, 可以, 能不能…: what follows the last of them is what a whether
    /// question asks about (not a type of its own).
    #[serde(default)]
    pub modals: Vec<String>,
}

impl QuestionTypeWords {
    /// The type names, in the order of [`QuestionTypeWords::lists`] (also
    /// what a FAQ entry's `answers:` may say).
    pub const NAMES: [&'static str; 5] = ["steps", "whether", "where", "when", "how_many"];

    /// Each list with its name in the file.
    pub fn lists(&self) -> [(&'static str, &[String]); 5] {
        [("steps", &self.steps), ("whether", &self.whether), ("where", &self.where_), ("when", &self.when), ("how_many", &self.how_many)]
    }
}

/// The cue words of `synonyms.yaml` (`cues:`), each list one thing a
/// question may say about what the worker wants.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CueWords {
    /// 附近, 周边, 离我…: something close by.
    #[serde(default)]
    pub nearby: Vec<String>,
    /// 驿站, 歇脚, 厕所…: a place to go.
    #[serde(default)]
    pub station: Vec<String>,
    /// 在哪, 哪里, 怎么走…: where.
    #[serde(default, rename = "where")]
    pub where_: Vec<String>,
    /// 多少, 几个, 一共…: a figure, not a location.
    #[serde(default)]
    pub counting: Vec<String>,
    /// 有没有, 有吗…: whether there is one.
    #[serde(default)]
    pub exists: Vec<String>,
}

impl CueWords {
    /// Each list with its name in the file.
    pub fn lists(&self) -> [(&'static str, &[String]); 5] {
        [("nearby", &self.nearby), ("station", &self.station), ("where", &self.where_), ("counting", &self.counting), ("exists", &self.exists)]
    }
}

impl Lexicon {
    /// variant (normalised) -> canonical (normalised); canonicals map to themselves.
    pub fn canonical_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        for (canon, variants) in &self.synonyms {
            let c = crate::text::normalize(canon);
            map.insert(c.clone(), c.clone());
            for v in variants {
                map.insert(crate::text::normalize(v), c.clone());
            }
        }
        map
    }
}

impl yaml::Schema for Lexicon {
    const WHAT: &'static str = "词表";
    const FIELDS: &'static [Field] = &[
        Field::optional("synonyms", ListMap, "热线: [电话, 号码]"),
        Field::optional("user_words", TextList, "[户外劳动者, 暖心驿站]"),
        Field::optional("stopwords", TextList, "[的, 了, 吗]"),
        Field::optional("question_words", TextList, "[多少, 哪里]"),
        Field::optional("context_words", TextList, "[骑手, 手机]"),
        Field::optional("cues", ListMap, "nearby: [附近, 周边]"),
        Field::optional("greetings", TextList, "[你好, 在吗]"),
        Field::optional("small_talk", ListMap, "thanks: [谢谢, 多谢]"),
        Field::optional("long_messages", ListMap, "fillers: [嗯, 这个]"),
        Field::optional("question_types", ListMap, "steps: [怎么, 如何]"),
    ];
}

pub(super) fn load(path: &Path, problems: &mut Vec<Problem>) -> Lexicon {
    match yaml::read_bytes(path, problems) {
        Some(bytes) => parse(path, &bytes, problems),
        None => Lexicon::default(),
    }
}

/// Checks the bytes of a `synonyms.yaml` (named `path` in the problems), as
/// [`load`] does the file.
pub fn parse(path: &Path, bytes: &[u8], problems: &mut Vec<Problem>) -> Lexicon {
    let Some((text, lex)) = yaml::parse_map::<Lexicon>(path, bytes, problems) else {
        return Lexicon::default();
    };
    let line_of = |word: &str| -> usize { text.lines().position(|l| l.contains(word)).map(|i| i + 1).unwrap_or(1) };
    let line_of_key = |key: &str| yaml::line_of_key(&text, 1, usize::MAX - 1, key).unwrap_or(1);
    for (name, words) in lex.cues.lists() {
        if words.is_empty() {
            problems.push(Problem::error(path, line_of_key("cues"), format!("cues: \"{name}\" lists no words; the bot would never read that cue")));
        }
        for w in words.iter().filter(|w| crate::text::normalize(w).is_empty()) {
            problems.push(Problem::error(path, line_of_key("cues"), format!("cues: \"{name}\" has the word \"{w}\", which is empty once normalised")));
        }
    }
    for (name, words) in lex.long_messages.lists() {
        for w in words.iter().filter(|w| crate::text::normalize(&w.replace('…', "")).is_empty()) {
            problems.push(Problem::error(path, line_of_key("long_messages"), format!("long_messages: \"{name}\" has the word \"{w}\", which is empty once normalised")));
        }
    }
    for p in &lex.long_messages.self_intro {
        if p.starts_with('…') || p.ends_with('…') || p.contains("……") {
            problems.push(Problem::error(
                path,
                line_of(p),
                format!("long_messages: self_intro \"{p}\" must start and end with words, … only between them (我是…骑手)"),
            ));
        }
    }
    for (name, words) in lex.question_types.lists() {
        for w in words.iter().chain(&lex.question_types.modals).filter(|w| crate::text::normalize(w).is_empty()) {
            problems.push(Problem::error(path, line_of_key("question_types"), format!("question_types: \"{name}\" has the word \"{w}\", which is empty once normalised")));
        }
    }
    if lex.greetings.is_empty() {
        problems.push(Problem::warning(path, 1, "greetings lists no words: \"你好\" will be matched against the FAQ"));
    }
    for w in lex.greetings.iter().filter(|w| crate::text::normalize(w).replace(' ', "").is_empty()) {
        problems.push(Problem::error(path, line_of_key("greetings"), format!("greetings has \"{w}\", which is empty once normalised")));
    }
    let greeting_keys: HashMap<String, &String> = lex.greetings.iter().map(|g| (crate::text::normalize(g).replace(' ', ""), g)).collect();
    let mut talk: HashMap<String, &'static str> = HashMap::new();
    for (name, words) in lex.small_talk.lists() {
        for w in words {
            let key = crate::text::normalize(w).replace(' ', "");
            if key.is_empty() {
                problems.push(Problem::error(path, line_of_key("small_talk"), format!("small_talk: \"{name}\" has \"{w}\", which is empty once normalised")));
            } else if let Some(g) = greeting_keys.get(&key) {
                problems.push(Problem::error(path, line_of_key("small_talk"), format!("\"{w}\" is both small talk ({name}) and a greeting (\"{g}\"); a message may be one only")));
            } else if let Some(other) = talk.insert(key, name)
                && other != name
            {
                problems.push(Problem::error(path, line_of_key("small_talk"), format!("small_talk: \"{w}\" is listed under both \"{other}\" and \"{name}\"")));
            }
        }
    }
    let mut owner: HashMap<String, String> = HashMap::new();
    for (canon, variants) in &lex.synonyms {
        let c = crate::text::normalize(canon);
        if c.is_empty() {
            problems.push(Problem::error(path, line_of(canon), "empty canonical word in synonyms"));
            continue;
        }
        for w in std::iter::once(canon).chain(variants) {
            let n = crate::text::normalize(w);
            if n.is_empty() {
                problems.push(Problem::error(path, line_of(canon), format!("empty variant under \"{canon}\"")));
                continue;
            }
            match owner.get(&n) {
                Some(other) if other != canon => problems.push(Problem::error(
                    path,
                    line_of(w),
                    format!("\"{w}\" is listed under both \"{other}\" and \"{canon}\"; a word may belong to one group only"),
                )),
                _ => {
                    owner.insert(n, canon.clone());
                }
            }
        }
    }
    lex
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cue list has a word: what is checked here is the rest.
    const CUES: &str = "cues:\n  nearby: [附近]\n  station: [驿站]\n  where: [在哪]\n  counting: [多少]\n  exists: [有吗]\n";

    fn problems_of(yaml: &str) -> Vec<String> {
        let mut problems = Vec::new();
        parse(Path::new("synonyms.yaml"), format!("{CUES}{yaml}").as_bytes(), &mut problems);
        problems.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn small_talk_is_read_and_its_mistakes_are_named() {
        let mut problems = Vec::new();
        let text = format!("{CUES}greetings: [你好]\nsmall_talk:\n  thanks: [谢谢]\n  ok: [好的]\n  bye: [拜拜]\n");
        let lex = parse(Path::new("synonyms.yaml"), text.as_bytes(), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((lex.small_talk.thanks.as_slice(), lex.small_talk.bye.as_slice()), (&["谢谢".to_string()][..], &["拜拜".to_string()][..]));
        let both = problems_of("greetings: [你好, 谢谢]\nsmall_talk:\n  thanks: [谢谢]\n");
        assert!(both.iter().any(|p| p.contains("\"谢谢\" is both small talk (thanks) and a greeting") && p.contains(":8:")), "{both:?}");
        let twice = problems_of("greetings: [你好]\nsmall_talk:\n  thanks: [谢谢]\n  ok: [谢谢]\n");
        assert!(twice.iter().any(|p| p.contains("under both \"thanks\" and \"ok\"")), "{twice:?}");
        let empty = problems_of("greetings: [你好]\nsmall_talk:\n  ok: [\"！！\"]\n");
        assert!(empty.iter().any(|p| p.contains("empty once normalised")), "{empty:?}");
        let typo = problems_of("greetings: [你好]\nsmall_talk:\n  thank: [谢谢]\n");
        assert!(!typo.is_empty(), "an unknown list is refused");
    }
}
