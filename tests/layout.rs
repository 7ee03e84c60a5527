//! OCI layouts: verification, limits and the errors a user sees.

mod common;

use std::path::Path;

use bytes::Bytes;
use common::*;
use ocx::digest::Digest;
use ocx::manifest::{Descriptor, ImageIndex, OCI_INDEX};
use ocx::reference::ManifestRef;
use ocx::source::layout::LayoutSource;
use ocx::source::Source;

fn blob_path(layout: &Path, digest: &str) -> std::path::PathBuf {
    let (alg, hex) = digest.split_once(':').unwrap();
    layout.join("blobs").join(alg).join(hex)
}

#[test]
fn tampered_config_blob_is_a_digest_error() {
    let (_dir, layout) = sample_layout();
    let reference = format!("oci:{}:image", layout.display());
    let config_digest = describe_json(&[&reference])["config"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let path = blob_path(&layout, &config_digest);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let (json, err) = describe_with_failure(&[&reference]);
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(err.contains(&config_digest), "{err}");
    assert!(
        json["error"].as_str().unwrap().contains("digest mismatch"),
        "{json}"
    );
}

#[test]
fn truncated_manifest_blob_is_a_size_error() {
    let (_dir, layout) = sample_layout();
    let reference = format!("oci:{}:multi-platform", layout.display());
    let child = describe_json(&[&reference])["manifests"]["linux/arm64/v8"]["descriptor"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let path = blob_path(&layout, &child);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    let (json, err) = describe_with_failure(&[&reference]);
    assert!(err.contains(&child), "{err}");
    assert!(err.contains("digest mismatch"), "{err}");
    // The child is shown as unreadable, and its siblings are described whole.
    let entry = &json["manifests"]["linux/arm64/v8"];
    assert!(
        entry["error"].as_str().unwrap().contains("digest mismatch"),
        "{entry}"
    );
    assert_eq!(entry["descriptor"]["digest"], child.as_str());
    assert!(
        json["manifests"]["linux/amd64"]["config"].is_object(),
        "{json}"
    );
}

#[test]
fn layout_errors_name_what_is_wrong() {
    let (dir, layout) = sample_layout();
    let missing = dir.path().join("nope");
    let err = failing(&["describe", &format!("oci:{}", missing.display())]);
    assert!(
        err.contains("no OCI layout") && err.contains("nope"),
        "{err}"
    );

    let err = failing(&["describe", &format!("oci:{}", layout.display())]);
    assert!(
        err.contains("holds 8 manifests") && err.contains("multi-platform"),
        "{err}"
    );

    let err = failing(&["describe", &format!("oci:{}:v9", layout.display())]);
    assert!(
        err.contains("no manifest tagged \"v9\"") && err.contains("provider"),
        "{err}"
    );

    let err = failing(&[
        "describe",
        &format!("oci:{}@sha256:../../../etc/passwd", layout.display()),
    ]);
    assert!(err.contains("invalid digest"), "{err}");

    let absent = format!("sha256:{}", "1".repeat(64));
    let err = failing(&["describe", &format!("oci:{}@{absent}", layout.display())]);
    assert!(err.contains(&absent) && err.contains("not found"), "{err}");
}

/// A layout written without `oci:` still names a registry (here one that refuses the
/// connection); the failure then says how to name the layout.
#[test]
fn a_layout_written_as_a_registry_reference_gets_a_hint_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    ocx_ok(&[
        "generate",
        "--samples",
        &format!("oci:{}/localhost:1/app", dir.path().display()),
    ]);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ocx"))
        .args(["describe", "localhost:1/app:image"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with(
            "error: localhost:1/app:image names a registry repository, but localhost:1/app is \
             a local OCI image layout: write it as oci:localhost:1/app:image\n  caused by: "
        ) && err.contains("localhost:1"),
        "{err}"
    );
}

#[test]
fn a_layout_with_one_manifest_needs_no_tag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one");
    let layout = LayoutSource::open_or_create(&path).unwrap();
    let index = index_over(&[]);
    runtime()
        .block_on(layout.manifest_put(&ManifestRef::Tag("only".into()), OCI_INDEX, index))
        .unwrap();
    let out = describe_json(&[&format!("oci:{}", path.display())]);
    assert_eq!(
        out["descriptor"]["annotations"]["org.opencontainers.image.ref.name"],
        "only"
    );
    assert_eq!(out["manifests"].as_object().unwrap().len(), 0);
}

fn index_over(children: &[Descriptor]) -> Bytes {
    let index = ImageIndex {
        schema_version: 2,
        media_type: Some(OCI_INDEX.into()),
        artifact_type: None,
        manifests: children.to_vec(),
        subject: None,
        annotations: None,
    };
    Bytes::from(serde_json::to_vec(&index).unwrap())
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep");
    let layout = LayoutSource::open_or_create(&path).unwrap();
    let put = |bytes: Bytes| {
        let digest = Digest::sha256_of(&bytes);
        let descriptor = Descriptor::new(OCI_INDEX, digest.clone(), bytes.len() as u64);
        runtime()
            .block_on(layout.manifest_put(&ManifestRef::Digest(digest), OCI_INDEX, bytes))
            .unwrap();
        descriptor
    };
    let mut current = put(index_over(&[]));
    let mut chain = vec![current.clone()];
    for _ in 0..ocx::read::MAX_DEPTH {
        current = put(index_over(&[current]));
        chain.push(current.clone());
    }
    // MAX_DEPTH indexes nest fine; one more level is refused.
    let ok = format!(
        "oci:{}@{}",
        path.display(),
        chain[ocx::read::MAX_DEPTH - 1].digest
    );
    describe_json(&[&ok]);
    let too_deep = format!("oci:{}@{}", path.display(), current.digest);
    let err = failing(&["describe", &too_deep]);
    assert!(err.contains("nested more than 8 levels"), "{err}");
}

#[test]
fn oversized_manifests_and_configs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    let layout = LayoutSource::open_or_create(&path).unwrap();
    let huge = serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [],
        "annotations": {"padding": "x".repeat(4 * 1024 * 1024)}
    });
    // ocx itself refuses to write such a manifest, so it is placed by hand.
    let bytes = Bytes::from(serde_json::to_vec(&huge).unwrap());
    let mut descriptor = Descriptor::new(OCI_INDEX, Digest::sha256_of(&bytes), bytes.len() as u64);
    runtime()
        .block_on(layout.blob_put(&descriptor, bytes))
        .unwrap();
    descriptor.annotations = Some(
        [(
            ocx::manifest::annotations::REF_NAME.to_string(),
            "huge".to_string(),
        )]
        .into(),
    );
    let index_json = path.join("index.json");
    let mut index: ImageIndex =
        serde_json::from_slice(&std::fs::read(&index_json).unwrap()).unwrap();
    index.manifests.push(descriptor);
    std::fs::write(&index_json, serde_json::to_vec(&index).unwrap()).unwrap();
    let err = failing(&["describe", &format!("oci:{}:huge", path.display())]);
    assert!(err.contains("over the 4194304-byte limit"), "{err}");

    // A config descriptor claiming 9 MiB is refused before anything is read.
    let config = Descriptor::new(
        ocx::manifest::OCI_CONFIG,
        Digest::sha256_of(b"never written"),
        9 * 1024 * 1024,
    );
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": ocx::manifest::OCI_MANIFEST, "config": config, "layers": []
    });
    let bytes = Bytes::from(serde_json::to_vec(&manifest).unwrap());
    runtime()
        .block_on(layout.manifest_put(
            &ManifestRef::Tag("bigconfig".into()),
            ocx::manifest::OCI_MANIFEST,
            bytes,
        ))
        .unwrap();
    let (json, err) = describe_with_failure(&[&format!("oci:{}:bigconfig", path.display())]);
    assert!(err.contains("over the 8388608-byte limit"), "{err}");
    assert!(err.contains(&config.digest.to_string()), "{err}");
    assert!(
        json["config"].is_null() && json["layers"].is_array(),
        "{json}"
    );
    assert!(json["error"]
        .as_str()
        .unwrap()
        .contains("over the 8388608-byte limit"));
}

#[test]
fn schema1_manifests_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s1");
    let layout = LayoutSource::open_or_create(&path).unwrap();
    let s1 = br#"{"schemaVersion":1,"name":"x","tag":"1","architecture":"amd64","fsLayers":[],"history":[]}"#;
    let media_type = ocx::manifest::DOCKER_SCHEMA1_SIGNED;
    let digest = Digest::sha256_of(s1);
    runtime()
        .block_on(layout.blob_put(
            &Descriptor::new(media_type, digest.clone(), s1.len() as u64),
            Bytes::from_static(s1),
        ))
        .unwrap();
    let err = failing(&["describe", &format!("oci:{}@{digest}", path.display())]);
    assert!(
        err.contains(
            "unsupported manifest media type application/vnd.docker.distribution.manifest.v1"
        ),
        "{err}"
    );
}

#[test]
fn bad_references_and_platforms_are_usage_errors() {
    let err = failing(&["describe", "example.com/Upper:1"]);
    assert!(
        err.contains("invalid reference \"example.com/Upper:1\""),
        "{err}"
    );
    let err = failing(&["describe", "alpine", "--platform", "linux"]);
    assert!(err.contains("invalid platform"), "{err}");
}

#[test]
fn registry_text_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil");
    let layout = LayoutSource::open_or_create(&path).unwrap();
    let index = serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [],
        "annotations": {"org.opencontainers.image.title": "red\u{1b}[31mRED\u{1b}[0m\nsecond line \u{202e}reversed"}
    });
    let bytes = Bytes::from(serde_json::to_vec(&index).unwrap());
    runtime()
        .block_on(layout.manifest_put(&ManifestRef::Tag("x".into()), OCI_INDEX, bytes))
        .unwrap();
    for color in ["never", "always"] {
        let out = ocx_ok(&[
            "--color",
            color,
            "describe",
            &format!("oci:{}:x", path.display()),
        ]);
        assert!(
            !out.contains("\u{1b}[31m"),
            "content escape printed raw: {out:?}"
        );
        assert!(out.contains(r"red\u{1b}[31mRED"), "{out:?}");
        assert!(
            !out.contains("\nsecond line") && out.contains(r"\u{a}second line"),
            "{out:?}"
        );
        assert!(
            !out.contains('\u{202e}') && out.contains(r"\u{202e}reversed"),
            "{out:?}"
        );
    }
}

#[test]
fn a_layout_is_never_written_into_a_directory_that_is_not_one() {
    let (dir, layout) = sample_layout();
    let occupied = dir.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("notes.txt"), "mine").unwrap();
    let err = failing(&[
        "index",
        "create",
        &format!("oci:{}:1", occupied.display()),
        &format!("oci:{}:image", layout.display()),
    ]);
    assert!(
        err.contains("is not an OCI image layout") && err.contains("not empty"),
        "{err}"
    );
    assert!(!occupied.join("index.json").exists() && !occupied.join("blobs").exists());
}

#[test]
fn a_moved_tag_keeps_its_place_in_index_json() {
    let (_dir, layout) = sample_layout();
    let index_json = || -> Vec<String> {
        let index: ImageIndex =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        index
            .manifests
            .iter()
            .filter_map(|d| {
                d.annotation(ocx::manifest::annotations::REF_NAME)
                    .map(str::to_string)
            })
            .collect()
    };
    let before = index_json();
    let source = LayoutSource::open(&layout).unwrap();
    let image = runtime()
        .block_on(source.manifest_get(&ManifestRef::Tag("image".into())))
        .unwrap();
    // "provider" now names the image: same place, new content.
    runtime()
        .block_on(source.manifest_put(
            &ManifestRef::Tag("provider".into()),
            &image.descriptor.media_type,
            image.bytes.clone(),
        ))
        .unwrap();
    assert_eq!(index_json(), before);
    let out = describe_json(&[&format!("oci:{}:provider", layout.display())]);
    assert_eq!(
        out["descriptor"]["digest"],
        image.descriptor.digest.to_string()
    );
}

/// A layout whose index.json tags one manifest thousands of times is read once per
/// command (each referrer lookup used to read and parse it again): the SBOMs found are
/// the same as without the extra tags. Its speed is in benches/README.md.
#[test]
fn many_tags_of_one_manifest_change_nothing_found() {
    let (_dir, layout) = sample_layout();
    let reference = format!("oci:{}:multi-platform", layout.display());
    let before = sbom_json(&[&reference]);
    let index_json = layout.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_json).unwrap()).unwrap();
    let entries = index["manifests"].as_array_mut().unwrap();
    let tagged = entries
        .iter()
        .find(|e| e["annotations"][ocx::manifest::annotations::REF_NAME] == "multi-platform")
        .unwrap()
        .clone();
    for i in 0..2000 {
        let mut extra = tagged.clone();
        extra["annotations"][ocx::manifest::annotations::REF_NAME] = format!("extra-{i}").into();
        entries.push(extra);
    }
    std::fs::write(&index_json, serde_json::to_vec(&index).unwrap()).unwrap();
    assert_eq!(sbom_json(&[&reference]), before);
}
