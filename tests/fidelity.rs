//! What `ocx describe` reports is what the content says: artifact types derived from the
//! config, every image config field, platforms inside nested indexes, build facts that
//! say which child they came from, repeated platforms, and Docker manifest lists that
//! stay Docker manifest lists.

mod common;

use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use common::*;
use ocx::digest::Digest;
use ocx::manifest::{
    Descriptor, ImageIndex, ImageManifest, Platform, DOCKER_CONFIG, DOCKER_MANIFEST, OCI_CONFIG,
    OCI_EMPTY, OCI_INDEX, OCI_MANIFEST,
};
use ocx::reference::ManifestRef;
use ocx::source::Source;
use serde_json::{json, Value};

const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

fn put_blob(dest: &dyn Source, media_type: &str, bytes: Vec<u8>) -> Descriptor {
    let descriptor = Descriptor::new(media_type, Digest::sha256_of(&bytes), bytes.len() as u64);
    runtime()
        .block_on(dest.blob_put(&descriptor, Bytes::from(bytes)))
        .unwrap();
    descriptor
}

/// Pushes a manifest by digest and, when given, a tag; returns its descriptor.
fn put_manifest(
    dest: &dyn Source,
    media_type: &str,
    manifest: &impl serde::Serialize,
    tag: Option<&str>,
) -> Descriptor {
    let bytes = Bytes::from(serde_json::to_vec(manifest).unwrap());
    let descriptor = Descriptor::new(media_type, Digest::sha256_of(&bytes), bytes.len() as u64);
    let mut references = vec![ManifestRef::Digest(descriptor.digest.clone())];
    references.extend(tag.map(|t| ManifestRef::Tag(t.into())));
    for reference in references {
        runtime()
            .block_on(dest.manifest_put(&reference, media_type, bytes.clone()))
            .unwrap();
    }
    descriptor
}

fn annotations(pairs: &[(&str, &str)]) -> Option<std::collections::BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn linux(architecture: &str) -> Platform {
    Platform {
        architecture: architecture.into(),
        os: "linux".into(),
        ..Default::default()
    }
}

/// An image manifest over `config` and one small layer.
fn manifest_over(
    dest: &dyn Source,
    media_type: &str,
    config: Descriptor,
    layer_type: &str,
    manifest_annotations: &[(&str, &str)],
    tag: Option<&str>,
) -> Descriptor {
    let layer = put_blob(
        dest,
        layer_type,
        format!("layer of {}", config.digest).into(),
    );
    let manifest = ImageManifest {
        annotations: (!manifest_annotations.is_empty())
            .then(|| annotations(manifest_annotations))
            .flatten(),
        ..ImageManifest::new(media_type, config, vec![layer])
    };
    put_manifest(dest, media_type, &manifest, tag)
}

/// An OCI image for `platform` whose config has `labels` and whose manifest has
/// `manifest_annotations`; the descriptor carries the platform.
fn image(
    dest: &dyn Source,
    platform: Platform,
    labels: &[(&str, &str)],
    manifest_annotations: &[(&str, &str)],
) -> Descriptor {
    let config = json!({
        "architecture": platform.architecture, "os": platform.os,
        "config": {"Labels": annotations(labels)},
        "rootfs": {"type": "layers", "diff_ids": []}
    });
    let config = put_blob(dest, OCI_CONFIG, serde_json::to_vec(&config).unwrap());
    let mut descriptor = manifest_over(
        dest,
        OCI_MANIFEST,
        config,
        "application/vnd.oci.image.layer.v1.tar",
        manifest_annotations,
        None,
    );
    descriptor.platform = Some(platform);
    descriptor
}

fn index(
    dest: &dyn Source,
    manifests: Vec<Descriptor>,
    index_annotations: &[(&str, &str)],
    tag: &str,
) -> Descriptor {
    let index = ImageIndex {
        manifests,
        annotations: annotations(index_annotations),
        ..ImageIndex::empty()
    };
    put_manifest(dest, OCI_INDEX, &index, Some(tag))
}

fn layout_source(layout: &Path) -> std::sync::Arc<dyn Source> {
    open_source(&format!("oci:{}:image", layout.display()))
}

fn at(layout: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", layout.display())
}

/// The rows of one section of describe's human output, up to the next blank line.
fn section<'a>(out: &'a str, title: &str) -> Vec<&'a str> {
    out.lines()
        .skip_while(|l| !l.starts_with(title))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn an_artifact_without_artifact_type_gets_its_config_media_type_and_its_config_as_is() {
    let registry = registry::shared();
    let source = open_source(&registry.reference("charts/hello"));
    // As `oras push --config chart.json:application/vnd.cncf.helm.config.v1+json` (what
    // `helm push` writes too): no artifactType, the chart's own config.
    let chart_config = br#"{"name":"hello","version":"0.1.0","apiVersion":"v2"}"#.to_vec();
    let config = put_blob(source.as_ref(), HELM_CONFIG, chart_config);
    let chart = manifest_over(
        source.as_ref(),
        OCI_MANIFEST,
        config.clone(),
        HELM_CHART,
        &[("org.opencontainers.image.created", "2024-05-01T12:00:00Z")],
        Some("0.1.0"),
    );
    let reference = registry.reference("charts/hello:0.1.0");
    let out = describe_json(&[&reference]);
    assert_eq!(out["artifact_type"], Value::Null, "the manifest has none");
    assert_eq!(out["derived_artifact_type"], HELM_CONFIG);
    assert_eq!(out["config"]["media_type"], HELM_CONFIG);
    assert_eq!(out["config"]["unknown_fields"], Value::Null);

    let human = ocx_ok(&["describe", &reference]);
    assert!(
        human.contains(&format!(
            "Artifact type  {HELM_CONFIG} (from the config media type)"
        )),
        "{human}"
    );
    let config_rows = section(&human, "Config");
    assert_eq!(
        config_rows,
        [
            format!("  Digest      {}", config.digest),
            format!("  Media type  {HELM_CONFIG}"),
            format!("  Size        {} B ({} bytes)", config.size, config.size),
        ],
        "{human}"
    );

    // An empty-config artifact (`oras push --artifact-type`): its own type, its config
    // as what it is.
    let empty = put_blob(source.as_ref(), OCI_EMPTY, b"{}".to_vec());
    let layer = put_blob(source.as_ref(), "text/plain", b"notes".to_vec());
    let notes = ImageManifest {
        artifact_type: Some("application/vnd.example.notes".into()),
        ..ImageManifest::new(OCI_MANIFEST, empty, vec![layer])
    };
    put_manifest(source.as_ref(), OCI_MANIFEST, &notes, Some("notes"));
    let notes_ref = registry.reference("charts/hello:notes");
    let out = describe_json(&[&notes_ref]);
    assert_eq!(out["artifact_type"], "application/vnd.example.notes");
    assert_eq!(out["derived_artifact_type"], Value::Null);
    let human = ocx_ok(&["describe", &notes_ref]);
    assert!(
        human.contains("Artifact type  application/vnd.example.notes\n"),
        "{human}"
    );
    let config_rows = section(&human, "Config");
    assert_eq!(
        config_rows[1],
        format!("  Media type  {OCI_EMPTY}"),
        "{human}"
    );
    assert!(
        !human.contains("Entrypoint"),
        "no image config rows: {human}"
    );

    // In an index, the chart's row says the same.
    let mut entry = chart;
    entry.platform = None;
    index(source.as_ref(), vec![entry], &[], "all");
    let human = ocx_ok(&["describe", &registry.reference("charts/hello:all")]);
    assert!(
        human.contains(&format!("{HELM_CONFIG} (from config)")),
        "{human}"
    );
}

#[test]
fn every_image_config_field_is_reported_and_unknown_ones_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("umoci");
    let image = format!("{}:base", layout.display());
    let umoci = |args: &[&str]| {
        let status = Command::new("umoci").args(args).status().unwrap();
        assert!(status.success(), "umoci {args:?}");
    };
    umoci(&["init", "--layout", &layout.display().to_string()]);
    umoci(&["new", "--image", &image]);
    umoci(&[
        "config",
        "--image",
        &image,
        "--tag",
        "configured",
        "--config.volume",
        "/data",
        "--config.stopsignal",
        "SIGQUIT",
        "--config.user",
        "1000",
        "--os",
        "linux",
        "--architecture",
        "amd64",
    ]);
    let reference = at(&layout, "configured");
    let out = describe_json(&[&reference]);
    assert_eq!(out["config"]["volumes"], json!(["/data"]));
    assert_eq!(out["config"]["stop_signal"], "SIGQUIT");
    assert_eq!(out["config"]["rootfs"]["type"], "layers");
    let human = ocx_ok(&["describe", &reference]);
    let rows = section(&human, "Config");
    assert!(rows.contains(&"  Volumes      /data"), "{human}");
    assert!(rows.contains(&"  Stop signal  SIGQUIT"), "{human}");

    // A config as docker writes it, with the fields only Docker has and some nobody
    // names.
    let (_dir, samples) = sample_layout();
    let source = layout_source(&samples);
    let config = json!({
        "architecture": "amd64", "os": "windows", "os.features": ["win32k"],
        "docker_version": "24.0.7",
        "container_config": {"Hostname": "abc", "Cmd": ["/bin/sh"]},
        "config": {
            "Hostname": "abc",
            "Entrypoint": ["/app"],
            "ArgsEscaped": true,
            "Shell": ["/bin/bash", "-c"],
            "OnBuild": ["RUN echo hi", "COPY . /src"],
            "Healthcheck": {
                "Test": ["CMD-SHELL", "curl -f http://localhost/"],
                "Interval": 30_000_000_000u64, "Timeout": 3_000_000_000u64,
                "StartPeriod": 1_500_000_000u64, "Retries": 3
            },
            "Memory": 1048576, "MemorySwap": -1, "CpuShares": 512
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:00"]}
    });
    let config = put_blob(
        source.as_ref(),
        DOCKER_CONFIG,
        serde_json::to_vec(&config).unwrap(),
    );
    manifest_over(
        source.as_ref(),
        DOCKER_MANIFEST,
        config,
        "application/vnd.docker.image.rootfs.diff.tar",
        &[],
        Some("docker-fields"),
    );
    let reference = at(&samples, "docker-fields");
    let out = describe_json(&[&reference]);
    let c = &out["config"];
    assert_eq!(c["os_features"], json!(["win32k"]));
    assert_eq!(c["args_escaped"], true);
    assert_eq!(c["shell"], json!(["/bin/bash", "-c"]));
    assert_eq!(c["on_build"], json!(["RUN echo hi", "COPY . /src"]));
    assert_eq!(
        c["healthcheck"],
        json!({"test": ["CMD-SHELL", "curl -f http://localhost/"], "interval": 30_000_000_000u64,
               "timeout": 3_000_000_000u64, "start_period": 1_500_000_000u64,
               "start_interval": null, "retries": 3})
    );
    assert_eq!(
        (&c["memory"], &c["memory_swap"], &c["cpu_shares"]),
        (&json!(1048576), &json!(-1), &json!(512))
    );
    assert_eq!(
        c["rootfs"],
        json!({"type": "layers", "diff_ids": ["sha256:00"]})
    );
    assert_eq!(
        c["unknown_fields"],
        json!({
            "config": {"Hostname": "abc"},
            "container_config": {"Hostname": "abc", "Cmd": ["/bin/sh"]},
            "docker_version": "24.0.7"
        })
    );
    let human = ocx_ok(&["describe", &reference]);
    let rows = section(&human, "Config");
    for row in [
        "  Shell         /bin/bash -c",
        "  On build      RUN echo hi; COPY . /src",
        "  Healthcheck   CMD-SHELL curl -f http://localhost/ (interval 30s, timeout 3s, start period 1500ms, retries 3)",
        "  Args escaped  true",
        "  Memory        1048576",
        "  CPU shares    512",
    ] {
        assert!(rows.contains(&row), "{row:?} in {human}");
    }
    // An image with none of them shows none of their rows.
    let plain = ocx_ok(&["describe", &at(&samples, "image")]);
    for name in ["Volumes", "Stop signal", "Shell", "Healthcheck", "Memory"] {
        assert!(!plain.contains(name), "{name}: {plain}");
    }
    let plain = describe_json(&[&at(&samples, "image")]);
    assert_eq!(plain["config"]["unknown_fields"], json!({}));
}

#[test]
fn platform_looks_into_nested_indexes_and_their_table_lists_their_platforms() {
    let registry = registry::shared();
    push_samples(registry, "nest/top");
    let reference = registry.reference("nest/top:nested");
    let whole = describe_json(&[&reference]);
    let (_, inner) = whole["manifests"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, m)| m["media_type"]["is_index"] == true)
        .unwrap();
    let arm64 = &inner["manifests"]["linux/arm64/v8"]["descriptor"]["digest"];
    let chosen = describe_json(&[&reference, "--platform", "linux/arm64"]);
    assert_eq!(&chosen["descriptor"]["digest"], arm64);
    assert_eq!(chosen["config"]["architecture"], "arm64");
    // linux/amd64 is listed at both levels: the same manifest, so no ambiguity.
    let amd64 = describe_json(&[&reference, "--platform", "linux/amd64"]);
    assert_eq!(
        amd64["descriptor"]["digest"],
        whole["manifests"]["linux/amd64"]["descriptor"]["digest"]
    );
    let err = failing(&["describe", &reference, "--platform", "linux/s390x"]);
    assert!(
        err.contains("platforms: linux/amd64, linux/arm64/v8, windows/amd64"),
        "{err}"
    );

    let human = ocx_ok(&["describe", &reference]);
    let rows = section(&human, "Platforms (2)");
    let inner_digest = inner["descriptor"]["digest"].as_str().unwrap();
    let short = &inner_digest[..19];
    assert!(rows[1].starts_with("  index  "), "{human}");
    assert!(
        rows[1].contains(short) && rows[1].contains("index of 3"),
        "{human}"
    );
    assert!(
        rows[2].starts_with("    linux/amd64 ")
            && rows[3].starts_with("    linux/arm64/v8 ")
            && rows[4].starts_with("    windows/amd64:"),
        "{human}"
    );
    assert!(rows[5].starts_with("  linux/amd64 "), "{human}");
    assert!(
        !rows.iter().any(|r| r.trim_start().starts_with("sha256:")),
        "no digest in the platform column: {human}"
    );
}

#[test]
fn build_facts_say_which_child_they_came_from_and_when_children_disagree() {
    let (_dir, layout) = sample_layout();
    let source = layout_source(&layout);
    let revision = ("org.opencontainers.image.revision", "4f1c2d9");
    let amd64 = image(
        source.as_ref(),
        linux("amd64"),
        &[revision],
        &[("org.opencontainers.image.title", "app-amd64")],
    );
    let arm64 = image(
        source.as_ref(),
        linux("arm64"),
        &[revision],
        &[("org.opencontainers.image.title", "app-arm64")],
    );
    let own = ("org.opencontainers.image.source", "https://example.com/app");
    let top = index(
        source.as_ref(),
        vec![amd64.clone(), arm64.clone()],
        &[own],
        "mixed",
    );
    let reference = at(&layout, "mixed");
    let out = describe_json(&[&reference]);
    let build = &out["build"];
    assert_eq!(build["source"]["platform"], Value::Null, "the index's own");
    assert_eq!(build["source"]["from"], top.digest.to_string());
    assert_eq!(build["revision"]["platform"], "linux/amd64");
    assert_eq!(build["revision"]["other_values"], json!([]), "they agree");
    assert_eq!(build["title"]["value"], "app-amd64");
    assert_eq!(build["title"]["platform"], "linux/amd64");
    assert_eq!(
        build["title"]["other_values"],
        json!([{"value": "app-arm64", "source": "annotation", "from": arm64.digest.to_string(),
                "key": "org.opencontainers.image.title", "platform": "linux/arm64"}])
    );
    let human = ocx_ok(&["describe", &reference]);
    let rows = section(&human, "Build");
    assert_eq!(
        rows,
        [
            "  source    https://example.com/app  (annotation)",
            "  revision  4f1c2d9  (label of linux/amd64)",
            "  title     differs across platforms:",
            "              app-amd64  (annotation of linux/amd64)",
            "              app-arm64  (annotation of linux/arm64)",
        ],
        "{human}"
    );

    // One level up, the path names the nested index and the platform in it.
    let mut nested = top.clone();
    nested.platform = None;
    index(source.as_ref(), vec![nested], &[], "outer");
    let out = describe_json(&[&at(&layout, "outer")]);
    assert_eq!(
        out["build"]["title"]["platform"],
        format!("{} > linux/amd64", top.digest)
    );
    assert_eq!(
        out["build"]["title"]["other_values"][0]["platform"],
        format!("{} > linux/arm64", top.digest)
    );

    // A Docker manifest list's Created comes from its child's config, and says so.
    let docker = ocx_ok(&["describe", &at(&layout, "docker")]);
    assert!(
        docker.contains("Created        2024-05-01T12:00:00Z (config of linux/amd64)"),
        "{docker}"
    );
}

#[test]
fn a_repeated_platform_is_warned_about_and_never_chosen_silently() {
    let (_dir, layout) = sample_layout();
    let source = layout_source(&layout);
    let first = image(source.as_ref(), linux("amd64"), &[("n", "1")], &[]);
    let second = image(source.as_ref(), linux("amd64"), &[("n", "2")], &[]);
    for (descriptor, tag) in [(&first, "one"), (&second, "two")] {
        let bytes = runtime()
            .block_on(source.manifest_get(&ManifestRef::Digest(descriptor.digest.clone())))
            .unwrap()
            .bytes;
        runtime()
            .block_on(source.manifest_put(&ManifestRef::Tag(tag.into()), OCI_MANIFEST, bytes))
            .unwrap();
    }
    let output = ocx(&["index", "create", &at(&layout, "twice"), "one", "two"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let warning = stderr(&output);
    assert!(
        warning.contains("warning: 2 entries have the platform linux/amd64")
            && warning.contains(&format!("source \"one\" ({})", first.digest))
            && warning.contains(&format!("source \"two\" ({})", second.digest)),
        "{warning}"
    );
    let twice = at(&layout, "twice");
    let err = failing(&["describe", &twice, "--platform", "linux/amd64"]);
    assert!(
        err.contains("has 2 manifests for platform linux/amd64")
            && err.contains(&format!("linux/amd64 ({})", first.digest))
            && err.contains(&format!("linux/amd64#2 ({})", second.digest)),
        "{err}"
    );
    // The key the error lists chooses that entry.
    let chosen = describe_json(&[&twice, "--platform", "linux/amd64#2"]);
    assert_eq!(
        chosen["descriptor"]["digest"],
        second.digest.to_string(),
        "{chosen:#}"
    );
    let err = failing(&["index", "update", &twice, "--remove", "linux/amd64"]);
    assert!(
        err.contains("matches 2 entries") && err.contains(&second.digest.to_string()),
        "{err}"
    );
    let digest_before = describe_json(&[&twice])["descriptor"]["digest"].clone();
    ocx_ok(&["index", "update", &twice, "--remove", "linux/amd64#2"]);
    let after = describe_json(&[&twice]);
    assert_ne!(after["descriptor"]["digest"], digest_before);
    assert_eq!(
        after["manifests"]["linux/amd64"]["descriptor"]["digest"],
        first.digest.to_string()
    );
}

#[test]
fn a_docker_manifest_list_refuses_an_oci_child() {
    let (_dir, layout) = sample_layout();
    let list = at(&layout, "docker");
    let before = describe_json(&[&list])["descriptor"]["digest"].clone();
    let err = failing(&["index", "update", &list, "--add", "image"]);
    assert!(
        err.contains("is a Docker manifest list, which lists only Docker manifests")
            && err.contains(&format!("\"image\" is {OCI_MANIFEST}"))
            && err.contains("ocx index create"),
        "{err}"
    );
    let after = describe_json(&[&list]);
    assert_eq!(after["descriptor"]["digest"], before, "nothing was written");
}

#[test]
fn a_docker_manifest_list_refuses_oci_fields_and_no_index_is_left_empty() {
    let (_dir, layout) = sample_layout();
    let list = at(&layout, "docker");
    let before = describe_json(&[&list])["descriptor"]["digest"].clone();
    let err = failing(&["index", "update", &list, "--annotation", "a=b"]);
    assert!(
        err.contains("is a Docker manifest list, which has no annotations field")
            && err.contains("ocx index create"),
        "{err}"
    );
    // The list's one entry: removing it would leave an index listing nothing.
    let err = failing(&["index", "update", &list, "--remove", "linux/amd64"]);
    assert!(
        err.contains(&format!(
            "{list}: --remove would leave the index with no entries"
        )),
        "{err}"
    );
    let after = describe_json(&[&list]);
    assert_eq!(after["descriptor"]["digest"], before, "nothing was written");
}

#[test]
fn an_index_entry_for_the_platform_is_chosen_when_nothing_inside_has_one() {
    let (_dir, layout) = sample_layout();
    let source = layout_source(&layout);
    let mut unplatformed = image(source.as_ref(), linux("amd64"), &[], &[]);
    unplatformed.platform = None;
    let mut inner = index(source.as_ref(), vec![unplatformed], &[], "inner");
    inner.platform = Some(linux("amd64"));
    index(source.as_ref(), vec![inner.clone()], &[], "outer");
    let chosen = describe_json(&[&at(&layout, "outer"), "--platform", "linux/amd64"]);
    assert_eq!(chosen["descriptor"]["digest"], inner.digest.to_string());
    assert_eq!(chosen["media_type"]["is_index"], true);
}

#[test]
fn a_platform_given_in_full_chooses_the_entry_written_so() {
    // multi-platform holds linux/arm64/v8, provider linux/arm64: both match either way of
    // writing it, and the one written exactly as given is chosen.
    let (_dir, layout) = sample_layout();
    let top = at(&layout, "top");
    let sources = [at(&layout, "multi-platform"), at(&layout, "provider")];
    ocx_ok(&["index", "create", &top, &sources[0], &sources[1]]);
    let digest_of = |platform: &str| {
        describe_json(&[&top, "--platform", platform, "--no-sbom"])["descriptor"]["digest"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let of_source = |source: &str, key: &str| {
        describe_json(&[source, "--no-sbom"])["manifests"][key]["descriptor"]["digest"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        digest_of("linux/arm64/v8"),
        of_source(&sources[0], "linux/arm64/v8")
    );
    assert_eq!(
        digest_of("linux/arm64"),
        of_source(&sources[1], "linux/arm64")
    );
}
