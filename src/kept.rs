//! Files the bot keeps in `DATA_DIR` beside the index, to skip work at the
//! next start (the parsed stations, the stations' terms, jieba's built
//! dictionary): each named by a prefix and the key of what it was made from,
//! written aside and renamed into place, and the files of other keys removed
//! once a new one is in place.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes `path` through `fill` into `<path>.tmp-<pid>`, syncs it and renames
/// it into place, so a half-written file is never read; the aside file is
/// removed when any step fails.
pub fn write_aside(path: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = File::create(&tmp).and_then(|f| {
        let mut out = BufWriter::with_capacity(1 << 16, f);
        fill(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Removes the files in `dir` named `<prefix>…<suffix>` other than `keep`
/// (best effort: a file that cannot be removed stays).
pub fn remove_others(dir: &Path, keep: &Path, prefix: &str, suffix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p != keep && name.starts_with(prefix) && name.ends_with(suffix) {
            let _ = std::fs::remove_file(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_file_replaces_its_older_keys_and_a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("k-0001.bin");
        let other = dir.path().join("index-0001");
        std::fs::write(&old, b"old").unwrap();
        std::fs::write(&other, b"not ours").unwrap();
        let new = dir.path().join("k-0002.bin");
        write_aside(&new, |w| w.write_all(b"new")).unwrap();
        remove_others(dir.path(), &new, "k-", ".bin");
        assert_eq!(std::fs::read(&new).unwrap(), b"new");
        assert!(!old.exists());
        assert!(other.exists());

        let failed = dir.path().join("k-0003.bin");
        assert!(write_aside(&failed, |_| Err(io::Error::other("full"))).is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 2, "only the new file and the other one: {left:?}");
    }
}
