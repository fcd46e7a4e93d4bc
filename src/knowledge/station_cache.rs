//! The stations of a `stations.yaml` that loaded without a problem, kept in
//! the data directory beside the article index (as JSON, with each
//! coordinate's exact bits), so that a start with 11,000 stations reads them
//! instead of parsing and checking the YAML again (most of a start's time).
//!
//! The file is named by a hash of what parsing depends on: the file's path
//! and bytes, the article ids it may cite, and the station fields the schema
//! knows. A file with any problem (even a warning) is never kept: it is
//! parsed at every load and its problems are reported as before.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::stations::{Hours, Station};
use super::yaml::{self, Schema};
use super::Problem;

const FORMAT: &str = "union-bot parsed stations v1";
const PREFIX: &str = "parsed-stations-";

#[derive(Serialize, Deserialize)]
struct Kept {
    stations: Vec<Station>,
    /// Each station's lat and lon as their bits (JSON's decimal form would
    /// not always come back as the same `f64`).
    coords: Vec<(u64, u64)>,
}

/// The stations of `path` (parsed and checked by [`super::stations::parse`]), reading and keeping the parsed stations in
/// `cache_dir` when one is given.
pub(super) fn load(
    path: &Path,
    article_ids: &HashSet<&str>,
    cache_dir: Option<&Path>,
    problems: &mut Vec<Problem>,
    old: Option<(&[Station], u64)>,
) -> (Vec<Station>, Option<u64>) {
    let Some(bytes) = yaml::read_bytes(path, problems) else {
        return (Vec::new(), None);
    };
    let Some(dir) = cache_dir else {
        return (super::stations::parse(path, &bytes, article_ids, problems), None);
    };
    let key = key(path, &bytes, article_ids);
    // A reload of knowledge whose stations.yaml did not change: the stations
    // serving now are the ones the file would give.
    if let Some((stations, old_key)) = old
        && old_key == key
    {
        return (stations.to_vec(), Some(key));
    }
    let file = file(dir, key);
    if let Some(stations) = read(&file) {
        return (stations, Some(key));
    }
    let mut own = Vec::new();
    let stations = super::stations::parse(path, &bytes, article_ids, &mut own);
    let kept = own.is_empty();
    if kept {
        match write(&file, &stations) {
            Ok(()) => crate::kept::remove_others(dir, &file, PREFIX, ""),
            Err(e) => tracing::debug!(path = %file.display(), error = %e, "cannot keep the parsed stations"),
        }
    }
    problems.extend(own);
    (stations, kept.then_some(key))
}

fn key(path: &Path, bytes: &[u8], article_ids: &HashSet<&str>) -> u64 {
    let mut h = crate::text::FNV_OFFSET;
    let mut put = |b: &[u8]| {
        h = crate::text::fnv1a(b, h);
        // Never part of UTF-8: no two lists of strings hash as one.
        h = crate::text::fnv1a(&[0xff], h);
    };
    put(FORMAT.as_bytes());
    for f in Station::FIELDS {
        put(f.name.as_bytes());
    }
    put(path.as_os_str().as_encoded_bytes());
    put(bytes);
    let mut ids: Vec<&str> = article_ids.iter().copied().collect();
    ids.sort_unstable();
    for id in ids {
        put(id.as_bytes());
    }
    h
}

fn file(dir: &Path, key: u64) -> PathBuf {
    dir.join(format!("{PREFIX}{key:016x}.json"))
}

fn read(file: &Path) -> Option<Vec<Station>> {
    let bytes = std::fs::read(file).ok()?;
    let kept: Kept = serde_json::from_slice(&bytes).ok()?;
    if kept.coords.len() != kept.stations.len() {
        return None;
    }
    let mut stations = kept.stations;
    // Grown by doubling while parsing: up to a third of it was room.
    stations.shrink_to_fit();
    for (s, &(lat, lon)) in stations.iter_mut().zip(&kept.coords) {
        s.lat = f64::from_bits(lat);
        s.lon = f64::from_bits(lon);
        // A kept list parsed without a problem: its hours parsed.
        s.parsed_hours = match &s.hours {
            Some(h) => Some(Hours::parse(h)?),
            None => None,
        };
    }
    Some(stations)
}

fn write(file: &Path, stations: &[Station]) -> std::io::Result<()> {
    std::fs::create_dir_all(file.parent().unwrap_or(Path::new(".")))?;
    let kept = Kept { stations: stations.to_vec(), coords: stations.iter().map(|s| (s.lat.to_bits(), s.lon.to_bits())).collect() };
    let json = serde_json::to_vec(&kept).map_err(std::io::Error::other)?;
    crate::kept::write_aside(file, |w| w.write_all(&json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_stations_are_the_parsed_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let (k, _) = crate::knowledge::Knowledge::load(&dir).expect("the seed knowledge loads");
        let ids: HashSet<&str> = k.articles.iter().map(|a| a.id.as_str()).collect();
        let path = dir.join(crate::knowledge::STATIONS_FILE);
        let data = tempfile::tempdir().unwrap();
        let mut problems = Vec::new();
        let parsed = load(&path, &ids, Some(data.path()), &mut problems, None).0;
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(parsed, k.stations);
        let kept: Vec<_> = std::fs::read_dir(data.path()).unwrap().flatten().map(|e| e.path()).collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        // Read back: the same stations, coordinates and parsed hours included.
        let read_back = load(&path, &ids, Some(data.path()), &mut problems, None).0;
        assert_eq!(read_back, k.stations);
        assert!(read_back.iter().any(|s| s.parsed_hours.is_some()));
        // Other article ids: another file (a cited article may be gone), the old one removed.
        let fewer: HashSet<&str> = ids.iter().copied().filter(|id| *id != k.stations[0].sources[0]).collect();
        let refused = load(&path, &fewer, Some(data.path()), &mut problems, None).0;
        assert!(!problems.is_empty(), "a station citing a missing article is reported");
        assert_eq!(refused.len(), k.stations.len());
        assert!(kept[0].exists(), "a list with problems is not kept and removes nothing");
        // A damaged file is parsed again.
        std::fs::write(&kept[0], b"{\"stations\": [").unwrap();
        problems.clear();
        assert_eq!(load(&path, &ids, Some(data.path()), &mut problems, None).0, k.stations);
        assert!(problems.is_empty());
    }
}
