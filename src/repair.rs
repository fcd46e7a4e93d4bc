//! Typo repair against the domain's own vocabulary.
//!
//! Workers type with a pinyin IME or by voice, one-handed, between orders:
//! 公会 for 工会, 驿栈 for 驿站, 如会 for 入会, 理发卷 for 理发券, or the
//! reading itself ("gonghui dianhua", "ru hui"). A word the lexicon does not
//! know is dropped by the matcher and the question loses its topic.
//!
//! The [`Repairer`] is built once per knowledge version from the domain's
//! words ([`domain_words`]: the lexicon, station and place names, FAQ wordings
//! and article titles) with their toneless readings, and reads a normalised
//! question before it is segmented:
//!
//! - a run of two to six characters (as long as a domain word may be) that is
//!   no domain word, touches a character no domain word covers, and reads
//!   (tonelessly) as exactly one domain word that differs from it in one
//!   character (two for words of four or more) is read as that word; so is
//!   one that becomes a domain word when a character is swapped for its
//!   look-alike (`lookalikes.yaml`: 券/卷, 己/已). The run may cut a domain
//!   word in two only when the characters it shares with it stay as typed
//!   (再哪能: 哪能 keeps its 哪);
//! - a word jieba reads as a word of its dictionary (公会 is a guild) is only
//!   read as the domain word when that word is several times more frequent
//!   (so 一站 stays 一站 and is never 驿站); a rare entry jieba itself splits
//!   (先下, 湖外) is no such word;
//! - romanised words ("gonghui", "ru hui") whose syllables spell a domain word
//!   of two or more syllables are written as that word.
//!
//! Repair only ever goes toward domain words, and only when one reading wins
//! clearly: several domain words of one reading, none clearly the more
//! frequent, leave the text as it was. A question about something else keeps
//! its words, so it stays as unanswerable as it was.

use std::borrow::Cow;

use pinyin::ToPinyin;

use crate::knowledge::Knowledge;
use crate::search::{Analyzer, FxMap};
use crate::text::{is_han, normalize};

mod lookup;

/// Domain words are two to this many characters long.
pub const MAX_WORD_CHARS: usize = 6;
/// The longest run of typed characters read as one domain word: as long as
/// the longest domain word, so a typo in a station's name (装里小哥驿站) or a
/// lexicon phrase (炮网约车的) is read as the whole name, not as a part of it
/// that is no domain word of its own (庄里 is none).
const MAX_WINDOW: usize = MAX_WORD_CHARS;
/// A typed word that jieba's dictionary knows is read as a domain word of the
/// same reading only when that word is at least this many times as frequent.
const KNOWN_WORD_RATIO: usize = 3;
/// Of several domain words a typed run could be, the most frequent is taken
/// only when it is at least this many times as frequent as the next.
const CLEAR_WIN_RATIO: usize = 3;

/// Where a domain word comes from (for reports and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// `synonyms.yaml`: user words, canonical words and their variants.
    Lexicon,
    /// A station's or place's name or alias.
    Name,
    /// A word of an article title or FAQ topic.
    Title,
    /// A word of a FAQ wording.
    Wording,
}

/// One word of the domain's vocabulary, normalised, all ideographs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainWord {
    pub text: String,
    pub origin: Origin,
}

/// The domain's vocabulary: the lexicon's words, station and place names and
/// aliases, the words of FAQ topics, article titles and FAQ wordings (as jieba
/// cuts them), each once (with its first origin in that order), normalised,
/// of two to [`MAX_WORD_CHARS`] ideographs.
pub fn domain_words(knowledge: &Knowledge, analyzer: &Analyzer) -> Vec<DomainWord> {
    let mut out: Vec<DomainWord> = Vec::new();
    let mut seen: FxMap<String, ()> = FxMap::default();
    let mut add = |w: &str, origin: Origin, out: &mut Vec<DomainWord>| {
        let n = normalize(w);
        let len = n.chars().count();
        if (2..=MAX_WORD_CHARS).contains(&len) && n.chars().all(is_han) && seen.insert(n.clone(), ()).is_none() {
            out.push(DomainWord { text: n, origin });
        }
    };
    let lex = &knowledge.lexicon;
    for w in &lex.user_words {
        add(w, Origin::Lexicon, &mut out);
    }
    for (canon, variants) in &lex.synonyms {
        add(canon, Origin::Lexicon, &mut out);
        for v in variants {
            add(v, Origin::Lexicon, &mut out);
        }
    }
    for s in &knowledge.stations {
        for n in std::iter::once(&s.name).chain(&s.aliases) {
            add(n, Origin::Name, &mut out);
        }
    }
    for p in &knowledge.places {
        for n in std::iter::once(&p.name).chain(&p.aliases) {
            add(n, Origin::Name, &mut out);
        }
    }
    for t in knowledge.faq.iter().map(|e| &e.topic).chain(knowledge.articles.iter().map(|a| &a.title)) {
        for w in analyzer.segment(t) {
            add(&w, Origin::Title, &mut out);
        }
    }
    for q in knowledge.faq.iter().flat_map(|e| &e.questions) {
        for w in analyzer.segment(q) {
            add(&w, Origin::Wording, &mut out);
        }
    }
    out
}

/// The toneless reading of a character as the romanised form workers type
/// (ü as v), or `None` for a character without one.
pub fn reading(c: char) -> Option<&'static str> {
    let p = c.to_pinyin()?.plain();
    Some(match p {
        "lü" => "lv",
        "nü" => "nv",
        "lüe" => "lve",
        "nüe" => "nve",
        _ => p,
    })
}

/// The id of `c`'s reading among the domain words' syllables (0: none).
fn syllable_id(syllables: &FxMap<&'static str, u16>, c: char) -> u16 {
    reading(c).and_then(|r| syllables.get(r).copied()).unwrap_or(0)
}

struct Word {
    text: String,
    chars: Vec<char>,
    freq: usize,
    /// A typed run of ideographs may be read as this word (lexicon, names,
    /// titles); a wording's word (全市, 有些) is only protected from repair
    /// and reached by romanised input.
    han_target: bool,
}

/// Reads typos and romanised words as the domain words they stand for.
pub struct Repairer {
    words: Vec<Word>,
    by_text: FxMap<String, u32>,
    /// Packed syllable ids of a reading → the domain words that read so.
    by_key: FxMap<u64, Vec<u32>>,
    /// The first two syllable ids of a reading of a word a typed run may be
    /// read as ([`Word::han_target`]), packed → bit `L` set when such a word
    /// of `L` characters reads so: nearly every run reads as no such word,
    /// and is passed over with one look-up per character, not one per run.
    key_starts: FxMap<u32, u8>,
    /// The syllables of domain words → their id (from 1), and back.
    syllables: FxMap<&'static str, u16>,
    syllable_names: Vec<&'static str>,
    /// Finds the domain words in a question, the longest first.
    cover: lookup::Cover,
    /// Each ideograph's syllable id (see [`Repairer::syllable_of`]).
    syllable_table: lookup::Syllables,
    /// A character → the characters it is mistaken for.
    lookalikes: FxMap<char, Vec<char>>,
    /// The characters `lookalikes` holds, tested per character of a question.
    has_lookalike: lookup::CharSet,
    analyzer: Analyzer,
}

impl Repairer {
    /// Builds the repairer for one knowledge version (a few milliseconds).
    pub fn new(knowledge: &Knowledge, analyzer: &Analyzer) -> Repairer {
        let dict = analyzer.jieba();
        let mut words = Vec::new();
        let mut by_text = FxMap::default();
        let mut by_key: FxMap<u64, Vec<u32>> = FxMap::default();
        let mut key_starts: FxMap<u32, u8> = FxMap::default();
        let mut syllables: FxMap<&'static str, u16> = FxMap::default();
        let mut syllable_names: Vec<&'static str> = Vec::new();
        for w in domain_words(knowledge, analyzer) {
            let chars: Vec<char> = w.text.chars().collect();
            let Some(readings) = chars.iter().map(|&c| reading(c)).collect::<Option<Vec<_>>>() else {
                continue;
            };
            let mut key = 0u64;
            let mut start = 0u32;
            for (k, r) in readings.into_iter().enumerate() {
                let id = *syllables.entry(r).or_insert_with(|| {
                    syllable_names.push(r);
                    syllable_names.len() as u16
                });
                key = (key << 10) | u64::from(id);
                if k < 2 {
                    start = (start << 16) | u32::from(id);
                }
            }
            let han_target = w.origin != Origin::Wording;
            if han_target {
                *key_starts.entry(start).or_default() |= 1 << chars.len();
            }
            let i = words.len() as u32;
            by_text.insert(w.text.clone(), i);
            by_key.entry(key).or_default().push(i);
            let freq = dict.suggest_freq(&w.text);
            words.push(Word { text: w.text, chars, freq, han_target });
        }
        let cover = lookup::Cover::new(words.iter().map(|w: &Word| w.chars.as_slice()));
        let syllable_table = lookup::Syllables::new();
        let mut lookalikes: FxMap<char, Vec<char>> = FxMap::default();
        for group in &knowledge.lookalikes {
            let chars: Vec<char> = group.chars().collect();
            for &c in &chars {
                let others = lookalikes.entry(c).or_default();
                for &o in &chars {
                    if o != c && !others.contains(&o) {
                        others.push(o);
                    }
                }
            }
        }
        let has_lookalike = lookup::CharSet::new(lookalikes.keys().copied());
        Repairer { words, by_text, by_key, key_starts, syllables, syllable_names, cover, syllable_table, lookalikes, has_lookalike, analyzer: analyzer.clone() }
    }

    /// How many domain words the repairer reads toward.
    pub fn vocabulary_len(&self) -> usize {
        self.words.len()
    }

    /// Whether `word` (normalised) is a domain word.
    pub fn is_domain_word(&self, word: &str) -> bool {
        self.by_text.contains_key(word)
    }

    /// The question with its typos and romanised words read as domain words;
    /// borrowed, unchanged, when there is nothing to repair (nearly always).
    /// `normalised` is [`crate::text::normalize`]'s output.
    pub fn repair<'a>(&self, normalised: &'a str) -> Cow<'a, str> {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.repair_in(normalised, &mut scratch),
            Err(_) => self.repair_in(normalised, &mut Scratch::default()),
        })
    }

    /// [`Repairer::repair`] with its per-character tables in `scratch`.
    fn repair_in<'a>(&self, normalised: &'a str, scratch: &mut Scratch) -> Cow<'a, str> {
        let Scratch { chars, covered, syl, free, alts, run } = scratch;
        chars.clear();
        chars.extend(normalised.char_indices());
        let chars = &chars[..];
        let n = chars.len();
        if n < 2 {
            return Cow::Borrowed(normalised);
        }
        let byte_end = |i: usize| chars.get(i).map_or(normalised.len(), |&(b, _)| b);
        // Characters inside a domain word are never touched.
        // covered[i]: the domain word (numbered from 1) character i is in, or 0.
        covered.clear();
        covered.resize(n, 0);
        self.cover.mark(chars, covered);
        let covered = &covered[..];
        // Counts up to each character (so a run is judged in one step, for
        // every run length): ideographs no domain word covers, and
        // characters with a look-alike. run[i]: the ideographs from i on.
        free.clear();
        free.resize(n + 1, 0);
        alts.clear();
        alts.resize(n + 1, 0);
        let mut free_han = false;
        let mut letters = false;
        for k in 0..n {
            free[k + 1] = free[k] + u32::from(covered[k] == 0);
            alts[k + 1] = alts[k] + u32::from(self.has_lookalike.contains(chars[k].1));
            free_han |= covered[k] == 0 && is_han(chars[k].1);
            letters |= chars[k].1.is_ascii_lowercase();
        }
        // Every ideograph in a domain word and no romanised word: nothing
        // to read.
        if !free_han && !letters {
            return Cow::Borrowed(normalised);
        }
        syl.clear();
        syl.extend(chars.iter().map(|&(_, c)| if is_han(c) { self.syllable_of(c) } else { 0 }));
        let syl = &syl[..];
        run.clear();
        run.resize(n + 1, 0);
        for k in (0..n).rev() {
            run[k] = if is_han(chars[k].1) { run[k + 1] + 1 } else { 0 };
        }

        // (start byte, end byte, replacement)
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        let mut i = 0;
        while i < n {
            let c = chars[i].1;
            if is_han(c) {
                let mut done = false;
                // The lengths of the words a run from here may read as
                // (looked up for the first run with a free character).
                let mut key_lens: Option<u8> = None;
                for len in (2..=MAX_WINDOW.min(run[i])).rev() {
                    let end = i + len;
                    // A run of ideographs with one that no domain word covers.
                    if free[end] == free[i] {
                        continue;
                    }
                    // A run that reads as no such word and has no look-alike
                    // has no candidate.
                    let lens = *key_lens.get_or_insert_with(|| self.key_starts.get(&((u32::from(syl[i]) << 16) | u32::from(syl[i + 1]))).copied().unwrap_or(0));
                    if lens >> len & 1 == 0 && alts[end] == alts[i] {
                        continue;
                    }
                    let window = &normalised[chars[i].0..byte_end(end)];
                    let before = if i > 0 { Some(&normalised[chars[i - 1].0..chars[i].0]) } else { None };
                    let after = if end < n { Some(&normalised[chars[end].0..byte_end(end + 1)]) } else { None };
                    // A neighbour inside a domain word of its own (户 of 户外 in
                    // 王京户外) makes no word with the run's characters.
                    let own = |k: usize| covered[k] != 0 && covered[k] != covered[i] && covered[k] != covered[end - 1];
                    let before = before.filter(|_| !own(i - 1));
                    let after = after.filter(|_| !own(end));
                    if let Some(w) = self.han_candidate(window, &chars[i..end], &syl[i..end], alts[end] > alts[i], (before, after))
                        && keeps_cut_words(&self.words[w as usize].chars, &chars[i..end], covered, i, end)
                    {
                        edits.push((chars[i].0, byte_end(end), self.words[w as usize].text.clone()));
                        i = end;
                        done = true;
                        break;
                    }
                }
                if !done {
                    i += 1;
                }
            } else if c.is_ascii_lowercase() {
                // A run of romanised tokens, separated by single spaces.
                let start = i;
                let mut end = i;
                while end < n && (chars[end].1.is_ascii_lowercase() || (chars[end].1 == ' ' && end + 1 < n && chars[end + 1].1.is_ascii_lowercase() && end > start)) {
                    end += 1;
                }
                let run = &normalised[chars[start].0..byte_end(end)];
                if let Some(text) = self.romanised(run) {
                    edits.push((chars[start].0, byte_end(end), text));
                }
                i = end;
            } else {
                i += 1;
            }
        }
        if edits.is_empty() {
            return Cow::Borrowed(normalised);
        }
        let mut out = String::with_capacity(normalised.len() + 8);
        let mut at = 0;
        for (s, e, text) in edits {
            out.push_str(&normalised[at..s]);
            // A romanised word written as ideographs next to other letters
            // stays a word of its own.
            if out.ends_with(|c: char| c.is_ascii_alphanumeric()) && text.starts_with(is_han) {
                out.push(' ');
            }
            out.push_str(&text);
            if normalised[e..].starts_with(|c: char| c.is_ascii_alphanumeric()) && text.ends_with(is_han) {
                out.push(' ');
            }
            at = e;
        }
        out.push_str(&normalised[at..]);
        Cow::Owned(out)
    }

    fn syllable_of(&self, c: char) -> u16 {
        self.syllable_table.get(c, |c| syllable_id(&self.syllables, c))
    }

    /// The one domain word a run of typed ideographs stands for, if one wins clearly.
    /// `has_alt`: whether a character of the run has a look-alike.
    fn han_candidate(&self, window: &str, chars: &[(usize, char)], syl: &[u16], has_alt: bool, (before, after): (Option<&str>, Option<&str>)) -> Option<u32> {
        let len = chars.len();
        let max_diff = if len >= 4 { 2 } else { 1 };
        let mut cands: Vec<u32> = Vec::new();
        if syl.iter().all(|&s| s != 0) {
            let key = syl.iter().fold(0u64, |k, &s| (k << 10) | u64::from(s));
            if let Some(list) = self.by_key.get(&key) {
                for &w in list {
                    let word = &self.words[w as usize];
                    let diff = word.chars.iter().zip(chars).filter(|(a, (_, b))| *a != b).count();
                    if word.han_target && word.chars.len() == len && (1..=max_diff).contains(&diff) {
                        cands.push(w);
                    }
                }
            }
        }
        if has_alt {
            let mut buf = String::with_capacity(window.len());
            for (j, (_, c)) in chars.iter().enumerate() {
                let Some(alts) = self.lookalikes.get(c) else { continue };
                for &alt in alts {
                    buf.clear();
                    for (k, (_, d)) in chars.iter().enumerate() {
                        buf.push(if k == j { alt } else { *d });
                    }
                    if let Some(&w) = self.by_text.get(buf.as_str())
                        && !cands.contains(&w)
                    {
                        cands.push(w);
                    }
                }
            }
        }
        // Nearly every run reads as no domain word; only a run that does is
        // looked up as text (a domain word typed right is no typo).
        if cands.is_empty() || self.by_text.contains_key(window) {
            return None;
        }
        let best = self.clear_winner(&mut cands)?;
        let dict = self.analyzer.jieba();
        // A run jieba reads as a word of its dictionary (公会) must be much
        // rarer than the domain word; a rare entry it splits (先下) is no word.
        if self.reads_as_word(window) && self.words[best as usize].freq < KNOWN_WORD_RATIO * dict.suggest_freq(window) {
            return None;
        }
        // A run whose first or last character would change and makes a word
        // with its neighbour (职工 in 职工能: the run 工能 is no typo of 功能)
        // is left.
        let target = &self.words[best as usize].chars;
        let first = &window[..chars[0].1.len_utf8()];
        let last = &window[chars[len - 1].0 - chars[0].0..];
        let joined = |a: &str, b: &str| {
            let mut s = String::with_capacity(a.len() + b.len());
            s.push_str(a);
            s.push_str(b);
            self.reads_as_word(&s).then_some(s)
        };
        let first_changed = target[0] != chars[0].1;
        let last_changed = target[len - 1] != chars[len - 1].1;
        if before.filter(|_| first_changed).is_some_and(|b| joined(b, first).is_some()) || after.filter(|_| last_changed).is_some_and(|a| joined(last, a).is_some()) {
            return None;
        }
        // A two-character run whose unchanged character makes a word with
        // its neighbour is often what a typo does (权国有 is 权 国有, 共会客服
        // 共 会客), but not always (定律是什么 is no typo of 律师, 先下单 none of
        // 线下): it is read as the domain word only when that reading is the
        // likelier one, as jieba's word frequencies weigh the two readings.
        if len == 2 {
            let (kept, changed, neighbour) = if first_changed { (last, first, after) } else { (first, last, before) };
            if let Some(nb) = neighbour {
                let pair = if first_changed { joined(kept, nb) } else { joined(nb, kept) };
                if let Some(pair) = pair {
                    let f = |s: &str| dict.suggest_freq(s) as f64;
                    if f(&self.words[best as usize].text) * f(nb) <= f(&pair) * f(changed) {
                        return None;
                    }
                }
            }
        }
        Some(best)
    }

    /// Whether jieba reads a text as one dictionary word: a word of its
    /// dictionary that its own segmentation keeps whole. A rare entry that it
    /// reads as two common characters (有度 in 有度书, 能面 in 能面费, 先下 in
    /// 先下怎么入会) is no evidence that the text was meant.
    fn reads_as_word(&self, text: &str) -> bool {
        let dict = self.analyzer.jieba();
        dict.has_word(text) && dict.cut(text, false).len() == 1
    }

    /// The candidate that wins clearly: the only one, or the most frequent
    /// by [`CLEAR_WIN_RATIO`].
    fn clear_winner(&self, cands: &mut [u32]) -> Option<u32> {
        match cands.len() {
            0 => None,
            1 => Some(cands[0]),
            _ => {
                cands.sort_by_key(|&w| std::cmp::Reverse(self.words[w as usize].freq));
                let (a, b) = (self.words[cands[0] as usize].freq, self.words[cands[1] as usize].freq);
                (a >= CLEAR_WIN_RATIO * b.max(1)).then_some(cands[0])
            }
        }
    }

    /// A run of romanised tokens ("gonghui dianhua", "ru hui") with the
    /// domain words its syllables spell written as those words; `None` when
    /// it spells none. Syllables that spell no domain word stay as typed.
    fn romanised(&self, run: &str) -> Option<String> {
        // (is han, text, the token it came from)
        let mut out: Vec<(bool, String, usize)> = Vec::new();
        let toks: Vec<&str> = run.split(' ').collect();
        // Each token split into domain syllables; the tokens that split are
        // read as one sequence, so a word may span two ("ru hui").
        let mut seq: Vec<(u16, usize)> = Vec::new();
        let mut changed = false;
        for (t, tok) in toks.iter().enumerate() {
            match self.split_syllables(tok) {
                Some(s) => seq.extend(s.into_iter().map(|x| (x, t))),
                None => {
                    changed |= self.read_syllables(&seq, &mut out);
                    seq.clear();
                    out.push((false, (*tok).to_string(), t));
                }
            }
        }
        changed |= self.read_syllables(&seq, &mut out);
        if !changed {
            return None;
        }
        let mut s = String::new();
        let mut last: Option<(bool, usize)> = None;
        for (han, t, tok) in out {
            match last {
                Some((prev_han, prev_tok)) if !(prev_han && han) && !(!prev_han && !han && prev_tok == tok) => s.push(' '),
                _ => {}
            }
            s.push_str(&t);
            last = Some((han, tok));
        }
        Some(s)
    }

    /// Reads a syllable sequence greedily, the longest domain word first;
    /// returns whether any was read.
    fn read_syllables(&self, seq: &[(u16, usize)], out: &mut Vec<(bool, String, usize)>) -> bool {
        let mut changed = false;
        let mut p = 0;
        while p < seq.len() {
            let mut hit = None;
            for len in (2..=MAX_WORD_CHARS.min(seq.len() - p)).rev() {
                let key = seq[p..p + len].iter().fold(0u64, |k, &(s, _)| (k << 10) | u64::from(s));
                if let Some(list) = self.by_key.get(&key) {
                    let mut cands: Vec<u32> = list.clone();
                    if let Some(w) = self.clear_winner(&mut cands) {
                        hit = Some((w, len));
                        break;
                    }
                }
            }
            match hit {
                Some((w, len)) => {
                    out.push((true, self.words[w as usize].text.clone(), seq[p].1));
                    changed = true;
                    p += len;
                }
                None => {
                    let (s, tok) = seq[p];
                    let text = self.syllable_names[s as usize - 1];
                    match out.last_mut() {
                        Some((false, t, prev)) if *prev == tok => t.push_str(text),
                        _ => out.push((false, text.to_string(), tok)),
                    }
                    p += 1;
                }
            }
        }
        changed
    }

    /// A romanised token as domain syllables (the split with the fewest).
    fn split_syllables(&self, tok: &str) -> Option<Vec<u16>> {
        let b = tok.as_bytes();
        if b.is_empty() || b.len() > 48 {
            return None;
        }
        // best[i]: the fewest syllables for tok[..i], and where the last began.
        let mut best: Vec<Option<(usize, usize)>> = vec![None; b.len() + 1];
        best[0] = Some((0, 0));
        for i in 0..b.len() {
            let Some((count, _)) = best[i] else { continue };
            for j in (i + 1)..=(i + 6).min(b.len()) {
                if self.syllables.contains_key(&tok[i..j]) && best[j].is_none_or(|(c, _)| c > count + 1) {
                    best[j] = Some((count + 1, i));
                }
            }
        }
        best[b.len()]?;
        let mut out = Vec::new();
        let mut j = b.len();
        while j > 0 {
            let (_, i) = best[j]?;
            out.push(self.syllables[&tok[i..j]]);
            j = i;
        }
        out.reverse();
        Some(out)
    }
}

/// The per-character tables of one [`Repairer::repair`], kept per thread
/// so a question costs no allocation for them.
#[derive(Default)]
struct Scratch {
    chars: Vec<(usize, char)>,
    covered: Vec<u32>,
    syl: Vec<u16>,
    free: Vec<u32>,
    alts: Vec<u32>,
    run: Vec<usize>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Whether reading the typed run `typed` (characters `i..end` of the
/// question) as `target` leaves whole a domain word the run cuts in two: the
/// characters the run shares with it stay as typed (再哪能: 再哪 is read as
/// 在哪, and 哪能 keeps its 哪). `covered[k]` is the domain word character k is
/// in (from 1), or 0.
fn keeps_cut_words(target: &[char], typed: &[(usize, char)], covered: &[u32], i: usize, end: usize) -> bool {
    let kept = |k: usize| target[k - i] == typed[k - i].1;
    let head = covered[i];
    let tail = covered[end - 1];
    let cuts_head = head != 0 && i > 0 && covered[i - 1] == head;
    let cuts_tail = tail != 0 && end < covered.len() && covered[end] == tail;
    (!cuts_head || (i..end).take_while(|&k| covered[k] == head).all(kept)) && (!cuts_tail || (i..end).rev().take_while(|&k| covered[k] == tail).all(kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_toneless_with_v_for_u_umlaut() {
        assert_eq!(reading('工'), Some("gong"));
        assert_eq!(reading('绿'), Some("lv"));
        assert_eq!(reading('a'), None);
    }
}
