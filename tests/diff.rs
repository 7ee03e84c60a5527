//! `ocx diff` against real registries (CNCF distribution 2.8, and ferro-oci-server for the
//! referrers API) and OCI layouts, with images built here at test time. Every `--json`
//! output is validated against schema/diff.v1.json.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::registry::Registry;
use common::*;
use ocx::digest::Digest;
use ocx::manifest::{Descriptor, OCI_INDEX, OCI_MANIFEST};
use ocx::reference::ManifestRef;
use ocx::source::Source;
use serde_json::{json, Value};

const CREATED: &str = "2024-05-01T12:00:00Z";
const CREATED_LATER: &str = "2024-06-01T12:00:00Z";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// What a test image is made of.
#[derive(Clone)]
struct Image {
    architecture: &'static str,
    variant: Option<&'static str>,
    env: Vec<&'static str>,
    labels: Vec<(&'static str, &'static str)>,
    layers: Vec<&'static [u8]>,
    created: &'static str,
    artifact_type: Option<&'static str>,
}

impl Image {
    fn amd64() -> Image {
        Image {
            architecture: "amd64",
            variant: None,
            env: vec!["PATH=/usr/bin:/bin", "LANG=C.UTF-8"],
            labels: vec![("maintainer", "ocx")],
            layers: vec![b"base layer"],
            created: CREATED,
            artifact_type: None,
        }
    }

    fn arch(mut self, architecture: &'static str, variant: Option<&'static str>) -> Image {
        self.architecture = architecture;
        self.variant = variant;
        self
    }
}

fn block<T>(future: impl std::future::Future<Output = anyhow::Result<T>>) -> T {
    runtime().block_on(future).expect("writing a fixture")
}

fn put_blob(dest: &dyn Source, media_type: &str, bytes: Vec<u8>) -> Descriptor {
    let descriptor = Descriptor::new(media_type, Digest::sha256_of(&bytes), bytes.len() as u64);
    block(dest.blob_put(&descriptor, Bytes::from(bytes)));
    descriptor
}

/// Pushes a manifest by digest, and under `tag` when given.
fn put_manifest(
    dest: &dyn Source,
    tag: Option<&str>,
    media_type: &str,
    manifest: &Value,
) -> Descriptor {
    let bytes = serde_json::to_vec(manifest).unwrap();
    let digest = Digest::sha256_of(&bytes);
    let size = bytes.len() as u64;
    let reference = match tag {
        Some(tag) => ManifestRef::Tag(tag.into()),
        None => ManifestRef::Digest(digest.clone()),
    };
    block(dest.manifest_put(&reference, media_type, Bytes::from(bytes)));
    Descriptor::new(media_type, digest, size)
}

/// Pushes an image and returns its descriptor with its platform.
fn push_image(dest: &dyn Source, tag: Option<&str>, image: &Image) -> Value {
    let mut platform = json!({"os": "linux", "architecture": image.architecture});
    if let Some(variant) = image.variant {
        platform["variant"] = json!(variant);
    }
    let labels: serde_json::Map<String, Value> = image
        .labels
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let layers: Vec<Descriptor> = image
        .layers
        .iter()
        .map(|content| put_blob(dest, LAYER, content.to_vec()))
        .collect();
    let mut config = platform.clone();
    config["created"] = json!(image.created);
    config["config"] = json!({"Env": image.env, "Labels": labels});
    config["rootfs"] = json!({"type": "layers", "diff_ids": layers.iter().map(|l| l.digest.to_string()).collect::<Vec<_>>()});
    let config = put_blob(dest, OCI_CONFIG, serde_json::to_vec(&config).unwrap());
    let mut manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers,
        "annotations": {"org.opencontainers.image.created": image.created}
    });
    if let Some(artifact_type) = image.artifact_type {
        manifest["artifactType"] = json!(artifact_type);
    }
    let descriptor = put_manifest(dest, tag, OCI_MANIFEST, &manifest);
    let mut value = serde_json::to_value(&descriptor).unwrap();
    value["platform"] = platform;
    value
}

fn push_index(dest: &dyn Source, tag: &str, entries: &[Value]) -> Descriptor {
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    put_manifest(dest, Some(tag), OCI_INDEX, &index)
}

fn source(registry: &Registry, repo: &str) -> Arc<dyn Source> {
    open_source(&registry.reference(&format!("{repo}:unused")))
}

/// Runs `ocx diff ARGS`, expects `code`, returns stdout.
fn diff_status(args: &[&str], code: i32) -> String {
    let mut full = vec!["diff"];
    full.extend_from_slice(args);
    let output = ocx(&full);
    assert_eq!(
        output.status.code(),
        Some(code),
        "ocx {full:?}:\nstdout: {}\nstderr: {}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// `ocx diff ARGS --json`, expecting `code`, validated against schema/diff.v1.json.
fn diff_json(args: &[&str], code: i32) -> Value {
    let mut full = args.to_vec();
    full.push("--json");
    let out = diff_status(&full, code);
    let value: Value = serde_json::from_str(&out).expect("diff --json prints JSON");
    assert_valid_diff(&value);
    assert_eq!(value["equal"], code == 0, "{value:#}");
    value
}

fn addresses(diff: &Value) -> Vec<String> {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect()
}

fn change_at<'a>(diff: &'a Value, address: &str) -> &'a Value {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change at {address}: {diff:#}"))
}

#[test]
fn identical_references_are_equal() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    push_image(dest.as_ref(), Some("1"), &Image::amd64());
    let reference = registry.reference("app:1");
    let out = diff_json(&[&reference, &reference], 0);
    assert!(out["changes"].as_array().unwrap().is_empty(), "{out:#}");
    let human = diff_status(&[&reference, &reference], 0);
    assert!(human.contains("Diff: no differences."), "{human}");
    assert!(human.contains("Legend: + added"), "{human}");
}

#[test]
fn the_same_index_under_two_tags_is_equal() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let amd64 = push_image(dest.as_ref(), None, &Image::amd64());
    let arm64 = push_image(
        dest.as_ref(),
        None,
        &Image::amd64().arch("arm64", Some("v8")),
    );
    push_index(dest.as_ref(), "a", &[amd64.clone(), arm64.clone()]);
    push_index(dest.as_ref(), "b", &[amd64, arm64]);
    let out = diff_json(
        &[&registry.reference("app:a"), &registry.reference("app:b")],
        0,
    );
    assert_eq!(out["summary"]["platforms"]["unchanged"], 2, "{out:#}");
    assert_eq!(out["old"]["digest"], out["new"]["digest"]);
}

#[test]
fn env_and_label_changes_are_exactly_those() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let old = Image::amd64();
    let mut new = old.clone();
    new.env = vec!["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"];
    new.labels = vec![("maintainer", "ocx team")];
    let old_index = [push_image(dest.as_ref(), None, &old)];
    let new_index = [push_image(dest.as_ref(), None, &new)];
    push_index(dest.as_ref(), "1", &old_index);
    push_index(dest.as_ref(), "2", &new_index);
    let (a, b) = (registry.reference("app:1"), registry.reference("app:2"));
    let out = diff_json(&[&a, &b], 1);
    assert_eq!(
        addresses(&out),
        [
            r#"platforms["linux/amd64"].config.env["PATH"]"#,
            r#"platforms["linux/amd64"].config.labels["maintainer"]"#
        ]
    );
    let env = change_at(&out, r#"platforms["linux/amd64"].config.env["PATH"]"#);
    assert_eq!(env["kind"], "env");
    assert_eq!(env["change"], "changed");
    assert_eq!(env["before"], "/usr/bin:/bin");
    assert_eq!(env["after"], "/usr/local/bin:/usr/bin:/bin");
    assert_eq!(env["platform"], "linux/amd64");
    assert_eq!(out["summary"]["platforms"]["changed"], 1);
    let human = diff_status(&[&a, &b], 1);
    assert!(
        human.contains(r#"~ platforms["linux/amd64"].config.labels["maintainer"]: ocx → ocx team"#),
        "{human}"
    );
    assert!(human.contains("Diff: 1 platform changed."), "{human}");
}

#[test]
fn an_appended_layer_keeps_the_shared_base_unchanged() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let old = Image::amd64();
    let mut new = old.clone();
    new.layers = vec![b"base layer", b"the app"];
    push_image(dest.as_ref(), Some("1"), &old);
    push_image(dest.as_ref(), Some("2"), &new);
    let (a, b) = (registry.reference("app:1"), registry.reference("app:2"));
    let out = diff_json(&[&a, &b], 1);
    assert_eq!(addresses(&out), ["layers[1]"]);
    let layers = &out["platforms"][0]["layers"];
    assert_eq!(
        (layers["unchanged"].as_u64(), layers["added"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(layers["size_delta"], "the app".len());
    assert_eq!(change_at(&out, "layers[1]")["after"]["size"], 7);
    let human = diff_status(&[&a, &b], 1);
    assert!(
        human.contains("Layers: 1 unchanged (shared base, 10 B), 1 added; size +7 B"),
        "{human}"
    );
    let unchanged = diff_json(&[&a, &b, "--show-unchanged"], 1);
    assert_eq!(change_at(&unchanged, "layers[0]")["change"], "unchanged");
}

#[test]
fn a_platform_added_and_one_removed() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let amd64 = push_image(dest.as_ref(), None, &Image::amd64());
    let s390x = push_image(dest.as_ref(), None, &Image::amd64().arch("s390x", None));
    let arm64 = push_image(
        dest.as_ref(),
        None,
        &Image::amd64().arch("arm64", Some("v8")),
    );
    push_index(dest.as_ref(), "1", &[amd64.clone(), s390x]);
    push_index(dest.as_ref(), "2", &[amd64, arm64]);
    let (a, b) = (registry.reference("app:1"), registry.reference("app:2"));
    let out = diff_json(&[&a, &b], 1);
    let platforms = &out["summary"]["platforms"];
    assert_eq!(
        (
            &platforms["added"],
            &platforms["removed"],
            &platforms["unchanged"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(
        addresses(&out),
        [
            r#"platforms["linux/s390x"]"#,
            r#"platforms["linux/arm64/v8"]"#
        ]
    );
    assert_eq!(
        change_at(&out, r#"platforms["linux/s390x"]"#)["change"],
        "removed"
    );
    let human = diff_status(&[&a, &b], 1);
    assert!(human.contains("+ linux/arm64/v8"), "{human}");
    assert!(human.contains("- linux/s390x"), "{human}");
    assert!(
        human.contains("Diff: 1 platform added, 1 removed."),
        "{human}"
    );
    // Only the platforms asked for are compared.
    diff_json(&[&a, &b, "--platform", "linux/amd64"], 0);
    let arm = diff_json(&[&a, &b, "--platform", "linux/arm64"], 1);
    assert_eq!(addresses(&arm), [r#"platforms["linux/arm64/v8"]"#]);
}

#[test]
fn arm64_matches_arm64_v8() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let image = Image::amd64().arch("arm64", None);
    let plain = push_image(dest.as_ref(), None, &image);
    let mut with_variant = plain.clone();
    with_variant["platform"]["variant"] = json!("v8");
    push_index(dest.as_ref(), "1", &[plain]);
    push_index(dest.as_ref(), "2", &[with_variant]);
    let out = diff_json(
        &[&registry.reference("app:1"), &registry.reference("app:2")],
        1,
    );
    let platforms = out["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 1, "{out:#}");
    assert_eq!(platforms[0]["key"], "linux/arm64/v8");
    assert_eq!(platforms[0]["matched_by"], "platform");
    assert_eq!(platforms[0]["change"], "unchanged");
    assert_eq!(platforms[0]["old"]["key"], "linux/arm64");
    // Only the index's bytes changed: said as its digest, nothing else.
    assert_eq!(addresses(&out), ["digest"]);
}

#[test]
fn an_artifact_type_change() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let mut old = Image::amd64();
    old.artifact_type = Some("application/vnd.example.v1");
    let mut new = old.clone();
    new.artifact_type = Some("application/vnd.example.v2");
    push_image(dest.as_ref(), Some("1"), &old);
    push_image(dest.as_ref(), Some("2"), &new);
    let out = diff_json(
        &[&registry.reference("app:1"), &registry.reference("app:2")],
        1,
    );
    assert_eq!(addresses(&out), ["artifact_type"]);
    let change = change_at(&out, "artifact_type");
    assert_eq!(change["kind"], "manifest");
    assert_eq!(
        (change["before"].as_str(), change["after"].as_str()),
        (
            Some("application/vnd.example.v1"),
            Some("application/vnd.example.v2")
        )
    );
}

/// A CycloneDX 1.5 document, checked by cyclonedx-python-lib's strict validator.
fn cyclonedx(dir: &std::path::Path, components: &[(&str, &str)]) -> Vec<u8> {
    let components: Vec<Value> = components
        .iter()
        .enumerate()
        .map(|(i, (name, purl))| {
            json!({"type": "library", "bom-ref": format!("c{i}"), "name": name, "purl": purl})
        })
        .collect();
    let document = serde_json::to_vec(&json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "components": components
    }))
    .unwrap();
    let path = dir.join("bom.cdx.json");
    std::fs::write(&path, &document).unwrap();
    run_tool(
        std::process::Command::new(python_tool("python"))
            .arg("-c")
            .arg(
                "import sys\n\
                 from cyclonedx.validation.json import JsonStrictValidator\n\
                 from cyclonedx.schema import SchemaVersion\n\
                 errors = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())\n\
                 sys.exit(str(errors) if errors else 0)",
            )
            .arg(&path),
    );
    document
}

/// An SPDX 2.3 JSON document written by spdx-tools from tag-value.
fn spdx(dir: &std::path::Path, packages: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut tag_value = String::from(
        "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n\
         DocumentName: ocx-diff-test\nDocumentNamespace: https://example.com/ocx-diff-test\n\
         Creator: Tool: ocx-tests\nCreated: 2024-05-01T12:00:00Z\n",
    );
    for (i, (name, version, purl)) in packages.iter().enumerate() {
        tag_value.push_str(&format!(
            "\nPackageName: {name}\nSPDXID: SPDXRef-Package-{i}\nPackageVersion: {version}\n\
             PackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\n\
             ExternalRef: PACKAGE-MANAGER purl {purl}\n"
        ));
    }
    for i in 0..packages.len() {
        tag_value.push_str(&format!(
            "Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-{i}\n"
        ));
    }
    let input = dir.join("doc.spdx");
    let output = dir.join("doc.spdx.json");
    std::fs::write(&input, tag_value).unwrap();
    run_tool(
        std::process::Command::new(python_tool("pyspdxtools"))
            .arg("-i")
            .arg(&input)
            .arg("-o")
            .arg(&output),
    );
    std::fs::read(&output).unwrap()
}

/// The old image's SBOM is CycloneDX behind the referrers API, the new one's SPDX under
/// a cosign tag: packages are matched across formats by purl.
#[test]
fn package_upgrades_downgrades_additions_and_removals_across_sbom_formats() {
    let registry = Registry::start_ferro();
    let dest = source(&registry, "app");
    let old_image = Image::amd64();
    let mut new_image = old_image.clone();
    new_image.layers = vec![b"base layer", b"updated packages"];
    let old = push_image(dest.as_ref(), Some("1"), &old_image);
    let new = push_image(dest.as_ref(), Some("2"), &new_image);
    let old: Descriptor = serde_json::from_value(old).unwrap();
    let new: Descriptor = serde_json::from_value(new).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let old_sbom = cyclonedx(
        dir.path(),
        &[
            (
                "zlib1g",
                "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12",
            ),
            (
                "openssl",
                "pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12",
            ),
            ("libssl3", "pkg:deb/debian/libssl3@3.0.11-1?arch=amd64"),
            ("libssl3", "pkg:deb/debian/libssl3@3.0.13-1?arch=amd64"),
            ("lodash", "pkg:npm/lodash@4.17.21"),
            ("left-pad", "pkg:npm/left-pad@1.3.0"),
        ],
    );
    let new_sbom = spdx(
        dir.path(),
        &[
            (
                "zlib1g",
                "1:1.3.dfsg-3",
                "pkg:deb/debian/zlib1g@1%3A1.3.dfsg-3?arch=amd64&distro=debian-13",
            ),
            (
                "openssl",
                "3.0.13-1",
                "pkg:deb/debian/openssl@3.0.13-1?arch=amd64&distro=debian-13",
            ),
            (
                "libssl3",
                "3.0.13-1",
                "pkg:deb/debian/libssl3@3.0.13-1?arch=amd64",
            ),
            ("lodash", "4.17.20", "pkg:npm/lodash@4.17.20"),
            ("requests", "2.32.3", "pkg:pypi/requests@2.32.3"),
        ],
    );
    block(common::fixtures::attach_referrer(
        dest.as_ref(),
        &old,
        "application/vnd.cyclonedx+json",
        old_sbom,
    ));
    block(common::fixtures::attach_cosign_tag(
        dest.as_ref(),
        &new.digest,
        "sbom",
        "text/spdx+json",
        new_sbom,
    ));
    let (a, b) = (registry.reference("app:1"), registry.reference("app:2"));
    let out = diff_json(&[&a, &b], 1);
    assert_eq!(
        out["summary"]["packages"],
        json!({"upgraded": 2, "downgraded": 1, "changed": 0, "added": 1, "removed": 2, "unchanged": 1}),
        "{out:#}"
    );
    assert_eq!(out["platforms"][0]["packages"], out["summary"]["packages"]);
    let zlib = change_at(&out, r#"packages["pkg:deb/debian/zlib1g?arch=amd64"]"#);
    assert_eq!(
        (&zlib["before"], &zlib["after"], &zlib["direction"]),
        (
            &json!("1:1.2.13.dfsg-1"),
            &json!("1:1.3.dfsg-3"),
            &json!("upgraded")
        )
    );
    assert_eq!(zlib["kind"], "package");
    let lodash = change_at(&out, r#"packages["pkg:npm/lodash"]"#);
    assert_eq!(lodash["direction"], "downgraded");
    let libssl = change_at(&out, r#"packages["pkg:deb/debian/libssl3?arch=amd64"]"#);
    assert_eq!(
        (&libssl["change"], &libssl["before"]),
        (&json!("removed"), &json!("3.0.11-1"))
    );
    assert_eq!(
        change_at(&out, r#"packages["pkg:pypi/requests"]"#)["change"],
        "added"
    );

    let human = diff_status(&[&a, &b], 1);
    assert!(
        human.contains("Packages: 2 upgraded, 1 downgraded, 1 added, 2 removed (1 unchanged)"),
        "{human}"
    );
    assert!(
        human.contains("↑ pkg:deb/debian/zlib1g?arch=amd64  1:1.2.13.dfsg-1 → 1:1.3.dfsg-3"),
        "{human}"
    );
    assert!(
        human.contains("↓ pkg:npm/lodash  4.17.21 → 4.17.20"),
        "{human}"
    );
    assert!(
        human.contains("packages: 2 upgraded, 1 downgraded, 1 added, 2 removed"),
        "{human}"
    );
    let shown = diff_status(&[&a, &b, "--show-unchanged"], 1);
    assert!(
        shown.contains("= pkg:deb/debian/libssl3?arch=amd64  3.0.13-1"),
        "{shown}"
    );
    let structure = diff_json(&[&a, &b, "--no-sbom"], 1);
    assert!(structure["platforms"][0]["packages"].is_null());
    assert_eq!(addresses(&structure), ["layers[1]"]);
}

#[test]
fn an_index_against_a_single_image() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let amd64 = push_image(dest.as_ref(), Some("image"), &Image::amd64());
    let arm64 = push_image(
        dest.as_ref(),
        None,
        &Image::amd64().arch("arm64", Some("v8")),
    );
    push_index(dest.as_ref(), "index", &[amd64, arm64]);
    let out = diff_json(
        &[
            &registry.reference("app:image"),
            &registry.reference("app:index"),
        ],
        1,
    );
    assert_eq!(
        addresses(&out),
        ["media_type", r#"platforms["linux/arm64/v8"]"#],
        "{out:#}"
    );
    let platforms = &out["summary"]["platforms"];
    assert_eq!(
        (&platforms["added"], &platforms["unchanged"]),
        (&json!(1), &json!(1))
    );
}

#[test]
fn ignores_turn_a_difference_into_equal() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let old = Image::amd64();
    let mut new = old.clone();
    new.created = CREATED_LATER;
    push_image(dest.as_ref(), Some("1"), &old);
    push_image(dest.as_ref(), Some("2"), &new);
    let mut relabelled = old.clone();
    relabelled.labels = vec![("maintainer", "someone else")];
    push_image(dest.as_ref(), Some("3"), &relabelled);
    let (a, b, c) = (
        registry.reference("app:1"),
        registry.reference("app:2"),
        registry.reference("app:3"),
    );
    let out = diff_json(&[&a, &b], 1);
    assert_eq!(
        addresses(&out),
        [
            r#"annotations["org.opencontainers.image.created"]"#,
            "config.created",
            "build.created"
        ]
    );
    let ignored = diff_json(&[&a, &b, "--ignore-timestamps"], 0);
    assert_eq!(ignored["summary"]["ignored"], 3);
    diff_json(&[&a, &c, "--ignore", r#"config.labels["maintainer"]"#], 0);
    diff_json(&[&a, &c, "--ignore", "config.labels[*]"], 0);
    diff_json(&[&a, &c, "--ignore", "config"], 0);
    diff_json(&[&a, &c, "--ignore", r#"config.labels["other"]"#], 1);
}

#[test]
fn a_missing_reference_is_an_error_naming_it() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    push_image(dest.as_ref(), Some("1"), &Image::amd64());
    let missing = registry.reference("app:nope");
    let err = failing(&["diff", &registry.reference("app:1"), &missing]);
    assert!(err.contains("new side") && err.contains(&missing), "{err}");
    let err = failing(&[
        "diff",
        "oci:/nonexistent/layout:x",
        &registry.reference("app:1"),
    ]);
    assert!(
        err.contains("old side") && err.contains("/nonexistent/layout"),
        "{err}"
    );
    let err = failing(&["diff", "a", "b", "--ignore", ""]);
    assert!(err.contains("--ignore"), "{err}");
    // A malformed pattern is a usage error naming it, before anything is read.
    for (pattern, named) in [
        ("bogus[", "the address \"bogus[\""),
        ("/bogus[", "the path glob \"/bogus[\""),
    ] {
        let err = failing(&["diff", "a", "b", "--ignore", pattern]);
        assert!(
            err.contains("--ignore") && err.contains(named),
            "{pattern}: {err}"
        );
    }
}

#[test]
fn quiet_prints_nothing() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    push_image(dest.as_ref(), Some("1"), &Image::amd64());
    push_image(
        dest.as_ref(),
        Some("2"),
        &Image::amd64().arch("arm64", None),
    );
    let (a, b) = (registry.reference("app:1"), registry.reference("app:2"));
    assert_eq!(diff_status(&[&a, &b, "--quiet"], 1), "");
    assert_eq!(diff_status(&[&a, &a, "-q"], 0), "");
}

#[test]
fn a_layout_against_a_registry_copy_of_the_same_index() {
    let registry = Registry::start();
    push_samples(&registry, "samples");
    let (_dir, layout) = sample_layout();
    let local = format!("oci:{}:multi-platform", layout.display());
    let out = diff_json(&[&local, &registry.reference("samples:multi-platform")], 0);
    assert_eq!(out["summary"]["platforms"]["unchanged"], 3, "{out:#}");
    assert!(out["summary"]["packages"]["unchanged"].as_u64().unwrap() > 0);
    diff_status(&[&local, &registry.reference("samples:multi-platform")], 0);
}

#[test]
fn unified_shows_manifest_and_config_json() {
    let registry = Registry::start();
    let dest = source(&registry, "app");
    let old = Image::amd64();
    let mut new = old.clone();
    new.env = vec!["PATH=/opt/bin", "LANG=C.UTF-8"];
    push_image(dest.as_ref(), Some("1"), &old);
    push_image(dest.as_ref(), Some("2"), &new);
    let (a, b) = (registry.reference("app:1"), registry.reference("app:2"));
    let out = diff_status(&[&a, &b, "--unified", "--context", "1"], 1);
    assert!(out.contains("--- old linux/amd64 config"), "{out}");
    assert!(out.contains("-      \"PATH=/usr/bin:/bin\""), "{out}");
    assert!(out.contains("+      \"PATH=/opt/bin\""), "{out}");
    assert!(out.contains("--- old linux/amd64 manifest"), "{out}");
}

#[test]
fn the_schema_command_serves_the_diff_schema() {
    let out = ocx_ok(&["schema", "diff"]);
    assert_eq!(out, ocx::schema::DIFF_V1);
}

fn example(tag: &str) -> String {
    format!(
        "oci:{}:{tag}",
        repo_root().join("examples/layout").display()
    )
}

#[test]
fn platform_selects_through_nested_indexes() {
    let summary = |out: &Value| out["summary"]["platforms"].clone();
    // 416fe8… is listed in multi-platform and, one index down, in nested: the same
    // manifest. The indexes' own annotations differ, so the diff is still not equal.
    let (flat, nested) = (example("multi-platform"), example("nested"));
    let arm = diff_json(
        &[&flat, &nested, "--platform", "linux/arm64", "--no-sbom"],
        1,
    );
    let scopes = arm["platforms"].as_array().unwrap();
    assert_eq!(scopes.len(), 1, "{arm:#}");
    assert_eq!(scopes[0]["key"], "linux/arm64/v8");
    assert_eq!(scopes[0]["change"], "unchanged");
    assert_eq!(summary(&arm)["added"], 0, "{arm:#}");
    assert!(addresses(&arm)
        .iter()
        .all(|a| a.starts_with("annotations[") || a.starts_with("build.")));
    // An image against a nested index: the manifest of its platform nested too is the
    // same one, not an added platform.
    let image = example("image");
    let amd = diff_json(&[&image, &nested, "--platform", "linux/amd64"], 1);
    assert_eq!(
        summary(&amd),
        json!({"added": 0, "removed": 0, "changed": 1, "unchanged": 0}),
        "{amd:#}"
    );
}
