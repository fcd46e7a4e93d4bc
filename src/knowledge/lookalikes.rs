//! `lookalikes.yaml`: characters workers type for one another (券 for 卷, 已
//! for 己), which the typo repair ([`crate::repair`]) may swap to reach a
//! domain word. Optional: without the file nothing is swapped.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{Problem, yaml};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    lookalikes: Vec<String>,
}

/// Loads the groups of look-alike characters (each a string of two or more
/// different ideographs); every problem with its line.
pub(super) fn load(path: &Path, problems: &mut Vec<Problem>) -> Vec<String> {
    if !path.exists() {
        return Vec::new();
    }
    let Some(text) = yaml::read(path, problems) else {
        return Vec::new();
    };
    let file: File = match serde_yaml::from_str::<Option<File>>(&text) {
        Ok(f) => f.unwrap_or(File { lookalikes: Vec::new() }),
        Err(e) => {
            problems.push(yaml::syntax_problem(path, &e));
            return Vec::new();
        }
    };
    // The line of each group: the n-th list item of the file.
    let item_lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("- "))
        .map(|(i, _)| i + 1)
        .collect();
    let mut owner: HashMap<char, (String, usize)> = HashMap::new();
    let mut out = Vec::new();
    for (i, group) in file.lookalikes.into_iter().enumerate() {
        let line = item_lines.get(i).copied().unwrap_or(1);
        let g: String = group.chars().filter(|c| !c.is_whitespace() && *c != '/' && *c != ',' && *c != '，').collect();
        let chars: Vec<char> = g.chars().collect();
        if chars.len() < 2 {
            problems.push(Problem::error(path, line, format!("look-alike group \"{group}\" needs at least two characters")));
            continue;
        }
        if let Some(c) = chars.iter().find(|c| !crate::text::is_han(**c)) {
            problems.push(Problem::error(path, line, format!("look-alike group \"{group}\": \"{c}\" is not a Chinese character")));
            continue;
        }
        let mut bad = false;
        for (k, c) in chars.iter().enumerate() {
            if chars[..k].contains(c) {
                problems.push(Problem::error(path, line, format!("look-alike group \"{group}\" lists \"{c}\" twice")));
                bad = true;
            } else if let Some((other, other_line)) = owner.get(c) {
                problems.push(Problem::error(
                    path,
                    line,
                    format!("\"{c}\" is in look-alike group \"{group}\" and in \"{other}\" (line {other_line}); a character may belong to one group only"),
                ));
                bad = true;
            }
        }
        if bad {
            continue;
        }
        for c in &chars {
            owner.insert(*c, (group.clone(), line));
        }
        out.push(g);
    }
    out
}
