//! `import-stations`: a spreadsheet export (CSV) of union stations turned into
//! `stations.yaml` entries.
//!
//! Header names may be Chinese or English (名称/name, 区/district, 地址/address,
//! 纬度/lat, 经度/lon, 开放时间/hours, 服务/services). Every row is accounted
//! for: imported, refused with its line and the reason, or skipped as a
//! duplicate with the line of the first one. No good row is dropped silently.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::stations::{Hours, Station};

/// The columns we read, with the header names that mean them.
const COLUMNS: &[(Col, &[&str])] = &[
    (Col::Name, &["name", "名称", "站点名称", "驿站名称", "站名", "站点"]),
    (Col::District, &["district", "区", "所属区", "区域", "行政区", "所在区"]),
    (Col::Address, &["address", "地址", "详细地址", "站点地址"]),
    (Col::Lat, &["lat", "latitude", "纬度"]),
    (Col::Lon, &["lon", "lng", "long", "longitude", "经度"]),
    (Col::Hours, &["hours", "开放时间", "营业时间", "服务时间", "开放时段"]),
    (Col::Services, &["services", "服务", "服务内容", "服务项目", "功能"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Name,
    District,
    Address,
    Lat,
    Lon,
    Hours,
    Services,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The line in the CSV file (the header is line 1).
    pub line: usize,
    pub reason: String,
}

/// The outcome of reading a CSV file.
#[derive(Debug, Clone, Default)]
pub struct Import {
    pub stations: Vec<Station>,
    /// The CSV line of each of `stations`, in the same order.
    pub lines: Vec<usize>,
    pub refused: Vec<Refused>,
    /// Rows equal (same name and address) to an earlier row or an existing station.
    pub duplicates: Vec<Refused>,
    /// Rows imported with a remark (e.g. hours kept as text only).
    pub remarks: Vec<Refused>,
    /// Data rows read (not counting the header and blank lines).
    pub rows: usize,
}

/// Reads a CSV export. `existing` are the stations already in stations.yaml
/// (for duplicates); `file_name` is recorded as each station's `source_file`.
pub fn read_csv(path: &Path, existing: &[Station]) -> Result<Import> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: not UTF-8 text; export the spreadsheet as \"CSV UTF-8\"", path.display()))?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parse(&text, &file_name, existing)
}

/// Parses CSV text (see [`read_csv`]).
pub fn parse(text: &str, file_name: &str, existing: &[Station]) -> Result<Import> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().context("line 1: cannot read the header row")?.clone();
    let mut index: HashMap<Col, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        if let Some((col, _)) = COLUMNS.iter().find(|(_, names)| names.contains(&h.as_str())) {
            index.entry(*col).or_insert(i);
        }
    }
    let missing: Vec<&str> = [(Col::Name, "name/名称"), (Col::Lat, "lat/纬度"), (Col::Lon, "lon/经度")]
        .iter()
        .filter(|(c, _)| !index.contains_key(c))
        .map(|(_, n)| *n)
        .collect();
    if !missing.is_empty() {
        bail!("line 1: the header has no column {} (found: {})", missing.join(", "), headers.iter().collect::<Vec<_>>().join(", "));
    }
    if !index.contains_key(&Col::Address) && !index.contains_key(&Col::District) {
        bail!("line 1: the header needs an address/地址 or a district/区 column");
    }

    let mut out = Import::default();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut ids: HashMap<String, usize> = existing.iter().map(|s| (s.id.clone(), 0)).collect();
    for s in existing {
        seen.insert(key(&s.name, &s.address), 0);
    }
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                out.rows += 1;
                out.refused.push(Refused { line, reason: format!("cannot read the row: {e}") });
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        out.rows += 1;
        let get = |c: Col| index.get(&c).and_then(|&i| record.get(i)).map(str::trim).unwrap_or("");
        let name = get(Col::Name);
        if name.is_empty() {
            out.refused.push(Refused { line, reason: "no name".into() });
            continue;
        }
        let (lat, lon) = match (parse_coord(get(Col::Lat)), parse_coord(get(Col::Lon))) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                out.refused.push(Refused { line, reason: format!("\"{name}\": lat/lon \"{}\", \"{}\" are not numbers", get(Col::Lat), get(Col::Lon)) });
                continue;
            }
        };
        if !super::in_beijing(lat, lon) {
            let reason = if super::in_beijing(lon, lat) {
                format!("\"{name}\": lat and lon look swapped ({lat}, {lon})")
            } else {
                format!("\"{name}\": {lat}, {lon} is outside Beijing")
            };
            out.refused.push(Refused { line, reason });
            continue;
        }
        let district = get(Col::District).to_string();
        let address = match get(Col::Address) {
            "" => district.clone(),
            a => a.to_string(),
        };
        let k = key(name, &address);
        if let Some(&first) = seen.get(&k) {
            let reason = if first == 0 { format!("\"{name}\" is already in stations.yaml") } else { format!("\"{name}\" repeats line {first}") };
            out.duplicates.push(Refused { line, reason });
            continue;
        }
        seen.insert(k, line);
        let hours_raw = get(Col::Hours);
        let hours = normalize_hours(hours_raw);
        if !hours_raw.is_empty() && hours.is_none() {
            out.remarks.push(Refused { line, reason: format!("\"{name}\": hours \"{hours_raw}\" kept as text only (not understood, so no \"open now\")") });
        }
        let services: Vec<String> = get(Col::Services)
            .split(['、', ',', '，', ';', '；', '/', '|'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let mut id = format!("st-{:08x}", crate::text::fnv1a(format!("{name}|{address}").as_bytes(), crate::text::FNV_OFFSET) as u32);
        while ids.contains_key(&id) {
            id.push('x');
        }
        ids.insert(id.clone(), line);
        out.lines.push(line);
        out.stations.push(Station {
            id,
            name: name.to_string(),
            aliases: Vec::new(),
            kind: "工会驿站".into(),
            district,
            address,
            lat,
            lon,
            precision: super::stations::Precision::Exact,
            coord_note: String::new(),
            parsed_hours: hours.as_deref().and_then(Hours::parse),
            hours,
            hours_text: (!hours_raw.is_empty()).then(|| hours_raw.to_string()),
            services,
            expected_services: Vec::new(),
            serves: Vec::new(),
            description: String::new(),
            sources: Vec::new(),
            source_file: Some(file_name.to_string()),
            unsourced: Default::default(),
        });
    }
    Ok(out)
}

/// The YAML text of imported stations, to append to stations.yaml.
pub fn to_yaml(stations: &[Station], file_name: &str) -> Result<String> {
    let body = serde_yaml::to_string(stations)?;
    Ok(format!("\n# imported from {file_name} by `union-bot import-stations` ({} stations)\n{body}", stations.len()))
}

fn key(name: &str, address: &str) -> (String, String) {
    (crate::text::normalize(name).replace(' ', ""), crate::text::normalize(address).replace(' ', ""))
}

fn parse_coord(s: &str) -> Option<f64> {
    let v: f64 = s.trim().trim_end_matches('°').parse().ok()?;
    v.is_finite().then_some(v)
}

/// Hours in the spreadsheet's words → "HH:MM-HH:MM" or "24h" when clear.
fn normalize_hours(s: &str) -> Option<String> {
    let t: String = s.chars().map(crate::text::fold_width).filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return None;
    }
    if t.contains("24小时") || t == "24h" || t == "全天" || t.contains("全天开放") {
        return Some("24h".into());
    }
    let (a, b) = t.split_once(['-', '~', '至', '到', '–'])?;
    let hm = |x: &str| -> Option<String> {
        let x = x.trim_end_matches('点');
        let (h, m) = x.split_once(':').unwrap_or((x, "00"));
        let h: u16 = h.parse().ok()?;
        let m: u16 = m.parse().ok()?;
        (h <= 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
    };
    let v = format!("{}-{}", hm(a)?, hm(b)?);
    Hours::parse(&v).map(|_| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chinese_headers_and_reports_every_row() {
        let csv = "\u{feff}名称,所属区,地址,纬度,经度,开放时间,服务内容\n\
                   望京驿站,朝阳区,望京街1号,39.9965,116.4705,9:00-18:00,喝水、休息\n\
                   ,朝阳区,无名,39.99,116.47,,\n\
                   坏坐标,海淀区,某路,abc,116.3,,\n\
                   上海驿站,外地,南京路,31.23,121.47,,\n\
                   反了,海淀区,某路2号,116.3,39.9,,\n\
                   \"带,逗号的驿站\",东城区,\"东直门, 1号\",39.94,116.43,24小时,充电\n\
                   望京驿站,朝阳区,望京街1号,39.9965,116.4705,,\n\
                   时间怪,西城区,西单,39.91,116.37,周一到周五,\n";
        let r = parse(csv, "list.csv", &[]).unwrap();
        assert_eq!(r.rows, 8);
        assert_eq!(r.stations.len(), 3, "{:?}", r.refused);
        assert_eq!(r.lines, vec![2, 7, 9], "the line of each imported row");
        assert_eq!(r.refused.iter().map(|x| x.line).collect::<Vec<_>>(), vec![3, 4, 5, 6]);
        assert!(r.refused[3].reason.contains("swapped"));
        assert_eq!(r.duplicates.len(), 1);
        assert!(r.duplicates[0].reason.contains("repeats line 2"));
        assert_eq!(r.remarks.len(), 1);
        assert_eq!(r.stations[0].hours.as_deref(), Some("09:00-18:00"));
        assert_eq!(r.stations[1].name, "带,逗号的驿站");
        assert_eq!(r.stations[1].hours.as_deref(), Some("24h"));
        assert_eq!(r.stations[0].services, vec!["喝水", "休息"]);
        assert_eq!(r.rows, r.stations.len() + r.refused.len() + r.duplicates.len(), "every row accounted for");
    }

    #[test]
    fn refuses_a_header_without_coordinates() {
        let err = parse("name,address\nA,B\n", "x.csv", &[]).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("lat"), "{err}");
    }

    #[test]
    fn understands_common_hour_formats() {
        assert_eq!(normalize_hours("8:30-20:00").as_deref(), Some("08:30-20:00"));
        assert_eq!(normalize_hours("9点到18点").as_deref(), Some("09:00-18:00"));
        assert_eq!(normalize_hours("全天开放").as_deref(), Some("24h"));
        assert_eq!(normalize_hours("工作日"), None);
    }
}
