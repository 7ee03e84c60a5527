//! The pure core on hand-built descriptions.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use super::*;
use crate::model::{
    Build, ConfigInfo, DescriptorInfo, MediaType, Package, PlatformInfo, SCHEMA_VERSION,
};
use crate::sbom::parse::parse_purl;

const IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn descriptor(media_type: &str, digest: &str) -> DescriptorInfo {
    DescriptorInfo {
        media_type: media_type.into(),
        digest: digest.into(),
        size: 100,
        artifact_type: None,
        annotations: BTreeMap::new(),
        platform: None,
        urls: None,
    }
}

fn platform(os: &str, arch: &str, variant: Option<&str>, os_version: Option<&str>) -> PlatformInfo {
    PlatformInfo {
        os: os.into(),
        architecture: arch.into(),
        variant: variant.map(str::to_string),
        os_version: os_version.map(str::to_string),
        os_features: None,
        features: None,
    }
}

fn manifest(media_type: &str, digest: &str) -> ManifestInfo {
    ManifestInfo {
        media_type: MediaType {
            value: media_type.into(),
            is_image: media_type == IMAGE,
            is_index: media_type == INDEX,
        },
        descriptor: descriptor(media_type, digest),
        origin: None,
        artifact_type: None,
        derived_artifact_type: None,
        annotations: BTreeMap::new(),
        subject: None,
        config: None,
        layers: None,
        manifests: None,
        attestations: None,
        total_size: 0,
        build: Build::default(),
        sbom: None,
        sbom_sources: None,
        referrers: None,
        sbom_packages_without_purl: None,
        error: None,
    }
}

/// An image with a config of `env` and one layer per digest.
fn image(digest: &str, env: &[&str], layers: &[&str]) -> ManifestInfo {
    let mut image = manifest(IMAGE, digest);
    image.config = Some(ConfigInfo {
        descriptor: descriptor(
            "application/vnd.oci.image.config.v1+json",
            &format!("{digest}-config"),
        ),
        os: Some("linux".into()),
        architecture: Some("amd64".into()),
        variant: None,
        os_version: None,
        os_features: None,
        created: Some("2024-05-01T12:00:00Z".into()),
        author: None,
        user: None,
        env: Some(env.iter().map(|e| e.to_string()).collect()),
        entrypoint: None,
        cmd: None,
        working_dir: None,
        labels: None,
        exposed_ports: None,
        volumes: None,
        stop_signal: None,
        args_escaped: None,
        memory: None,
        memory_swap: None,
        cpu_shares: None,
        healthcheck: None,
        on_build: None,
        shell: None,
        rootfs: None,
        history: None,
        unknown_fields: None,
    });
    image.layers = Some(layers.iter().map(|d| descriptor("layer", d)).collect());
    image
}

fn on(mut manifest: ManifestInfo, platform: PlatformInfo) -> ManifestInfo {
    manifest.descriptor.platform = Some(platform);
    manifest
}

fn index(digest: &str, children: Vec<(&str, ManifestInfo)>) -> ManifestInfo {
    let mut index = manifest(INDEX, digest);
    let children: IndexMap<String, ManifestInfo> = children
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    index.manifests = Some(children);
    index
}

fn described(manifest: ManifestInfo) -> Description {
    Description {
        schema_version: SCHEMA_VERSION,
        reference: "ref".into(),
        resolved: format!("reg/app@{}", manifest.descriptor.digest),
        failures: 0,
        manifest,
    }
}

fn run(old: ManifestInfo, new: ManifestInfo, options: &DiffOptions) -> Diff {
    diff(&described(old), &described(new), options)
}

fn addresses(diff: &Diff) -> Vec<&str> {
    diff.changes.iter().map(|c| c.address.as_str()).collect()
}

fn amd64() -> PlatformInfo {
    platform("linux", "amd64", None, None)
}

#[test]
fn identical_descriptions_are_equal() {
    let a = image("sha256:a", &["PATH=/bin"], &["l1"]);
    let out = run(a.clone(), a, &DiffOptions::default());
    assert!(out.equal);
    assert!(out.changes.is_empty());
    assert_eq!(out.platforms.len(), 1);
    assert_eq!(out.platforms[0].matched_by, MatchedBy::Root);
}

#[test]
fn env_is_compared_by_name() {
    let old = image("sha256:a", &["PATH=/bin", "A=1", "GONE=x"], &["l1"]);
    let new = image("sha256:b", &["A=1", "PATH=/usr/bin", "NEW=y"], &["l1"]);
    let out = run(old, new, &DiffOptions::default());
    assert_eq!(
        addresses(&out),
        [
            r#"config.env["GONE"]"#,
            r#"config.env["NEW"]"#,
            r#"config.env["PATH"]"#
        ]
    );
    let kinds: Vec<ChangeKind> = out.changes.iter().map(|c| c.change).collect();
    assert_eq!(
        kinds,
        [ChangeKind::Removed, ChangeKind::Added, ChangeKind::Changed]
    );
    let shown = run(
        image("sha256:a", &["A=1"], &["l1"]),
        image("sha256:b", &["A=1", "B=2"], &["l1"]),
        &DiffOptions {
            show_unchanged: true,
            ..DiffOptions::default()
        },
    );
    assert_eq!(shown.changes[0].change, ChangeKind::Unchanged);
    assert!(!shown.equal);
    assert_eq!(shown.summary.changes, 1);
}

#[test]
fn volumes_and_stop_signal_are_compared() {
    let old = image("sha256:a", &[], &[]);
    let mut new = image("sha256:b", &[], &[]);
    let config = new.config.as_mut().unwrap();
    config.volumes = Some(vec!["/data".into()]);
    config.stop_signal = Some("SIGTERM".into());
    let out = run(old, new, &DiffOptions::default());
    assert_eq!(
        addresses(&out),
        [r#"config.volumes["/data"]"#, "config.stop_signal"]
    );
}

#[test]
fn a_digest_nothing_explains_is_a_change_and_an_ignored_one_is_not() {
    let old = image("sha256:a", &["PATH=/bin"], &["l1"]);
    let unexplained = image("sha256:b", &["PATH=/bin"], &["l1"]);
    let out = run(old.clone(), unexplained, &DiffOptions::default());
    assert_eq!(addresses(&out), ["digest", "config.digest"]);

    let mut later = image("sha256:c", &["PATH=/bin"], &["l1"]);
    later.config.as_mut().unwrap().created = Some("2025-01-01T00:00:00Z".into());
    let options = DiffOptions {
        ignore_timestamps: true,
        ..DiffOptions::default()
    };
    let out = run(old, later, &options);
    assert!(out.equal, "{:?}", out.changes);
    assert_eq!(out.summary.ignored, 1);
}

#[test]
fn one_platform_key_twice_is_paired_in_order_and_said() {
    let old = index(
        "sha256:i1",
        vec![
            ("linux/amd64", on(image("sha256:a", &["N=1"], &[]), amd64())),
            (
                "linux/amd64#2",
                on(image("sha256:b", &["N=2"], &[]), amd64()),
            ),
        ],
    );
    let new = index(
        "sha256:i2",
        vec![
            ("linux/amd64", on(image("sha256:a", &["N=1"], &[]), amd64())),
            (
                "linux/amd64#2",
                on(image("sha256:c", &["N=3"], &[]), amd64()),
            ),
        ],
    );
    let out = run(old, new, &DiffOptions::default());
    assert_eq!(
        addresses(&out),
        [r#"platforms["linux/amd64#2"].config.env["N"]"#]
    );
    assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
    assert!(out.notes[0].contains("paired in order"));
}

#[test]
fn os_version_is_compared_not_matched() {
    let windows = |digest: &str, version: &str| {
        let mut image = image(digest, &[], &[]);
        image.config.as_mut().unwrap().os_version = Some(version.to_string());
        on(image, platform("windows", "amd64", None, Some(version)))
    };
    let old = index("sha256:i1", vec![("w", windows("sha256:a", "10.0.1"))]);
    let new = index("sha256:i2", vec![("w", windows("sha256:b", "10.0.2"))]);
    let out = run(old, new, &DiffOptions::default());
    assert_eq!(
        addresses(&out),
        [r#"platforms["windows/amd64:10.0.2"].config.os_version"#]
    );
    assert_eq!(out.platforms[0].matched_by, MatchedBy::Platform);
}

#[test]
fn entries_without_a_platform_match_by_title_then_by_position() {
    let titled = |digest: &str, title: &str, env: &str| {
        let mut image = image(digest, &[env], &[]);
        image
            .descriptor
            .annotations
            .insert("org.opencontainers.image.title".into(), title.into());
        image
    };
    let old = index(
        "sha256:i1",
        vec![
            ("sha256:a", titled("sha256:a", "docs", "V=1")),
            ("sha256:b", titled("sha256:b", "bin", "V=1")),
            ("sha256:x", image("sha256:x", &["V=1"], &[])),
        ],
    );
    let new = index(
        "sha256:i2",
        vec![
            ("sha256:c", titled("sha256:c", "bin", "V=2")),
            ("sha256:d", titled("sha256:d", "docs", "V=1")),
            ("sha256:y", image("sha256:y", &["V=2"], &[])),
        ],
    );
    let out = run(old, new, &DiffOptions::default());
    assert_eq!(
        addresses(&out),
        [
            r#"platforms["bin"].config.env["V"]"#,
            r#"platforms["docs"].digest"#,
            r#"platforms["docs"].config.digest"#,
            r#"platforms["entry[2]"].config.env["V"]"#
        ]
    );
    let by: Vec<MatchedBy> = out.platforms.iter().map(|p| p.matched_by).collect();
    assert_eq!(
        by,
        [MatchedBy::Title, MatchedBy::Title, MatchedBy::Position]
    );
    assert!(
        out.notes.iter().any(|n| n.contains("by position")),
        "{:?}",
        out.notes
    );
}

#[test]
fn nested_indexes_have_nested_addresses() {
    let inner = |digest, env| {
        let mut inner = index(
            digest,
            vec![("linux/amd64", on(image(env, &[env], &[]), amd64()))],
        );
        inner
            .descriptor
            .annotations
            .insert("org.opencontainers.image.title".into(), "inner".into());
        inner
    };
    let old = index(
        "sha256:o",
        vec![("sha256:n1", inner("sha256:n1", "sha256:a"))],
    );
    let new = index(
        "sha256:p",
        vec![("sha256:n2", inner("sha256:n2", "sha256:b"))],
    );
    let out = run(old.clone(), new.clone(), &DiffOptions::default());
    let nested = [
        r#"platforms["inner"].platforms["linux/amd64"].config.env["sha256:a"]"#,
        r#"platforms["inner"].platforms["linux/amd64"].config.env["sha256:b"]"#,
    ];
    assert_eq!(addresses(&out), nested);
    assert_eq!(out.summary.platforms.changed, 2);
    let only = |platform: &str| DiffOptions {
        platforms: vec![platform.parse().unwrap()],
        ..DiffOptions::default()
    };
    let selected = run(old.clone(), new.clone(), &only("linux/amd64"));
    assert_eq!(addresses(&selected), nested);
    let none = run(old, new, &only("linux/s390x"));
    assert!(none.equal, "{:?}", none.changes);
}

#[test]
fn platform_finds_a_manifest_one_index_down() {
    let arm64 = || platform("linux", "arm64", Some("v8"), None);
    let a = || on(image("sha256:a", &["A"], &["l"]), amd64());
    let b = || on(image("sha256:b", &["B"], &["l"]), arm64());
    let old = index(
        "sha256:o",
        vec![("linux/amd64", a()), ("linux/arm64/v8", b())],
    );
    let inner = index(
        "sha256:n",
        vec![("linux/amd64", a()), ("linux/arm64/v8", b())],
    );
    let new = index("sha256:p", vec![("sha256:n", inner), ("linux/amd64", a())]);
    let only = |platform: &str| DiffOptions {
        platforms: vec![platform.parse().unwrap()],
        ..DiffOptions::default()
    };
    let out = run(old.clone(), new.clone(), &only("linux/arm64"));
    assert!(out.equal, "{:?}", out.changes);
    assert_eq!(out.platforms.len(), 1);
    assert_eq!(out.platforms[0].key, "linux/arm64/v8");
    assert_eq!(out.platforms[0].change, ChangeKind::Unchanged);
    // The image against the nested index: its manifest, listed twice, is one.
    let out = run(a(), new, &only("linux/amd64"));
    assert_eq!(out.summary.platforms.added, 0, "{:?}", out.platforms);
    assert_eq!(out.summary.platforms.unchanged, 1);
}

#[test]
fn platform_with_an_occurrence_selects_that_entry() {
    let a = || on(image("sha256:a", &["A"], &["l"]), amd64());
    let b = |env: &str| on(image(&format!("sha256:{env}"), &[env], &["l"]), amd64());
    let old = index(
        "sha256:o",
        vec![("linux/amd64", a()), ("linux/amd64#2", b("B"))],
    );
    let new = index(
        "sha256:p",
        vec![("linux/amd64", a()), ("linux/amd64#2", b("C"))],
    );
    let only = |platform: &str| DiffOptions {
        platforms: vec![platform.parse().unwrap()],
        ..DiffOptions::default()
    };
    assert!(run(old.clone(), new.clone(), &only("linux/amd64#1")).equal);
    let second = run(old, new, &only("linux/amd64#2"));
    assert!(!second.equal, "{:?} {:?}", second.platforms, second.changes);
    assert_eq!(second.platforms.len(), 1);
}

#[test]
fn packages_count_per_platform_and_in_total() {
    let with_packages = |digest, purls: &[&str]| {
        let mut image = on(image(digest, &[], &[]), amd64());
        image.sbom = Some(
            purls
                .iter()
                .map(|p| Package {
                    purl: parse_purl(p),
                    sources: Vec::new(),
                })
                .collect(),
        );
        image
    };
    let old = index(
        "sha256:i1",
        vec![(
            "linux/amd64",
            with_packages("sha256:a", &["pkg:npm/a@1.0.0", "pkg:npm/b@1.0.0"]),
        )],
    );
    let new = index(
        "sha256:i2",
        vec![(
            "linux/amd64",
            with_packages("sha256:a", &["pkg:npm/a@1.1.0", "pkg:npm/b@1.0.0"]),
        )],
    );
    let out = run(old, new, &DiffOptions::default());
    let expected = ChangeSummary {
        upgraded: 1,
        unchanged: 1,
        ..ChangeSummary::default()
    };
    assert_eq!(out.platforms[0].packages, Some(expected));
    assert_eq!(out.summary.packages, expected);
    assert_eq!(
        addresses(&out),
        [r#"platforms["linux/amd64"].packages["pkg:npm/a"]"#]
    );
    assert_eq!(
        out.changes[0].direction,
        Some(crate::model::Direction::Upgraded)
    );
}

/// The comparing of two 10,000-package SBOMs, timed (see the README's diff section):
/// `cargo test --release --lib diff::tests::ten_thousand -- --ignored --nocapture`.
#[test]
#[ignore]
fn ten_thousand_packages_timed() {
    let sbom = |version: &str| {
        (0..10_000)
            .map(|i| Package {
                purl: parse_purl(&format!(
                    "pkg:deb/debian/pkg{i}@1:1.{}.{version}-1?arch=amd64&distro=debian-12",
                    i % 7
                )),
                sources: Vec::new(),
            })
            .collect::<Vec<_>>()
    };
    let mut old = on(image("sha256:a", &[], &[]), amd64());
    old.sbom = Some(sbom("2"));
    let mut new = on(image("sha256:b", &[], &[]), amd64());
    new.sbom = Some(sbom("3"));
    let (old, new) = (described(old), described(new));
    let started = cpu_time();
    let out = diff(&old, &new, &DiffOptions::default());
    let spent = cpu_time() - started;
    assert_eq!(out.summary.packages.upgraded, 10_000);
    println!("10,000 packages a side: {:.1} ms of CPU", spent * 1000.0);
}

/// CPU seconds this process has used.
fn cpu_time() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
