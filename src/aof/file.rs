//! The AOF's file I/O behind a small trait, so tests can inject `EIO`/`ENOSPC` and
//! torn (partial) writes where a real disk would produce them.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// The operations the AOF thread performs on its file.
pub trait AofFile: Send {
    /// Appends all of `bytes` (or fails, possibly after writing a prefix).
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything appended so far durable (`fsync`).
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file back to `len` bytes (to remove a torn record after a failure).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// Opens the file at a path for appending; the AOF thread reopens through it after a
/// rewrite renames a new file into place.
pub trait AofStorage: Send + Sync {
    /// Opens `path` for appending, creating it if missing.
    fn open(&self, path: &Path) -> io::Result<Box<dyn AofFile>>;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskStorage;

impl AofStorage for DiskStorage {
    fn open(&self, path: &Path) -> io::Result<Box<dyn AofFile>> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Box::new(DiskFile { file }))
    }
}

/// An AOF on disk.
#[derive(Debug)]
pub struct DiskFile {
    file: File,
}

impl AofFile for DiskFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

/// Makes a rename inside `dir` durable by fsyncing the directory.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
