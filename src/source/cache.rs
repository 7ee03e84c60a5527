//! The cache on disk of what registries serve by digest: manifests, configs and SBOM
//! documents, kept between runs so that a second read of the same content costs no
//! request. Nothing reached through a tag is kept (tags, referrer lists, tag lists): a
//! tag can move at any time, a digest names the same bytes forever.
//!
//! Entries live in `DIR/v1/<repository key>/<kind>-<algorithm>-<hex>`. The repository key
//! is the first 32 hex digits of the sha256 of `registry/repository`, so that a read of
//! one repository never shows content that only another one holds. A manifest entry is
//! its media type, a newline, then the manifest bytes; a blob entry is the blob.
//!
//! Several ocx processes may share the directory, without locks:
//! - an entry is written to a temporary file beside it and renamed into place, so that a
//!   reader sees a whole entry or none;
//! - every entry is verified against its digest whenever it is read: a torn, truncated or
//!   corrupt entry is a miss, fetched again and replaced, never trusted;
//! - the directory is kept under a size bound by removing the least recently used
//!   entries (the modification time, set again on every hit), and an entry that vanishes
//!   under a reader or another evicter is a miss, not an error.
//!
//! The cache never makes a read fail: an entry that cannot be read is a miss, one that
//! cannot be written is skipped.

use std::ffi::OsString;
use std::fs::{self, File, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;

use super::{verify_manifest, FetchedManifest, MAX_MANIFEST_BYTES};
use crate::atomic_file::{STALE_AFTER, TEMP_PREFIX};
use crate::digest::Digest;
use crate::manifest::{Descriptor, ACCEPTED_MANIFEST_TYPES};
use crate::reference::ManifestRef;

/// Eviction removes entries until the cache is this share of its bound, so that it does
/// not run again at the next write.
const LOW_WATER_PERCENT: u128 = 75;

/// The entry format's directory: a later format gets a directory of its own.
const FORMAT: &str = "v1";

/// The longest media type line a manifest entry may start with.
const MAX_HEADER_BYTES: usize = 256;

#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    /// `DIR/v1`.
    root: PathBuf,
    max_bytes: u64,
    /// The bytes this process believes the cache holds.
    usage: Mutex<Usage>,
}

/// What a process knows of the cache's size: nothing until its first write, which scans
/// the directory beside the reads instead of before them (a scan of a full cache takes
/// milliseconds); then a count kept up to date by its own writes and evictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Usage {
    Unknown,
    /// Bytes written since the scan started. The scan may count them too: believing the
    /// cache larger than it is only brings the next eviction forward.
    Scanning(u64),
    Known(u64),
}

#[derive(Clone, Copy)]
enum Kind {
    Manifest,
    Blob,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Manifest => "manifest",
            Kind::Blob => "blob",
        }
    }
}

impl Cache {
    /// A cache in `dir` holding at most about `max_bytes`; nothing is created until the
    /// first write.
    pub fn new(dir: &Path, max_bytes: u64) -> Cache {
        Cache {
            inner: Arc::new(Inner {
                root: dir.join(FORMAT),
                max_bytes,
                usage: Mutex::new(Usage::Unknown),
            }),
        }
    }

    /// `$XDG_CACHE_HOME/ocx`, or `~/.cache/ocx` when XDG_CACHE_HOME is unset or not an
    /// absolute path (as the XDG base directory specification says); `None` without a
    /// home directory either.
    pub fn default_dir() -> Option<PathBuf> {
        let absolute = |value: OsString| Some(PathBuf::from(value)).filter(|p| p.is_absolute());
        std::env::var_os("XDG_CACHE_HOME")
            .and_then(absolute)
            .or_else(|| {
                std::env::var_os("HOME")
                    .and_then(absolute)
                    .map(|home| home.join(".cache"))
            })
            .map(|base| base.join("ocx"))
    }

    /// The manifest `digest` of `location`, verified, when the cache holds it.
    pub async fn manifest(&self, location: &str, digest: &Digest) -> Option<FetchedManifest> {
        let inner = Arc::clone(&self.inner);
        let path = self.inner.path(location, Kind::Manifest, digest);
        let (location, digest) = (location.to_string(), digest.clone());
        blocking(move || inner.read_manifest(&path, &location, &digest)).await
    }

    /// Keeps a manifest fetched from `location` (by digest or by tag) under its digest.
    pub async fn keep_manifest(&self, location: &str, fetched: &FetchedManifest) {
        let digest = &fetched.descriptor.digest;
        let header = format!("{}\n", fetched.descriptor.media_type);
        let inner = Arc::clone(&self.inner);
        let path = self.inner.path(location, Kind::Manifest, digest);
        let bytes = fetched.bytes.clone();
        blocking(move || inner.keep(&path, &[header.as_bytes(), &bytes])).await;
    }

    /// The blob `descriptor` names in `location`, verified, when the cache holds it.
    pub async fn blob(&self, location: &str, descriptor: &Descriptor) -> Option<Bytes> {
        let inner = Arc::clone(&self.inner);
        let path = self.inner.path(location, Kind::Blob, &descriptor.digest);
        let descriptor = descriptor.clone();
        blocking(move || inner.read_blob(&path, &descriptor)).await
    }

    /// Keeps a blob fetched from `location` and verified against `digest`.
    pub async fn keep_blob(&self, location: &str, digest: &Digest, bytes: &Bytes) {
        let inner = Arc::clone(&self.inner);
        let path = self.inner.path(location, Kind::Blob, digest);
        let bytes = bytes.clone();
        blocking(move || inner.keep(&path, &[&bytes])).await;
    }
}

/// Runs file work off the async threads; a task that could not run is a miss.
async fn blocking<T, F>(work: F) -> Option<T>
where
    F: FnOnce() -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work).await.ok().flatten()
}

impl Inner {
    fn path(&self, location: &str, kind: Kind, digest: &Digest) -> PathBuf {
        let location_digest = Digest::sha256_of(location.as_bytes());
        let repository = &location_digest.hex()[..32];
        let name = format!(
            "{}-{}-{}",
            kind.name(),
            digest.algorithm().name(),
            digest.hex()
        );
        self.root.join(repository).join(name)
    }

    fn read_manifest(
        &self,
        path: &Path,
        location: &str,
        digest: &Digest,
    ) -> Option<FetchedManifest> {
        let limit = MAX_MANIFEST_BYTES + MAX_HEADER_BYTES as u64;
        let (file, mut entry) = read_at_most(path, limit)?;
        let verified = split_header(&entry).and_then(|(media_type, header_len)| {
            let bytes = Bytes::from(entry.split_off(header_len));
            let reference = ManifestRef::Digest(digest.clone());
            verify_manifest(location, &reference, bytes, Some(&media_type), None).ok()
        });
        used(path, &file, verified)
    }

    fn read_blob(&self, path: &Path, descriptor: &Descriptor) -> Option<Bytes> {
        let (file, bytes) = read_at_most(path, descriptor.size)?;
        // An entry of another length is torn, or the descriptor is wrong: either way a
        // miss, and the fetch that follows tells which.
        if bytes.len() as u64 != descriptor.size {
            return None;
        }
        let verified = descriptor
            .digest
            .matches(&bytes)
            .then(|| Bytes::from(bytes));
        used(path, &file, verified)
    }

    /// Writes an entry unless one of the same length is there already (a hit or a write
    /// of another process), which is then marked used: a corrupt one of that length is
    /// removed when it is read.
    fn keep(self: &Arc<Self>, path: &Path, parts: &[&[u8]]) -> Option<()> {
        let length: u64 = parts.iter().map(|p| p.len() as u64).sum();
        if length > self.max_bytes {
            return None;
        }
        if let Ok(file) = File::open(path) {
            if file.metadata().is_ok_and(|m| m.len() == length) {
                let _ = file.set_modified(SystemTime::now());
                return Some(());
            }
        }
        write_entry(path, parts).ok()?;
        self.account(length);
        Some(())
    }

    /// Adds a write to what this process believes the cache holds, and evicts when that
    /// is over the bound. The first write starts the scan that finds out what it holds.
    fn account(self: &Arc<Self>, added: u64) {
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        *usage = match *usage {
            Usage::Unknown => {
                let inner = Arc::clone(self);
                // A scan that has started is waited for when the runtime shuts down.
                tokio::task::spawn_blocking(move || inner.scan());
                Usage::Scanning(added)
            }
            Usage::Scanning(bytes) => Usage::Scanning(bytes.saturating_add(added)),
            Usage::Known(bytes) => match bytes.saturating_add(added) {
                bytes if bytes > self.max_bytes => Usage::Known(self.evict()),
                bytes => Usage::Known(bytes),
            },
        };
    }

    fn scan(&self) {
        let held = self.evict();
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        let written = match *usage {
            Usage::Scanning(bytes) => bytes,
            _ => 0,
        };
        *usage = Usage::Known(held.saturating_add(written));
    }

    /// Removes the least recently used entries until the cache is at its low-water mark,
    /// when it is over its bound; returns what it holds then.
    fn evict(&self) -> u64 {
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        if total <= self.max_bytes {
            return total;
        }
        let low_water = (u128::from(self.max_bytes) * LOW_WATER_PERCENT / 100) as u64;
        entries.sort_by_key(|e| e.used);
        for entry in entries {
            if total <= low_water {
                break;
            }
            match fs::remove_file(&entry.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => continue,
                // Removed here, or by another ocx: either way no longer held.
                _ => total = total.saturating_sub(entry.size),
            }
        }
        total
    }

    /// Every entry, with its size and when it was last used. Temporary files a killed
    /// ocx left behind are removed once stale; live ones belong to a writer.
    fn entries(&self) -> Vec<Entry> {
        let now = SystemTime::now();
        let mut entries = Vec::new();
        for repository in read_dir(&self.root) {
            if !repository.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            for file in read_dir(&repository.path()) {
                let Ok(metadata) = file.metadata() else {
                    continue;
                };
                let used = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                if !metadata.is_file() {
                    continue;
                }
                if file.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    if now.duration_since(used).is_ok_and(|age| age > STALE_AFTER) {
                        let _ = fs::remove_file(file.path());
                    }
                    continue;
                }
                entries.push(Entry {
                    path: file.path(),
                    size: metadata.len(),
                    used,
                });
            }
        }
        entries
    }
}

struct Entry {
    path: PathBuf,
    size: u64,
    used: SystemTime,
}

fn read_dir(dir: &Path) -> impl Iterator<Item = fs::DirEntry> {
    fs::read_dir(dir).into_iter().flatten().flatten()
}

/// The file and its bytes, unless it is missing, unreadable or longer than `limit`.
fn read_at_most(path: &Path, limit: u64) -> Option<(File, Vec<u8>)> {
    let file = File::open(path).ok()?;
    let length = file.metadata().ok()?.len();
    if length > limit {
        return None;
    }
    let mut bytes = Vec::with_capacity(length as usize);
    (&file).take(limit).read_to_end(&mut bytes).ok()?;
    Some((file, bytes))
}

/// The media type a manifest entry starts with, and where the manifest starts.
fn split_header(entry: &[u8]) -> Option<(String, usize)> {
    let window = &entry[..entry.len().min(MAX_HEADER_BYTES)];
    let newline = window.iter().position(|&b| b == b'\n')?;
    let media_type = std::str::from_utf8(&window[..newline]).ok()?;
    ACCEPTED_MANIFEST_TYPES
        .contains(&media_type)
        .then(|| (media_type.to_string(), newline + 1))
}

/// A verified entry is marked used; one that failed verification is removed, so that
/// the fetch that follows writes it again.
fn used<T>(path: &Path, file: &File, verified: Option<T>) -> Option<T> {
    match verified {
        Some(_) => {
            let _ = file.set_modified(SystemTime::now());
        }
        None => {
            let _ = fs::remove_file(path);
        }
    }
    verified
}

/// Writes an entry whole or not at all: a temporary file beside it, renamed over it. It
/// is not synced: a crash can leave a torn entry, which a read then refuses.
fn write_entry(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    for part in parts {
        file.write_all(part)?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::OCI_CONFIG;

    const LOCATION: &str = "reg.example/app";
    const BOUND: u64 = 1 << 20;

    fn blob(content: &[u8]) -> (Descriptor, Bytes) {
        let descriptor =
            Descriptor::new(OCI_CONFIG, Digest::sha256_of(content), content.len() as u64);
        (descriptor, Bytes::copy_from_slice(content))
    }

    fn manifest() -> FetchedManifest {
        let bytes = Bytes::from_static(br#"{"schemaVersion":2,"manifests":[]}"#);
        let reference = ManifestRef::Digest(Digest::sha256_of(&bytes));
        verify_manifest(
            LOCATION,
            &reference,
            bytes,
            Some(crate::manifest::OCI_INDEX),
            None,
        )
        .unwrap()
    }

    fn usage(cache: &Cache) -> Usage {
        *cache.inner.usage.lock().unwrap()
    }

    fn only_file(dir: &Path) -> PathBuf {
        let files: Vec<_> = read_dir(&dir.join(FORMAT))
            .flat_map(|repository| read_dir(&repository.path()))
            .map(|f| f.path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files.into_iter().next().unwrap()
    }

    #[tokio::test]
    async fn a_kept_manifest_is_read_back_for_its_repository_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path(), BOUND);
        let fetched = manifest();
        let digest = &fetched.descriptor.digest;
        assert!(cache.manifest(LOCATION, digest).await.is_none());
        cache.keep_manifest(LOCATION, &fetched).await;
        let hit = cache.manifest(LOCATION, digest).await.unwrap();
        assert_eq!(hit.bytes, fetched.bytes);
        assert_eq!(hit.descriptor, fetched.descriptor);
        assert!(cache.manifest("reg.example/other", digest).await.is_none());
    }

    #[tokio::test]
    async fn a_corrupt_entry_is_a_miss_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path(), BOUND);
        let (descriptor, bytes) = blob(b"{\"os\":\"linux\"}");
        cache.keep_blob(LOCATION, &descriptor.digest, &bytes).await;
        let path = only_file(dir.path());
        assert_eq!(cache.blob(LOCATION, &descriptor).await, Some(bytes.clone()));

        let mut flipped = bytes.to_vec();
        flipped[2] ^= 1;
        fs::write(&path, &flipped).unwrap();
        assert_eq!(cache.blob(LOCATION, &descriptor).await, None);
        assert!(!path.exists(), "a corrupt entry is removed");

        fs::write(&path, &bytes[..3]).unwrap();
        assert_eq!(cache.blob(LOCATION, &descriptor).await, None, "truncated");
        cache.keep_blob(LOCATION, &descriptor.digest, &bytes).await;
        assert_eq!(fs::read(&path).unwrap(), bytes, "a torn entry is replaced");
    }

    #[tokio::test]
    async fn a_manifest_entry_needs_a_known_media_type() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path(), BOUND);
        let fetched = manifest();
        cache.keep_manifest(LOCATION, &fetched).await;
        let path = only_file(dir.path());
        let mut entry = fs::read(&path).unwrap();
        entry[0] = b'x';
        fs::write(&path, &entry).unwrap();
        assert!(cache
            .manifest(LOCATION, &fetched.descriptor.digest)
            .await
            .is_none());
    }

    #[tokio::test]
    async fn eviction_removes_the_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path(), 100);
        let blobs = [blob(&[0; 30]), blob(&[1; 40]), blob(&[2; 45])];
        for (descriptor, bytes) in &blobs[..2] {
            cache.keep_blob(LOCATION, &descriptor.digest, bytes).await;
            // The first write starts a scan beside it.
            while !matches!(usage(&cache), Usage::Known(_)) {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        }
        // Make the first one the most recently used.
        let long_ago = SystemTime::now() - std::time::Duration::from_secs(60);
        for entry in cache.inner.entries() {
            File::open(&entry.path)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        assert!(cache.blob(LOCATION, &blobs[0].0).await.is_some());
        cache
            .keep_blob(LOCATION, &blobs[2].0.digest, &blobs[2].1)
            .await;
        assert!(cache.blob(LOCATION, &blobs[1].0).await.is_none(), "evicted");
        assert!(cache.blob(LOCATION, &blobs[0].0).await.is_some());
        assert!(cache.blob(LOCATION, &blobs[2].0).await.is_some());
        // 115 bytes went over the bound: the oldest went, down to the low-water mark.
        assert_eq!(usage(&cache), Usage::Known(75));
    }

    #[tokio::test]
    async fn entries_larger_than_the_bound_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path(), 10);
        let (descriptor, bytes) = blob(&[7; 11]);
        cache.keep_blob(LOCATION, &descriptor.digest, &bytes).await;
        assert!(!dir.path().join(FORMAT).exists());
    }

    #[test]
    fn directories_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ocx/v1/abc/blob-sha256-x");
        write_entry(&path, &[b"x"]).unwrap();
        for d in ["ocx", "ocx/v1", "ocx/v1/abc"] {
            let mode = fs::metadata(dir.path().join(d))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{d}");
        }
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o077, 0);
    }
}
