//! Distances, the nearest stations, place names in questions, Beijing time and
//! map links.
//!
//! Coordinates are WGS-84 throughout (what Telegram and phones report). Map
//! links declare it, because Amap and Baidu assume their own shifted systems
//! (GCJ-02, BD-09) otherwise and would put the pin a few hundred metres off.

use crate::knowledge::{Place, Station};

/// Beijing's bounding box: the knowledge covers Beijing, and holds every
/// coordinate it lists to it (so the box lives with the knowledge).
pub use crate::knowledge::{BEIJING_LAT, BEIJING_LON, in_beijing};

/// How many stations a nearby answer lists.
pub const NEAREST_COUNT: usize = 5;
/// Stations further than this are "not nearby"; we still list the closest ones,
/// but say that nothing is close.
pub const NEARBY_RADIUS_M: f64 = 5_000.0;

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = EARTH_RADIUS_M;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().atan2((1.0 - a).sqrt())
}

/// The mean Earth radius [`haversine_m`] uses, in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The stations sorted by latitude, for nearest-station look-ups that measure
/// only the stations in a band around the point. A station further north or
/// south than the k-th nearest found so far cannot be nearer (a great-circle
/// distance is at least the difference in latitude), so the band stops
/// growing there. A scan of 11,000 stations took 0.6 ms; this takes a few µs
/// and returns the same stations in the same order as a scan of them all
/// (tested).
pub struct StationIndex {
    /// (latitude, longitude, station index), by latitude.
    by_lat: Vec<(f64, f64, u32)>,
}

impl StationIndex {
    pub fn new(stations: &[Station]) -> StationIndex {
        let mut by_lat: Vec<(f64, f64, u32)> = stations.iter().enumerate().map(|(i, s)| (s.lat, s.lon, i as u32)).collect();
        by_lat.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
        StationIndex { by_lat }
    }

    /// A lower bound, in metres, of the distance between two points `dlat`
    /// degrees of latitude apart (a hair under, for rounding).
    fn bound(dlat: f64) -> f64 {
        EARTH_RADIUS_M * dlat.abs().to_radians() * (1.0 - 1e-9) - 1e-6
    }

    /// Indexes of the `k` stations nearest to a point, with their distances,
    /// nearest first (on equal distances, the station listed first).
    pub fn nearest(&self, lat: f64, lon: f64, k: usize) -> Vec<(usize, f64)> {
        let order = |a: &(usize, f64), b: &(usize, f64)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
        let mut best: Vec<(usize, f64)> = Vec::with_capacity(k + 1);
        if k == 0 || !lat.is_finite() || !lon.is_finite() {
            return best;
        }
        let start = self.by_lat.partition_point(|s| s.0 < lat);
        let (mut below, mut above) = (start, start);
        loop {
            let south = (below > 0).then(|| lat - self.by_lat[below - 1].0);
            let north = (above < self.by_lat.len()).then(|| self.by_lat[above].0 - lat);
            let (take_south, dlat) = match (south, north) {
                (None, None) => break,
                (Some(s), None) => (true, s),
                (None, Some(n)) => (false, n),
                (Some(s), Some(n)) => (s <= n, s.min(n)),
            };
            if best.len() == k && Self::bound(dlat) > best[k - 1].1 {
                break;
            }
            let s = if take_south {
                below -= 1;
                self.by_lat[below]
            } else {
                above += 1;
                self.by_lat[above - 1]
            };
            let cand = (s.2 as usize, haversine_m(lat, lon, s.0, s.1));
            let at = best.partition_point(|b| order(b, &cand).is_lt());
            if at < k {
                best.insert(at, cand);
                best.truncate(k);
            }
        }
        best
    }

    /// Every station within `radius_m` of a point, with its distance, nearest
    /// first (on equal distances, the station listed first).
    pub fn within(&self, lat: f64, lon: f64, radius_m: f64) -> Vec<(usize, f64)> {
        if !lat.is_finite() || !lon.is_finite() {
            return Vec::new();
        }
        let span = (radius_m / EARTH_RADIUS_M).to_degrees() * (1.0 + 1e-9) + 1e-9;
        let from = self.by_lat.partition_point(|s| s.0 < lat - span);
        let to = self.by_lat.partition_point(|s| s.0 <= lat + span);
        let mut out: Vec<(usize, f64)> = self.by_lat[from..to]
            .iter()
            .map(|s| (s.2 as usize, haversine_m(lat, lon, s.0, s.1)))
            .filter(|(_, d)| *d <= radius_m)
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }
}

/// Finds the place a question names, as a search for each name would (the longest
/// name or alias of at least two characters, the first listed on a tie), in
/// one pass over the question instead of normalising and searching every
/// name: that was a third of the time spent answering a question.
pub struct PlaceFinder {
    names: Option<aho_corasick::AhoCorasick>,
    /// Per name: its place and its length in characters.
    of: Vec<(usize, usize)>,
}

impl PlaceFinder {
    pub fn new(places: &[Place]) -> PlaceFinder {
        let mut seen = std::collections::HashSet::new();
        let mut names = Vec::new();
        let mut of = Vec::new();
        for (i, p) in places.iter().enumerate() {
            for name in std::iter::once(&p.name).chain(&p.aliases) {
                let n = crate::text::normalize(name);
                let len = n.chars().count();
                if len >= 2 && seen.insert(n.clone()) {
                    names.push(n);
                    of.push((i, len));
                }
            }
        }
        let names = aho_corasick::AhoCorasick::new(&names).ok();
        PlaceFinder { names, of }
    }

    /// The index of the place a normalised question names.
    pub fn find(&self, normalized_question: &str) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for m in self.names.as_ref()?.find_overlapping_iter(normalized_question) {
            let k = m.pattern().as_usize();
            let len = self.of[k].1;
            if best.is_none_or(|(b, l)| len > l || (len == l && k < b)) {
                best = Some((k, len));
            }
        }
        best.map(|(k, _)| self.of[k].0)
    }
}

/// Minutes after midnight, Beijing time (UTC+8 all year, no daylight saving).
pub fn beijing_minute_now() -> u16 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    beijing_minute_of(secs)
}

/// Minutes after midnight in Beijing for a Unix time in seconds.
pub fn beijing_minute_of(unix_secs: u64) -> u16 {
    (((unix_secs + 8 * 3600) % 86_400) / 60) as u16
}

/// An Amap (高德) link that drops a pin at a WGS-84 point.
pub fn amap_url(lat: f64, lon: f64, name: &str) -> String {
    format!(
        "https://uri.amap.com/marker?position={lon:.6},{lat:.6}&name={}&coordinate=wgs84&callnative=1",
        url_encode(name)
    )
}

/// A Baidu map link that drops a pin at a WGS-84 point.
pub fn baidu_url(lat: f64, lon: f64, name: &str) -> String {
    format!(
        "https://api.map.baidu.com/marker?location={lat:.6},{lon:.6}&title={}&content={}&coord_type=wgs84&output=html&src=union-bot",
        url_encode(name),
        url_encode(name)
    )
}

/// Percent-encodes everything but unreserved ASCII.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What a station's hours line shows: its hours ("24小时", "09:00-18:00"),
/// or, when it has none a program can read, the source's own words for them
/// (an imported list's "工作日白天"); `None` when no source states them. The
/// article's prose around the hours ("继…之后的第二座商圈24小时智能化驿站")
/// is never shown as hours.
pub fn hours_shown(hours: Option<&str>, hours_text: Option<&str>) -> Option<String> {
    match hours.map(str::trim).filter(|h| !h.is_empty()) {
        Some("24h") => Some("24小时".to_string()),
        Some(h) => Some(h.to_string()),
        None => hours_text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string),
    }
}

/// "850米" or "3.2公里".
pub fn format_distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{}米", ((m / 10.0).round() * 10.0) as u64)
    } else if m < 100_000.0 {
        format!("{:.1}公里", m / 1000.0)
    } else {
        format!("{:.0}公里", m / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Indexes of the `k` stations nearest to a point, with their distances,
    /// nearest first (on equal distances, the station listed first). A scan of
    /// every station, kept to check [`StationIndex::nearest`] against.
    fn nearest(stations: &[Station], lat: f64, lon: f64, k: usize) -> Vec<(usize, f64)> {
        let mut all: Vec<(usize, f64)> = stations.iter().enumerate().map(|(i, s)| (i, haversine_m(lat, lon, s.lat, s.lon))).collect();
        let k = k.min(all.len());
        if k == 0 {
            return Vec::new();
        }
        let order = |a: &(usize, f64), b: &(usize, f64)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
        all.select_nth_unstable_by(k - 1, order);
        all.truncate(k);
        all.sort_by(order);
        all
    }

    /// A place mentioned in a question, found by the longest name or alias
        /// (a search for each name, kept to check [`PlaceFinder`] against).
    fn find_place<'a>(places: &'a [Place], normalized_question: &str) -> Option<&'a Place> {
        let mut best: Option<(&Place, usize)> = None;
        for p in places {
            for name in std::iter::once(&p.name).chain(&p.aliases) {
                let n = crate::text::normalize(name);
                if n.chars().count() < 2 || !normalized_question.contains(&n) {
                    continue;
                }
                let len = n.chars().count();
                if best.is_none_or(|(_, l)| len > l) {
                    best = Some((p, len));
                }
            }
        }
        best.map(|(p, _)| p)
    }

    #[test]
    fn hours_lines_show_hours_not_prose() {
        assert_eq!(hours_shown(Some("24h"), Some("继望京骑迹驿站之后的第二座商圈24小时智能化驿站")).as_deref(), Some("24小时"));
        assert_eq!(hours_shown(Some("09:00-18:00"), Some("每天早9点到晚6点开放")).as_deref(), Some("09:00-18:00"));
        assert_eq!(hours_shown(None, Some("工作日白天")).as_deref(), Some("工作日白天"));
        assert_eq!(hours_shown(None, None), None);
        assert_eq!(hours_shown(Some(" "), Some("")), None);
    }

    #[test]
    fn haversine_matches_known_distance() {
        // Tiananmen to the Beijing West railway station: about 6.7 km.
        let d = haversine_m(39.9087, 116.3975, 39.8946, 116.3214);
        assert!((d - 6_700.0).abs() < 400.0, "got {d}");
        assert_eq!(haversine_m(40.0, 116.0, 40.0, 116.0), 0.0);
    }

    #[test]
    fn beijing_bounds() {
        assert!(in_beijing(39.9087, 116.3975));
        assert!(!in_beijing(31.2304, 121.4737), "Shanghai");
        assert!(!in_beijing(116.3975, 39.9087), "swapped");
    }

    #[test]
    fn beijing_time_is_utc_plus_eight() {
        // 2024-01-01T00:00:00Z is 08:00 in Beijing.
        assert_eq!(beijing_minute_of(1_704_067_200), 8 * 60);
    }

    #[test]
    fn map_links_declare_wgs84() {
        assert!(amap_url(40.0, 116.0, "驿站").contains("coordinate=wgs84"));
        assert!(baidu_url(40.0, 116.0, "驿站").contains("coord_type=wgs84"));
        assert!(url_encode("a b&").eq("a%20b%26"));
    }

    fn station_at(id: &str, lat: f64, lon: f64) -> Station {
        let yaml = format!("id: {id}\nname: {id}\ndistrict: 朝阳区\naddress: x\nlat: {lat}\nlon: {lon}\nsources: [a]\n");
        serde_yaml::from_str(&yaml).unwrap()
    }

    /// The band search returns what a scan of every station returns, in the
    /// same order, ties (stations at one point) included.
    #[test]
    fn station_index_agrees_with_a_full_scan() {
        let mut rng = crate::sample::Rng::new(7);
        let mut stations: Vec<Station> = (0..3000)
            .map(|i| station_at(&format!("s{i}"), BEIJING_LAT.0 + rng.unit() * 1.7, BEIJING_LON.0 + rng.unit() * 2.15))
            .collect();
        for i in 0..200 {
            let (lat, lon) = (stations[i * 7].lat, stations[i * 7].lon);
            stations.push(station_at(&format!("twin{i}"), lat, lon));
        }
        let index = StationIndex::new(&stations);
        for _ in 0..2000 {
            let (lat, lon) = (BEIJING_LAT.0 - 0.2 + rng.unit() * 2.1, BEIJING_LON.0 - 0.2 + rng.unit() * 2.6);
            for k in [0, 1, 3, 5, 40] {
                assert_eq!(index.nearest(lat, lon, k), nearest(&stations, lat, lon, k), "{k} nearest to {lat},{lon}");
            }
            let mut all: Vec<(usize, f64)> = stations.iter().enumerate().map(|(i, s)| (i, haversine_m(lat, lon, s.lat, s.lon))).collect();
            all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            all.retain(|(_, d)| *d <= NEARBY_RADIUS_M);
            assert_eq!(index.within(lat, lon, NEARBY_RADIUS_M), all, "within 5 km of {lat},{lon}");
        }
        let at = stations[14].clone();
        assert_eq!(index.nearest(at.lat, at.lon, 1)[0].1, 0.0);
        assert!(StationIndex::new(&[]).nearest(40.0, 116.0, 5).is_empty());
    }

    #[test]
    fn place_finder_agrees_with_find_place() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let (k, _) = crate::knowledge::Knowledge::load(&dir).unwrap();
        let finder = PlaceFinder::new(&k.places);
        let mut questions: Vec<String> = k.places.iter().flat_map(|p| std::iter::once(p.name.clone()).chain(p.aliases.clone())).collect();
        for (a, b) in k.places.iter().zip(k.places.iter().skip(7)) {
            questions.push(format!("我在{}和{}之间有驿站吗", a.name, b.name));
            questions.push(format!("{}{}附近", b.aliases.first().unwrap_or(&b.name), a.name));
        }
        questions.extend(["", "怎么入会", "朝阳望京", "我在望京 soho"].map(String::from));
        for q in &questions {
            let norm = crate::text::normalize(q);
            let want = find_place(&k.places, &norm).map(|p| p as *const Place);
            let got = finder.find(&norm).map(|i| &k.places[i] as *const Place);
            assert_eq!(got, want, "place in {q}");
        }
    }

    #[test]
    fn formats_distance() {
        assert_eq!(format_distance(847.0), "850米");
        assert_eq!(format_distance(3_240.0), "3.2公里");
    }
}
