//! `synonyms.yaml`: colloquial words mapped to canonical ones, words jieba must
//! keep whole, and words that carry no meaning for matching.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Problem, yaml};

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

pub(super) fn load(path: &Path, problems: &mut Vec<Problem>) -> Lexicon {
    let Some(text) = yaml::read(path, problems) else {
        return Lexicon::default();
    };
    let lex: Lexicon = match serde_yaml::from_str(&text) {
        Ok(l) => l,
        Err(e) => {
            problems.push(yaml::syntax_problem(path, &e));
            return Lexicon::default();
        }
    };
    let line_of = |word: &str| -> usize {
        text.lines().position(|l| l.contains(word)).map(|i| i + 1).unwrap_or(1)
    };
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
