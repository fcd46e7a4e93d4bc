//! [`StationTerms`]: each station's matching terms (name, aliases, kind,
//! services, who it serves, description), segmented once and kept in the data
//! directory beside the article index, so that a start with 11,000 stations
//! reads them instead of running jieba over every station again.
//!
//! The file is named by [`StationTerms::key`]: the analyzer's key and every
//! station's text, with [`STATION_TERMS_FORMAT`]. An edit of faq.yaml or of
//! the articles keeps it; an edit of stations.yaml segments the stations
//! again (and only them: the article index is kept unless a station's name
//! changed, which changes how jieba segments).

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use super::analyzer::{Analyzer, TERM_SEPARATOR};
use super::fx::FxHasher;
use crate::knowledge::Station;

/// Part of the file's key: change it whenever what a station's terms are
/// made of changes.
pub const STATION_TERMS_FORMAT: &str = "union-bot station terms v1 (name, aliases, kind, services, expected services, serves, description)";

const MAGIC: &str = "union-bot station terms 1";
const PREFIX: &str = "stations-";

/// Each station's distinct matching terms, in the analyzer's order, joined by
/// [`TERM_SEPARATOR`] (one string a station rather than one a term).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationTerms {
    joined: Vec<String>,
}

/// The text of a station the matcher compares a question with.
fn text_of(s: &Station) -> String {
    format!(
        "{} {} {} {} {} {} {}",
        s.name,
        s.aliases.join(" "),
        s.kind,
        s.services.join(" "),
        s.expected_services.join(" "),
        s.serves.join(" "),
        s.description
    )
}

impl StationTerms {
    /// The terms of every station, read from `data_dir` when they were kept
    /// there for these stations and this analyzer, else segmented (and kept
    /// there, when the directory can take them: a directory that cannot costs
    /// only the segmenting, at every start).
    pub fn load_or_build(stations: &[Station], analyzer: &Analyzer, data_dir: Option<&Path>) -> StationTerms {
        let texts: Vec<String> = stations.iter().map(text_of).collect();
        let Some(dir) = data_dir else {
            return Self::build(&texts, analyzer);
        };
        let path = file(dir, Self::key(&texts, analyzer));
        if let Some(t) = Self::read(&path, texts.len()) {
            return t;
        }
        let t = Self::build(&texts, analyzer);
        if let Err(e) = t.write(&path) {
            tracing::debug!(path = %path.display(), error = %e, "cannot keep the station terms");
        } else {
            crate::kept::remove_others(dir, &path, PREFIX, ".bin");
        }
        t
    }

    /// Segments every station's text.
    fn build(texts: &[String], analyzer: &Analyzer) -> StationTerms {
        let joined = texts
            .iter()
            .map(|t| {
                let mut out = String::new();
                for term in analyzer.terms(t) {
                    if !out.is_empty() {
                        out.push(TERM_SEPARATOR);
                    }
                    out.push_str(&term);
                }
                out
            })
            .collect();
        StationTerms { joined }
    }

    /// What names the file: the analyzer and every station's text.
    fn key(texts: &[String], analyzer: &Analyzer) -> u64 {
        let mut h = FxHasher::default();
        h.write(STATION_TERMS_FORMAT.as_bytes());
        h.write_u8(0xff);
        h.write(&analyzer.key().to_le_bytes());
        for t in texts {
            h.write(t.as_bytes());
            // Never part of UTF-8: no two lists of texts hash as one.
            h.write_u8(0xff);
        }
        h.finish()
    }

    /// Station `i`'s terms.
    pub fn of(&self, i: usize) -> impl Iterator<Item = &str> {
        self.joined[i].split(TERM_SEPARATOR).filter(|t| !t.is_empty())
    }

    pub fn len(&self) -> usize {
        self.joined.len()
    }

    pub fn is_empty(&self) -> bool {
        self.joined.is_empty()
    }

    /// One line for the format, one line of the count, then a line a station.
    fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut out = String::with_capacity(64 + self.joined.iter().map(|j| j.len() + 1).sum::<usize>());
        out.push_str(MAGIC);
        out.push('\n');
        out.push_str(&self.joined.len().to_string());
        out.push('\n');
        for j in &self.joined {
            out.push_str(j);
            out.push('\n');
        }
        crate::kept::write_aside(path, |w| w.write_all(out.as_bytes()))
    }

    /// The kept terms, when the file is there, whole, and for `n` stations.
    fn read(path: &Path, n: usize) -> Option<StationTerms> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut lines = text.split('\n');
        if lines.next()? != MAGIC || lines.next()?.parse::<usize>().ok()? != n {
            return None;
        }
        let joined: Vec<String> = lines.by_ref().take(n).map(str::to_string).collect();
        // A line a station and nothing after the last one's newline.
        (joined.len() == n && lines.next() == Some("") && lines.next().is_none()).then_some(StationTerms { joined })
    }
}

fn file(data_dir: &Path, key: u64) -> PathBuf {
    data_dir.join(format!("{PREFIX}{key:016x}.bin"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    #[test]
    fn kept_terms_are_the_segmented_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let (k, _) = Knowledge::load(&dir).expect("the seed knowledge loads");
        let a = Analyzer::new(&k);
        let data = tempfile::tempdir().unwrap();
        let built = StationTerms::load_or_build(&k.stations, &a, Some(data.path()));
        let kept: Vec<_> = std::fs::read_dir(data.path()).unwrap().flatten().map(|e| e.path()).collect();
        assert_eq!(kept.len(), 1, "one file: {kept:?}");
        assert_eq!(built, StationTerms::load_or_build(&k.stations, &a, None));
        for (i, s) in k.stations.iter().enumerate() {
            let terms: Vec<&str> = built.of(i).collect();
            assert_eq!(terms, a.terms(&text_of(s)), "{}", s.id);
        }
        // Read back, not segmented again: a file edited by hand is what is read.
        let path = &kept[0];
        let text = std::fs::read_to_string(path).unwrap();
        let marked = text.replacen('\n', "\nX", 2).replacen("\nX", "\n", 1);
        std::fs::write(path, &marked).unwrap();
        let read = StationTerms::load_or_build(&k.stations, &a, Some(data.path()));
        assert_eq!(read.of(0).next(), Some(format!("X{}", built.of(0).next().unwrap()).as_str()));
        // A damaged file (cut short) is segmented again and replaced.
        std::fs::write(path, &text.as_bytes()[..text.len() / 2]).unwrap();
        assert_eq!(StationTerms::load_or_build(&k.stations, &a, Some(data.path())), built);
        assert_eq!(std::fs::read_to_string(path).unwrap(), text);
        // Another station list: its own file, the old one removed.
        let mut fewer = k.stations.clone();
        fewer.pop();
        let other = StationTerms::load_or_build(&fewer, &a, Some(data.path()));
        assert_eq!(other.len(), k.stations.len() - 1);
        assert!(!path.exists(), "the old list's file is removed");
    }
}
