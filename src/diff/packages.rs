//! Matching the packages of two SBOM package lists and naming what changed.
//!
//! Each package gets a key: for a purl, its type, namespace (lowercased for `deb`, `rpm`
//! and `apk`, whose namespaces are distro names), name (normalized for `pypi`, as the purl
//! spec asks), and the qualifiers that tell two installed packages apart: `arch` (dpkg
//! holds `amd64` and `i386` of one package side by side), and for `maven` also
//! `classifier` and `type`. Qualifiers that only say where a package came from
//! (`distro`, `upstream`, `repository_url`, checksums...) are not part of it, so a distro
//! point release alone changes nothing. The rpm `epoch` qualifier belongs to the version.
//! The subpath is part of the key: it names a package inside another, which `ocx sbom`
//! counts as its own. The key is written as a purl without version, e.g.
//! `pkg:deb/debian/openssl?arch=amd64`.
//! A package without a purl is keyed by its SBOM format and name, as `spdx:name`.
//!
//! Within a key, versions on both sides are unchanged; when exactly one version is left on
//! each side it is an update, whose direction [`version::compare`] decides; any other
//! leftovers are additions and removals. Everything is sorted in maps, so two lists of n
//! packages take O(n log n).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::diff::version;
use crate::model::Package;
use crate::model::Purl;
pub use crate::model::{Change, ChangeSummary, PackageChange};
use crate::sbom::parse::parse_purl;

/// One package as the diff reads it, borrowed from whatever holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageRef<'a> {
    /// The purl string as the SBOM holds it; when it has a version, that version counts.
    pub purl: Option<&'a str>,
    /// The package's name; keys a package without a purl.
    pub name: &'a str,
    /// The version when the purl has none (or there is no purl).
    pub version: Option<&'a str>,
    /// The SBOM format it was listed in (`spdx`, `cyclonedx`, `syft`); keys a package
    /// without a purl.
    pub format: &'a str,
    /// The purl already split, as the model holds it; split from `purl` when None.
    pub split: Option<&'a Purl>,
}

impl<'a> PackageRef<'a> {
    /// A package of the describe/sbom model. Its format is that of its first source, which
    /// only matters for a package without a purl, and the model has none of those.
    pub fn from_package(package: &'a Package) -> Self {
        PackageRef {
            purl: Some(&package.purl.purl),
            name: package.purl.name.as_deref().unwrap_or_default(),
            version: package.purl.version.as_deref(),
            format: package
                .sources
                .first()
                .map(|source| source.format.as_str())
                .unwrap_or_default(),
            split: Some(&package.purl),
        }
    }
}

impl<'a> From<&'a Package> for PackageRef<'a> {
    fn from(package: &'a Package) -> Self {
        PackageRef::from_package(package)
    }
}

/// The key of a package and the version it is compared by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedPackage {
    /// See the module doc.
    pub key: String,
    /// The purl type whose version rules apply; empty without a purl.
    pub purl_type: String,
    /// For rpm with the `epoch` qualifier folded in.
    pub version: Option<String>,
}

impl KeyedPackage {
    pub fn of(package: &PackageRef<'_>) -> Self {
        let parsed;
        let split = match package.split {
            Some(purl) => Some(purl),
            None => {
                parsed = package.purl.map(parse_purl);
                parsed.as_ref()
            }
        };
        match split.filter(|purl| purl.purl_type.is_some() && purl.name.is_some()) {
            Some(purl) => Self::from_purl(purl, package.version),
            None => Self::without_purl(package),
        }
    }

    fn from_purl(purl: &Purl, fallback_version: Option<&str>) -> Self {
        let purl_type = purl
            .purl_type
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let version = purl.version.as_deref().or(fallback_version).map(|version| {
            if purl_type == "rpm" {
                let epoch = purl.qualifiers.get("epoch").map(String::as_str);
                version::rpm_version_with_epoch(version, epoch)
            } else {
                version.to_string()
            }
        });
        KeyedPackage {
            key: purl_key(&purl_type, purl),
            purl_type,
            version,
        }
    }

    fn without_purl(package: &PackageRef<'_>) -> Self {
        let name = if package.name.is_empty() {
            package.purl.unwrap_or_default()
        } else {
            package.name
        };
        KeyedPackage {
            key: format!("{}:{}", package.format, name),
            purl_type: String::new(),
            version: package.version.map(str::to_string),
        }
    }
}

/// `pkg:type/namespace/name?key-qualifiers#subpath`, each part percent-encoded.
fn purl_key(purl_type: &str, purl: &Purl) -> String {
    let mut key = format!("pkg:{purl_type}/");
    if let Some(namespace) = purl.namespace.as_deref() {
        let namespace = if matches!(purl_type, "deb" | "rpm" | "apk") {
            namespace.to_lowercase()
        } else {
            namespace.to_string()
        };
        for segment in namespace.split('/').filter(|s| !s.is_empty()) {
            key.push_str(&percent_encode(segment));
            key.push('/');
        }
    }
    let name = purl.name.as_deref().unwrap_or_default();
    let name = if purl_type == "pypi" {
        normalize_pypi_name(name)
    } else {
        name.to_string()
    };
    key.push_str(&percent_encode(&name));
    let qualifiers: Vec<String> = purl
        .qualifiers
        .iter()
        .filter(|(name, _)| is_key_qualifier(purl_type, name))
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect();
    if !qualifiers.is_empty() {
        key.push('?');
        key.push_str(&qualifiers.join("&"));
    }
    // The subpath names a package inside another (`golang.org/x/sys#windows`).
    let subpath = purl.subpath.as_deref().unwrap_or_default();
    let segments: Vec<String> = subpath
        .split('/')
        .filter(|s| !s.is_empty() && !matches!(*s, "." | ".."))
        .map(percent_encode)
        .collect();
    if !segments.is_empty() {
        key.push('#');
        key.push_str(&segments.join("/"));
    }
    key
}

/// Qualifiers that tell two installed packages apart, as opposed to where they came from.
fn is_key_qualifier(purl_type: &str, qualifier: &str) -> bool {
    qualifier == "arch" || (purl_type == "maven" && matches!(qualifier, "classifier" | "type"))
}

/// PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`.
fn normalize_pypi_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.extend(c.to_lowercase());
        }
    }
    normalized
}

/// Escapes all but ASCII letters, digits and `.-_~`.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The versions one key has in the old and the new list.
#[derive(Default)]
struct VersionsOfKey {
    purl_type: String,
    old: BTreeSet<Option<String>>,
    new: BTreeSet<Option<String>>,
}

/// Matches two package lists by key (see the module doc) and lists what happened to each
/// package, sorted by key, then version.
pub fn diff_packages<'a>(
    old: impl IntoIterator<Item = PackageRef<'a>>,
    new: impl IntoIterator<Item = PackageRef<'a>>,
) -> Vec<PackageChange> {
    let mut by_key: BTreeMap<String, VersionsOfKey> = BTreeMap::new();
    add_side(&mut by_key, old, true);
    add_side(&mut by_key, new, false);
    let mut changes: Vec<PackageChange> = by_key
        .into_iter()
        .flat_map(|(key, versions)| changes_of_key(key, versions))
        .collect();
    changes.sort_by(compare_changes);
    changes
}

fn add_side<'a>(
    by_key: &mut BTreeMap<String, VersionsOfKey>,
    packages: impl IntoIterator<Item = PackageRef<'a>>,
    is_old: bool,
) {
    for package in packages {
        let keyed = KeyedPackage::of(&package);
        let entry = by_key.entry(keyed.key).or_default();
        entry.purl_type = keyed.purl_type;
        let side = if is_old {
            &mut entry.old
        } else {
            &mut entry.new
        };
        side.insert(keyed.version);
    }
}

fn changes_of_key(key: String, versions: VersionsOfKey) -> Vec<PackageChange> {
    let change =
        |change, before: Option<&Option<String>>, after: Option<&Option<String>>| PackageChange {
            key: key.clone(),
            change,
            before: before.cloned().flatten(),
            after: after.cloned().flatten(),
        };
    let removed: Vec<_> = versions.old.difference(&versions.new).collect();
    let added: Vec<_> = versions.new.difference(&versions.old).collect();
    let mut changes: Vec<PackageChange> = versions
        .old
        .intersection(&versions.new)
        .map(|version| change(Change::Unchanged, Some(version), Some(version)))
        .collect();
    if let ([before], [after]) = (removed.as_slice(), added.as_slice()) {
        let direction = update_direction(&versions.purl_type, before, after);
        changes.push(change(direction, Some(before), Some(after)));
    } else {
        changes.extend(
            removed
                .iter()
                .map(|v| change(Change::Removed, Some(v), None)),
        );
        changes.extend(added.iter().map(|v| change(Change::Added, None, Some(v))));
    }
    changes
}

fn update_direction(purl_type: &str, before: &Option<String>, after: &Option<String>) -> Change {
    let (Some(before), Some(after)) = (before, after) else {
        return Change::Changed;
    };
    match version::compare(purl_type, before, after) {
        Some(Ordering::Less) => Change::Upgraded,
        Some(Ordering::Greater) => Change::Downgraded,
        Some(Ordering::Equal) | None => Change::Changed,
    }
}

/// By key, then by the version the change is about (the old one where there is one).
fn compare_changes(a: &PackageChange, b: &PackageChange) -> Ordering {
    a.key
        .cmp(&b.key)
        .then_with(|| sort_version(a).cmp(&sort_version(b)))
}

fn sort_version(change: &PackageChange) -> (Option<&str>, Option<&str>) {
    let after = change.after.as_deref();
    (change.before.as_deref().or(after), after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Change::{Added, Changed, Downgraded, Removed, Unchanged, Upgraded};

    fn purl(purl: &str) -> PackageRef<'_> {
        PackageRef {
            purl: Some(purl),
            name: "",
            version: None,
            format: "spdx",
            split: None,
        }
    }

    fn without_purl<'a>(format: &'a str, name: &'a str, version: &'a str) -> PackageRef<'a> {
        PackageRef {
            purl: None,
            name,
            version: Some(version),
            format,
            split: None,
        }
    }

    fn change(
        key: &str,
        change: Change,
        before: Option<&str>,
        after: Option<&str>,
    ) -> PackageChange {
        PackageChange {
            key: key.to_string(),
            change,
            before: before.map(str::to_string),
            after: after.map(str::to_string),
        }
    }

    fn diff_purls(old: &[&str], new: &[&str]) -> Vec<PackageChange> {
        diff_packages(old.iter().map(|p| purl(p)), new.iter().map(|p| purl(p)))
    }

    #[test]
    fn two_versions_on_one_side_keep_the_common_one_unchanged() {
        let changes = diff_purls(
            &[
                "pkg:deb/debian/libssl3@3.0.11-1?arch=amd64",
                "pkg:deb/debian/libssl3@3.0.13-1?arch=amd64",
            ],
            &["pkg:deb/debian/libssl3@3.0.13-1?arch=amd64"],
        );
        let key = "pkg:deb/debian/libssl3?arch=amd64";
        assert_eq!(
            changes,
            [
                change(key, Removed, Some("3.0.11-1"), None),
                change(key, Unchanged, Some("3.0.13-1"), Some("3.0.13-1")),
            ]
        );
    }

    #[test]
    fn several_leftover_versions_are_additions_and_removals() {
        let changes = diff_purls(
            &["pkg:npm/ms@2.0.0", "pkg:npm/ms@2.1.2"],
            &["pkg:npm/ms@2.1.3"],
        );
        assert_eq!(
            changes,
            [
                change("pkg:npm/ms", Removed, Some("2.0.0"), None),
                change("pkg:npm/ms", Removed, Some("2.1.2"), None),
                change("pkg:npm/ms", Added, None, Some("2.1.3")),
            ]
        );
    }

    #[test]
    fn a_distro_point_release_alone_changes_nothing() {
        let changes = diff_purls(
            &["pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.1"],
            &["pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.2"],
        );
        let key = "pkg:deb/debian/libc6?arch=amd64";
        let version = Some("2.36-9+deb12u4");
        assert_eq!(changes, [change(key, Unchanged, version, version)]);
    }

    #[test]
    fn architectures_are_kept_apart() {
        let changes = diff_purls(
            &[
                "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64",
                "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=i386",
            ],
            &[
                "pkg:deb/debian/libgcc-s1@12.2.0-14%2Bdeb12u1?arch=amd64",
                "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=i386",
            ],
        );
        assert_eq!(
            changes,
            [
                change(
                    "pkg:deb/debian/libgcc-s1?arch=amd64",
                    Upgraded,
                    Some("12.2.0-14"),
                    Some("12.2.0-14+deb12u1")
                ),
                change(
                    "pkg:deb/debian/libgcc-s1?arch=i386",
                    Unchanged,
                    Some("12.2.0-14"),
                    Some("12.2.0-14")
                ),
            ]
        );
    }

    #[test]
    fn a_debian_epoch_version_upgrades() {
        let changes = diff_purls(
            &["pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12"],
            &["pkg:deb/debian/zlib1g@1%3A1.3.dfsg-3?arch=amd64&distro=debian-13"],
        );
        assert_eq!(
            changes,
            [change(
                "pkg:deb/debian/zlib1g?arch=amd64",
                Upgraded,
                Some("1:1.2.13.dfsg-1"),
                Some("1:1.3.dfsg-3")
            )]
        );
    }

    #[test]
    fn an_older_version_is_a_downgrade_and_an_unordered_one_a_change() {
        let changes = diff_purls(
            &["pkg:npm/lodash@4.17.21", "pkg:generic/blob@abc"],
            &["pkg:npm/lodash@4.17.20", "pkg:generic/blob@def"],
        );
        assert_eq!(
            changes,
            [
                change("pkg:generic/blob", Changed, Some("abc"), Some("def")),
                change(
                    "pkg:npm/lodash",
                    Downgraded,
                    Some("4.17.21"),
                    Some("4.17.20")
                ),
            ]
        );
    }

    #[test]
    fn packages_without_purl_are_keyed_by_format_and_name() {
        let old = [
            without_purl("spdx", "busybox", "1.36.1"),
            without_purl("syft", "busybox", "1.36.1"),
        ];
        let new = [
            without_purl("spdx", "busybox", "1.37.0"),
            without_purl("cyclonedx", "busybox", "1.37.0"),
        ];
        assert_eq!(
            diff_packages(old, new),
            [
                change("cyclonedx:busybox", Added, None, Some("1.37.0")),
                change("spdx:busybox", Upgraded, Some("1.36.1"), Some("1.37.0")),
                change("syft:busybox", Removed, Some("1.36.1"), None),
            ]
        );
    }

    #[test]
    fn a_string_that_is_no_purl_counts_as_no_purl() {
        let old = [PackageRef {
            purl: Some("not a purl"),
            name: "tool",
            version: Some("1"),
            format: "cyclonedx",
            split: None,
        }];
        let changes = diff_packages(old, []);
        assert_eq!(
            changes,
            [change("cyclonedx:tool", Removed, Some("1"), None)]
        );
    }

    #[test]
    fn keys_keep_only_the_qualifiers_that_tell_packages_apart() {
        let keyed = |p: &str| KeyedPackage::of(&purl(p)).key;
        assert_eq!(
            keyed("pkg:deb/Debian/curl@7.88.1-10?arch=arm64&upstream=curl&distro=debian-12"),
            "pkg:deb/debian/curl?arch=arm64"
        );
        assert_eq!(
            keyed("pkg:maven/org.example/lib@1.0?type=jar&classifier=sources&repository_url=https://repo.example"),
            "pkg:maven/org.example/lib?classifier=sources&type=jar"
        );
        assert_eq!(
            keyed("pkg:npm/%40angular/core@17.0.0?checksum=sha256:abc"),
            "pkg:npm/%40angular/core"
        );
        assert_eq!(keyed("pkg:pypi/PyYAML@6.0"), keyed("pkg:pypi/pyyaml@6.0.1"));
        // A subpath is another package, as `ocx sbom` counts it.
        assert_eq!(
            keyed("pkg:golang/golang.org/x/sys@v0.1.0#windows"),
            "pkg:golang/golang.org/x/sys#windows"
        );
        assert_ne!(
            keyed("pkg:golang/golang.org/x/sys@v0.1.0#windows"),
            keyed("pkg:golang/golang.org/x/sys@v0.1.0")
        );
    }

    #[test]
    fn the_rpm_epoch_qualifier_belongs_to_the_version() {
        let changes = diff_purls(
            &[
                "pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64&epoch=1",
                "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64",
            ],
            &[
                "pkg:rpm/redhat/openssl@3.0.7-25.el9?arch=x86_64&epoch=1",
                "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&epoch=1",
            ],
        );
        assert_eq!(
            changes,
            [
                change(
                    "pkg:rpm/redhat/bash?arch=x86_64",
                    Upgraded,
                    Some("5.1.8-6.el9"),
                    Some("1:5.1.8-6.el9")
                ),
                change(
                    "pkg:rpm/redhat/openssl?arch=x86_64",
                    Upgraded,
                    Some("1:3.0.7-24.el9"),
                    Some("1:3.0.7-25.el9")
                ),
            ]
        );
    }

    #[test]
    fn the_order_of_the_input_does_not_matter() {
        let old = ["pkg:npm/b@1.0.0", "pkg:npm/a@1.0.0", "pkg:npm/c@2.0.0"];
        let new = ["pkg:npm/c@2.0.0", "pkg:npm/a@1.1.0", "pkg:npm/d@1.0.0"];
        let mut old_reversed = old;
        old_reversed.reverse();
        let mut new_reversed = new;
        new_reversed.reverse();
        assert_eq!(
            diff_purls(&old, &new),
            diff_purls(&old_reversed, &new_reversed)
        );
    }

    #[test]
    fn packages_of_the_model_feed_the_diff() {
        let package = Package {
            purl: parse_purl("pkg:apk/alpine/musl@1.2.4-r2?arch=aarch64&distro=3.19.0"),
            sources: Vec::new(),
        };
        let newer = Package {
            purl: parse_purl("pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=aarch64"),
            sources: Vec::new(),
        };
        let changes = diff_packages([PackageRef::from(&package)], [PackageRef::from(&newer)]);
        assert_eq!(
            changes,
            [change(
                "pkg:apk/alpine/musl?arch=aarch64",
                Upgraded,
                Some("1.2.4-r2"),
                Some("1.2.4_git20230717-r4")
            )]
        );
    }

    #[test]
    fn changes_serialize_in_snake_case() {
        let json =
            serde_json::to_value(change("pkg:npm/a", Upgraded, Some("1.0.0"), Some("2.0.0")))
                .expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"key": "pkg:npm/a", "change": "upgraded", "before": "1.0.0", "after": "2.0.0"})
        );
    }

    #[test]
    fn the_summary_names_only_what_happened() {
        let summary = ChangeSummary {
            upgraded: 12,
            downgraded: 1,
            changed: 0,
            added: 3,
            removed: 2,
            unchanged: 731,
        };
        assert_eq!(
            summary.to_string(),
            "12 upgraded, 1 downgraded, 3 added, 2 removed (731 unchanged)"
        );
        assert!(summary.has_changes());
        let quiet = ChangeSummary {
            unchanged: 5,
            ..ChangeSummary::default()
        };
        assert_eq!(quiet.to_string(), "no changes (5 unchanged)");
        assert!(!quiet.has_changes());
        assert_eq!(ChangeSummary::default().to_string(), "no changes");
        let changed = ChangeSummary {
            changed: 1,
            ..ChangeSummary::default()
        };
        assert_eq!(changed.to_string(), "1 changed");
    }

    #[test]
    fn ten_thousand_packages_a_side() {
        const COUNT: usize = 10_000;
        let old: Vec<String> = (0..COUNT).map(|i| format!("pkg:npm/p{i}@1.0.0")).collect();
        // Of every ten: one upgraded, one downgraded, one removed (and a new one added in
        // its place), one changed to a version without order, six unchanged.
        let new: Vec<String> = (0..COUNT)
            .map(|i| match i % 10 {
                0 => format!("pkg:npm/p{i}@1.1.0"),
                1 => format!("pkg:npm/p{i}@0.9.0"),
                2 => format!("pkg:npm/q{i}@1.0.0"),
                3 => format!("pkg:npm/p{i}@nightly"),
                _ => format!("pkg:npm/p{i}@1.0.0"),
            })
            .collect();
        let changes = diff_packages(old.iter().map(|p| purl(p)), new.iter().map(|p| purl(p)));
        assert_eq!(
            ChangeSummary::of(&changes),
            ChangeSummary {
                upgraded: 1_000,
                downgraded: 1_000,
                changed: 1_000,
                added: 1_000,
                removed: 1_000,
                unchanged: 6_000,
            }
        );
        assert!(changes
            .windows(2)
            .all(|pair| compare_changes(&pair[0], &pair[1]).is_le()));
    }
}
