//! A data directory the bot cannot write (issue 13, 14): with a current index
//! it answers as always and writes nothing, without one it answers from an
//! index built in memory; the journal drops its lines with one warning; the
//! errors say which directory and what to do, never tantivy's debug text.
//!
//! Read-only means what it means to the binary: a directory of mode 0555 with
//! files of mode 0444, and the binary run as a user the modes apply to. Root
//! writes anywhere, so when the tests run as root the binary is run as
//! `nobody` through `setpriv` (util-linux).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use union_bot::reply;

use crate::common::fake_telegram::{self as tg, FakeTelegram};
use crate::common::{bin, engine, knowledge_dir};

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// The binary as a user without write access to what is read-only.
fn unprivileged_args() -> (PathBuf, Vec<String>) {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_union-bot"));
    if is_root() {
        let args = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"].iter().map(|s| s.to_string()).chain([exe.display().to_string()]).collect();
        (PathBuf::from("setpriv"), args)
    } else {
        (exe, Vec::new())
    }
}

fn unprivileged() -> Command {
    let (program, args) = unprivileged_args();
    let mut c = Command::new(program);
    c.args(args).env_remove("KNOWLEDGE_DIR").env_remove("DATA_DIR").env_remove("TELOXIDE_TOKEN").env("RUST_LOG", "warn");
    c
}

/// A data directory in a temporary directory the unprivileged user can reach.
struct DataDir {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

impl DataDir {
    fn new() -> DataDir {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = tmp.path().join("data");
        std::fs::create_dir(&path).unwrap();
        DataDir { _tmp: tmp, path }
    }

    /// Makes the directory and everything in it read-only.
    fn freeze(&self) {
        set_modes(&self.path, 0o555, 0o444);
    }

    fn listing(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        walk(&self.path, &mut |p| out.push((p.strip_prefix(&self.path).unwrap().display().to_string(), std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))));
        out.sort();
        out
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        set_modes(&self.path, 0o755, 0o644);
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        f(&p);
        if p.is_dir() {
            walk(&p, f);
        }
    }
}

fn set_modes(dir: &Path, dirs: u32, files: u32) {
    let mut paths = vec![dir.to_path_buf()];
    walk(dir, &mut |p| paths.push(p.to_path_buf()));
    for p in paths {
        let mode = if p.is_dir() { dirs } else { files };
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode));
    }
}

fn run(mut c: Command, data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = c.args(["--knowledge", knowledge_dir().to_str().unwrap(), "--data", data.to_str().unwrap()]).args(args).output().expect("run");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// No debug text of tantivy or of std's errors reaches the user.
fn assert_plain(err: &str) {
    for debug in ["Lockfile", "IoError", "Os {", "kind:", "panicked", ".building-"] {
        assert!(!err.contains(debug), "{debug:?} in:\n{err}");
    }
}

#[test]
fn a_read_only_data_dir_with_a_current_index_answers_and_writes_nothing() {
    let data = DataDir::new();
    let (code, _, err) = run(bin(), &data.path, &["index"]);
    assert_eq!(code, 0, "{err}");
    data.freeze();
    let before = data.listing();

    // The setup is what it claims: this user cannot write there.
    let (code, _, err) = run(unprivileged(), &data.path, &["index"]);
    assert_eq!(code, 2, "index into a read-only directory must fail: {err}");
    assert!(err.contains(&format!("数据目录 {} 无法写入（没有写入权限", data.path.display())), "{err}");
    assert!(err.contains("DATA_DIR"), "what to do: {err}");
    assert_plain(&err);

    let (code, out, err) = run(unprivileged(), &data.path, &["ask", "外卖小哥怎么加入工会？"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("i会员"), "{out}");
    assert!(err.trim().is_empty(), "a current index opens without a word: {err}");
    assert_eq!(data.listing(), before, "nothing written into the data directory");
}

#[test]
fn a_read_only_data_dir_without_an_index_answers_from_memory_with_one_warning() {
    let data = DataDir::new();
    data.freeze();
    let (code, out, err) = run(unprivileged(), &data.path, &["ask", "工会电话多少"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("12351"), "{out}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].contains(&data.path.display().to_string()) && warnings[0].contains("内存"), "{err}");
    assert_plain(&err);
    assert!(data.listing().is_empty());
}

#[test]
fn a_data_dir_under_a_file_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let data = file.join("data");
    let (code, _, err) = run(bin(), &data, &["index"]);
    assert_eq!(code, 2);
    assert!(err.contains("无法写入（路径中有一段是文件而不是目录"), "{err}");
    assert_plain(&err);
    let (code, out, err) = run(bin(), &data, &["ask", "怎么入会"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("i会员"), "{out}");
}

/// The bot on a read-only data directory with a current index: every
/// question answered, one warning for the journal in the whole run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_on_a_read_only_data_dir_answers_everyone_with_one_warning() {
    let data = DataDir::new();
    let (code, _, err) = run(bin(), &data.path, &["index"]);
    assert_eq!(code, 0, "{err}");
    data.freeze();
    let before = data.listing();

    let fake = FakeTelegram::start().await;
    let cwd = tempfile::tempdir().unwrap();
    std::fs::set_permissions(cwd.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (program, args) = unprivileged_args();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .arg("telegram")
        .current_dir(cwd.path())
        .env("TELOXIDE_TOKEN", tg::TOKEN)
        .env("TELOXIDE_API_URL", &fake.url)
        .env_remove("ADMIN_IDS")
        .env("KNOWLEDGE_DIR", knowledge_dir())
        .env("DATA_DIR", &data.path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start union-bot telegram");
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let log = tokio::spawn(async move {
        let (mut o, mut e) = (String::new(), String::new());
        let _ = tokio::join!(out.read_to_string(&mut o), err.read_to_string(&mut e));
        format!("{o}{e}")
    });

    let questions = ["怎么入会", "帮我点一份外卖", "工会电话多少", "我叫张伟，手机13812345678，股票怎么买"];
    let parts: usize = questions.iter().map(|q| reply::html(&engine().answer(q)).len()).sum();
    let chats: Vec<i64> = (0..5).map(|i| 810_000 + i).collect();
    for &id in &chats {
        let (c, u) = (tg::private_chat(id, "骑手"), tg::user(id, "骑手"));
        for q in questions {
            fake.text(&c, &u, q);
        }
    }
    for &id in &chats {
        let sent = fake.wait_for_sent(id, parts).await;
        assert_eq!(sent.len(), parts, "chat {id}");
    }
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());

    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait()).await.expect("exits after SIGTERM").unwrap();
    let log = log.await.unwrap();
    assert!(exit.success(), "{exit:?}\n{log}");
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "one warning for 20 journal lines that could not be written:\n{log}");
    assert!(warnings[0].contains("无法写入") && warnings[0].contains("回答不受影响"), "{log}");
    assert_plain(&log);
    assert_eq!(data.listing(), before, "nothing written into the data directory");
}
