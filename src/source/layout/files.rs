//! Every file of a layout is read and written through [`LayoutFiles`], because a layout
//! may come from anyone:
//!
//! - only regular files are read, and never more than the caller expects: a FIFO would
//!   block forever, `/dev/zero` would never end, and their metadata says 0 bytes;
//! - no path may leave the layout through a symlink, for reading or for writing, and the
//!   error says nothing of where it leads. A symlink that stays inside the layout is
//!   followed: a write goes to its target and the link stays.

use std::fs::{File, FileType, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use crate::atomic_file;

pub struct LayoutFiles {
    /// The root as the user named it, for messages.
    shown: PathBuf,
    /// The root with every symlink resolved, for the is-it-inside check.
    real: PathBuf,
}

impl LayoutFiles {
    /// The files under `root`, which must exist.
    pub fn new(root: &Path) -> std::io::Result<LayoutFiles> {
        Ok(LayoutFiles {
            shown: root.to_path_buf(),
            real: root.canonicalize()?,
        })
    }

    /// How a path inside the layout is named in messages.
    pub fn shown(&self, relative: &Path) -> PathBuf {
        self.shown.join(relative)
    }

    /// Reads a regular file, at most `max + 1` bytes whatever its metadata says, so that a
    /// caller sees a file over its limit as longer than `max`. `None` when it does not exist.
    pub fn read_at_most(&self, relative: &Path, max: u64) -> Result<Option<Vec<u8>>> {
        let Some((file, _)) = self.open_regular(relative)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", self.shown(relative).display()))?;
        Ok(Some(bytes))
    }

    /// The size of a regular file, `None` when it does not exist.
    pub fn size(&self, relative: &Path) -> Result<Option<u64>> {
        let shown = self.shown(relative);
        let Some(real) = self.resolve(relative)? else {
            return Ok(None);
        };
        match std::fs::symlink_metadata(&real) {
            Ok(metadata) => {
                check_regular(metadata.file_type(), &shown)?;
                Ok(Some(metadata.len()))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", shown.display())),
        }
    }

    /// Whether anything, even a broken symlink, is at the path.
    pub fn is_present(&self, relative: &Path) -> bool {
        self.real.join(relative).symlink_metadata().is_ok()
    }

    /// Opens a regular file for reading, with its size. `None` when it does not exist.
    pub fn open_regular(&self, relative: &Path) -> Result<Option<(File, u64)>> {
        let shown = self.shown(relative);
        let Some(real) = self.resolve(relative)? else {
            return Ok(None);
        };
        // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, forever.
        // O_NOFOLLOW: `real` has no symlink left; one appearing now is not followed.
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(&real);
        let file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", shown.display())),
        };
        // The opened file's own metadata: no swapping it between the check and the read.
        let metadata = file
            .metadata()
            .with_context(|| format!("reading {}", shown.display()))?;
        check_regular(metadata.file_type(), &shown)?;
        Ok(Some((file, metadata.len())))
    }

    /// Writes a file whole, creating its directories.
    pub fn write(&self, relative: &Path, bytes: &[u8]) -> Result<()> {
        let real = self.writable(relative)?;
        atomic_file::write(&real, bytes)
            .with_context(|| format!("writing {}", self.shown(relative).display()))
    }

    /// Writes a file from chunks as they arrive, into a temporary file that becomes the
    /// file only when the chunks end without an error (and is removed otherwise).
    pub async fn write_stream(
        &self,
        relative: &Path,
        mut chunks: impl Stream<Item = Result<Bytes>> + Unpin,
    ) -> Result<()> {
        let shown = self.shown(relative);
        let writing = || format!("writing {}", shown.display());
        let real = self.writable(relative)?;
        let temporary = atomic_file::temp_file_beside(&real).with_context(writing)?;
        let mut file = tokio::fs::File::from_std(temporary.as_file().try_clone()?);
        while let Some(chunk) = chunks.next().await {
            file.write_all(&chunk?).await.with_context(writing)?;
        }
        file.flush().await.with_context(writing)?;
        file.sync_all().await.with_context(writing)?;
        drop(file);
        atomic_file::persist(temporary, &real)
            .map_err(|e| e.error)
            .with_context(writing)
    }

    /// The real path to write `relative` at, its directories created.
    fn writable(&self, relative: &Path) -> Result<PathBuf> {
        let shown = self.shown(relative);
        let real = self
            .resolve(relative)?
            .ok_or_else(|| anyhow!("cannot write {}: it is a broken symlink", shown.display()))?;
        if let Some(dir) = real.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the directory of {}", shown.display()))?;
        }
        Ok(real)
    }

    /// The real path of `relative`, checked to be inside the layout; parts that do not
    /// exist yet are kept as named. `None` for a broken symlink, which reads as missing.
    fn resolve(&self, relative: &Path) -> Result<Option<PathBuf>> {
        let shown = self.shown(relative);
        let mut existing = self.real.join(relative);
        let mut missing = Vec::new();
        let resolved = loop {
            match existing.canonicalize() {
                Ok(real) => break real,
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    if existing.symlink_metadata().is_ok() {
                        return Ok(None);
                    }
                    let Some(name) = existing.file_name() else {
                        bail!("reading {}: the layout has gone", shown.display());
                    };
                    missing.push(name.to_os_string());
                    existing.pop();
                }
                Err(e) => return Err(e).with_context(|| format!("reading {}", shown.display())),
            }
        };
        if !resolved.starts_with(&self.real) {
            bail!(
                "refusing {}: through a symlink it leaves the layout {}",
                shown.display(),
                self.shown.display()
            );
        }
        Ok(Some(
            missing
                .iter()
                .rev()
                .fold(resolved, |path, name| path.join(name)),
        ))
    }
}

fn check_regular(kind: FileType, shown: &Path) -> Result<()> {
    if kind.is_file() {
        return Ok(());
    }
    bail!(
        "{} {}, not a regular file",
        shown.display(),
        what_it_is(kind)
    )
}

fn what_it_is(kind: FileType) -> &'static str {
    if kind.is_fifo() {
        "is a FIFO"
    } else if kind.is_char_device() {
        "is a character device"
    } else if kind.is_block_device() {
        "is a block device"
    } else if kind.is_socket() {
        "is a socket"
    } else if kind.is_dir() {
        "is a directory"
    } else if kind.is_symlink() {
        "is a symlink"
    } else {
        "is a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn layout() -> (tempfile::TempDir, LayoutFiles) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("layout")).unwrap();
        let files = LayoutFiles::new(&dir.path().join("layout")).unwrap();
        (dir, files)
    }

    #[test]
    fn a_device_is_refused_by_what_it_is() {
        let files = LayoutFiles::new(Path::new("/dev")).unwrap();
        let err = files.read_at_most(Path::new("zero"), 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/dev/zero is a character device, not a regular file"
        );
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let (_dir, files) = layout();
        let path = files.shown(Path::new("index.json"));
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let err = files.read_at_most(Path::new("index.json"), 10).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("index.json is a FIFO, not a regular file"));
    }

    #[test]
    fn reads_stop_one_byte_past_the_limit() {
        let (_dir, files) = layout();
        std::fs::write(files.shown(Path::new("big")), [7u8; 100]).unwrap();
        let read = files.read_at_most(Path::new("big"), 10).unwrap().unwrap();
        assert_eq!(read.len(), 11);
        assert_eq!(files.read_at_most(Path::new("none"), 10).unwrap(), None);
    }

    #[test]
    fn symlinks_may_not_leave_the_layout_but_may_stay_inside() {
        let (dir, files) = layout();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, b"secret").unwrap();
        symlink(&outside, files.shown(Path::new("out"))).unwrap();
        symlink("inside", files.shown(Path::new("in"))).unwrap();
        std::fs::write(files.shown(Path::new("inside")), b"ok").unwrap();

        let err = files.read_at_most(Path::new("out"), 10).unwrap_err();
        assert!(err.to_string().contains("leaves the layout"), "{err}");
        assert!(files.write(Path::new("out"), b"x").is_err());
        assert_eq!(std::fs::read(&outside).unwrap(), b"secret");

        files.write(Path::new("in"), b"new").unwrap();
        assert!(files
            .shown(Path::new("in"))
            .symlink_metadata()
            .unwrap()
            .is_symlink());
        assert_eq!(
            std::fs::read(files.shown(Path::new("inside"))).unwrap(),
            b"new"
        );
    }

    #[test]
    fn a_directory_symlinked_out_is_not_written_into() {
        let (dir, files) = layout();
        let outside = dir.path().join("elsewhere");
        std::fs::create_dir(&outside).unwrap();
        symlink(&outside, files.shown(Path::new("blobs"))).unwrap();
        let err = files
            .write(Path::new("blobs/sha256/abc"), b"x")
            .unwrap_err();
        assert!(err.to_string().contains("leaves the layout"), "{err}");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    }
}
