//! jieba's dictionary with the domain words (the lexicon's, every station's
//! and place's name), built once and kept in the data directory beside the
//! article index: building the trie of jieba's 350,000 words and adding
//! 22,000 station names was a third of a start at city scale; reading the
//! finished tables back is a copy (`jieba_rs::Jieba::load_saved`, an
//! addition of the vendored crate).
//!
//! The file is named by a hash of [`KEPT_JIEBA_FORMAT`], jieba-rs's own
//! format of the file ([`jieba_rs::KEPT_FORMAT`], with its version) and the
//! words given to jieba, in their order: the dictionary is made of nothing
//! else (the default dictionary is part of the binary, its version part of
//! the key). A file that does not read back whole (damaged, cut short, of
//! another format) is ignored, built again and replaced.

use std::hash::Hasher;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use jieba_rs::Jieba;

use super::fx::FxHasher;

/// Part of the file's key: change it whenever what the kept dictionary is
/// made of changes (how the words are given to jieba).
pub const KEPT_JIEBA_FORMAT: &str = "union-bot kept jieba v1 (default dictionary, then each domain word with its suggested frequency)";

const PREFIX: &str = "jieba-";

/// The dictionary with `words` added (`add_word` with jieba's suggested
/// frequency, in order), read from `data_dir` when it was kept there for
/// these words, else built (and kept there when the directory can take it;
/// one that cannot costs the building, at every start).
pub fn load_or_build(words: &[String], data_dir: Option<&Path>) -> Jieba {
    let Some(dir) = data_dir else { return build(words) };
    let path = file(dir, key(words));
    match std::fs::File::open(&path) {
        Ok(f) => match Jieba::load_saved(BufReader::with_capacity(1 << 16, f)) {
            Ok(jieba) => return jieba,
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "the kept jieba dictionary is unreadable; building it again"),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::debug!(path = %path.display(), error = %e, "cannot open the kept jieba dictionary"),
    }
    let jieba = build(words);
    match write(&jieba, &path) {
        Ok(()) => crate::kept::remove_others(dir, &path, PREFIX, ".bin"),
        Err(e) => tracing::debug!(path = %path.display(), error = %e, "cannot keep the jieba dictionary"),
    }
    jieba
}

/// jieba's default dictionary with `words` added, its tables shrunk to fit
/// (the trie's table, doubled as it grew, was 2^20 slots, 16 MB, half empty
/// at city scale; fitted, 12.6 MB).
pub fn build(words: &[String]) -> Jieba {
    let mut jieba = Jieba::new();
    for w in words {
        jieba.add_word(w, None, None);
    }
    jieba.shrink_to_fit();
    jieba
}

fn key(words: &[String]) -> u64 {
    let mut h = FxHasher::default();
    for s in [KEPT_JIEBA_FORMAT, jieba_rs::KEPT_FORMAT].into_iter().chain(words.iter().map(String::as_str)) {
        h.write(s.as_bytes());
        // Never part of UTF-8: no two lists of words hash as one.
        h.write_u8(0xff);
    }
    h.finish()
}

pub(super) fn file(data_dir: &Path, key: u64) -> PathBuf {
    data_dir.join(format!("{PREFIX}{key:016x}.bin"))
}

/// Written aside and renamed into place: a half-written file is never read.
fn write(jieba: &Jieba, path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::kept::write_aside(path, |out| jieba.save(out).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::fx::FxMap;

    fn words() -> Vec<String> {
        ["怀柔富商市场驿站", "暖心驿站", "外卖小哥", "新就业形态劳动者"].map(String::from).to_vec()
    }

    fn cuts(j: &Jieba) -> Vec<Vec<String>> {
        ["外卖小哥在怀柔富商市场驿站歇脚", "新就业形态劳动者怎么加入工会？", "北京市总工会12351热线，暖心驿站有几家"]
            .iter()
            .map(|t| j.cut_for_search(t, true).into_iter().map(|t| t.word.to_string()).collect())
            .collect()
    }

    /// jieba keeps a word's frequency only as its logarithm (vendored
    /// change): every word of the default dictionary reads back its own
    /// frequency exactly, built or kept.
    #[test]
    fn every_frequency_reads_back_exactly() {
        let dict = include_str!("../../vendor/jieba-rs/src/data/dict.txt");
        let mut freqs: FxMap<&str, usize> = FxMap::default();
        let mut lines = 0;
        for line in dict.lines() {
            let mut parts = line.split_ascii_whitespace();
            let (Some(w), Some(f)) = (parts.next(), parts.next()) else { continue };
            freqs.insert(w, f.parse().unwrap());
            lines += 1;
        }
        assert!(freqs.len() > 300_000, "the default dictionary: {} words", freqs.len());
        let built = build(&[]);
        let kept = Jieba::load_saved(built.save(Vec::new()).unwrap().as_slice()).unwrap();
        for j in [&built, &kept] {
            for (w, &f) in &freqs {
                assert_eq!(j.word_freq(w), Some(f), "the frequency of {w}");
            }
        }
        assert_eq!(lines, 349_045, "every line of the dictionary was read");
        assert_eq!(built.word_freq("不在词典里的词语啊"), None);
        // Shrunk to fit, the tables segment as they did.
        let mut grown = Jieba::new();
        for w in words() {
            grown.add_word(&w, None, None);
        }
        let fitted = build(&words());
        assert_eq!(cuts(&grown), cuts(&fitted));
        assert!(grown.save(Vec::new()).unwrap().len() > fitted.save(Vec::new()).unwrap().len(), "the fitted table is smaller");
        // A domain word gets jieba's suggested frequency, also read back.
        let with = build(&words());
        let kept = Jieba::load_saved(with.save(Vec::new()).unwrap().as_slice()).unwrap();
        for w in words() {
            let f = with.word_freq(&w);
            assert!(f.is_some_and(|f| f >= 1), "{w}: {f:?}");
            assert_eq!(kept.word_freq(&w), f, "{w}");
        }
    }

    /// The kept dictionary segments as the built one; a damaged, cut or
    /// foreign file is never used: it is built again and replaced.
    #[test]
    fn a_kept_dictionary_reads_back_equal_and_a_damaged_one_is_rebuilt() {
        let data = tempfile::tempdir().unwrap();
        let built = build(&words());
        let first = load_or_build(&words(), Some(data.path()));
        let path = file(data.path(), key(&words()));
        assert!(path.exists(), "the dictionary is kept");
        let kept = load_or_build(&words(), Some(data.path()));
        assert_eq!(cuts(&kept), cuts(&built));
        assert_eq!(cuts(&first), cuts(&built));
        let good = std::fs::read(&path).unwrap();
        assert_eq!(kept.save(Vec::new()).unwrap(), good, "read back, it saves the same bytes");
        let mut damaged = vec![
            good[..good.len() / 2].to_vec(),
            good[..good.len() - 8].to_vec(),
            [good.as_slice(), b"x"].concat(),
            b"union-bot station terms 1\n0\n".to_vec(),
            Vec::new(),
        ];
        for at in [8, 40, good.len() / 3, good.len() - 3] {
            let mut d = good.clone();
            d[at] ^= 0x10;
            damaged.push(d);
        }
        for (i, d) in damaged.into_iter().enumerate() {
            assert!(Jieba::load_saved(d.as_slice()).is_err(), "a damaged file of {} bytes is refused", d.len());
            // Building takes a while: two of them through the whole way.
            if i % 4 != 1 {
                continue;
            }
            std::fs::write(&path, &d).unwrap();
            let again = load_or_build(&words(), Some(data.path()));
            assert_eq!(cuts(&again), cuts(&built));
            assert_eq!(std::fs::read(&path).unwrap(), good, "the damaged file is replaced");
        }
        // Other words: another file, and the old one removed.
        let mut more = words();
        more.push("骑手之家".into());
        let other = load_or_build(&more, Some(data.path()));
        assert_eq!(cuts(&other), cuts(&build(&more)));
        assert!(!path.exists() && file(data.path(), key(&more)).exists());
    }
}
