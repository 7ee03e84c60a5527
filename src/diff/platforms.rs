//! Matching the entries of two indexes: by platform key, never by position, with
//! `linux/arm64` = `linux/arm64/v8`; entries without a platform by artifactType and title,
//! else by position.

use std::collections::{BTreeMap, HashMap};

use crate::manifest::annotations::TITLE;
use crate::model::{ManifestInfo, MatchedBy, PlatformInfo};
use crate::platform::{default_variant, key_occurrence, PlatformFilter};

/// One entry of a side: its key in describe's `manifests` (None for a root image) and
/// the manifest.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub key: Option<&'a str>,
    pub manifest: &'a ManifestInfo,
}

/// A pairing of entries, or an entry on one side only.
#[derive(Debug, Clone)]
pub struct Pairing<'a> {
    /// The key its addresses use.
    pub key: String,
    pub old: Option<Entry<'a>>,
    pub new: Option<Entry<'a>>,
    pub matched_by: MatchedBy,
}

/// Every pairing of the two sides, in output order: removed, added, then matched in the
/// new side's order; and a note for every place where matching was not one to one.
pub struct Matching<'a> {
    pub pairings: Vec<Pairing<'a>>,
    pub notes: Vec<String>,
}

/// The entries of an index, or an image as the one entry of its platform.
pub fn entries(manifest: &ManifestInfo) -> Vec<Entry<'_>> {
    match &manifest.manifests {
        Some(children) => children
            .iter()
            .map(|(key, child)| Entry {
                key: Some(key),
                manifest: child,
            })
            .collect(),
        None => vec![Entry {
            key: None,
            manifest,
        }],
    }
}

/// Whether `--platform` asks for an entry: its platform matches a filter, and a filter's
/// `#n` the entry's key in its index.
pub fn is_wanted(filters: &[PlatformFilter], entry: &Entry<'_>) -> bool {
    let Some(p) = platform_of(entry.manifest) else {
        return false;
    };
    let platform = crate::manifest::Platform {
        os: p.os,
        architecture: p.architecture,
        variant: p.variant,
        os_version: p.os_version,
        ..Default::default()
    };
    let occurrence = entry.key.map_or(1, key_occurrence);
    filters
        .iter()
        .any(|f| f.matches(&platform) && f.wants_occurrence(occurrence))
}

/// The manifests `--platform` asks for anywhere in a nested index, outer ones first, as
/// `describe --platform` looks for them: indexes whose platform does not match are not
/// entered.
pub fn wanted_within<'a>(filters: &[PlatformFilter], index: &'a ManifestInfo) -> Vec<Entry<'a>> {
    let mut found = Vec::new();
    let mut nested = Vec::new();
    for entry in entries(index) {
        if entry.manifest.manifests.is_none() {
            if is_wanted(filters, &entry) {
                found.push(entry);
            }
            continue;
        }
        if entry.manifest.descriptor.platform.is_none() || is_wanted(filters, &entry) {
            nested.push(entry.manifest);
        }
    }
    for inner in nested {
        found.extend(wanted_within(filters, inner));
    }
    found
}

/// The platform an entry runs on: its index descriptor's, else its config's.
pub fn platform_of(manifest: &ManifestInfo) -> Option<PlatformInfo> {
    if let Some(platform) = &manifest.descriptor.platform {
        return Some(platform.clone());
    }
    let config = manifest.config.as_ref()?;
    Some(PlatformInfo {
        os: config.os.clone()?,
        architecture: config.architecture.clone()?,
        variant: config.variant.clone(),
        os_version: config.os_version.clone(),
        os_features: None,
        features: None,
    })
}

/// `os/architecture/variant`, with the variant an arm architecture has when none is
/// written; os.version is left out (it is compared, not matched on).
pub fn match_key(platform: &PlatformInfo) -> String {
    let variant = platform
        .variant
        .as_deref()
        .filter(|v| !v.is_empty())
        .or_else(|| default_variant(&platform.architecture));
    match variant {
        Some(variant) => format!("{}/{}/{variant}", platform.os, platform.architecture),
        None => format!("{}/{}", platform.os, platform.architecture),
    }
}

/// The match key with `:os.version` when there is one: the key addresses use.
pub fn full_key(platform: &PlatformInfo) -> String {
    match platform.os_version.as_deref().filter(|v| !v.is_empty()) {
        Some(version) => format!("{}:{version}", match_key(platform)),
        None => match_key(platform),
    }
}

fn title(manifest: &ManifestInfo) -> Option<&str> {
    manifest
        .descriptor
        .annotations
        .get(TITLE)
        .or_else(|| manifest.annotations.get(TITLE))
        .map(String::as_str)
}

struct Side<'a> {
    entries: Vec<Entry<'a>>,
    platforms: Vec<Option<PlatformInfo>>,
    taken: Vec<bool>,
}

impl<'a> Side<'a> {
    fn new(entries: Vec<Entry<'a>>) -> Side<'a> {
        // An index entry is matched by the platform its index gives it, as describe keys
        // it; an image compared with an index by what it records itself.
        let platforms: Vec<_> = entries
            .iter()
            .map(|e| match e.key {
                Some(_) => e.manifest.descriptor.platform.clone(),
                None => platform_of(e.manifest),
            })
            .collect();
        let taken = vec![false; entries.len()];
        Side {
            entries,
            platforms,
            taken,
        }
    }

    /// Positions of the untaken entries with a platform, grouped by `key_of`, in order.
    fn untaken_by(&self, key_of: fn(&PlatformInfo) -> String) -> BTreeMap<String, Vec<usize>> {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, platform) in self.platforms.iter().enumerate() {
            if let (Some(platform), false) = (platform, self.taken[i]) {
                groups.entry(key_of(platform)).or_default().push(i);
            }
        }
        groups
    }

    fn untaken_without_platform(&self) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| self.platforms[i].is_none() && !self.taken[i])
            .collect()
    }

    fn title_is_unique(&self, wanted: &str) -> bool {
        let entries = self.entries.iter().zip(&self.platforms);
        let same = entries.filter(|(e, p)| p.is_none() && title(e.manifest) == Some(wanted));
        same.count() == 1
    }

    /// The key addresses use for entry `i`: its platform key (`#n` for the n-th entry
    /// with that key), else its title when no other entry has it, else its position among
    /// entries without a platform.
    fn address_key(&self, i: usize) -> String {
        match &self.platforms[i] {
            Some(platform) => {
                let key = full_key(platform);
                let occurrence = self.platforms[..i]
                    .iter()
                    .flatten()
                    .filter(|p| full_key(p) == key)
                    .count();
                if occurrence == 0 {
                    key
                } else {
                    format!("{key}#{}", occurrence + 1)
                }
            }
            None => {
                let position = self.platforms[..i].iter().filter(|p| p.is_none()).count();
                match title(self.entries[i].manifest).filter(|t| self.title_is_unique(t)) {
                    Some(title) => title.to_string(),
                    None => format!("entry[{position}]"),
                }
            }
        }
    }
}

/// Matches the entries of two sides (see the module doc).
pub fn match_entries<'a>(old: Vec<Entry<'a>>, new: Vec<Entry<'a>>) -> Matching<'a> {
    let mut old = Side::new(old);
    let mut new = Side::new(new);
    let mut matched: Vec<(usize, usize, MatchedBy)> = Vec::new();
    let mut notes = Vec::new();
    for key_of in [full_key as fn(&PlatformInfo) -> String, match_key] {
        let new_groups = new.untaken_by(key_of);
        for (key, old_positions) in old.untaken_by(key_of) {
            let Some(new_positions) = new_groups.get(&key) else {
                continue;
            };
            if old_positions.len() > 1 || new_positions.len() > 1 {
                notes.push(format!(
                    "{key} appears {} times in old and {} in new: paired in order",
                    old_positions.len(),
                    new_positions.len()
                ));
            }
            for (&o, &n) in old_positions.iter().zip(new_positions) {
                old.taken[o] = true;
                new.taken[n] = true;
                matched.push((o, n, MatchedBy::Platform));
            }
        }
    }
    match_without_platform(&mut old, &mut new, &mut matched, &mut notes);
    matched.sort_by_key(|&(_, n, _)| n);

    let mut pairings = Vec::new();
    for (i, entry) in old
        .entries
        .iter()
        .enumerate()
        .filter(|(i, _)| !old.taken[*i])
    {
        pairings.push(one_sided(old.address_key(i), Some(*entry), None));
    }
    for (i, entry) in new
        .entries
        .iter()
        .enumerate()
        .filter(|(i, _)| !new.taken[*i])
    {
        pairings.push(one_sided(new.address_key(i), None, Some(*entry)));
    }
    for (o, n, matched_by) in matched {
        pairings.push(Pairing {
            key: new.address_key(n),
            old: Some(old.entries[o]),
            new: Some(new.entries[n]),
            matched_by,
        });
    }
    Matching { pairings, notes }
}

fn one_sided<'a>(key: String, old: Option<Entry<'a>>, new: Option<Entry<'a>>) -> Pairing<'a> {
    Pairing {
        key,
        old,
        new,
        matched_by: MatchedBy::Unmatched,
    }
}

/// Entries without a platform: by artifactType and title where that pair is unique on
/// both sides, the rest by position.
fn match_without_platform(
    old: &mut Side<'_>,
    new: &mut Side<'_>,
    matched: &mut Vec<(usize, usize, MatchedBy)>,
    notes: &mut Vec<String>,
) {
    let titled = |side: &Side<'_>| {
        let mut by_title: HashMap<(Option<String>, String), Vec<usize>> = HashMap::new();
        for i in side.untaken_without_platform() {
            let manifest = side.entries[i].manifest;
            if let Some(title) = title(manifest) {
                let key = (manifest.artifact_type.clone(), title.to_string());
                by_title.entry(key).or_default().push(i);
            }
        }
        by_title
    };
    let new_titled = titled(new);
    let mut by_title: Vec<(usize, usize)> = titled(old)
        .into_iter()
        .filter_map(
            |(key, olds)| match (olds.as_slice(), new_titled.get(&key)) {
                ([o], Some(news)) if news.len() == 1 => Some((*o, news[0])),
                _ => None,
            },
        )
        .collect();
    by_title.sort();
    for (o, n) in by_title {
        old.taken[o] = true;
        new.taken[n] = true;
        matched.push((o, n, MatchedBy::Title));
    }
    let old_rest = old.untaken_without_platform();
    let new_rest = new.untaken_without_platform();
    let paired = old_rest.len().min(new_rest.len());
    if paired > 0 {
        notes.push(format!(
            "{paired} {} without a platform or a unique title matched by position",
            if paired == 1 { "entry" } else { "entries" }
        ));
    }
    for (&o, &n) in old_rest.iter().zip(&new_rest) {
        old.taken[o] = true;
        new.taken[n] = true;
        matched.push((o, n, MatchedBy::Position));
    }
}
