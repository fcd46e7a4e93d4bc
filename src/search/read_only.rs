//! Opening a built index without writing anything, and data-directory errors
//! in plain words.
//!
//! tantivy takes a lock file (`.tantivy-meta.lock`) in the index directory
//! even to open a reader, so a read-only data directory failed with "Failed to
//! acquire Lockfile: IoError(…)". The lock keeps a writer's garbage collection
//! from deleting files while a reader opens them; our indexes are never
//! written again once built (a new version goes into a new directory), so a
//! reader needs no lock. [`ReadOnlyDirectory`] hands out a lock that holds
//! nothing and refuses every write.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::directory::{Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr};
use tantivy::{Index, TantivyError};

/// The data directory cannot take what must be written into it.
#[derive(Debug)]
pub struct DataDirError {
    pub dir: PathBuf,
    pub source: io::Error,
}

impl std::fmt::Display for DataDirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::messages::index_not_written(&self.dir, &self.source))
    }
}

impl std::error::Error for DataDirError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Opens the index in `dir` to read only.
pub fn open(dir: &Path) -> tantivy::Result<Index> {
    Index::open(ReadOnlyDirectory(MmapDirectory::open(dir)?))
}

/// A memory-mapped index directory that writes nothing.
#[derive(Debug, Clone)]
pub struct ReadOnlyDirectory(MmapDirectory);

fn refused() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, "the index is opened to read only")
}

impl Directory for ReadOnlyDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError { io_error: Arc::new(refused()), filepath: path.to_path_buf() })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError { io_error: Arc::new(refused()), filepath: path.to_path_buf() })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, _path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(refused())
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

/// The I/O error inside a tantivy error, when there is one.
pub fn io_error_of(e: &TantivyError) -> Option<io::Error> {
    let inner: &io::Error = match e {
        TantivyError::IoError(e) => e,
        TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, .. }) => io_error,
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, .. }) => io_error,
        TantivyError::OpenDirectoryError(OpenDirectoryError::IoError { io_error, .. }) => io_error,
        TantivyError::OpenDirectoryError(OpenDirectoryError::FailedToCreateTempDir(io_error)) => io_error,
        TantivyError::LockFailure(LockError::IoError(io_error), _) => io_error,
        _ => return None,
    };
    Some(match inner.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(inner.kind(), inner.to_string()),
    })
}

/// A tantivy error met while writing into the data directory: a
/// [`DataDirError`] when it comes from the disk, else the error in words
/// without tantivy's debug text.
pub fn data_dir_error(data_dir: &Path, e: TantivyError) -> anyhow::Error {
    match io_error_of(&e) {
        Some(io) => anyhow::Error::new(DataDirError { dir: data_dir.to_path_buf(), source: io }),
        None => anyhow::anyhow!("{}", plain(&e)),
    }
}

/// A tantivy error in words: its I/O error when it has one (tantivy prints
/// those with `{:?}`), else its own message.
pub fn plain(e: &TantivyError) -> String {
    match io_error_of(e) {
        Some(io) => crate::messages::io_reason(&io),
        None => e.to_string(),
    }
}
