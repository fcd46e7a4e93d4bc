//! `stations.yaml`: the union stations (工会驿站) the articles name, with
//! WGS-84 coordinates and opening hours.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Problem;
use super::yaml::{self, Field, FieldKind::*};

/// One station.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Station {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    pub district: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub precision: Precision,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub coord_note: String,
    /// Machine-readable hours: "HH:MM-HH:MM" or "24h".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// The source's own words for the hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_text: Option<String>,
    /// What the articles say this station offers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// What a station of its kind is expected to offer, added by an editor
    /// from what the articles say of stations in general (朝阳's aim of
    /// 歇脚、饮水、如厕、充电), not of this station: shown as "一般驿站提供…".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_services: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serves: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Article ids the station is named in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// The station list a station was imported from (`import-stations`),
    /// cited instead of an article.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    /// Claims (services, hours text, district) deliberately not in the cited
    /// articles, each with the editor's reason (claim → reason).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unsourced: BTreeMap<String, String>,
    /// Parsed `hours` (filled in by the loader).
    #[serde(skip)]
    pub parsed_hours: Option<Hours>,
}

/// How exact a station's coordinates are: `precision: exact | landmark |
/// area | district` in stations.yaml (any other word is refused, with its
/// line, when the file is loaded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Surveyed or taken from a map at the door.
    Exact,
    /// A landmark the article names (a market, a building): within a street or so (the default).
    #[default]
    Landmark,
    /// Only the neighbourhood is known.
    Area,
    /// Only the district is known.
    District,
}

impl Precision {
    /// Whether the coordinates are only an estimate of the area or district.
    pub fn is_approximate(self) -> bool {
        matches!(self, Precision::Area | Precision::District)
    }
}

impl Station {
    /// Whether the point may be used for a distance: a `district` point is
    /// only the district's representative point (the article names no place
    /// that can be found), so no distance is shown for it and no pin dropped.
    pub fn locatable(&self) -> bool {
        self.precision != Precision::District
    }
}

/// Opening hours in minutes after midnight, Beijing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hours {
    AllDay,
    /// Open from `open` to `close` (minutes after midnight); `close` may be
    /// smaller than `open` for hours past midnight.
    Daily {
        open: u16,
        close: u16,
    },
}

impl Hours {
    /// Parses "24h" / "24小时" / "00:00-24:00" or "HH:MM-HH:MM".
    pub fn parse(s: &str) -> Option<Hours> {
        let s = s.trim();
        if matches!(s, "24h" | "24H" | "24小时" | "全天") {
            return Some(Hours::AllDay);
        }
        let (a, b) = s.split_once('-').or_else(|| s.split_once('–')).or_else(|| s.split_once('~'))?;
        let open = parse_hhmm(a.trim())?;
        let close = parse_hhmm(b.trim())?;
        if open == 0 && close == 24 * 60 || open == close {
            return Some(Hours::AllDay);
        }
        Some(Hours::Daily { open, close })
    }

    /// Whether the station is open at `minute` (0..1440) of the day.
    pub fn is_open_at(self, minute: u16) -> bool {
        match self {
            Hours::AllDay => true,
            Hours::Daily { open, close } if open < close => minute >= open && minute < close,
            Hours::Daily { open, close } => minute >= open || minute < close,
        }
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':').or_else(|| s.split_once('：'))?;
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

impl yaml::Schema for Station {
    const WHAT: &'static str = "驿站";
    const FIELDS: &'static [Field] = &[
        Field::required("id", Text, "huairou-fushang"),
        Field::required("name", Text, "富商驿站"),
        Field::optional("aliases", TextList, "[富商骑手驿站]"),
        Field::optional("kind", Text, "工会驿站"),
        Field::required("district", Text, "怀柔区"),
        Field::required("address", Text, "怀柔区青春路富商大厦"),
        Field::required("lat", Number, "39.9965"),
        Field::required("lon", Number, "116.3974"),
        Field::optional("precision", Text, "landmark"),
        Field::optional("coord_note", Text, "按大厦位置估计"),
        Field::optional("hours", Text, "\"09:00-18:00\""),
        Field::optional("hours_text", Text, "全天24小时开放"),
        Field::optional("services", TextList, "[饮水, 充电]"),
        Field::optional("expected_services", TextList, "[歇脚, 饮水, 如厕, 充电]"),
        Field::optional("serves", TextList, "[外卖骑手, 快递员]"),
        Field::optional("description", Text, "商圈里的24小时驿站"),
        Field::optional("sources", TextList, "[004-01]"),
        Field::optional("source_file", Text, "stations.csv"),
        Field::optional("unsourced", TextMap, "{西城区: 报道未写所在区}"),
    ];
}

/// Checks the bytes of a `stations.yaml` (named `path` in the problems)
/// against the article ids, as [`load`] does the file.
pub fn parse(path: &Path, bytes: &[u8], article_ids: &HashSet<&str>, problems: &mut Vec<Problem>) -> Vec<Station> {
    let Some((text, items)) = yaml::parse_list::<Station>(path, bytes, problems) else {
        return Vec::new();
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let mut s = item.value.clone();
        let id_line = item.line_of(&text, "id");
        if !item.ok("id") {
            // Already reported as wrong or missing.
        } else if s.id.trim().is_empty() {
            problems.push(Problem::error(path, id_line, "station has an empty id"));
        } else if let Some(first) = seen.get(&s.id) {
            problems.push(Problem::error(path, id_line, format!("duplicate station id \"{}\" (first used on line {first})", s.id)));
        } else {
            seen.insert(s.id.clone(), id_line);
        }
        if item.ok("name") && s.name.trim().is_empty() {
            problems.push(Problem::error(path, item.line_of(&text, "name"), format!("station \"{}\" has an empty name", s.id)));
        }
        if item.ok("lat") && item.ok("lon") && (!s.lat.is_finite() || !s.lon.is_finite() || !super::in_beijing(s.lat, s.lon)) {
            problems.push(Problem::error(
                path,
                item.line_of(&text, "lat"),
                format!(
                    "station \"{}\": coordinates {}, {} are outside Beijing (lat {}..{}, lon {}..{}); check that lat and lon are not swapped",
                    s.id, s.lat, s.lon, super::BEIJING_LAT.0, super::BEIJING_LAT.1, super::BEIJING_LON.0, super::BEIJING_LON.1
                ),
            ));
        }
        if let Some(h) = &s.hours {
            match Hours::parse(h) {
                Some(p) => s.parsed_hours = Some(p),
                None => problems.push(Problem::error(
                    path,
                    item.line_of(&text, "hours"),
                    format!("station \"{}\": hours \"{h}\" do not parse; write \"09:00-18:00\" or \"24h\"", s.id),
                )),
            }
        }
        if s.sources.is_empty() && s.source_file.is_none() {
            problems.push(Problem::error(
                path,
                item.line_of(&text, "sources"),
                format!("station \"{}\" cites no source article (sources) or station list (source_file)", s.id),
            ));
        }
        for src in &s.sources {
            if !article_ids.contains(src.as_str()) {
                problems.push(Problem::error(
                    path,
                    item.line_of(&text, "sources"),
                    format!("station \"{}\" cites article \"{src}\", which is not in knowledge/articles/", s.id),
                ));
            }
        }
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hours() {
        assert_eq!(Hours::parse("09:00-18:00"), Some(Hours::Daily { open: 540, close: 1080 }));
        assert_eq!(Hours::parse("24h"), Some(Hours::AllDay));
        assert_eq!(Hours::parse("00:00-24:00"), Some(Hours::AllDay));
        assert_eq!(Hours::parse("9点到6点"), None);
        assert_eq!(Hours::parse("25:00-18:00"), None);
        let h = Hours::parse("22:00-06:00").unwrap();
        assert!(h.is_open_at(23 * 60) && h.is_open_at(60) && !h.is_open_at(12 * 60));
        let d = Hours::parse("09:00-18:00").unwrap();
        assert!(d.is_open_at(9 * 60) && !d.is_open_at(18 * 60) && !d.is_open_at(8 * 60 + 59));
    }
}
