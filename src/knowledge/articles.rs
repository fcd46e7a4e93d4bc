//! `articles/*.md`: one newspaper article per file, YAML front matter followed
//! by the body, one paragraph per block.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Problem, yaml};

/// The front matter of an article file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kicker: Option<String>,
    #[serde(default)]
    pub districts: Vec<String>,
    /// The newspaper page file the article was imported from.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// news | photo
    #[serde(default = "default_kind")]
    pub kind: String,
}

fn default_kind() -> String {
    "news".to_string()
}

/// One article, loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub kicker: Option<String>,
    pub districts: Vec<String>,
    pub source: String,
    pub reporter: Option<String>,
    pub kind: String,
    pub paragraphs: Vec<String>,
    /// Path relative to the knowledge directory, as cited to users.
    pub path: String,
}

impl Article {
    pub fn from_parts(front: FrontMatter, paragraphs: Vec<String>, path: String) -> Article {
        Article {
            id: front.id,
            title: front.title,
            subtitle: front.subtitle,
            kicker: front.kicker,
            districts: front.districts,
            source: front.source,
            reporter: front.reporter,
            kind: front.kind,
            paragraphs,
            path,
        }
    }

    pub fn front_matter(&self) -> FrontMatter {
        FrontMatter {
            id: self.id.clone(),
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            kicker: self.kicker.clone(),
            districts: self.districts.clone(),
            source: self.source.clone(),
            reporter: self.reporter.clone(),
            kind: self.kind.clone(),
        }
    }

    /// The file text: front matter, a blank line, then paragraphs separated by blank lines.
    pub fn to_markdown(&self) -> String {
        let fm = serde_yaml::to_string(&self.front_matter()).unwrap_or_default();
        let mut out = format!("---\n{fm}---\n\n");
        for p in &self.paragraphs {
            out.push_str(p);
            out.push_str("\n\n");
        }
        out.pop();
        out
    }

    /// The body as one text.
    pub fn body(&self) -> String {
        self.paragraphs.join("\n")
    }
}

/// Parses an article file's text. `path` is used in problems and as the cited path.
pub fn parse(text: &str, file: &Path, cited_path: String, problems: &mut Vec<Problem>) -> Option<Article> {
    let text = text.trim_start_matches('\u{feff}');
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        problems.push(Problem::error(file, 1, "article must start with a front matter block between two \"---\" lines"));
        return None;
    };
    let Some(end) = rest.find("\n---") else {
        problems.push(Problem::error(file, 1, "front matter is not closed by a \"---\" line"));
        return None;
    };
    let fm_text = &rest[..end + 1];
    let body_start = end + 4;
    let body = rest.get(body_start..).unwrap_or("");
    let front: FrontMatter = match serde_yaml::from_str(fm_text) {
        Ok(f) => f,
        Err(e) => {
            let mut p = yaml::syntax_problem(file, &e);
            p.line += 1; // the opening "---"
            problems.push(p);
            return None;
        }
    };
    let line_of = |key: &str| yaml::line_of_key(text, 1, fm_text.lines().count() + 1, key).unwrap_or(1);
    if front.title.trim().is_empty() {
        problems.push(Problem::error(file, line_of("title"), "article has an empty title"));
    }
    if !matches!(front.kind.as_str(), "news" | "photo") {
        problems.push(Problem::error(file, line_of("kind"), format!("kind \"{}\" must be news or photo", front.kind)));
    }
    let paragraphs: Vec<String> = body
        .split("\n\n")
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(""))
        .filter(|p| !p.trim().is_empty() && p.trim() != "---")
        .collect();
    if paragraphs.is_empty() {
        problems.push(Problem::error(file, fm_text.lines().count() + 2, "article has no text"));
    }
    Some(Article::from_parts(front, paragraphs, cited_path))
}

/// The `*.md` files of the articles directory, sorted.
pub(super) fn files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")).collect();
    files.sort();
    Ok(files)
}

/// Loads every `*.md` in the knowledge directory's articles directory,
/// sorted by file name, with the articles' part of the knowledge's
/// fingerprint (hashed from the bytes read here, see [`super::fingerprint`]).
///
/// With `old` (the articles of the knowledge serving now and that hash) the
/// files are read and hashed first, and when their hash is the same the old
/// articles are taken as they are instead of parsing 3,934 files again (a
/// reload after an edit of a YAML file). Files that loaded once without a
/// problem load again without one.
pub(super) fn load_dir(knowledge_dir: &Path, problems: &mut Vec<Problem>, old: Option<(&[Article], u64)>) -> (Vec<Article>, u64) {
    let Some((old_articles, old_hash)) = old else { return load_dir_once(knowledge_dir, problems) };
    let dir = knowledge_dir.join(super::ARTICLES_DIR);
    let Ok(files) = files(&dir) else { return load_dir_once(knowledge_dir, problems) };
    let mut hash = crate::text::FNV_OFFSET;
    let mut read = Vec::with_capacity(files.len());
    for f in files {
        let bytes = std::fs::read(&f).ok();
        hash = super::fingerprint_file(knowledge_dir, &f, bytes.as_deref(), hash);
        read.push(bytes);
    }
    if hash == old_hash && read.iter().all(Option::is_some) {
        return (old_articles.to_vec(), hash);
    }
    drop(read);
    load_dir_once(knowledge_dir, problems)
}

fn load_dir_once(knowledge_dir: &Path, problems: &mut Vec<Problem>) -> (Vec<Article>, u64) {
    let dir = knowledge_dir.join(super::ARTICLES_DIR);
    let dir = dir.as_path();
    let mut hash = crate::text::FNV_OFFSET;
    let files = match files(dir) {
        Ok(files) => files,
        Err(e) => {
            problems.push(Problem::error(dir, 1, format!("cannot read the articles directory: {e}")));
            return (Vec::new(), hash);
        }
    };
    let mut out: Vec<Article> = Vec::new();
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    for f in files {
        let bytes = yaml::read_bytes(&f, problems);
        hash = super::fingerprint_file(knowledge_dir, &f, bytes.as_deref(), hash);
        let Some(text) = bytes.and_then(|b| yaml::decode(&f, &b, problems)) else { continue };
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let cited = format!("knowledge/articles/{name}");
        let Some(a) = parse(&text, &f, cited, problems) else { continue };
        let stem = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if a.id != stem {
            problems.push(Problem::error(&f, 2, format!("id \"{}\" must match the file name \"{stem}\"", a.id)));
        }
        if let Some(other) = ids.get(&a.id) {
            problems.push(Problem::error(&f, 2, format!("duplicate article id \"{}\" (also in {})", a.id, other.display())));
            continue;
        }
        ids.insert(a.id.clone(), f.clone());
        out.push(a);
    }
    if out.is_empty() && problems.iter().all(|p| p.path != dir) {
        problems.push(Problem::error(dir, 1, "no articles found (run `union-bot import PAGE.txt`)"));
    }
    (out, hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_markdown() {
        let a = Article {
            id: "000-01".into(),
            title: "标题".into(),
            subtitle: Some("副题".into()),
            kicker: None,
            districts: vec!["朝阳区".into()],
            source: "000.txt".into(),
            reporter: Some("记者 某某".into()),
            kind: "news".into(),
            paragraphs: vec!["第一段。".into(), "第二段。".into()],
            path: "knowledge/articles/000-01.md".into(),
        };
        let md = a.to_markdown();
        let mut problems = Vec::new();
        let b = parse(&md, Path::new("000-01.md"), a.path.clone(), &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(a, b);
    }

    #[test]
    fn reports_missing_front_matter() {
        let mut problems = Vec::new();
        assert!(parse("no front matter", Path::new("x.md"), String::new(), &mut problems).is_none());
        assert_eq!(problems.len(), 1);
    }
}
