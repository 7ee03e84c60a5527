//! What each fuzz target checks, as plain functions: the targets under `fuzz_targets/`
//! call them, and `tests/fuzz_regressions.rs` (in the normal test suite) runs every input
//! kept in `tests/fuzz/regressions/<target>/` through the same function.
#![allow(dead_code)]

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use ocx::diff::version::compare;
use ocx::digest::Digest;
use ocx::manifest::{
    ImageConfig, Manifest, Platform, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_SCHEMA1,
    OCI_INDEX, OCI_MANIFEST,
};
use ocx::platform::{entry_keys, key, PlatformFilter};
use ocx::reference::{bare_manifest_ref, has_explicit_tag, is_valid_tag, ManifestRef, Target};
use ocx::sbom::parse::{parse_document, parse_purl, ParsedSbom};
use ocx::source::layout::LayoutSource;
use ocx::source::{verify_manifest, Source};

/// What a target does with one input: panics on a finding.
pub type Check = fn(&[u8]);

/// Every target: its name (the directory of its corpus and regressions) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("reference", reference),
    ("digest", digest),
    ("platform", platform),
    ("manifest", manifest),
    ("purl", purl),
    ("version_compare", version_compare),
    ("layout_index", layout_index),
    ("sbom_spdx2", sbom_spdx2),
    ("sbom_spdx3", sbom_spdx3),
    ("sbom_cyclonedx", sbom_cyclonedx),
    ("sbom_syft", sbom_syft),
    ("sbom_dsse", sbom_dsse),
    ("sbom_in_toto", sbom_in_toto),
    ("sbom_sigstore_bundle", sbom_sigstore_bundle),
];

/// `Target::parse` and the other reference helpers: no panics, and a parsed reference
/// printed and parsed again is the same reference.
pub fn reference(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let _ = is_valid_tag(input);
    let _ = has_explicit_tag(input);
    let _ = bare_manifest_ref(input);
    let Ok(target) = Target::parse(input) else {
        return;
    };
    let _ = target.manifest_ref();
    let digest = Digest::sha256_of(b"");
    let _ = target.canonical(&digest);
    let _ = target.with_digest(&digest);
    let shown = target.to_string();
    let again = Target::parse(&shown)
        .unwrap_or_else(|e| panic!("{input:?} parsed, but its display {shown:?} does not: {e:#}"));
    assert_eq!(again, target, "{input:?} -> {shown:?} parses differently");
}

/// `Digest` parsing: no panics, and a parsed digest prints as its input.
pub fn digest(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(digest) = input.parse::<Digest>() else {
        return;
    };
    assert_eq!(digest.to_string(), input);
    let _ = digest.matches(data);
    let _ = digest.recompute(data);
}

/// `--platform` parsing: no panics, the display parses back to the same filter, and a
/// filter matches the platform it names.
pub fn platform(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = input.parse::<PlatformFilter>() else {
        return;
    };
    let shown = filter.to_string();
    let again: PlatformFilter = shown
        .parse()
        .unwrap_or_else(|e| panic!("{input:?} parsed, its display {shown:?} does not: {e:#}"));
    assert_eq!(again, filter);
    let platform = Platform {
        os: filter.os.clone(),
        architecture: filter.architecture.clone(),
        variant: filter.variant.clone(),
        os_version: filter.os_version.clone(),
        ..Platform::default()
    };
    let _ = key(&platform);
    assert!(filter.matches(&platform), "{input:?} does not match itself");
}

const REPORTED: [&str; 6] = [
    OCI_MANIFEST,
    OCI_INDEX,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_SCHEMA1,
    "application/json",
];

/// Manifest and index decoding as a source does it (`verify_manifest`: size, digest,
/// media type, then the body), and image config decoding. An input that starts with a
/// digit 0-5 and a newline has that line read as the media type the source reports.
pub fn manifest(data: &[u8]) {
    let (reported, body) = match data {
        [d @ b'0'..=b'5', b'\n', rest @ ..] => (Some(REPORTED[usize::from(d - b'0')]), rest),
        _ => (None, data),
    };
    let reference = ManifestRef::Tag("latest".to_string());
    let location = "fuzz.example/repo";
    if let Ok(fetched) = verify_manifest(
        location,
        &reference,
        Bytes::copy_from_slice(body),
        reported,
        None,
    ) {
        let manifest = &fetched.manifest;
        let _ = manifest.artifact_type();
        let _ = manifest.referrer_artifact_type();
        let _ = manifest.annotations();
        let _ = manifest.subject();
        match manifest {
            Manifest::Index(index) => {
                let _ = entry_keys(&index.manifests);
                for entry in &index.manifests {
                    let _ = entry.is_attestation_manifest();
                    let _ = entry.is_empty_json();
                }
            }
            Manifest::Image(image) => {
                let _ = image.config.is_empty_json();
            }
        }
    }
    if let Ok(config) = serde_json::from_slice::<ImageConfig>(body) {
        let _ = config.platform();
        let _ = config.labels();
    }
}

/// Package URL splitting: never fails, never panics, keeps the raw string.
pub fn purl(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let purl = parse_purl(input);
    assert_eq!(purl.purl, input);
}

/// The diff's version comparators: no panics, antisymmetric, reflexive, and transitive
/// where all three pairs are ordered. Input: `TYPE\nA\nB\nC` (C optional).
///
/// Maven is exempt from transitivity: its `ComparableVersion`, which ocx follows, is not
/// transitive (`foo` < `0-alpha` < `` but `foo` > ``; see `maven_is_not_transitive` in
/// src/diff/version.rs).
pub fn version_compare(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = input.splitn(4, '\n');
    let (Some(ty), Some(a), Some(b)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let ab = compare(ty, a, b);
    let ba = compare(ty, b, a);
    assert_eq!(ab, ba.map(Ordering::reverse), "{ty}: {a:?} vs {b:?}");
    assert_eq!(compare(ty, a, a), Some(Ordering::Equal));
    let Some(c) = parts.next() else {
        return;
    };
    if ty.eq_ignore_ascii_case("maven") {
        return;
    }
    let (Some(ab), Some(bc)) = (ab, compare(ty, b, c)) else {
        return;
    };
    let Some(ac) = compare(ty, a, c) else {
        return;
    };
    // a <= b <= c, a >= b >= c, or an equality on either side: a vs c follows.
    let expected = match (ab, bc) {
        (Ordering::Equal, bc) => Some(bc),
        (ab, Ordering::Equal) => Some(ab),
        (ab, bc) if ab == bc => Some(ab),
        _ => None,
    };
    if let Some(expected) = expected {
        assert_eq!(
            ac, expected,
            "{ty}: {a:?} {ab:?} {b:?}, {b:?} {bc:?} {c:?}, but {a:?} {ac:?} {c:?}"
        );
    }
}

struct LayoutFixture {
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

/// The example layout: at the top of the ocx tree, from either crate.
fn example_layout() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        here.join("examples/layout"),
        here.join("../../examples/layout"),
    ]
    .into_iter()
    .find(|p| p.join("oci-layout").is_file())
    .expect("examples/layout")
}

/// A layout holding the example layout's blobs.
fn new_layout_fixture() -> LayoutFixture {
    let dir = tempfile::tempdir().unwrap();
    let example = example_layout();
    std::fs::copy(example.join("oci-layout"), dir.path().join("oci-layout")).unwrap();
    let blobs = dir.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for entry in std::fs::read_dir(example.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    LayoutFixture { dir, runtime }
}

thread_local! {
    /// Written once per thread and removed when the thread ends (the process's exit for
    /// libFuzzer's main thread): a static would never be dropped and would leave its
    /// directory behind.
    static LAYOUT_FIXTURE: LayoutFixture = new_layout_fixture();
}

/// Reading a layout's `index.json`: the input is written as index.json into a layout that
/// holds the example layout's blobs, then the layout is opened and read the ways ocx
/// reads it (the sole manifest, tags, each tagged manifest, referrers).
pub fn layout_index(data: &[u8]) {
    LAYOUT_FIXTURE.with(|fixture| read_layout_index(fixture, data));
}

fn read_layout_index(fixture: &LayoutFixture, data: &[u8]) {
    std::fs::write(fixture.dir.path().join("index.json"), data).unwrap();
    let Ok(layout) = LayoutSource::open(fixture.dir.path()) else {
        return;
    };
    let _ = layout.sole_manifest();
    fixture.runtime.block_on(async {
        let tags = layout.tag_list().await.unwrap_or_default();
        for tag in tags.into_iter().take(4) {
            let reference = ManifestRef::Tag(tag);
            let _ = layout.manifest_head(&reference).await;
            let _ = layout.manifest_get(&reference).await;
        }
        // The windows image of `multi-platform`, which has a CycloneDX referrer.
        let subject: Digest =
            "sha256:90eb1179383f083076215b76dde64f773ec093c883a1a492ffbf12e26177e812"
                .parse()
                .unwrap();
        let _ = layout.referrers_list(&subject, None).await;
        let _ = layout
            .referrers_list(&subject, Some("application/vnd.cyclonedx+json"))
            .await;
    });
}

/// `parse_document` (every format and envelope) with a media type hint and without one.
/// The sbom_* targets differ in their seed corpora and hints, so that each format
/// reaches its own plateau.
fn sbom(data: &[u8], hint: &str) {
    for parsed in [parse_document(data, Some(hint)), parse_document(data, None)]
        .into_iter()
        .flatten()
    {
        check_sbom(data, &parsed);
    }
}

fn check_sbom(data: &[u8], parsed: &ParsedSbom) {
    for package in &parsed.packages {
        assert!(
            !package.purl.purl.trim().is_empty(),
            "blank purl kept from {data:?}"
        );
    }
    serde_json::to_vec(&parsed.packages).expect("purls serialize");
}

pub fn sbom_spdx2(data: &[u8]) {
    sbom(data, "application/spdx+json");
}
pub fn sbom_spdx3(data: &[u8]) {
    sbom(data, "application/spdx+json");
}
pub fn sbom_cyclonedx(data: &[u8]) {
    sbom(data, "application/vnd.cyclonedx+json");
}
pub fn sbom_syft(data: &[u8]) {
    sbom(data, "application/vnd.syft+json");
}
pub fn sbom_dsse(data: &[u8]) {
    sbom(data, "application/vnd.dsse.envelope.v1+json");
}
pub fn sbom_in_toto(data: &[u8]) {
    sbom(data, "application/vnd.in-toto+json");
}
pub fn sbom_sigstore_bundle(data: &[u8]) {
    sbom(data, "application/vnd.dev.sigstore.bundle.v0.3+json");
}
