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
/// [`TERM_SEPARATOR`]: the kept file's text as it is (one string for all
/// stations, not one a station: reading it is no copy, and a start holds
/// the text once), with where each station's line starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationTerms {
    /// The file: [`MAGIC`], the count, then a line a station.
    text: String,
    /// Station `i`'s line is `text[starts[i]..starts[i + 1] - 1]` (without its newline).
    starts: Vec<usize>,
}

/// The text of a station the matcher compares a question with, into `out`.
fn write_text_of(s: &Station, out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    let _ = write!(
        out,
        "{} {} {} {} {} {} {}",
        s.name,
        s.aliases.join(" "),
        s.kind,
        s.services.join(" "),
        s.expected_services.join(" "),
        s.serves.join(" "),
        s.description
    );
}

#[cfg(test)]
fn text_of(s: &Station) -> String {
    let mut out = String::new();
    write_text_of(s, &mut out);
    out
}

/// The head of the file, before the first station's line.
fn head(n: usize) -> String {
    format!("{MAGIC}\n{n}\n")
}

impl StationTerms {
    /// The terms of every station, read from `data_dir` when they were kept
    /// there for these stations and this analyzer, else segmented (and kept
    /// there, when the directory can take them: a directory that cannot costs
    /// only the segmenting, at every start).
    ///
    /// The stations' texts are made one at a time, never all at once: at
    /// city scale they were 3 MB at the peak of a start.
    pub fn load_or_build(stations: &[Station], analyzer: &Analyzer, data_dir: Option<&Path>) -> StationTerms {
        let Some(dir) = data_dir else {
            return Self::build(stations, analyzer);
        };
        let path = file(dir, Self::key(stations, analyzer));
        if let Some(t) = Self::read(&path, stations.len()) {
            return t;
        }
        let t = Self::build(stations, analyzer);
        if let Err(e) = t.write(&path) {
            tracing::debug!(path = %path.display(), error = %e, "cannot keep the station terms");
        } else {
            crate::kept::remove_others(dir, &path, PREFIX, ".bin");
        }
        t
    }

    /// Segments every station's text.
    fn build(stations: &[Station], analyzer: &Analyzer) -> StationTerms {
        let mut text = head(stations.len());
        let mut starts = Vec::with_capacity(stations.len() + 1);
        starts.push(text.len());
        let mut station_text = String::new();
        for s in stations {
            write_text_of(s, &mut station_text);
            let line_start = text.len();
            for term in analyzer.terms(&station_text) {
                if text.len() > line_start {
                    text.push(TERM_SEPARATOR);
                }
                text.push_str(&term);
            }
            text.push('\n');
            starts.push(text.len());
        }
        StationTerms { text, starts }
    }

    /// What names the file: the analyzer and every station's text.
    fn key(stations: &[Station], analyzer: &Analyzer) -> u64 {
        let mut h = FxHasher::default();
        h.write(STATION_TERMS_FORMAT.as_bytes());
        h.write_u8(0xff);
        h.write(&analyzer.key().to_le_bytes());
        let mut text = String::new();
        for s in stations {
            write_text_of(s, &mut text);
            h.write(text.as_bytes());
            // Never part of UTF-8: no two lists of texts hash as one.
            h.write_u8(0xff);
        }
        h.finish()
    }

    /// Station `i`'s terms.
    pub fn of(&self, i: usize) -> impl Iterator<Item = &str> {
        self.text[self.starts[i]..self.starts[i + 1] - 1].split(TERM_SEPARATOR).filter(|t| !t.is_empty())
    }

    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One line for the format, one line of the count, then a line a station.
    fn write(&self, path: &Path) -> std::io::Result<()> {
        crate::kept::write_aside(path, |w| w.write_all(self.text.as_bytes()))
    }

    /// The kept terms, when the file is there, whole, and for `n` stations.
    fn read(path: &Path, n: usize) -> Option<StationTerms> {
        Self::parse(std::fs::read_to_string(path).ok()?, n)
    }

    /// The terms in a kept file's text: its head for `n` stations, then
    /// exactly `n` lines, and nothing after the last one's newline.
    fn parse(text: String, n: usize) -> Option<StationTerms> {
        let head = head(n);
        if !text.starts_with(&head) {
            return None;
        }
        let mut starts = Vec::with_capacity(n + 1);
        starts.push(head.len());
        for (at, _) in text[head.len()..].match_indices('\n') {
            if starts.len() > n {
                return None;
            }
            starts.push(head.len() + at + 1);
        }
        (starts.len() == n + 1 && starts[n] == text.len()).then_some(StationTerms { text, starts })
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
        // Only a whole file for as many stations is read: one line more or
        // less, a last line without its newline, another count.
        let n = k.stations.len();
        assert_eq!(StationTerms::parse(text.clone(), n).as_ref(), Some(&built));
        for bad in [format!("{text}x\n"), format!("{text}\n"), text[..text.len() - 1].to_string(), text[..text[..text.len() - 1].rfind('\n').unwrap() + 1].to_string()] {
            assert!(StationTerms::parse(bad.clone(), n).is_none(), "read: {:?}", &bad[bad.len().saturating_sub(40)..]);
        }
        assert!(StationTerms::parse(text.clone(), n - 1).is_none() && StationTerms::parse(text.clone(), n + 1).is_none());
        assert_eq!(StationTerms::parse(head(0), 0).map(|t| t.len()), Some(0));
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
