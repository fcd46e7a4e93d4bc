//! Every sentence an editor or an operator reads about the files: problems in
//! `knowledge/` (`check`, a refused edit), a data directory that cannot be
//! used, the journal. What a worker reads is in [`crate::reply`]; this module
//! is beside it and below everything (it uses nothing of the crate), so the
//! knowledge loader, the index and the journal can all speak from one place.

use std::fmt::Write as _;
use std::path::Path;

// ------------------------------------------------------------ YAML files

/// What a field holds, as an editor reads it.
pub fn kind_name(kind: &str) -> &'static str {
    match kind {
        "number" => "数字",
        "list" => "列表",
        "map" => "一组“词: [同义词, …]”",
        _ => "一段文字",
    }
}

/// A value as found in the file, in a few words ("文字“abc”", "列表").
pub fn describe(value: &serde_yaml::Value) -> String {
    use serde_yaml::Value;
    match value {
        Value::Null => "空".to_string(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("数字 {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(24).collect();
            let more = if s.chars().count() > 24 { "…" } else { "" };
            format!("文字“{short}{more}”")
        }
        Value::Sequence(_) => "一个列表".to_string(),
        Value::Mapping(_) => "一组键值（key: value）".to_string(),
        Value::Tagged(t) => format!("带标签 {} 的值", t.tag),
    }
}

/// `lat 应为数字，如 39.9965（这里是文字“北纬39度”）`
pub fn wrong_type(field: &str, kind: &str, example: &str, found: &serde_yaml::Value) -> String {
    let mut s = format!("{field} 应为{}，如 {example}（这里是{}）", kind_name(kind), describe(found));
    if kind == "number"
        && let serde_yaml::Value::String(text) = found
    {
        if text.trim().parse::<f64>().is_ok() {
            s.push_str("；数字不要加引号");
        } else if text.contains(',') || text.contains('，') || text.contains('。') {
            s.push_str("；小数点请用英文句点 .");
        }
    }
    s
}

/// `questions 的第 3 项应为一段文字（这里是一个列表）`
pub fn wrong_item(field: &str, index: usize, found: &serde_yaml::Value) -> String {
    format!("{field} 的第 {} 项应为一段文字（这里是{}）", index + 1, describe(found))
}

/// `synonyms 下“热线”的同义词应为列表，如 热线: [电话, 号码]（这里是…）`
pub fn wrong_synonyms(field: &str, word: &str, found: &serde_yaml::Value) -> String {
    format!("{field} 下“{word}”的同义词应为列表，如 {word}: [词一, 词二]（这里是{}）", describe(found))
}

/// A field the entry must have.
pub fn missing_field(what: &str, n: usize, field: &str, example: &str) -> String {
    format!("第 {n} 个{what}缺少 {field}（如 {field}: {example}）")
}

/// A required field written without a value.
pub fn empty_field(field: &str, kind: &str, example: &str) -> String {
    format!("{field} 没有填写，应为{}，如 {example}", kind_name(kind))
}

/// A field the file does not know, with the closest known one when there is
/// one (a typo), else the list of the known ones.
pub fn unknown_field(what: &str, field: &str, known: &[&str]) -> String {
    let mut s = format!("{what}不认识字段 {field}");
    match closest(field, known) {
        Some(k) => {
            let _ = write!(s, "：是不是 {k}？");
        }
        None => {
            let _ = write!(s, "（可用的字段：{}）", known.join(", "));
        }
    }
    s
}

/// An entry that is not `key: value` lines.
pub fn entry_not_a_map(what: &str, n: usize, found: &serde_yaml::Value) -> String {
    format!("第 {n} 个{what}应为一组“字段: 值”（每行一个，如 id: join-how），这里是{}", describe(found))
}

/// A key that is not a word (`1: …`, `[a]: …`).
pub fn key_not_text(found: &serde_yaml::Value) -> String {
    format!("字段名应为文字，这里是{}", describe(found))
}

/// A file that must be a list of entries.
pub const NOT_A_LIST: &str = "文件应为一个条目列表（每个条目以“- ”开头）";
/// A file that must be `key: value` sections (synonyms.yaml).
pub const NOT_A_MAP: &str = "文件应为几组“名称: 内容”（synonyms:、user_words:、stopwords: …）";
/// A file that is not UTF-8.
pub const NOT_UTF8: &str = "文件不是 UTF-8 文本（请用 UTF-8 编码另存）";

/// A syntax error, with the parser's own words after the plain ones.
pub fn yaml_syntax(detail: &str) -> String {
    format!("YAML 格式错误（常见原因：缩进不齐、冒号后少了空格、引号没有成对）：{detail}")
}

/// A file that cannot be read.
pub fn cannot_read(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "找不到这个文件".to_string(),
        _ => format!("无法读取这个文件：{}", io_reason(e)),
    }
}

/// Something inside went wrong turning a checked entry into data (never
/// expected: the fields were checked one by one before).
pub fn entry_unreadable(what: &str, n: usize, detail: &str) -> String {
    format!("第 {n} 个{what}无法读取：{detail}")
}

// ------------------------------------------------------------ directories

/// The knowledge directory does not exist (or is not a directory).
pub fn knowledge_dir_missing(dir: &Path, cwd: Option<&Path>) -> String {
    let here = cwd.map(|c| format!("（当前目录是 {}）", c.display())).unwrap_or_default();
    format!(
        "找不到知识库目录 {}{here}。请在项目目录里运行（那里有 knowledge/），或用 --knowledge 目录 或环境变量 KNOWLEDGE_DIR 指明知识库的位置",
        dir.display()
    )
}

/// The directory exists but holds none of the knowledge files.
pub fn knowledge_dir_empty(dir: &Path) -> String {
    format!("{} 里没有 faq.yaml、stations.yaml、places.yaml、synonyms.yaml 和 articles/，不像知识库目录；请用 --knowledge 指明正确的目录", dir.display())
}

/// The knowledge has errors (listed after this line).
pub fn knowledge_refused(dir: &Path) -> String {
    format!("知识库 {} 有错误，没有加载（union-bot check 列出全部问题）：", dir.display())
}

/// Why an I/O operation failed, in plain words.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let words = match e.kind() {
        K::PermissionDenied => "没有写入权限",
        K::ReadOnlyFilesystem => "所在的文件系统是只读的",
        K::StorageFull => "磁盘已满",
        K::QuotaExceeded => "超出了磁盘配额",
        K::NotADirectory => "路径中有一段是文件而不是目录",
        K::IsADirectory => "这里应是文件，却是一个目录",
        K::NotFound => "不存在",
        _ => return format!("{e}"),
    };
    match e.raw_os_error() {
        Some(code) => format!("{words}（系统错误 {code}）"),
        None => words.to_string(),
    }
}

/// The data directory cannot take the index; the bot answers from an index
/// built in memory.
pub fn index_in_memory(dir: &Path, e: &std::io::Error) -> String {
    format!(
        "数据目录 {} 无法写入（{}）：文章索引这次只建在内存里，照常回答，但每次启动都要重建。请让这个目录可写（或用 --data 目录 / DATA_DIR 换一个），再运行 union-bot index",
        dir.display(),
        io_reason(e)
    )
}

/// The index cannot be built into the data directory (`union-bot index`).
pub fn index_not_written(dir: &Path, e: &std::io::Error) -> String {
    format!("数据目录 {} 无法写入（{}），索引没有建成。请让这个目录可写，或用 --data 目录 / DATA_DIR 指定一个可写的目录", dir.display(), io_reason(e))
}

/// An index on disk that cannot be read.
pub fn index_unreadable(dir: &Path, detail: &str) -> String {
    format!("数据目录里的索引 {} 无法读取（{detail}）；删除这个目录后会自动重建", dir.display())
}

// ------------------------------------------------------------ the journal

/// The journal cannot be written: logged once, the lines are dropped.
pub fn journal_not_writable(dir: &Path, e: &std::io::Error) -> String {
    format!(
        "数据目录 {} 无法写入（{}）：答不上来的问题和使用统计暂不记录，回答不受影响。请检查目录的权限和磁盘空间；恢复后会自动接着记录",
        dir.display(),
        io_reason(e)
    )
}

/// The journal could be written again after failing.
pub const JOURNAL_WRITABLE_AGAIN: &str = "数据目录又可以写入了，日志接着记录";
/// The compaction at start failed (the journal keeps working).
pub const JOURNAL_NOT_COMPACTED: &str = "日志没能清理过期的记录，下次启动再试";

/// `JOURNAL_DAYS` is not a number of days.
pub fn bad_journal_days(value: &str) -> String {
    format!("JOURNAL_DAYS 应为保留日志的天数（1 或更大的整数，默认 90），这里是 {value:?}")
}

/// The known field closest to a mistyped one (at most two edits away, or
/// the same letters in another case).
fn closest<'a>(field: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = field.to_lowercase();
    known.iter().map(|k| (edit_distance(&lower, k), *k)).filter(|(d, k)| *d <= 2.min(k.len() / 2).max(1)).min_by_key(|(d, _)| *d).map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_field_it_meant() {
        let known = ["id", "topic", "questions", "answer", "sources", "follow_ups"];
        assert!(unknown_field("条目", "question", &known).contains("是不是 questions"));
        assert!(unknown_field("条目", "Topic", &known).contains("是不是 topic"));
        assert!(unknown_field("条目", "colour", &known).contains("可用的字段：id, topic"));
    }

    #[test]
    fn a_number_in_quotes_is_told_so() {
        let m = wrong_type("lat", "number", "39.9965", &serde_yaml::Value::String("39.99".into()));
        assert_eq!(m, "lat 应为数字，如 39.9965（这里是文字“39.99”）；数字不要加引号");
        let m = wrong_type("lat", "number", "39.9965", &serde_yaml::Value::String("39，99".into()));
        assert!(m.ends_with("小数点请用英文句点 ."), "{m}");
    }
}
