//! The diff part of the schema (`schema/diff.v1.json`): what `ocx diff --json` prints.
//!
//! A diff is a list of [`Difference`]s, each at an address a script can filter on
//! (`platforms["linux/amd64"].config.env["PATH"]`), with structured `before` and `after`
//! values, plus a summary per platform and over all.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `ocx diff --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub schema_version: u32,
    pub old: DiffSide,
    pub new: DiffSide,
    /// True when no difference is left after the ignores (exit status 0).
    pub equal: bool,
    pub summary: DiffSummary,
    /// Every compared scope (the two images, or each platform of an index), in order:
    /// added and removed platforms first, then the others in the new index's order.
    pub platforms: Vec<PlatformDiff>,
    pub changes: Vec<Difference>,
    /// How the platforms were matched where it was not by platform key, one sentence each.
    pub notes: Vec<String>,
}

/// One side of the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSide {
    pub reference: String,
    pub resolved: String,
    pub digest: String,
    pub media_type: String,
    /// Bytes of all distinct content, as describe's `total_size`.
    pub total_size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DiffSummary {
    /// Differences listed in `changes`, not counting unchanged entries.
    pub changes: usize,
    /// Differences found and left out by `--ignore` or `--ignore-timestamps`.
    pub ignored: usize,
    pub platforms: PlatformCounts,
    /// Package changes over every platform (and the index itself).
    pub packages: ChangeSummary,
    /// With `--files` only: file changes over every platform, and what was read for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<FileTotals>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlatformCounts {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// One compared scope: a platform of an index (or the entry of a nested index), or the
/// two images when both sides are images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformDiff {
    /// The platform key (`linux/arm64/v8`, arm64 and arm always with their variant), the
    /// title or position of an entry without a platform, or `image` for two images.
    pub key: String,
    /// The address prefix of its changes: `platforms["linux/amd64"]`, or empty for two
    /// images.
    pub address: String,
    pub change: ChangeKind,
    pub old: Option<EntryRef>,
    pub new: Option<EntryRef>,
    pub matched_by: MatchedBy,
    /// Layers of two images; null for indexes and for added or removed platforms.
    pub layers: Option<LayerSummary>,
    /// Packages of the two sides' SBOMs; null without SBOM discovery or on one side only.
    pub packages: Option<ChangeSummary>,
    /// With `--files` only: the file changes of two images and what was read for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<FileSummary>,
}

/// The manifest one side has for a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    /// Its key in describe's `manifests` (null for a root image).
    pub key: Option<String>,
    pub digest: String,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// Both sides are images, compared with each other.
    Root,
    Platform,
    /// artifactType and the `org.opencontainers.image.title` annotation.
    Title,
    Position,
    /// On one side only.
    Unmatched,
}

/// Layers matched by digest in order: the shared prefix is unchanged (the base image),
/// then what was added, removed or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LayerSummary {
    pub unchanged: usize,
    pub unchanged_size: u64,
    pub added: usize,
    pub removed: usize,
    pub replaced: usize,
    /// New total layer size minus old.
    pub size_delta: i64,
}

/// One difference (or, with `--show-unchanged`, one equal entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub address: String,
    /// The key of the scope it belongs to (see [`PlatformDiff::key`]); null for the
    /// index itself.
    pub platform: Option<String>,
    pub kind: DiffKind,
    pub change: ChangeKind,
    /// The old value; null when added.
    pub before: Value,
    /// The new value; null when removed.
    pub after: Value,
    /// For a changed package version with a known order.
    pub direction: Option<Direction>,
    /// A changed file only: what changed (`content`, `mode`, `mtime`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// A changed text file with `--content` only: the unified diff of its lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_diff: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
    Unchanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Upgraded,
    Downgraded,
}

/// What sort of thing an address names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// A platform (an index entry) added or removed.
    Platform,
    /// A manifest's digest, size, media type, artifactType or subject.
    Manifest,
    Annotation,
    /// A config field other than those below.
    Config,
    Env,
    Label,
    History,
    Layer,
    Build,
    Package,
    /// A path in the filesystem of an image (`--files`).
    File,
}

/// A path of an image's filesystem, the `before` or `after` of a file change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// `file`, `directory`, `symlink`, `char`, `block`, `fifo`.
    #[serde(rename = "type")]
    pub file_type: String,
    /// Bytes of a regular file; null for anything else.
    pub size: Option<u64>,
    /// `sha256:HEX` of a regular file's bytes; null for anything else.
    pub sha256: Option<String>,
    /// Permission bits in octal, with setuid, setgid and sticky (`0755`, `4755`).
    pub mode: String,
    pub uid: u64,
    pub gid: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
    /// A symlink's target as written.
    pub target: Option<String>,
    /// The path a hard link links to.
    pub hardlink: Option<String>,
    /// `MAJOR,MINOR` of a device node.
    pub device: Option<String>,
    /// Extended attributes, name to base64 value.
    pub xattrs: std::collections::BTreeMap<String, String>,
}

/// The file changes of one platform (two images), and what was read for them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileSummary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Layers of either side read for this platform (each digest once).
    pub layers_read: usize,
    /// Layers the two sides share as a prefix and that were not read.
    pub layers_skipped: usize,
    /// Why the shared prefix was read, when it was; null when it was not (or none).
    pub base_read_because: Option<String>,
    /// Why the files were not compared (a foreign layer, a layer that is not a tar);
    /// null when they were.
    pub not_compared: Option<String>,
}

/// File changes over every platform, and what the comparison read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileTotals {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Distinct layers downloaded and read, and their compressed bytes.
    pub layers_read: usize,
    pub bytes_read: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Upgraded,
    Downgraded,
    /// Updated, but the versions have no known order (or order equal while spelled
    /// differently).
    Changed,
    Unchanged,
}

/// What happened to one package between the old and the new list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChange {
    /// See the module doc: a purl without version, or `format:name`.
    pub key: String,
    pub change: Change,
    /// The version in the old list; None for an addition or a package without version.
    pub before: Option<String>,
    /// The version in the new list; None for a removal or a package without version.
    pub after: Option<String>,
}

/// How many packages had each kind of change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSummary {
    pub upgraded: usize,
    pub downgraded: usize,
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    pub unchanged: usize,
}

impl ChangeSummary {
    pub fn of(changes: &[PackageChange]) -> Self {
        let mut summary = ChangeSummary::default();
        for change in changes {
            *summary.count_mut(change.change) += 1;
        }
        summary
    }

    /// Whether anything other than unchanged packages was counted.
    pub fn has_changes(&self) -> bool {
        self.upgraded + self.downgraded + self.changed + self.added + self.removed > 0
    }

    fn count_mut(&mut self, change: Change) -> &mut usize {
        match change {
            Change::Added => &mut self.added,
            Change::Removed => &mut self.removed,
            Change::Upgraded => &mut self.upgraded,
            Change::Downgraded => &mut self.downgraded,
            Change::Changed => &mut self.changed,
            Change::Unchanged => &mut self.unchanged,
        }
    }
}

/// `12 upgraded, 1 downgraded, 3 added, 2 removed (731 unchanged)`; zero counts are left
/// out, and `no changes` stands in when only unchanged packages are left.
impl fmt::Display for ChangeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            (self.upgraded, "upgraded"),
            (self.downgraded, "downgraded"),
            (self.changed, "changed"),
            (self.added, "added"),
            (self.removed, "removed"),
        ]
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, label)| format!("{count} {label}"))
        .collect();
        if parts.is_empty() {
            f.write_str("no changes")?;
        } else {
            f.write_str(&parts.join(", "))?;
        }
        if self.unchanged > 0 {
            write!(f, " ({} unchanged)", self.unchanged)?;
        }
        Ok(())
    }
}

impl ChangeSummary {
    /// Adds another summary's counts to this one.
    pub fn add(&mut self, other: &ChangeSummary) {
        self.upgraded += other.upgraded;
        self.downgraded += other.downgraded;
        self.changed += other.changed;
        self.added += other.added;
        self.removed += other.removed;
        self.unchanged += other.unchanged;
    }
}
