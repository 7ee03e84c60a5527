//! Writing a file whole or not at all: through a temporary file beside it, renamed over it.
//!
//! New files get `0666 & !umask`, as skopeo and oras give them; a replaced file keeps its
//! mode. Temporary files are named `.ocx-tmp-*`, so that the ones a killed ocx leaves
//! behind are recognizably ours: the next [`write`] into the same directory removes those
//! older than [`STALE_AFTER`].

use std::collections::HashSet;
use std::fs::Permissions;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use tempfile::{NamedTempFile, PersistError};

pub const TEMP_PREFIX: &str = ".ocx-tmp-";

/// Old enough that no live writer still holds it: a write takes seconds, not minutes.
pub const STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// Writes `bytes` to `path` atomically: readers see the old file or the new one.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    remove_stale_temp_files_once(directory_of(path));
    let mut file = temp_file_beside(path)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    persist(file, path).map_err(|e| e.error)?;
    Ok(())
}

/// A temporary file in `path`'s directory, to be [`persist`]ed as `path`.
///
/// Cleaning stale ones is left to [`write`], whose temporary files live for seconds: one
/// from here may be held for as long as a push takes, and so look stale to another ocx.
pub fn temp_file_beside(path: &Path) -> io::Result<NamedTempFile> {
    let dir = directory_of(path);
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        // open(2) applies the umask to this, which is the point: reading the umask
        // from a multithreaded process would race.
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

/// Renames the temporary file over `path`, giving it the mode of the file it replaces.
pub fn persist(file: NamedTempFile, path: &Path) -> Result<(), PersistError> {
    if let Ok(existing) = std::fs::metadata(path) {
        if let Err(error) = file.as_file().set_permissions(existing.permissions()) {
            return Err(PersistError { error, file });
        }
    }
    file.persist(path).map(drop)
}

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Cleans each directory once per process: a layout write puts many blobs in one.
fn remove_stale_temp_files_once(dir: &Path) {
    static CLEANED: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    let cleaned = CLEANED.get_or_init(Default::default);
    let first_time = cleaned
        .lock()
        .map(|mut dirs| dirs.insert(dir.to_path_buf()))
        .unwrap_or(false);
    if first_time {
        remove_stale_temp_files(dir, SystemTime::now());
    }
}

/// Removes `.ocx-tmp-*` regular files last modified over [`STALE_AFTER`] before `now`.
/// Best effort: a file that cannot be removed does not stop the write.
pub fn remove_stale_temp_files(dir: &Path, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if is_stale_temp_file(&entry, now) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn is_stale_temp_file(entry: &std::fs::DirEntry, now: SystemTime) -> bool {
    let ours = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
    // DirEntry::metadata does not follow symlinks.
    let Ok(metadata) = entry.metadata() else {
        return false;
    };
    let age = metadata
        .modified()
        .ok()
        .and_then(|modified| now.duration_since(modified).ok());
    ours && metadata.is_file() && age.is_some_and(|age| age > STALE_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn temporary_files_carry_the_ocx_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let file = temp_file_beside(&dir.path().join("index.json")).unwrap();
        let name = file.path().file_name().unwrap().to_string_lossy();
        assert!(name.starts_with(".ocx-tmp-"), "{name}");
        assert_eq!(file.path().parent(), Some(dir.path()));
    }

    #[test]
    fn a_write_replaces_the_file_keeping_its_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn only_our_stale_regular_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let old = now - STALE_AFTER - Duration::from_secs(1);
        let create = |name: &str, modified: SystemTime| {
            let path = dir.path().join(name);
            std::fs::File::create(&path)
                .unwrap()
                .set_modified(modified)
                .unwrap();
            path
        };
        let stale = create(".ocx-tmp-stale", old);
        let fresh = create(".ocx-tmp-fresh", now);
        let foreign = create(".tmp-foreign", old);
        let stale_dir = dir.path().join(".ocx-tmp-dir");
        std::fs::create_dir(&stale_dir).unwrap();
        std::fs::File::open(&stale_dir)
            .unwrap()
            .set_modified(old)
            .unwrap();

        remove_stale_temp_files(dir.path(), now);
        assert!(!stale.exists());
        assert!(fresh.exists() && foreign.exists() && stale_dir.exists());
    }
}
