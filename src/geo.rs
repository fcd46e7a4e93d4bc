//! Distances, the nearest stations, place names in questions, Beijing time and
//! map links.
//!
//! Coordinates are WGS-84 throughout (what Telegram and phones report). Map
//! links declare it, because Amap and Baidu assume their own shifted systems
//! (GCJ-02, BD-09) otherwise and would put the pin a few hundred metres off.

use crate::knowledge::{Place, Station};

/// Beijing's bounding box (generous by a few kilometres).
pub const BEIJING_LAT: (f64, f64) = (39.40, 41.10);
pub const BEIJING_LON: (f64, f64) = (115.40, 117.55);

/// How many stations a nearby answer lists.
pub const NEAREST_COUNT: usize = 5;
/// Stations further than this are "not nearby"; we still list the closest ones,
/// but say that nothing is close.
pub const NEARBY_RADIUS_M: f64 = 5_000.0;

/// Whether a point lies in Beijing's bounding box.
pub fn in_beijing(lat: f64, lon: f64) -> bool {
    (BEIJING_LAT.0..=BEIJING_LAT.1).contains(&lat) && (BEIJING_LON.0..=BEIJING_LON.1).contains(&lon)
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().atan2((1.0 - a).sqrt())
}

/// Indexes of the `k` stations nearest to a point, with their distances, nearest first.
pub fn nearest(stations: &[Station], lat: f64, lon: f64, k: usize) -> Vec<(usize, f64)> {
    let mut all: Vec<(usize, f64)> = stations.iter().enumerate().map(|(i, s)| (i, haversine_m(lat, lon, s.lat, s.lon))).collect();
    let k = k.min(all.len());
    if k == 0 {
        return Vec::new();
    }
    all.select_nth_unstable_by(k - 1, |a, b| a.1.total_cmp(&b.1));
    all.truncate(k);
    all.sort_by(|a, b| a.1.total_cmp(&b.1));
    all
}

/// A place mentioned in a question, found by the longest name or alias.
pub fn find_place<'a>(places: &'a [Place], normalized_question: &str) -> Option<&'a Place> {
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

    #[test]
    fn formats_distance() {
        assert_eq!(format_distance(847.0), "850米");
        assert_eq!(format_distance(3_240.0), "3.2公里");
    }
}
