//! Routing (README step 3): what a question is before any scoring: empty, a
//! greeting, a station named by name, a place with a where/nearby cue (or
//! little more than the place), a nearby cue without a place (the worker must
//! share a location or type a place), or a question for the matcher.

use crate::knowledge::{Lexicon, Place};
use crate::search::FxSet;
use crate::text;

use super::{Engine, Kind};

/// Where a question goes.
pub(super) enum Route<'k> {
    /// Nothing left after normalising (emoji, stickers as text, punctuation).
    Empty,
    Greeting,
    /// Thanks, OK or goodbye ([`Kind::Thanks`], [`Kind::Okay`], [`Kind::Goodbye`]).
    SmallTalk(Kind),
    /// A station named in the question, by index.
    Station(usize),
    /// Stations near a typed place.
    Place(&'k Place),
    /// Stations nearby, with no place to look around.
    NeedLocation,
    /// A question for the FAQ and the articles; `counting` when it asks for a figure.
    Match { counting: bool },
}

impl Engine {
    /// Where the normalised question `norm` goes, given the place it names
    /// (`aside`: named only in what a long message said besides the question).
    pub(super) fn route<'k>(&self, norm: &str, place: Option<&'k Place>, aside: bool) -> Route<'k> {
        if norm.is_empty() {
            return Route::Empty;
        }
        if self.cues.is_greeting(norm) {
            return Route::Greeting;
        }
        if let Some(kind) = self.cues.small_talk(norm) {
            return Route::SmallTalk(kind);
        }
        let cues = self.cues.read(norm);
        if let Some(i) = self.named_station(norm)
            && !cues.counting
        {
            return Route::Station(i);
        }
        // A place named only in a story or a self-introduction ("在海淀这边跑")
        // is where to look when the question asks where to go for a station.
        if let Some(place) = place
            && (if aside { cues.station && cues.where_ && !cues.counting } else { cues.wants_station_near(norm, place) })
        {
            return Route::Place(place);
        }
        if cues.nearby && cues.station && !cues.counting {
            return Route::NeedLocation;
        }
        Route::Match { counting: cues.counting }
    }

    /// A station named in the question ("富商市场的暖心驿站" names 富商市场暖心驿站).
    fn named_station(&self, norm: &str) -> Option<usize> {
        let squeezed: std::borrow::Cow<str> = if norm.contains([' ', '的']) { squeeze(norm).into() } else { norm.into() };
        self.station_names
            .find_iter(&*squeezed)
            .max_by_key(|m| m.end() - m.start())
            .map(|m| self.station_of[m.pattern().as_usize()])
    }
}

/// Cheap cues read off the normalised question (the words are
/// `synonyms.yaml`'s `cues`, see [`crate::knowledge::CueWords`]).
pub(super) struct Cues {
    /// 附近, 周边, 最近, 离我…: the worker wants something close by.
    pub(super) nearby: bool,
    /// 驿站, 站, 歇脚, 休息, 厕所…: the worker wants a place to go.
    pub(super) station: bool,
    /// 在哪, 哪里, 哪儿, 有没有: the worker asks where.
    pub(super) where_: bool,
    /// 多少, 几个, 几家: a figure, not a location.
    pub(super) counting: bool,
    /// "有…吗": the worker asks whether there is one.
    pub(super) exists: bool,
}

/// Every cue word in one automaton, each with the cues (bits, in the order
/// of [`Cues`]' fields) it belongs to: one pass over the question instead
/// of fifty substring searches. Greetings are looked up whole.
pub(super) struct CueFinder {
    finder: aho_corasick::AhoCorasick,
    cues: Vec<u8>,
    greetings: FxSet<String>,
    /// The longest greeting, in bytes.
    greeting_max: usize,
    /// The small-talk words (leftmost-longest, spaces removed) and each one's
    /// kind; `None` when the lexicon lists none.
    talk: Option<aho_corasick::AhoCorasick>,
    talk_kind: Vec<Kind>,
    /// The longest small-talk word, in bytes, times [`TALK_RUN`].
    talk_max: usize,
}

/// How many small-talk words one message may string together ("好的 谢谢 拜拜").
const TALK_RUN: usize = 4;

impl CueFinder {
    pub(super) fn new(lexicon: &Lexicon) -> CueFinder {
        let mut words: Vec<String> = Vec::new();
        let mut cues: Vec<u8> = Vec::new();
        for (bit, (_, list)) in lexicon.cues.lists().iter().enumerate() {
            for w in list.iter().map(|w| text::normalize(w)).filter(|w| !w.is_empty()) {
                match words.iter().position(|x| *x == w) {
                    Some(at) => cues[at] |= 1 << bit,
                    None => {
                        words.push(w);
                        cues.push(1 << bit);
                    }
                }
            }
        }
        let finder = aho_corasick::AhoCorasick::new(&words).expect("cue words build an automaton");
        let greetings: FxSet<String> = lexicon.greetings.iter().map(|g| text::normalize(g).replace(' ', "")).filter(|g| !g.is_empty()).collect();
        let greeting_max = greetings.iter().map(String::len).max().unwrap_or(0);
        let (mut talk_words, mut talk_kind) = (Vec::new(), Vec::new());
        let kinds = [Kind::Thanks, Kind::Okay, Kind::Goodbye];
        for ((_, list), kind) in lexicon.small_talk.lists().into_iter().zip(kinds) {
            for w in list.iter().map(|w| text::normalize(w).replace(' ', "")).filter(|w| !w.is_empty()) {
                if !talk_words.contains(&w) {
                    talk_words.push(w);
                    talk_kind.push(kind);
                }
            }
        }
        let talk_max = talk_words.iter().map(String::len).max().unwrap_or(0) * TALK_RUN;
        let talk = (!talk_words.is_empty()).then(|| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .start_kind(aho_corasick::StartKind::Anchored)
                .build(&talk_words)
                .expect("small-talk words build an automaton")
        });
        CueFinder { finder, cues, greetings, greeting_max, talk, talk_kind, talk_max }
    }

    /// The kind of small talk a normalised message is: one small-talk word,
    /// or a few in a row and nothing else ("好的谢谢"). A goodbye wins over
    /// thanks, thanks over an acknowledgement.
    pub(super) fn small_talk(&self, norm: &str) -> Option<Kind> {
        let talk = self.talk.as_ref()?;
        if norm.len() > self.talk_max {
            return None;
        }
        let squeezed: std::borrow::Cow<str> = if norm.contains(' ') { norm.replace(' ', "").into() } else { norm.into() };
        let rank = |k: Kind| match k {
            Kind::Goodbye => 2,
            Kind::Thanks => 1,
            _ => 0,
        };
        // Word after word, each where the last ended (anchored: a message
        // that does not start with one is left at once).
        let (mut at, mut best): (usize, Option<Kind>) = (0, None);
        while at < squeezed.len() {
            let input = aho_corasick::Input::new(squeezed.as_ref()).range(at..).anchored(aho_corasick::Anchored::Yes);
            let m = talk.find(input)?;
            at = m.end();
            let kind = self.talk_kind[m.pattern().as_usize()];
            best = Some(best.map_or(kind, |b| if rank(kind) > rank(b) { kind } else { b }));
        }
        best
    }

    /// The cues of a normalised question.
    pub(super) fn read(&self, norm: &str) -> Cues {
        let found = self.finder.find_overlapping_iter(norm).fold(0u8, |acc, m| acc | self.cues[m.pattern().as_usize()]);
        let any = |bit: u8| found & (1 << bit) != 0;
        Cues {
            nearby: any(0),
            station: any(1),
            where_: any(2),
            counting: any(3),
            exists: any(4) || (norm.contains('有') && norm.ends_with(['吗', '么', '没', '不'])),
        }
    }

    /// Whether a normalised question is a greeting and nothing more.
    fn is_greeting(&self, norm: &str) -> bool {
        // Nearly every question is longer than any greeting, or has no
        // space to take out: looked up as it is, nothing allocated.
        let spaces = norm.bytes().filter(|&b| b == b' ').count();
        if norm.len() - spaces > self.greeting_max {
            return false;
        }
        if spaces == 0 {
            return self.greetings.contains(norm);
        }
        self.greetings.contains(&norm.replace(' ', ""))
    }
}

impl Cues {
    /// A typed place is a request for stations when the question asks for a
    /// station or where to go, or is little more than the place itself.
    fn wants_station_near(&self, norm: &str, place: &Place) -> bool {
        if self.counting {
            return false;
        }
        if self.nearby || (self.station && (self.where_ || self.exists)) {
            return true;
        }
        // "我在望京", "望京的驿站", "望京": the place, perhaps a station word,
        // and a few filler characters. "建外的驿站有多大" asks something else.
        let rest: String = std::iter::once(&place.name)
            .chain(&place.aliases)
            .fold(norm.to_string(), |acc, n| acc.replace(&text::normalize(n), ""));
        let rest = ["驿站", "服务站", "站点", "小站"].iter().fold(rest, |acc, w| acc.replace(w, ""));
        let rest = rest.replace(['我', '在', '这', '边', '呢', '了', '的', '附', '近', '哪', '儿', '里', '有', '吗', ' '], "");
        rest.chars().count() <= 1
    }
}

/// A name without spaces and the particle 的, for matching station names.
pub(super) fn squeeze(s: &str) -> String {
    s.chars().filter(|c| *c != ' ' && *c != '的').collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    /// The automaton finds what a substring search for each word finds.
    #[test]
    fn cues_are_read_as_a_search_for_each_word_would() {
        let (k, asked) = sample::seed_and_regression_questions();
        let finder = CueFinder::new(&k.lexicon);
        let lists = k.lexicon.cues.lists();
        let words: Vec<String> = lists.iter().flat_map(|(_, l)| l.iter().cloned()).collect();
        for q in sample::question_mix(&asked, &k, 500, 4).iter().chain(&words) {
            let norm = text::normalize(q);
            let any = |i: usize| lists[i].1.iter().any(|w| norm.contains(w.as_str()));
            let c = finder.read(&norm);
            let want = [any(0), any(1), any(2), any(3), any(4) || (norm.contains('有') && norm.ends_with(['吗', '么', '没', '不']))];
            assert_eq!([c.nearby, c.station, c.where_, c.counting, c.exists], want, "{q}");
        }
        assert!(finder.is_greeting("你好") && finder.is_greeting("hello") && !finder.is_greeting("你好怎么入会"));
    }

    #[test]
    fn small_talk_is_a_whole_message_of_small_talk_words() {
        let (k, _) = sample::seed_and_regression_questions();
        let finder = CueFinder::new(&k.lexicon);
        let talk = |q: &str| finder.small_talk(&text::normalize(q));
        assert_eq!(talk("谢谢！"), Some(Kind::Thanks));
        assert_eq!(talk("Thank you"), Some(Kind::Thanks));
        assert_eq!(talk("好的"), Some(Kind::Okay));
        assert_eq!(talk("收到 👍"), Some(Kind::Okay));
        assert_eq!(talk("好的谢谢"), Some(Kind::Thanks));
        assert_eq!(talk("好的，谢谢，拜拜"), Some(Kind::Goodbye));
        for q in ["谢谢 怎么入会", "好人", "你好", "怎么入会", "", "谢谢".repeat(20).as_str()] {
            assert_eq!(talk(q), None, "{q}");
        }
        // Every word of each list is read as its own kind.
        let kinds = [Kind::Thanks, Kind::Okay, Kind::Goodbye];
        for ((name, list), kind) in k.lexicon.small_talk.lists().into_iter().zip(kinds) {
            for w in list {
                assert_eq!(talk(w), Some(kind), "{name}: {w}");
            }
        }
    }
}
