//! `ocx diff --files`: the final filesystems of two images compared path by path, added
//! to the change set as changes of kind `file`.
//!
//! Per platform both sides have as images, layers are matched by digest from the first:
//! the shared prefix builds the same filesystem on both sides (the base). Each side's own
//! layers are read and applied on an unknown base; when every path either side touches
//! is decided by both sides alone (written or hidden), the base cannot make a difference
//! and is never downloaded. Otherwise (a path on one side only: added, or changed from
//! the base? a whiteout on one side: was anything there?) the base is read too, and both
//! filesystems are built whole. Every digest is read at most once ([`LayerReader`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use base64::Engine as _;
use futures_util::future::try_join_all;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::Value;
use similar::TextDiff;

use super::address::{keyed, Ignores};
use super::compare::Collector;
use crate::digest::to_hex;
use crate::layers::archive::is_text;
use crate::layers::tree::{ancestors, needs_base, Tree};
use crate::layers::{FileMeta, LayerReader, Limits, TextStore};
use crate::manifest::Descriptor;
use crate::model::{
    ChangeKind, Description, DescriptorInfo, Diff, DiffKind, FileInfo, FileSummary, FileTotals,
    ManifestInfo, PlatformDiff,
};
use crate::source::Source;

/// Text files up to this size have their lines compared with `--content`.
pub const CONTENT_LIMIT: u64 = 64 << 10;
/// The most text bytes kept for `--content` over the whole comparison.
pub const CONTENT_STORE: usize = 64 << 20;

/// What `--files` compares and leaves out.
#[derive(Debug, Default)]
pub struct FileOptions {
    /// `--ignore` patterns that are addresses (as for the rest of the diff).
    pub ignore: Vec<String>,
    /// `--ignore` patterns that are paths: a path matching one, or below one that does,
    /// is left out.
    pub paths: Vec<String>,
    pub ignore_timestamps: bool,
    /// Unified diffs of changed small text files.
    pub content: bool,
    pub limits: Limits,
}

/// A path glob: `*` and `?` within one name, `**` across names, `[abc]`, `{a,b}`.
pub fn path_globs(patterns: &[String]) -> Result<GlobSet> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .with_context(|| format!("the path glob {pattern:?}"))?;
        set.add(glob);
    }
    Ok(set.build()?)
}

/// One side: its description and where its layers are read from.
pub struct Side<'a> {
    pub description: &'a Description,
    pub source: &'a dyn Source,
}

/// Adds the file changes of every platform both sides have as images to `diff`.
pub async fn compare_files(
    diff: &mut Diff,
    old: Side<'_>,
    new: Side<'_>,
    options: &FileOptions,
) -> Result<()> {
    let globs = path_globs(&options.paths)?;
    let ignores = Ignores::new(&options.ignore, false);
    let mut limits = options.limits;
    let texts = options.content.then(|| {
        limits.keep_text_up_to = CONTENT_LIMIT;
        Arc::new(TextStore::new(CONTENT_STORE))
    });
    let reader = LayerReader::new(limits, texts.clone());
    let compare = Compare {
        reader: &reader,
        options,
        globs: &globs,
        ignores: &ignores,
        texts: texts.as_deref(),
    };
    let mut totals = FileTotals::default();
    for i in 0..diff.platforms.len() {
        let platform = &diff.platforms[i];
        let (Some(o), Some(n), Some(_)) = (&platform.old, &platform.new, &platform.layers) else {
            continue;
        };
        let pair = (
            old.description.manifest.find(&o.digest),
            new.description.manifest.find(&n.digest),
        );
        let (Some(old_manifest), Some(new_manifest)) = pair else {
            continue;
        };
        let images = [(old_manifest, old.source), (new_manifest, new.source)];
        let (collected, summary) = compare
            .platform(platform, images)
            .await
            .with_context(|| format!("comparing the files of {}", platform.key))?;
        totals.added += summary.added;
        totals.removed += summary.removed;
        totals.changed += summary.changed;
        merge(diff, i, collected, summary);
    }
    (totals.layers_read, totals.bytes_read) = reader.read_so_far();
    diff.summary.files = Some(totals);
    Ok(())
}

/// What one platform's comparison kept and how much it ignored.
struct Collected {
    changes: Vec<crate::model::Difference>,
    kept: usize,
    ignored: usize,
}

struct Compare<'a> {
    reader: &'a LayerReader,
    options: &'a FileOptions,
    globs: &'a GlobSet,
    ignores: &'a Ignores,
    texts: Option<&'a TextStore>,
}

/// The layers of one image and the source that holds them.
type Image<'a> = (&'a ManifestInfo, &'a dyn Source);

impl Compare<'_> {
    async fn platform(
        &self,
        platform: &PlatformDiff,
        [old, new]: [Image<'_>; 2],
    ) -> Result<(Collected, FileSummary)> {
        let mut summary = FileSummary::default();
        let mut collected = Collected {
            changes: Vec::new(),
            kept: 0,
            ignored: 0,
        };
        let (old_layers, new_layers) = (descriptors(old.0)?, descriptors(new.0)?);
        let shared = old_layers
            .iter()
            .zip(&new_layers)
            .take_while(|(o, n)| o.digest == n.digest)
            .count();
        let own = |layers: &[Descriptor]| layers[shared..].to_vec();
        let (old_own, new_own) = (own(&old_layers), own(&new_layers));
        if let Some(reason) = unreadable(old_own.iter().chain(&new_own)) {
            summary.not_compared = Some(reason);
            return Ok((collected, summary));
        }
        let (old_read, new_read) = tokio::try_join!(
            self.read_all(old.1, &old_own),
            self.read_all(new.1, &new_own)
        )?;
        let start = || {
            if shared == 0 {
                Tree::default()
            } else {
                Tree::on_unknown_base()
            }
        };
        let mut trees = (start(), start());
        apply_all(&mut trees.0, &old_read)?;
        apply_all(&mut trees.1, &new_read)?;
        summary.layers_skipped = shared;
        if let Some(reason) = (shared > 0)
            .then(|| needs_base(&trees.0, &trees.1))
            .flatten()
        {
            let base_layers = &new_layers[..shared];
            if let Some(why_not) = unreadable(base_layers) {
                summary.not_compared = Some(format!("{reason}, and {why_not}"));
                return Ok((collected, summary));
            }
            let base_read = self.read_all(new.1, base_layers).await?;
            let mut base = Tree::default();
            apply_all(&mut base, &base_read)?;
            trees = (base.clone(), base);
            apply_all(&mut trees.0, &old_read)?;
            apply_all(&mut trees.1, &new_read)?;
            summary.base_read_because = Some(reason);
            summary.layers_skipped = 0;
        }
        summary.layers_read = distinct(&old_layers, &new_layers) - summary.layers_skipped;
        let mut c = Collector::new(self.ignores, false, &platform.address, Some(&platform.key));
        self.compare_trees(&mut c, &trees.0, &trees.1, &mut summary);
        collected.kept = c.kept_changes();
        collected.ignored = c.ignored;
        collected.changes = c.kept;
        Ok((collected, summary))
    }

    async fn read_all(
        &self,
        source: &dyn Source,
        layers: &[Descriptor],
    ) -> Result<Vec<Arc<crate::layers::LayerIndex>>> {
        try_join_all(layers.iter().map(|layer| self.reader.index(source, layer))).await
    }

    fn compare_trees(
        &self,
        c: &mut Collector<'_>,
        old: &Tree,
        new: &Tree,
        summary: &mut FileSummary,
    ) {
        let parent = c.at("files");
        let mut olds = old.files.iter().peekable();
        let mut news = new.files.iter().peekable();
        loop {
            let order = match (olds.peek(), news.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((o, _)), Some((n, _))) => o.cmp(n),
            };
            let (path, before, after) = match order {
                Ordering::Less => olds.next().map(|(p, m)| (p, Some(m), None)),
                Ordering::Greater => news.next().map(|(p, m)| (p, None, Some(m))),
                Ordering::Equal => {
                    let (path, before) = olds.next().unzip();
                    let (_, after) = news.next().unzip();
                    path.map(|p| (p, before, after))
                }
            }
            .expect("peeked");
            self.compare_path(c, &parent, path, before, after, summary);
        }
    }

    fn compare_path(
        &self,
        c: &mut Collector<'_>,
        parent: &str,
        path: &str,
        before: Option<&Arc<FileMeta>>,
        after: Option<&Arc<FileMeta>>,
        summary: &mut FileSummary,
    ) {
        let (change, fields) = match (before, after) {
            (Some(b), Some(a)) if Arc::ptr_eq(b, a) || b == a => return,
            (Some(b), Some(a)) => (ChangeKind::Changed, changed_fields(b, a)),
            (Some(_), None) => (ChangeKind::Removed, Vec::new()),
            _ => (ChangeKind::Added, Vec::new()),
        };
        let only_timestamps = self.options.ignore_timestamps
            && change == ChangeKind::Changed
            && fields.iter().all(|f| *f == "mtime");
        if only_timestamps || self.path_ignored(path) {
            c.found += 1;
            c.ignored += 1;
            return;
        }
        let fields: Vec<String> = fields
            .into_iter()
            .filter(|f| !(self.options.ignore_timestamps && *f == "mtime"))
            .map(str::to_string)
            .collect();
        let value = |meta: Option<&Arc<FileMeta>>| meta.map_or(Value::Null, |m| file_value(m));
        let kept = c.record(
            keyed(parent, path),
            DiffKind::File,
            change,
            value(before),
            value(after),
            None,
        );
        if !kept {
            return;
        }
        *match change {
            ChangeKind::Added => &mut summary.added,
            ChangeKind::Removed => &mut summary.removed,
            _ => &mut summary.changed,
        } += 1;
        if change == ChangeKind::Changed {
            let content_diff = match (before, after) {
                (Some(b), Some(a))
                    if self.options.content && fields.iter().any(|f| f == "content") =>
                {
                    self.content_diff(path, b, a)
                }
                _ => None,
            };
            let last = c.kept.last_mut().expect("just kept");
            last.fields = Some(fields);
            last.content_diff = content_diff;
        }
    }

    fn path_ignored(&self, path: &str) -> bool {
        !self.globs.is_empty()
            && std::iter::once(path)
                .chain(ancestors(path))
                .any(|p| self.globs.is_match(p))
    }

    /// The unified diff of two text files' lines, when both were small text files.
    fn content_diff(&self, path: &str, before: &FileMeta, after: &FileMeta) -> Option<String> {
        let texts = self.texts?;
        let old = texts.get(before.sha256.as_ref()?)?;
        let new = texts.get(after.sha256.as_ref()?)?;
        if !is_text(&old) || !is_text(&new) {
            return None;
        }
        let (old, new) = (
            std::str::from_utf8(&old).ok()?,
            std::str::from_utf8(&new).ok()?,
        );
        let diff = TextDiff::from_lines(old, new);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("old{path}"), &format!("new{path}"))
            .to_string();
        Some(text)
    }
}

fn apply_all(tree: &mut Tree, layers: &[Arc<crate::layers::LayerIndex>]) -> Result<()> {
    layers.iter().try_for_each(|layer| tree.apply(layer))
}

/// Distinct digests over both sides' layers.
fn distinct(old: &[Descriptor], new: &[Descriptor]) -> usize {
    let mut digests: Vec<_> = old.iter().chain(new).map(|d| &d.digest).collect();
    digests.sort_by_key(|d| d.to_string());
    digests.dedup();
    digests.len()
}

/// Why these layers cannot be read, if one cannot: it lives elsewhere (foreign,
/// non-distributable, `urls`), or it is not a tar archive.
fn unreadable<'a>(layers: impl IntoIterator<Item = &'a Descriptor>) -> Option<String> {
    layers.into_iter().find_map(|layer| {
        let media_type = layer.media_type.as_str();
        let foreign = media_type.contains("foreign") || media_type.contains("nondistributable");
        if foreign || layer.urls.as_ref().is_some_and(|u| !u.is_empty()) {
            Some(format!(
                "layer {} is foreign ({media_type}): it is not fetched",
                layer.digest
            ))
        } else if !media_type.contains("tar") {
            Some(format!(
                "layer {} is not a filesystem layer ({media_type})",
                layer.digest
            ))
        } else {
            None
        }
    })
}

fn descriptors(manifest: &ManifestInfo) -> Result<Vec<Descriptor>> {
    manifest.layers.iter().flatten().map(descriptor).collect()
}

fn descriptor(layer: &DescriptorInfo) -> Result<Descriptor> {
    let mut descriptor = Descriptor::new(&*layer.media_type, layer.digest.parse()?, layer.size);
    descriptor.urls = layer.urls.clone();
    Ok(descriptor)
}

/// The names of what differs between two states of one path.
pub fn changed_fields(old: &FileMeta, new: &FileMeta) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut check = |differs: bool, name| {
        if differs {
            fields.push(name);
        }
    };
    check(old.kind != new.kind, "type");
    check(old.sha256 != new.sha256, "content");
    check(old.size != new.size, "size");
    check(old.mode != new.mode, "mode");
    check(old.uid != new.uid, "uid");
    check(old.gid != new.gid, "gid");
    check(old.target != new.target, "target");
    check(old.hardlink != new.hardlink, "hardlink");
    check(old.device != new.device, "device");
    check(old.xattrs != new.xattrs, "xattrs");
    check(old.mtime != new.mtime, "mtime");
    fields
}

pub fn file_info(meta: &FileMeta) -> FileInfo {
    let is_file = meta.kind == crate::layers::FileType::File;
    FileInfo {
        file_type: meta.kind.name().to_string(),
        size: is_file.then_some(meta.size),
        sha256: meta.sha256.map(|hash| format!("sha256:{}", to_hex(&hash))),
        mode: format!("{:04o}", meta.mode),
        uid: meta.uid,
        gid: meta.gid,
        mtime: meta.mtime,
        target: meta.target.as_deref().map(str::to_string),
        hardlink: meta.hardlink.as_deref().map(str::to_string),
        device: meta.device.map(|(major, minor)| format!("{major},{minor}")),
        xattrs: meta
            .xattrs
            .iter()
            .map(|(name, value)| {
                let encoded = base64::engine::general_purpose::STANDARD.encode(value);
                (name.to_string(), encoded)
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

fn file_value(meta: &FileMeta) -> Value {
    serde_json::to_value(file_info(meta)).unwrap_or(Value::Null)
}

/// Adds one platform's file changes to the diff, after the changes of the platforms up
/// to it, and marks the platform changed when a file change was kept.
fn merge(diff: &mut Diff, i: usize, collected: Collected, summary: FileSummary) {
    let keys: Vec<&str> = diff.platforms[..=i]
        .iter()
        .map(|p| p.key.as_str())
        .collect();
    let position = diff
        .changes
        .iter()
        .rposition(|c| c.platform.as_deref().is_none_or(|k| keys.contains(&k)))
        .map_or(0, |j| j + 1);
    diff.changes.splice(position..position, collected.changes);
    diff.summary.changes += collected.kept;
    diff.summary.ignored += collected.ignored;
    let platform = &mut diff.platforms[i];
    platform.files = Some(summary);
    if collected.kept > 0 {
        diff.equal = false;
        if platform.change == ChangeKind::Unchanged {
            platform.change = ChangeKind::Changed;
            diff.summary.platforms.unchanged -= 1;
            diff.summary.platforms.changed += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_globs_stop_at_slashes_unless_doubled() {
        let globs = path_globs(&["/var/log/**".into(), "/etc/*.conf".into()]).unwrap();
        assert!(globs.is_match("/var/log/apt/history.log"));
        assert!(globs.is_match("/etc/a.conf"));
        assert!(!globs.is_match("/etc/x/a.conf"));
        assert!(!globs.is_match("/var/log"));
    }
}
