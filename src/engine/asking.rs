//! Long messages (README step 1, after normalising): a voice-typed run-on —
//! filler (嗯 这个 麻烦问下), a self-introduction (我是美团骑手 在朝阳跑了两年了),
//! a story, then the question — is scored on the part that asks, so that the
//! rest does not dilute the share of the question a candidate covers. What
//! is set aside still counts as context: the place it names (see
//! [`super::Engine::answer_at`]).
//!
//! The words are editors' data (`synonyms.yaml`'s `long_messages:`, see
//! [`crate::knowledge::LongMessageWords`]); the reading is:
//!
//! 1. what follows the last ask marker (想问, 请问, 问一下) is the question,
//!    when something follows it;
//! 2. of the clauses (the normalised text's parts between punctuation and
//!    spaces), those before the question that are filler, a
//!    self-introduction or a story (a story word and no ask cue) are set
//!    aside; the last clause is always kept;
//! 3. the first clause kept loses the filler and the self-introduction it
//!    starts with (voice input has no punctuation), when what is left still
//!    asks.
//!
//! A short question with none of these is read whole, at the cost of one
//! automaton pass over it.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::knowledge::LongMessageWords;
use crate::text;

/// The most characters a `…` of a self-introduction pattern stands for.
const GAP_CHARS: usize = 8;

/// Finds the part of a normalised message that asks.
pub(super) struct AskingFinder {
    /// Ask markers, leftmost-longest.
    markers: Option<AhoCorasick>,
    /// Ask cues (any match).
    cues: Option<AhoCorasick>,
    /// Story words (any match).
    story: Option<AhoCorasick>,
    /// Fillers, longest first (a clause start is cut by the longest that fits).
    fillers: Vec<String>,
    /// Self-introduction patterns, each as its words between the `…`.
    intros: Vec<Vec<String>>,
    /// Whether any list has words (no list: every message is read whole).
    any: bool,
    /// The first characters of the fillers and of the self-introductions,
    /// sorted: a message of one clause that starts with none of them is only
    /// split after an ask marker (see [`AskingFinder::split`]).
    lead_chars: Vec<char>,
    /// The first characters of the fillers, and of the self-introductions,
    /// sorted: a text that starts with none is not compared word by word.
    filler_first: Vec<char>,
    intro_first: Vec<char>,
}

fn automaton(words: &[String], kind: MatchKind) -> Option<AhoCorasick> {
    let words: Vec<String> = words.iter().map(|w| text::normalize(w)).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return None;
    }
    AhoCorasick::builder().match_kind(kind).build(&words).ok()
}

impl AskingFinder {
    pub(super) fn new(words: &LongMessageWords) -> AskingFinder {
        let mut fillers: Vec<String> = words.fillers.iter().map(|w| text::normalize(w).replace(' ', "")).filter(|w| !w.is_empty()).collect();
        fillers.sort_by_key(|w| std::cmp::Reverse(w.len()));
        fillers.dedup();
        let intros: Vec<Vec<String>> = words
            .self_intro
            .iter()
            .map(|p| p.split('…').map(text::normalize).collect::<Vec<_>>())
            .filter(|parts: &Vec<String>| !parts.is_empty() && parts.iter().all(|w| !w.is_empty() && !w.contains(' ')))
            .collect();
        let markers = automaton(&words.ask_markers, MatchKind::LeftmostLongest);
        let cues = automaton(&words.ask_cues, MatchKind::LeftmostFirst);
        let story = automaton(&words.story_words, MatchKind::LeftmostFirst);
        let any = markers.is_some() || !fillers.is_empty() || !intros.is_empty() || story.is_some();
        let first_chars = |words: &mut dyn Iterator<Item = &String>| {
            let mut v: Vec<char> = words.filter_map(|w| w.chars().next()).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let filler_first = first_chars(&mut fillers.iter());
        let intro_first = first_chars(&mut intros.iter().map(|p| &p[0]));
        let lead_chars = first_chars(&mut fillers.iter().chain(intros.iter().map(|p| &p[0])));
        AskingFinder { markers, cues, story, fillers, intros, any, lead_chars, filler_first, intro_first }
    }

    /// The part of `norm` (normalised) that asks and the rest, set aside
    /// (fillers, self-introductions, stories; spaces between), or `None`
    /// when all of it asks.
    pub(super) fn split(&self, norm: &str) -> Option<(String, String)> {
        if !self.any {
            return None;
        }
        // One clause (no space) that starts with no filler and no
        // self-introduction has nothing to set aside before an ask marker
        // (2. needs two clauses, 3. a filler or an introduction at the
        // start): the question of nearly every message, left after the
        // marker automaton's one pass, with nothing allocated.
        let plain = !norm.contains(' ') && norm.chars().next().is_none_or(|c| self.lead_chars.binary_search(&c).is_err());
        let mut aside = String::new();
        // 1. After the last ask marker that something follows.
        let mut rest = norm;
        if let Some(m) = &self.markers {
            let mut start = None;
            for hit in m.find_iter(norm) {
                if content_chars(&norm[hit.end()..]) >= 2 {
                    start = Some(hit.end());
                }
            }
            if let Some(s) = start {
                aside.push_str(&norm[..s]);
                rest = norm[s..].trim_start();
            }
        }
        if plain && aside.is_empty() {
            return None;
        }
        // 2. The clauses before the question that do not ask.
        let clauses: Vec<&str> = rest.split(' ').filter(|c| !c.is_empty()).collect();
        let mut k = 0;
        while k + 1 < clauses.len() && self.aside(clauses[k]) {
            push_word(&mut aside, clauses[k]);
            k += 1;
        }
        // 3. The filler and self-introduction the first clause kept starts with.
        let first = clauses.get(k).copied().unwrap_or("");
        let cut = self.lead_in(first);
        if cut > 0 {
            push_word(&mut aside, &first[..cut]);
        }
        if aside.is_empty() {
            return None;
        }
        let mut asked = String::with_capacity(rest.len());
        asked.push_str(&first[cut..]);
        for c in clauses.iter().skip(k + 1) {
            push_word(&mut asked, c);
        }
        if asked.is_empty() {
            return None;
        }
        Some((asked, aside))
    }

    /// Whether a word (normalised) is one of the fillers: set aside, it
    /// counts for nothing.
    pub(super) fn is_filler(&self, word: &str) -> bool {
        self.fillers.iter().any(|f| f == word)
    }

    /// Whether a clause before the question can be set aside: filler, a
    /// self-introduction, or a story that does not ask.
    fn aside(&self, clause: &str) -> bool {
        let bare = self.strip_fillers(clause);
        if bare.is_empty() {
            return true;
        }
        let intro = self.intro_len(bare);
        if intro > 0 && (intro == bare.len() || !self.asks(bare)) {
            return true;
        }
        let asks = self.asks(clause);
        !asks && self.story.as_ref().is_some_and(|s| s.is_match(clause))
    }

    /// How many bytes of the filler and self-introductions a clause starts
    /// with can go, leaving a question that still asks (none otherwise).
    fn lead_in(&self, clause: &str) -> usize {
        let mut at = 0;
        loop {
            let rest = &clause[at..];
            let bare = self.strip_fillers(rest);
            let n = rest.len() - bare.len();
            let n = n + self.intro_len(bare);
            if n == 0 || n >= rest.len() {
                break;
            }
            let left = &rest[n..];
            if !self.asks(left) || content_chars(left) < 3 {
                break;
            }
            at += n;
        }
        at
    }

    /// `s` without the fillers it starts with.
    fn strip_fillers<'a>(&self, mut s: &'a str) -> &'a str {
        'outer: loop {
            if s.chars().next().is_none_or(|c| self.filler_first.binary_search(&c).is_err()) {
                return s;
            }
            for f in &self.fillers {
                if let Some(r) = s.strip_prefix(f.as_str()) {
                    s = r;
                    continue 'outer;
                }
            }
            return s;
        }
    }

    /// The bytes of the longest self-introduction `s` starts with (0: none).
    fn intro_len(&self, s: &str) -> usize {
        if s.chars().next().is_none_or(|c| self.intro_first.binary_search(&c).is_err()) {
            return 0;
        }
        self.intros.iter().filter_map(|p| match_at_start(p, s)).max().unwrap_or(0)
    }

    /// Whether a text holds an ask cue.
    fn asks(&self, s: &str) -> bool {
        self.cues.as_ref().is_some_and(|c| c.is_match(s))
    }
}

/// Matches a pattern's words at the start of `s`, each after the one before
/// within [`GAP_CHARS`] characters (the first at the very start); the bytes
/// matched, or `None`.
fn match_at_start(parts: &[String], s: &str) -> Option<usize> {
    let mut at = s.strip_prefix(parts[0].as_str()).map(|_| parts[0].len())?;
    for p in &parts[1..] {
        let window_end = s[at..].char_indices().nth(GAP_CHARS + p.chars().count()).map(|(i, _)| at + i).unwrap_or(s.len());
        let found = s[at..window_end].find(p.as_str())?;
        at += found + p.len();
    }
    Some(at)
}

/// Appends `w` to `s`, a space between.
fn push_word(s: &mut String, w: &str) {
    if !s.is_empty() {
        s.push(' ');
    }
    s.push_str(w.trim());
}

/// Characters that are letters, digits or ideographs.
fn content_chars(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphanumeric()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    fn finder() -> AskingFinder {
        let (k, _) = sample::seed_and_regression_questions();
        AskingFinder::new(&k.lexicon.long_messages)
    }

    fn part(f: &AskingFinder, q: &str) -> String {
        let n = text::normalize(q);
        f.split(&n).map(|(a, _)| a).unwrap_or(n)
    }

    #[test]
    fn the_question_after_filler_self_introduction_and_story_is_found() {
        let f = finder();
        for (typed, asked) in [
            ("嗯 这个 麻烦问下 我是美团骑手 在朝阳跑了两年了 附近有驿站吗", "附近有驿站吗"),
            ("你好 打扰一下哈 我是送快递的 怎么入会", "怎么入会"),
            ("今天下大雨送了一上午单衣服全湿了，工会电话多少", "工会电话多少"),
            ("嗯这个麻烦问下我是美团骑手在朝阳跑了两年了附近有驿站吗", "附近有驿站吗"),
            ("我是美团骑手在朝阳跑了两年了怎么入会", "怎么入会"),
            ("哈喽 我是饿了么的骑手 想问个事 入会要交钱吗", "入会要交钱吗"),
        ] {
            assert_eq!(part(&f, typed), asked, "{typed}");
        }
    }

    #[test]
    fn a_question_that_is_all_question_is_read_whole() {
        let f = finder();
        for q in ["怎么入会", "富商市场驿站 几点开门", "骑手能不能入会", "入会", "附近有驿站吗", "有事想找工会，打什么电话"] {
            let n = text::normalize(q);
            assert_eq!(f.split(&n), None, "{q}");
        }
    }

    #[test]
    fn self_introduction_patterns_match_words_within_a_few_characters() {
        let p = |s: &str| s.split('…').map(String::from).collect::<Vec<_>>();
        assert_eq!(match_at_start(&p("我是…骑手"), "我是美团骑手怎么入会"), Some("我是美团骑手".len()));
        assert_eq!(match_at_start(&p("我是…骑手"), "你是骑手"), None);
        assert_eq!(match_at_start(&p("在…跑"), "在朝阳跑了两年"), Some("在朝阳跑".len()));
        assert_eq!(match_at_start(&p("我是…的"), "我是一个在北京干了很多很多年的"), None);
    }
}
