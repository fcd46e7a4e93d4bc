//! `places.yaml`: Beijing districts, neighbourhoods and landmarks with
//! approximate WGS-84 centres, so that a worker can type "我在望京" instead of
//! sharing a location.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Problem;
use super::yaml::{self, Field, FieldKind::*};

/// One named place.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub name: String,
    /// A short ASCII id (districts: `chaoyang`), the text form of a
    /// district in a follow-up's context (`district_chaoyang`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub kind: PlaceKind,
    #[serde(default)]
    pub district: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub note: String,
}

/// What a place is: `kind: district | area | landmark` in places.yaml
/// (any other word is refused, with its line, when the file is loaded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    /// A district (区): a question about it lists the stations in it.
    District,
    /// A neighbourhood or a stretch of a district (the default).
    #[default]
    Area,
    /// A building, market or street corner.
    Landmark,
}

impl Place {
    pub fn is_district(&self) -> bool {
        self.kind == PlaceKind::District
    }
}

impl yaml::Schema for Place {
    const WHAT: &'static str = "地点";
    const FIELDS: &'static [Field] = &[
        Field::required("name", Text, "望京"),
        Field::optional("id", Text, "chaoyang"),
        Field::optional("aliases", TextList, "[望京SOHO]"),
        Field::optional("kind", Text, "area"),
        Field::optional("district", Text, "朝阳区"),
        Field::required("lat", Number, "39.9965"),
        Field::required("lon", Number, "116.4700"),
        Field::optional("note", Text, "大致中心"),
    ];
}

pub(super) fn load(path: &Path, problems: &mut Vec<Problem>) -> Vec<Place> {
    match yaml::read_bytes(path, problems) {
        Some(bytes) => parse(path, &bytes, problems),
        None => Vec::new(),
    }
}

/// Checks the bytes of a `places.yaml` (named `path` in the problems), as
/// [`load`] does the file.
pub fn parse(path: &Path, bytes: &[u8], problems: &mut Vec<Problem>) -> Vec<Place> {
    let Some((text, items)) = yaml::parse_list::<Place>(path, bytes, problems) else {
        return Vec::new();
    };
    let mut names: HashMap<String, (String, usize)> = HashMap::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let p = item.value.clone();
        let line = item.line_of(&text, "name");
        if item.ok("name") && p.name.trim().is_empty() {
            problems.push(Problem::error(path, line, "place has an empty name"));
        }
        if item.ok("lat") && item.ok("lon") && (!p.lat.is_finite() || !p.lon.is_finite() || !super::in_beijing(p.lat, p.lon)) {
            problems.push(Problem::error(
                path,
                item.line_of(&text, "lat"),
                format!("place \"{}\": coordinates {}, {} are outside Beijing; check that lat and lon are not swapped", p.name, p.lat, p.lon),
            ));
        }
        if let Some(id) = &p.id {
            let id_line = item.line_of(&text, "id");
            // The id goes into a reference (district_<id>) in button data: the rules of FAQ ids.
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                problems.push(Problem::error(path, id_line, format!("place \"{}\": id \"{id}\": use only a-z, 0-9 and '-' (ids go into button data)", p.name)));
            } else if id.len() > 40 {
                problems.push(Problem::error(path, id_line, format!("place \"{}\": id \"{id}\" is longer than 40 characters", p.name)));
            } else if let Some(other) = ids.insert(id.clone(), p.name.clone()) {
                problems.push(Problem::error(path, id_line, format!("id \"{id}\" is used by place \"{other}\" too; an id must name one place")));
            }
        }
        for n in std::iter::once(&p.name).chain(&p.aliases) {
            let key = crate::text::normalize(n);
            if key.is_empty() {
                continue;
            }
            if let Some((other, other_line)) = names.get(&key) {
                if other != &p.name {
                    problems.push(Problem::error(
                        path,
                        line,
                        format!("name \"{n}\" is used by place \"{other}\" too (line {other_line}); a typed name must mean one place"),
                    ));
                }
            } else {
                names.insert(key, (p.name.clone(), line));
            }
        }
        out.push(p);
    }
    out
}
