//! Image layers as file indexes, never as files: each layer is streamed from its source,
//! verified against its digest as it passes ([`crate::source::BlobStream`]),
//! decompressed and read as tar; what is kept is the path and metadata of every entry
//! and the sha256 of every regular file ([`archive`]). [`tree`] applies the layers of an
//! image in order, whiteouts and opaque directories included, into the filesystem a
//! container sees. [`fetch`] reads each digest once, however many images list it.

pub mod archive;
pub mod fetch;
pub mod tree;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use archive::Limits;
pub use fetch::LayerReader;
pub use tree::Tree;

/// What kind of filesystem object an entry is. A hard link is the file it links to (see
/// [`FileMeta::hardlink`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    File,
    Directory,
    Symlink,
    Char,
    Block,
    Fifo,
}

impl FileType {
    pub fn name(self) -> &'static str {
        match self {
            FileType::File => "file",
            FileType::Directory => "directory",
            FileType::Symlink => "symlink",
            FileType::Char => "char",
            FileType::Block => "block",
            FileType::Fifo => "fifo",
        }
    }
}

/// One path of a filesystem: what its tar header said, and the sha256 of a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub kind: FileType,
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Bytes of a regular file; 0 for anything else.
    pub size: u64,
    /// Seconds since the epoch.
    pub mtime: u64,
    pub sha256: Option<[u8; 32]>,
    /// A symlink's target, as written.
    pub target: Option<Box<str>>,
    /// For a hard link, the path it links to; the rest is that file's.
    pub hardlink: Option<Arc<str>>,
    /// Major and minor numbers of a device node.
    pub device: Option<(u32, u32)>,
    /// Extended attributes (pax `SCHILY.xattr.*`), sorted by name.
    pub xattrs: Xattrs,
}

/// Extended attributes: name and value, sorted by name.
pub type Xattrs = Box<[(Box<str>, Box<[u8]>)]>;

/// What one tar entry does to the filesystem below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Creates or replaces the path.
    Set(Arc<FileMeta>),
    /// A hard link to this path (already in the filesystem, or earlier in the layer).
    Link(Arc<str>),
    /// `.wh.NAME`: the path and everything below it in lower layers are gone.
    Whiteout,
    /// `.wh..wh..opq`: everything below the directory in lower layers is gone.
    Opaque,
    /// Bookkeeping such as aufs' `.wh..wh.plnk`: nothing to a container.
    Ignored,
}

/// One layer's entries, in archive order, by rooted path (`/etc/os-release`).
#[derive(Debug, Default)]
pub struct LayerIndex {
    pub ops: Vec<(Arc<str>, Op)>,
}

/// Bytes held, and the texts by sha256.
type Held = (usize, HashMap<[u8; 32], Arc<[u8]>>);

/// The bytes of small text files (for `--content`), by sha256, up to a total.
pub struct TextStore {
    capacity: usize,
    held: Mutex<Held>,
}

impl TextStore {
    pub fn new(capacity: usize) -> TextStore {
        TextStore {
            capacity,
            held: Mutex::new((0, HashMap::new())),
        }
    }

    /// Keeps the bytes unless that would pass the capacity.
    pub fn keep(&self, sha256: [u8; 32], bytes: Vec<u8>) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.1.contains_key(&sha256) || held.0 + bytes.len() > self.capacity {
            return;
        }
        held.0 += bytes.len();
        held.1.insert(sha256, Arc::from(bytes));
    }

    pub fn get(&self, sha256: &[u8; 32]) -> Option<Arc<[u8]>> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.1.get(sha256).cloned()
    }
}
