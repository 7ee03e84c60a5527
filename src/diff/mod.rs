//! `ocx diff`: comparing two descriptions like a plan. [`diff`] is pure: it takes two
//! [`Description`]s and returns the [`Diff`] of the model, which render prints.
//!
//! [`version`] orders two versions of one package the way its ecosystem does (dpkg, rpm,
//! apk, semver, Go modules, PEP 440, Maven), [`packages`] matches two package lists by a
//! stable key, [`platforms`] matches the entries of two indexes, [`compare`] compares
//! the fields of one scope, and [`address`] names what changed and matches `--ignore`.
//!
//! A scope is the two images, or one platform (entry) of the indexes. A manifest or
//! config digest that differs is listed only when nothing found under its scope explains
//! it: a changed env var already says why the digests differ, and a difference that was
//! ignored must not come back as a digest change.

pub mod address;
pub mod compare;
pub mod files;
pub mod packages;
pub mod platforms;
pub mod version;

use serde_json::json;

use crate::model::{
    ChangeKind, ChangeSummary, Description, Diff, DiffKind, DiffSide, DiffSummary, Difference,
    EntryRef, ManifestInfo, MatchedBy, PlatformDiff, SCHEMA_VERSION,
};
use crate::platform::PlatformFilter;
use address::{field, keyed, Ignores};
use compare::Collector;
use platforms::{entries, is_wanted, match_entries, platform_of, Entry, Matching, Pairing};

/// What the comparison leaves out or adds.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Compare only the index entries for these platforms; empty: every entry.
    pub platforms: Vec<PlatformFilter>,
    /// Address patterns with `*` globs whose differences are left out.
    pub ignore: Vec<String>,
    /// Leave out created annotations and labels, config `created`, history timestamps
    /// and build `created`.
    pub ignore_timestamps: bool,
    /// Also list equal map entries, layers and packages.
    pub show_unchanged: bool,
}

/// Compares two descriptions.
pub fn diff(old: &Description, new: &Description, options: &DiffOptions) -> Diff {
    let ignores = Ignores::new(&options.ignore, options.ignore_timestamps);
    let mut differ = Differ {
        options,
        ignores: &ignores,
        platforms: Vec::new(),
        notes: Vec::new(),
        ignored: 0,
    };
    let root = differ.root(&old.manifest, &new.manifest);
    let platforms = differ.platforms;
    let mut summary = DiffSummary {
        changes: root.kept,
        ignored: differ.ignored,
        ..DiffSummary::default()
    };
    for platform in &platforms {
        if let Some(packages) = &platform.packages {
            summary.packages.add(packages);
        }
        let counts = &mut summary.platforms;
        *match platform.change {
            ChangeKind::Added => &mut counts.added,
            ChangeKind::Removed => &mut counts.removed,
            ChangeKind::Changed => &mut counts.changed,
            ChangeKind::Unchanged => &mut counts.unchanged,
        } += 1;
    }
    summary.packages.add(&root.index_packages);
    Diff {
        schema_version: SCHEMA_VERSION,
        old: side(old),
        new: side(new),
        equal: root.kept == 0,
        summary,
        platforms,
        changes: root.changes,
        notes: differ.notes,
    }
}

fn side(description: &Description) -> DiffSide {
    DiffSide {
        reference: description.reference.clone(),
        resolved: description.resolved.clone(),
        digest: description.manifest.descriptor.digest.clone(),
        media_type: description.manifest.media_type.value.clone(),
        total_size: description.manifest.total_size,
    }
}

struct Differ<'o> {
    options: &'o DiffOptions,
    ignores: &'o Ignores,
    platforms: Vec<PlatformDiff>,
    notes: Vec<String>,
    ignored: usize,
}

/// What comparing one scope and everything under it gave.
#[derive(Default)]
struct Compared {
    changes: Vec<Difference>,
    found: usize,
    kept: usize,
    /// Packages of an index's own SBOMs (a scope's are in its [`PlatformDiff`]).
    index_packages: ChangeSummary,
}

impl Compared {
    fn absorb(&mut self, other: Compared) {
        self.changes.extend(other.changes);
        self.found += other.found;
        self.kept += other.kept;
        self.index_packages.add(&other.index_packages);
    }
}

impl<'o> Differ<'o> {
    fn root(&mut self, old: &ManifestInfo, new: &ManifestInfo) -> Compared {
        let both_images = old.manifests.is_none() && new.manifests.is_none();
        if both_images {
            let key = platform_of(new)
                .or_else(|| platform_of(old))
                .map(|p| platforms::full_key(&p))
                .unwrap_or_else(|| "image".to_string());
            let pairing = Pairing {
                key,
                old: Some(Entry {
                    key: None,
                    manifest: old,
                }),
                new: Some(Entry {
                    key: None,
                    manifest: new,
                }),
                matched_by: MatchedBy::Root,
            };
            return self.scope("", &pairing);
        }
        self.index_pair("", None, old, new)
    }

    /// Two manifests of which at least one is an index: their own fields, then their
    /// entries (an image counts as the one entry of its platform).
    fn index_pair(
        &mut self,
        prefix: &str,
        platform: Option<&str>,
        old: &ManifestInfo,
        new: &ManifestInfo,
    ) -> Compared {
        let mut c = self.collector(prefix, platform);
        let both_indexes = old.manifests.is_some() && new.manifests.is_some();
        manifest_fields(&mut c, old, new);
        if both_indexes {
            c.map(
                "annotations",
                DiffKind::Annotation,
                &old.annotations,
                &new.annotations,
            );
            compare::build(&mut c, &old.build, &new.build);
        }
        let mut index_packages = ChangeSummary::default();
        if let (true, Some(o), Some(n)) = (both_indexes, &old.sbom, &new.sbom) {
            index_packages = compare::packages(&mut c, o, n);
        }
        let mut below = Compared::default();
        let matching = self.match_selected(old, new);
        self.notes.extend(matching.notes);
        for pairing in matching.pairings {
            if self.is_selected(&pairing) {
                let scope_prefix = keyed(&field(prefix, "platforms"), &pairing.key);
                below.absorb(self.scope(&scope_prefix, &pairing));
            }
        }
        // Platforms left out by --platform may be what changed the index's digest.
        let explain_digest = self.options.platforms.is_empty();
        let mut compared = self.finish(c, below, old, new, explain_digest);
        compared.index_packages.add(&index_packages);
        compared
    }

    fn is_selected(&self, pairing: &Pairing<'_>) -> bool {
        if self.options.platforms.is_empty() {
            return true;
        }
        // A nested index is entered: its own entries are selected by platform.
        [pairing.old, pairing.new].iter().flatten().any(|entry| {
            entry.manifest.manifests.is_some() || is_wanted(&self.options.platforms, entry)
        })
    }

    /// The entries of two manifests matched. With `--platform`, a nested index left
    /// unpaired stands for the manifests asked for inside it (one already on its side
    /// counts once), and what is left is matched again: a platform is found at any depth,
    /// as `describe --platform` finds it.
    fn match_selected<'a>(&self, old: &'a ManifestInfo, new: &'a ManifestInfo) -> Matching<'a> {
        let matching = match_entries(entries(old), entries(new));
        let filters = &self.options.platforms;
        let unpaired_index = |p: &Pairing<'_>| {
            [p.old, p.new]
                .iter()
                .flatten()
                .any(|e| e.manifest.manifests.is_some())
                && p.matched_by == MatchedBy::Unmatched
        };
        if filters.is_empty() || !matching.pairings.iter().any(unpaired_index) {
            return matching;
        }
        let (unmatched, paired): (Vec<_>, Vec<_>) = matching
            .pairings
            .into_iter()
            .partition(|p| p.matched_by == MatchedBy::Unmatched);
        let side = |of: fn(&Pairing<'a>) -> Option<Entry<'a>>| {
            let mut seen: Vec<&str> = paired
                .iter()
                .filter_map(of)
                .map(|e| e.manifest.descriptor.digest.as_str())
                .collect();
            let mut left = Vec::new();
            for entry in unmatched.iter().filter_map(of) {
                let found = match entry.manifest.manifests {
                    Some(_) => platforms::wanted_within(filters, entry.manifest),
                    None => vec![entry],
                };
                for entry in found {
                    let digest = entry.manifest.descriptor.digest.as_str();
                    if !seen.contains(&digest) {
                        seen.push(digest);
                        left.push(entry);
                    }
                }
            }
            left
        };
        let (old_left, new_left) = (side(|p| p.old), side(|p| p.new));
        let again = match_entries(old_left, new_left);
        let (one_sided, matched): (Vec<_>, Vec<_>) = again
            .pairings
            .into_iter()
            .partition(|p| p.matched_by == MatchedBy::Unmatched);
        Matching {
            pairings: one_sided.into_iter().chain(paired).chain(matched).collect(),
            notes: matching.notes.into_iter().chain(again.notes).collect(),
        }
    }

    /// One scope: a platform added or removed, or two entries compared.
    fn scope(&mut self, prefix: &str, pairing: &Pairing<'_>) -> Compared {
        let entry_ref = |entry: &Entry<'_>| EntryRef {
            key: entry.key.map(str::to_string),
            digest: entry.manifest.descriptor.digest.clone(),
            size: entry.manifest.descriptor.size,
        };
        let mut platform = PlatformDiff {
            key: pairing.key.clone(),
            address: prefix.to_string(),
            change: ChangeKind::Unchanged,
            old: pairing.old.as_ref().map(entry_ref),
            new: pairing.new.as_ref().map(entry_ref),
            matched_by: pairing.matched_by,
            layers: None,
            packages: None,
            files: None,
        };
        let (old, new) = match (pairing.old, pairing.new) {
            (Some(old), Some(new)) => (old.manifest, new.manifest),
            (old, new) => {
                let compared = self.one_sided(prefix, &pairing.key, old, new);
                if compared.kept > 0 {
                    platform.change = if old.is_some() {
                        ChangeKind::Removed
                    } else {
                        ChangeKind::Added
                    };
                    self.platforms.push(platform);
                }
                return compared;
            }
        };
        let position = self.platforms.len();
        let compared = if old.manifests.is_some() || new.manifests.is_some() {
            self.index_pair(prefix, Some(&pairing.key), old, new)
        } else {
            let mut c = self.collector(prefix, Some(&pairing.key));
            manifest_fields(&mut c, old, new);
            c.map(
                "annotations",
                DiffKind::Annotation,
                &old.annotations,
                &new.annotations,
            );
            if let (Some(o), Some(n)) = (&old.config, &new.config) {
                compare::config(&mut c, o, n);
            }
            let layers = |m: &ManifestInfo| m.layers.clone().unwrap_or_default();
            platform.layers = Some(compare::layers(&mut c, &layers(old), &layers(new)));
            compare::build(&mut c, &old.build, &new.build);
            if let (Some(o), Some(n)) = (&old.sbom, &new.sbom) {
                platform.packages = Some(compare::packages(&mut c, o, n));
            }
            self.finish(c, Compared::default(), old, new, true)
        };
        if compared.kept > 0 {
            platform.change = ChangeKind::Changed;
        }
        self.platforms.insert(position, platform);
        compared
    }

    /// A platform on one side only: one difference with its key, digest and platform.
    fn one_sided(
        &mut self,
        prefix: &str,
        key: &str,
        old: Option<Entry<'_>>,
        new: Option<Entry<'_>>,
    ) -> Compared {
        let value = |entry: Option<Entry<'_>>| match entry {
            Some(e) => json!({
                "key": key,
                "digest": e.manifest.descriptor.digest,
                "size": e.manifest.descriptor.size,
                "media_type": e.manifest.media_type.value,
                "platform": platform_of(e.manifest),
            }),
            None => serde_json::Value::Null,
        };
        let mut c = self.collector(prefix, Some(key));
        c.values(
            prefix.to_string(),
            DiffKind::Platform,
            value(old),
            value(new),
        );
        self.ignored += c.ignored;
        Compared {
            found: c.found,
            kept: c.kept_changes(),
            changes: c.kept,
            index_packages: ChangeSummary::default(),
        }
    }

    fn collector(&self, prefix: &str, platform: Option<&str>) -> Collector<'o> {
        Collector::new(self.ignores, self.options.show_unchanged, prefix, platform)
    }

    /// Adds what was found below a scope to the scope's own findings, and with
    /// `explain_digest` lists the digests that differ when nothing found explains them.
    fn finish(
        &mut self,
        mut c: Collector<'_>,
        below: Compared,
        old: &ManifestInfo,
        new: &ManifestInfo,
        explain_digest: bool,
    ) -> Compared {
        if explain_digest && c.found + below.found == 0 {
            let digest = |m: &ManifestInfo| m.descriptor.digest.clone();
            c.compare("digest", DiffKind::Manifest, &digest(old), &digest(new));
            let config = |m: &ManifestInfo| m.config.as_ref().map(|c| c.descriptor.digest.clone());
            c.compare(
                "config.digest",
                DiffKind::Config,
                &config(old),
                &config(new),
            );
        }
        self.ignored += c.ignored;
        let mut compared = Compared {
            found: c.found,
            kept: c.kept_changes(),
            changes: c.kept,
            index_packages: ChangeSummary::default(),
        };
        compared.absorb(below);
        compared
    }
}

/// The fields every manifest has but annotations (an image's belong to its platform when
/// it is compared with an index): media type, artifactType, subject.
fn manifest_fields(c: &mut Collector<'_>, old: &ManifestInfo, new: &ManifestInfo) {
    let kind = DiffKind::Manifest;
    c.compare(
        "media_type",
        kind,
        &old.media_type.value,
        &new.media_type.value,
    );
    c.compare(
        "artifact_type",
        kind,
        &old.artifact_type,
        &new.artifact_type,
    );
    let subject = |m: &ManifestInfo| m.subject.as_ref().map(|s| s.digest.clone());
    c.compare("subject", kind, &subject(old), &subject(new));
}

#[cfg(test)]
mod tests;
