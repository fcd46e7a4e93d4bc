//! `synonyms.yaml`: colloquial words mapped to canonical ones, words jieba must
//! keep whole, and words that carry no meaning for matching.

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
