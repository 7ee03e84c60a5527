//! `ocx index create` and `ocx index update` against a real registry (CNCF distribution
//! 2.8) and OCI layouts: the OpenTofu provider case of oras-project/oras #1670, platforms
//! from configs, children from nested repositories (mounted) and layouts (copied), and
//! nothing pushed when any input is wrong.

mod common;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use common::fixtures::{PROVIDER_ARTIFACT_TYPE, PROVIDER_TARGET_ARTIFACT_TYPE};
use common::registry::Registry;
use common::*;
use ocx::digest::Digest;
use ocx::manifest::annotations::OCX_ORIGIN;
use ocx::manifest::{Descriptor, OCI_INDEX, OCI_MANIFEST};
use ocx::reference::{ManifestRef, Repository, Target};
use ocx::source::Referrers;
use ocx::source::{BlobStream, FetchedManifest, Session, Source};
use serde_json::{json, Value};

fn tag(source: &dyn Source, descriptor: &Descriptor, name: &str) {
    runtime().block_on(async {
        let bytes = source
            .manifest_get(&ManifestRef::Digest(descriptor.digest.clone()))
            .await
            .unwrap()
            .bytes;
        source
            .manifest_put(
                &ManifestRef::Tag(name.into()),
                &descriptor.media_type,
                bytes,
            )
            .await
            .unwrap();
    });
}

/// Whether the repository or layout of `reference` holds the manifest it names.
fn exists(reference: &str) -> bool {
    let target = Target::parse(reference).unwrap();
    let (source, manifest) = Session::new(Default::default())
        .unwrap()
        .open(&target)
        .unwrap();
    runtime()
        .block_on(source.manifest_head(&manifest))
        .unwrap()
        .is_some()
}

/// The digest `ocx describe` resolves a reference to.
fn digest_of(reference: &str) -> String {
    let described = describe_json(&[reference]);
    described["descriptor"]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The manifest bytes as stored, through `ocx describe --raw`.
fn raw(reference: &str) -> Vec<u8> {
    let output = ocx(&["describe", reference, "--raw"]);
    assert!(output.status.success(), "{}", stderr(&output));
    output.stdout
}

fn raw_json(reference: &str) -> Value {
    serde_json::from_slice(&raw(reference)).unwrap()
}

/// `ocx ARGS`, expected to succeed; returns (stdout, stderr).
fn succeeding(args: &[&str]) -> (String, String) {
    let output = ocx(args);
    assert!(
        output.status.success(),
        "ocx {args:?} failed:\n{}",
        stderr(&output)
    );
    (stdout(&output), stderr(&output))
}

/// The `REF@DIGEST` line: its digest, checked against the stored bytes.
fn pushed_digest(out: &str, reference: &str) -> String {
    let line = out.trim();
    let (pushed_ref, digest) = line.rsplit_once('@').unwrap();
    assert_eq!(pushed_ref, reference, "{out}");
    assert_eq!(Digest::sha256_of(&raw(reference)).to_string(), digest);
    digest.to_string()
}

struct Providers {
    amd64: Descriptor,
    arm64: Descriptor,
    /// The source package: the empty config, so no platform.
    source: Descriptor,
}

/// Per-platform provider packages as `oras push --artifact-type
/// application/vnd.opentofu.provider-target --artifact-platform linux/ARCH` makes them,
/// tagged 1.0.0-linux-ARCH, and one with the empty config, untagged.
fn push_providers(registry: &Registry, repo: &str) -> Providers {
    let dest = open_source(&registry.reference(&format!("{repo}:x")));
    let (amd64, arm64, source) = runtime().block_on(async {
        let mut made = Vec::new();
        for arch in ["amd64", "arm64"] {
            let config = fixtures::platform_config(dest.as_ref(), "linux", arch)
                .await
                .unwrap();
            made.push(
                fixtures::provider_target(dest.as_ref(), config, "linux", arch)
                    .await
                    .unwrap(),
            );
        }
        let empty = fixtures::empty_config(dest.as_ref()).await.unwrap();
        let source = fixtures::provider_target(dest.as_ref(), empty, "source", "any")
            .await
            .unwrap();
        (made.remove(0), made.remove(0), source)
    });
    tag(dest.as_ref(), &amd64, "1.0.0-linux-amd64");
    tag(dest.as_ref(), &arm64, "1.0.0-linux-arm64");
    Providers {
        amd64,
        arm64,
        source,
    }
}

fn windows_platform() -> ocx::manifest::Platform {
    ocx::manifest::Platform {
        os_version: Some(fixtures::WINDOWS_OS_VERSION.into()),
        ..fixtures::platform("windows", "amd64", None)
    }
}

fn linux(arch: &str) -> Value {
    json!({"architecture": arch, "os": "linux"})
}

#[test]
fn opentofu_provider_index_matches_the_oras_request() {
    let registry = registry::shared();
    let p = push_providers(registry, "oras-request/tofu/provider");
    let target = registry.reference("oras-request/tofu/provider:1.0.0");
    let source_digest = p.source.digest.to_string();
    let (out, _) = succeeding(&[
        "index",
        "create",
        &target,
        "1.0.0-linux-amd64",
        "1.0.0-linux-arm64",
        &source_digest,
        "--artifact-type",
        PROVIDER_ARTIFACT_TYPE,
        "--annotation",
        "org.opencontainers.image.version=1.0.0",
    ]);
    pushed_digest(&out, &target);
    // The shape the ORAS issue asks for, field by field and in this order.
    let expected = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "artifactType": PROVIDER_ARTIFACT_TYPE,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "artifactType": PROVIDER_TARGET_ARTIFACT_TYPE,
             "digest": p.amd64.digest.to_string(), "size": p.amd64.size, "platform": linux("amd64")},
            {"mediaType": OCI_MANIFEST, "artifactType": PROVIDER_TARGET_ARTIFACT_TYPE,
             "digest": p.arm64.digest.to_string(), "size": p.arm64.size, "platform": linux("arm64")},
            {"mediaType": OCI_MANIFEST, "artifactType": PROVIDER_TARGET_ARTIFACT_TYPE,
             "digest": source_digest, "size": p.source.size},
        ],
        "annotations": {"org.opencontainers.image.version": "1.0.0"}
    });
    let stored = raw(&target);
    assert_json_eq(
        &serde_json::from_slice(&stored).unwrap(),
        &expected,
        "the index",
    );
    // Byte for byte as the image-spec's Go types (and so oras) write it: each entry's
    // artifactType last.
    let entry = |d: &Descriptor, platform: &str| {
        format!(
            r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":{}{platform},"artifactType":"{PROVIDER_TARGET_ARTIFACT_TYPE}"}}"#,
            d.digest, d.size
        )
    };
    let platform = |arch: &str| format!(r#","platform":{{"architecture":"{arch}","os":"linux"}}"#);
    assert_eq!(
        String::from_utf8(stored).unwrap(),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","artifactType":"{PROVIDER_ARTIFACT_TYPE}","manifests":[{},{},{}],"annotations":{{"org.opencontainers.image.version":"1.0.0"}}}}"#,
            entry(&p.amd64, &platform("amd64")),
            entry(&p.arm64, &platform("arm64")),
            entry(&p.source, "")
        )
    );

    let described = describe_json(&[&target]);
    assert_eq!(described["artifact_type"], PROVIDER_ARTIFACT_TYPE);
    let manifests = described["manifests"].as_object().unwrap();
    assert_eq!(
        manifests.keys().collect::<Vec<_>>(),
        ["linux/amd64", "linux/arm64", source_digest.as_str()]
    );
    for child in manifests.values() {
        assert_eq!(
            child["descriptor"]["artifact_type"],
            PROVIDER_TARGET_ARTIFACT_TYPE
        );
        assert!(
            child["origin"].is_null(),
            "children from the target's repository have no origin"
        );
    }
}

#[test]
fn empty_config_children_get_a_platform_only_when_overridden() {
    let registry = registry::shared();
    let p = push_providers(registry, "overridden/tofu/provider");
    let source_digest = p.source.digest.to_string();
    let target = registry.reference("overridden/tofu/provider:plain");
    succeeding(&["index", "create", &target, &source_digest]);
    let entry = &raw_json(&target)["manifests"][0];
    assert!(
        entry.get("platform").is_none(),
        "no platform is invented: {entry}"
    );
    assert!(entry.get("annotations").is_none(), "{entry}");

    let overridden = registry.reference("overridden/tofu/provider:overridden");
    succeeding(&[
        "index",
        "create",
        &overridden,
        &source_digest,
        "1.0.0-linux-amd64",
        "--child-platform",
        &format!("{source_digest}=linux/arm/v7"),
        "--child-platform",
        "1.0.0-linux-amd64=linux/amd64/v3",
    ]);
    let manifests = &raw_json(&overridden)["manifests"];
    assert_eq!(
        manifests[0]["platform"],
        json!({"architecture": "arm", "os": "linux", "variant": "v7"})
    );
    // An override wins over what the config records.
    assert_eq!(
        manifests[1]["platform"],
        json!({"architecture": "amd64", "os": "linux", "variant": "v3"})
    );
}

#[test]
fn docker_and_oci_image_children_keep_their_media_types_and_config_platforms() {
    let registry = registry::shared();
    let dest = open_source(&registry.reference("media-types/images:x"));
    let (arm64, windows, docker) = runtime().block_on(async {
        let d = dest.as_ref();
        (
            fixtures::image(d, fixtures::platform("linux", "arm64", Some("v8")))
                .await
                .unwrap(),
            fixtures::image(d, windows_platform()).await.unwrap(),
            fixtures::docker_image(d).await.unwrap(),
        )
    });
    let target = registry.reference("media-types/images:all");
    let sources = [&arm64, &windows, &docker].map(|d| d.digest.to_string());
    succeeding(&[
        "index",
        "create",
        &target,
        &sources[0],
        &sources[1],
        &sources[2],
        "--copy-annotations",
    ]);
    let manifests = raw_json(&target)["manifests"].as_array().unwrap().clone();
    assert_eq!(manifests[0]["mediaType"], OCI_MANIFEST);
    assert_eq!(
        manifests[0]["platform"],
        json!({"architecture": "arm64", "os": "linux", "variant": "v8"})
    );
    assert_eq!(
        manifests[1]["platform"],
        json!({"architecture": "amd64", "os": "windows", "os.version": fixtures::WINDOWS_OS_VERSION})
    );
    assert_eq!(
        manifests[2]["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(manifests[2]["platform"], linux("amd64"));
    for entry in &manifests {
        assert!(
            entry.get("artifactType").is_none(),
            "images have no artifactType: {entry}"
        );
    }
    // --copy-annotations brings the manifest's own annotations; the Docker image has none.
    assert_eq!(
        manifests[0]["annotations"]["org.opencontainers.image.created"],
        "2024-05-01T12:00:00Z"
    );
    assert!(manifests[2].get("annotations").is_none());
    let described = describe_json(&[&target]);
    let keys: Vec<&String> = described["manifests"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "linux/arm64/v8",
            "windows/amd64:10.0.20348.2113",
            "linux/amd64"
        ]
    );
}

#[test]
fn a_child_index_is_listed_with_its_artifact_type_and_no_platform() {
    let registry = registry::shared();
    push_samples(registry, "child-index/samples");
    let target = registry.reference("child-index/samples:bundle");
    succeeding(&["index", "create", &target, "provider", "multi-platform"]);
    let index = raw_json(&target);
    let provider = describe_json(&[&registry.reference("child-index/samples:provider")]);
    assert_eq!(
        index["manifests"][0],
        json!({"mediaType": OCI_INDEX, "artifactType": PROVIDER_ARTIFACT_TYPE,
               "digest": provider["descriptor"]["digest"], "size": provider["descriptor"]["size"]})
    );
    assert_eq!(index["manifests"][1]["mediaType"], OCI_INDEX);
    assert!(index["manifests"][1].get("artifactType").is_none());
    assert!(index["manifests"][1].get("platform").is_none());
    let described = describe_json(&[&target]);
    let children: Vec<&Value> = described["manifests"]
        .as_object()
        .unwrap()
        .values()
        .collect();
    assert_eq!(children[0]["manifests"].as_object().unwrap().len(), 3);
    assert_eq!(children[1]["attestations"].as_array().unwrap().len(), 1);
}

#[test]
fn children_from_nested_repositories_are_mounted_annotated_and_described() {
    let registry = registry::shared();
    push_samples(registry, "mounted/app/ko-build/api");
    push_samples(registry, "mounted/app/ko-build/worker");
    let api = registry.reference("mounted/app/ko-build/api:image");
    let worker = registry.reference("mounted/app/ko-build/worker:multi-platform");
    let target = registry.reference("mounted/app:all");
    let (out, err) = succeeding(&["index", "create", &target, &api, &worker]);
    pushed_digest(&out, &target);
    // image: config + layer; multi-platform: 4 manifests with a config and a layer each,
    // of which amd64 is that same image.
    assert!(err.contains("8 blobs mounted, 0 copied"), "{err}");

    let api_digest = digest_of(&api);
    let worker_digest = digest_of(&worker);
    let index = raw_json(&target);
    let expected_origins = [
        format!("{}/mounted/app/ko-build/api@{api_digest}", registry.addr),
        format!(
            "{}/mounted/app/ko-build/worker@{worker_digest}",
            registry.addr
        ),
    ];
    for (entry, origin) in index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&expected_origins)
    {
        assert_eq!(entry["annotations"], json!({OCX_ORIGIN: origin}));
    }
    // The children now live in the target's repository, so the index describes there.
    let described = describe_json(&[&target]);
    let children = described["manifests"].as_object().unwrap();
    assert_eq!(
        children["linux/amd64"]["origin"],
        expected_origins[0].as_str()
    );
    assert_eq!(
        children[worker_digest.as_str()]["origin"],
        expected_origins[1].as_str()
    );
    assert_eq!(
        children[worker_digest.as_str()]["manifests"]
            .as_object()
            .unwrap()
            .len(),
        3
    );
    assert!(described["origin"].is_null());
    assert!(exists(
        &registry.reference(&format!("mounted/app@{api_digest}"))
    ));
    let human = ocx_ok(&["describe", &target]);
    assert!(
        human.contains("ORIGIN") && human.contains(&expected_origins[1]),
        "{human}"
    );
    let plain = ocx_ok(&[
        "describe",
        &registry.reference("mounted/app/ko-build/api:multi-platform"),
    ]);
    assert!(
        !plain.contains("ORIGIN"),
        "no ORIGIN column without origins: {plain}"
    );
}

/// A source that reads from one repository but claims to be another, so that the copier
/// asks the registry to mount from a repository that does not hold the blobs.
struct Elsewhere {
    inner: Arc<dyn Source>,
    claimed: Repository,
}

#[async_trait]
impl Source for Elsewhere {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn repository(&self) -> Option<&Repository> {
        Some(&self.claimed)
    }
    async fn manifest_get(&self, reference: &ManifestRef) -> anyhow::Result<FetchedManifest> {
        self.inner.manifest_get(reference).await
    }
    async fn manifest_head(&self, reference: &ManifestRef) -> anyhow::Result<Option<Descriptor>> {
        self.inner.manifest_head(reference).await
    }
    async fn manifest_put(
        &self,
        reference: &ManifestRef,
        media_type: &str,
        bytes: Bytes,
    ) -> anyhow::Result<Digest> {
        self.inner.manifest_put(reference, media_type, bytes).await
    }
    async fn blob_get(&self, descriptor: &Descriptor, limit: u64) -> anyhow::Result<Bytes> {
        self.inner.blob_get(descriptor, limit).await
    }
    async fn blob_head(&self, digest: &Digest) -> anyhow::Result<Option<u64>> {
        self.inner.blob_head(digest).await
    }
    async fn blob_put(&self, descriptor: &Descriptor, bytes: Bytes) -> anyhow::Result<()> {
        self.inner.blob_put(descriptor, bytes).await
    }
    async fn blob_reader(&self, descriptor: &Descriptor) -> anyhow::Result<BlobStream> {
        self.inner.blob_reader(descriptor).await
    }
    async fn blob_put_stream(&self, blob: BlobStream) -> anyhow::Result<()> {
        self.inner.blob_put_stream(blob).await
    }
    async fn blob_mount(&self, descriptor: &Descriptor, from: &Repository) -> anyhow::Result<bool> {
        self.inner.blob_mount(descriptor, from).await
    }
    async fn tag_list(&self) -> anyhow::Result<Vec<String>> {
        self.inner.tag_list().await
    }
    async fn referrers_list(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> anyhow::Result<Option<Referrers>> {
        self.inner.referrers_list(subject, artifact_type).await
    }
    async fn referrer_put(&self, media_type: &str, bytes: Bytes) -> anyhow::Result<Descriptor> {
        self.inner.referrer_put(media_type, bytes).await
    }
}

#[test]
fn a_declined_mount_falls_back_to_a_verified_copy() {
    let registry = registry::shared();
    push_samples(registry, "declined-mount/origin");
    let origin = open_source(&registry.reference("declined-mount/origin:image"));
    let destination = open_source(&registry.reference("declined-mount/destination:x"));
    let nowhere = Repository {
        registry: registry.addr.clone(),
        name: "declined-mount/nothing/here".into(),
    };
    runtime().block_on(async {
        let image = origin
            .manifest_get(&ManifestRef::Tag("image".into()))
            .await
            .unwrap();
        let ocx::manifest::Manifest::Image(manifest) = &image.manifest else {
            panic!("an image")
        };
        // distribution answers 202 (an upload session) when the source lacks the blob.
        let mounted = destination
            .blob_mount(&manifest.config, &nowhere)
            .await
            .unwrap();
        assert!(!mounted);
        assert_eq!(
            destination
                .blob_head(&manifest.config.digest)
                .await
                .unwrap(),
            None
        );
        let real = Repository {
            name: "declined-mount/origin".into(),
            ..nowhere.clone()
        };
        assert!(destination
            .blob_mount(&manifest.config, &real)
            .await
            .unwrap());
        assert!(destination
            .blob_head(&manifest.config.digest)
            .await
            .unwrap()
            .is_some());

        let declining = Elsewhere {
            inner: origin.clone(),
            claimed: nowhere,
        };
        let copier = ocx::copy::Copier::new(destination.clone(), 4);
        copier.manifest(&declining, &image).await.unwrap();
        let stats = copier.stats();
        assert_eq!(
            (
                stats.blobs_mounted,
                stats.blobs_copied,
                stats.already_present
            ),
            (0, 1, 1)
        );
        assert!(destination
            .manifest_head(&ManifestRef::Digest(image.descriptor.digest.clone()))
            .await
            .unwrap()
            .is_some());
    });
}

#[test]
fn a_child_from_a_layout_is_copied_into_the_registry() {
    let registry = registry::shared();
    let (_dir, layout) = sample_layout();
    let source = format!("oci:{}:provider", layout.display());
    let target = registry.reference("from-layout/tofu/provider:from-layout");
    let (_, err) = succeeding(&["index", "create", &target, &source]);
    // provider: 3 platform manifests; configs: 2 platform-only + the empty one; 3 zips.
    assert!(
        err.contains("4 manifests stored, 0 blobs mounted, 6 copied"),
        "{err}"
    );
    let digest = digest_of(&source);
    let entry = &raw_json(&target)["manifests"][0];
    assert!(
        entry.get("annotations").is_none(),
        "a layout's path is not published: {entry}"
    );
    assert_eq!(entry["artifactType"], PROVIDER_ARTIFACT_TYPE);
    let described = describe_json(&[&target]);
    let child = &described["manifests"][digest.as_str()];
    assert_eq!(
        child["manifests"]["linux/arm64"]["config"]["architecture"],
        "arm64"
    );
    assert!(child["origin"].is_null());
}

/// ocx run in `dir`, expected to succeed; returns stdout.
fn succeeding_in(dir: &Path, args: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ocx"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ocx {args:?} in {}: {}",
        dir.display(),
        stderr(&output)
    );
    output.stdout
}

#[test]
fn one_layout_spelled_three_ways_gives_one_index_without_its_path() {
    let (dir, layout) = sample_layout();
    let parent = dir.path();
    let out = parent.join("out");
    let target = format!("oci:{}:1", out.display());
    let index_from = |cwd: &Path, layout: &str| {
        let source = format!("oci:{layout}:image");
        let args = [
            "index",
            "create",
            &target,
            &source,
            "--dry-run",
            "--output",
            "-",
        ];
        String::from_utf8(succeeding_in(cwd, &args)).unwrap()
    };
    let absolute = index_from(Path::new("/"), layout.to_str().unwrap());
    let relative = index_from(parent, "layout");
    let dotted = index_from(parent, "./layout/../layout");
    assert_eq!(absolute, relative);
    assert_eq!(absolute, dotted);
    assert!(!absolute.contains(OCX_ORIGIN), "{absolute}");
    assert!(!absolute.contains(parent.to_str().unwrap()), "{absolute}");
}

#[test]
fn the_index_has_the_bytes_image_specs_go_types_give() {
    let (_dir, layout) = sample_layout();
    let provider = raw_json(&format!("oci:{}:provider", layout.display()));
    let children: Vec<&Value> = provider["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .collect();
    let digests: Vec<&str> = children
        .iter()
        .map(|c| c["digest"].as_str().unwrap())
        .collect();
    let (out, _) = succeeding(&[
        "index",
        "create",
        &format!("oci:{}:go", layout.display()),
        digests[0],
        digests[1],
        "--artifact-type",
        PROVIDER_ARTIFACT_TYPE,
        "--annotation",
        "note=<a & b>\u{2028}",
        "--copy-annotations",
        "--dry-run",
        "--output",
        "-",
    ]);
    // What json.Marshal of an ocispec.Index gives: Go's field order, each descriptor's
    // artifactType last, HTML characters and U+2028 escaped, no trailing newline.
    let entry = |child: &Value| {
        format!(
            concat!(
                r#"{{"mediaType":"{}","digest":"{}","size":{},"#,
                r#""annotations":{{"org.opencontainers.image.created":"2024-05-01T12:00:00Z"}},"#,
                r#""platform":{},"artifactType":"{}"}}"#
            ),
            OCI_MANIFEST,
            child["digest"].as_str().unwrap(),
            child["size"],
            child["platform"],
            PROVIDER_TARGET_ARTIFACT_TYPE
        )
    };
    let expected = format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"{}","artifactType":"{}","manifests":[{},{}],"#,
            r#""annotations":{{"note":"\u003ca \u0026 b\u003e\u2028"}}}}"#
        ),
        OCI_INDEX,
        PROVIDER_ARTIFACT_TYPE,
        entry(children[0]),
        entry(children[1])
    );
    assert_eq!(out, expected);
}

#[test]
fn an_index_in_a_layout_from_its_own_tags_and_from_a_registry() {
    let (_dir, layout) = sample_layout();
    let target = format!("oci:{}:release", layout.display());
    let (out, _) = succeeding(&[
        "index", "create", &target, "image", "docker", "--tag", "latest",
    ]);
    pushed_digest(&out, &target);
    let index_json: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let tags: Vec<&str> = index_json["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .collect();
    assert!(
        tags.contains(&"release") && tags.contains(&"latest"),
        "{tags:?}"
    );
    let described = describe_json(&[&target]);
    assert_eq!(described["manifests"].as_object().unwrap().len(), 2);
    assert!(described["manifests"]["linux/amd64"]["origin"].is_null());

    // A layout that does not exist yet is created, with children copied from a registry.
    let registry = registry::shared();
    push_samples(registry, "into-layout/samples");
    let fresh = layout.parent().unwrap().join("fresh");
    let fresh_target = format!("oci:{}:1", fresh.display());
    let child = registry.reference("into-layout/samples:multi-platform");
    let (_, err) = succeeding(&["index", "create", &fresh_target, &child]);
    assert!(err.contains("0 blobs mounted, 8 copied"), "{err}");
    let described = describe_json(&[&fresh_target]);
    let (_, inner) = described["manifests"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    assert_eq!(inner["manifests"].as_object().unwrap().len(), 3);
    assert!(inner["origin"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/into-layout/samples@sha256:", registry.addr)));
}

#[test]
fn an_invalid_artifact_type_pushes_nothing() {
    let registry = registry::shared();
    push_samples(registry, "invalid-artifact-type/elsewhere");
    let target = registry.reference("invalid-artifact-type/app:1");
    let foreign = registry.reference("invalid-artifact-type/elsewhere:image");
    for bad in [
        "application/vnd.opentofu provider",
        "provider",
        "application/json; charset=utf-8",
    ] {
        let err = failing(&["index", "create", &target, &foreign, "--artifact-type", bad]);
        assert!(
            err.contains("--artifact-type") && err.contains(&format!("{bad:?}")),
            "{err}"
        );
        assert!(err.contains("RFC 6838"), "{err}");
    }
    assert!(!exists(&target), "the target tag does not exist");
    let digest = digest_of(&foreign);
    assert!(
        !exists(&registry.reference(&format!("invalid-artifact-type/app@{digest}"))),
        "the child was not copied"
    );
}

#[test]
fn a_missing_or_invalid_source_pushes_nothing_and_is_named() {
    let registry = registry::shared();
    let p = push_providers(registry, "invalid-source/tofu/provider");
    push_samples(registry, "invalid-source/elsewhere");
    let target = registry.reference("invalid-source/tofu/provider:1.0.0");
    let foreign = registry.reference("invalid-source/elsewhere:image");
    let missing_digest = format!("sha256:{}", "0".repeat(64));
    let err = failing(&[
        "index",
        "create",
        &target,
        "1.0.0-linux-amd64",
        &foreign,
        "1.0.0-linux-s390x",
        &missing_digest,
    ]);
    assert!(err.contains("nothing was pushed"), "{err}");
    assert!(
        err.contains(r#"source "1.0.0-linux-s390x""#) && err.contains("MANIFEST_UNKNOWN"),
        "{err}"
    );
    assert!(err.contains(&format!("source {missing_digest:?}")), "{err}");
    assert!(
        !err.contains(r#"source "1.0.0-linux-amd64""#),
        "only the bad ones are named: {err}"
    );
    assert!(!exists(&target), "the target tag does not exist");
    let digest = digest_of(&foreign);
    assert!(
        !exists(&registry.reference(&format!("invalid-source/tofu/provider@{digest}"))),
        "the child was not copied"
    );

    let err = failing(&[
        "index",
        "create",
        &target,
        "1.0.0-linux-amd64",
        "sha256:abc",
    ]);
    assert!(err.contains("sha256:abc"), "{err}");
    let err = failing(&[
        "index",
        "create",
        &target,
        "1.0.0-linux-amd64",
        "--child-platform",
        "other=linux/amd64",
    ]);
    assert!(err.contains(r#"--child-platform names "other""#), "{err}");
    let amd64 = p.amd64.digest.to_string();
    let err = failing(&["index", "create", &target, "1.0.0-linux-amd64", &amd64]);
    assert!(err.contains("are the same manifest"), "{err}");
    let err = failing(&[
        "index",
        "create",
        &format!("{target}@{amd64}"),
        "1.0.0-linux-amd64",
    ]);
    assert!(err.contains("not a digest"), "{err}");
    assert!(!exists(&target));
}

#[test]
fn the_same_command_gives_the_same_bytes_and_digest() {
    let registry = registry::shared();
    push_providers(registry, "same-bytes/tofu/provider");
    push_samples(registry, "same-bytes/tofu/provider/mirror");
    let target = registry.reference("same-bytes/tofu/provider:1.0.0");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("index.json");
    let mirror = registry.reference("same-bytes/tofu/provider/mirror:image");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "index",
            "create",
            target.as_str(),
            "1.0.0-linux-arm64",
            "1.0.0-linux-amd64",
            mirror.as_str(),
            "--artifact-type",
            PROVIDER_ARTIFACT_TYPE,
            "--annotation",
            "z=last",
            "--annotation",
            "a=first",
        ];
        args.extend_from_slice(extra);
        succeeding(&args)
    };
    let (dry, dry_err) = run(&["--dry-run", "--output", "-"]);
    assert!(
        dry_err.contains("nothing was copied or pushed"),
        "{dry_err}"
    );
    assert!(!exists(&target), "a dry run pushes nothing");
    let (first, _) = run(&["--output", file.to_str().unwrap()]);
    let (second, _) = run(&[]);
    assert_eq!(first, second);
    let digest = pushed_digest(&first, &target);
    let stored = raw(&target);
    assert_eq!(
        dry.as_bytes(),
        stored.as_slice(),
        "the dry run prints exactly the pushed bytes"
    );
    assert_eq!(std::fs::read(&file).unwrap(), stored);
    assert_eq!(Digest::sha256_of(dry.as_bytes()).to_string(), digest);
    let index: Value = serde_json::from_slice(&stored).unwrap();
    let annotations: Vec<&str> = index["annotations"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(annotations, ["a", "z"], "annotations are sorted");
}

#[test]
fn subject_extra_tags_and_json_output() {
    let registry = registry::shared();
    let p = push_providers(registry, "subject/tofu/provider");
    let target = registry.reference("subject/tofu/provider:1.0.0");
    let (out, _) = succeeding(&[
        "index",
        "create",
        &target,
        "1.0.0-linux-amd64",
        "--subject",
        "1.0.0-linux-arm64",
        "--tag",
        "1.0",
        "--tag",
        "1",
        "--json",
    ]);
    let descriptor: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(descriptor["mediaType"], OCI_INDEX);
    let digest = descriptor["digest"].as_str().unwrap();
    let stored = raw(&target);
    assert_eq!(Digest::sha256_of(&stored).to_string(), digest);
    assert_eq!(descriptor["size"], stored.len());
    for tag in ["1.0", "1"] {
        assert_eq!(
            raw(&registry.reference(&format!("subject/tofu/provider:{tag}"))),
            stored
        );
    }
    let index: Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(
        index["subject"],
        json!({"mediaType": OCI_MANIFEST, "digest": p.arm64.digest.to_string(), "size": p.arm64.size})
    );
    let keys: Vec<&String> = index.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["schemaVersion", "mediaType", "manifests", "subject"]);
    assert_eq!(
        describe_json(&[&target])["subject"]["digest"],
        p.arm64.digest.to_string()
    );
    // distribution has no referrers API: the index is listed in the subject's
    // referrers tag, where discovery finds it (and sees that it is not an SBOM).
    let subject =
        describe_json(&[&registry.reference(&format!("subject/tofu/provider@{}", p.arm64.digest))]);
    let listed = subject["sbom_sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["convention"] == "referrers_tag")
        .unwrap()
        .clone();
    assert_eq!(listed["outcome"], "not_an_sbom", "{listed}");
    assert_eq!(listed["manifest"], digest);
}

#[test]
fn an_update_that_changes_nothing_is_refused() {
    let (_dir, layout) = sample_layout();
    let before = std::fs::read(layout.join("index.json")).unwrap();
    let output = ocx(&[
        "index",
        "update",
        &format!("oci:{}:multi-platform", layout.display()),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("nothing to change"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read(layout.join("index.json")).unwrap(), before);
}

#[test]
fn a_bad_output_path_or_a_missing_tag_pushes_nothing() {
    let registry = registry::shared();
    push_providers(registry, "bad-output/tofu/provider");
    let target = registry.reference("bad-output/tofu/provider:out");
    let output = ocx(&[
        "index",
        "create",
        &target,
        "1.0.0-linux-amd64",
        "--output",
        "/nonexistent-dir/index.json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("/nonexistent-dir/index.json"),
        "{}",
        stderr(&output)
    );
    assert!(!exists(&target), "nothing was pushed");

    // Without a tag a registry target would mean `latest`: ocx asks for one instead.
    let untagged = registry.reference("bad-output/tofu/provider");
    let output = ocx(&["index", "create", &untagged, "1.0.0-linux-amd64"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no tag and no --tag"),
        "{}",
        stderr(&output)
    );
    assert!(!exists(
        &registry.reference("bad-output/tofu/provider:latest")
    ));
}

#[test]
fn removing_a_platform_removes_its_attestation_and_keys_match_describe() {
    let registry = registry::shared();
    push_samples(registry, "remove-platform/app");
    let target = registry.reference("remove-platform/app:multi-platform");
    succeeding(&[
        "index",
        "update",
        &target,
        "--remove",
        "linux/amd64",
        "--tag",
        "slim",
    ]);
    let out = describe_json(&[&registry.reference("remove-platform/app:slim")]);
    assert_eq!(out["manifests"].as_object().unwrap().len(), 2);
    assert!(
        out["attestations"].as_array().unwrap().is_empty(),
        "{}",
        out["attestations"]
    );
    // linux/arm64 is no key, but matches linux/arm64/v8 as --platform would.
    succeeding(&[
        "index",
        "update",
        &registry.reference("remove-platform/app:slim"),
        "--remove",
        "linux/arm64",
    ]);
    let out = describe_json(&[&registry.reference("remove-platform/app:slim")]);
    let keys: Vec<&String> = out["manifests"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["windows/amd64:10.0.20348.2113"]);
}

#[test]
fn index_update_adds_and_removes_entries_by_the_same_rules() {
    let registry = registry::shared();
    let p = push_providers(registry, "update/tofu/provider");
    let (_dir, layout) = sample_layout();
    let target = registry.reference("update/tofu/provider:1.0.0");
    succeeding(&[
        "index",
        "create",
        &target,
        "1.0.0-linux-amd64",
        "1.0.0-linux-arm64",
        "--artifact-type",
        PROVIDER_ARTIFACT_TYPE,
    ]);
    let image = format!("oci:{}:image", layout.display());
    let (out, err) = succeeding(&[
        "index",
        "update",
        &target,
        "--remove",
        "linux/arm64",
        "--add",
        &p.source.digest.to_string(),
        "--add",
        &image,
        "--annotation",
        "org.opencontainers.image.version=1.0.0",
    ]);
    pushed_digest(&out, &target);
    assert!(err.contains("brought 1 manifest"), "{err}");
    let index = raw_json(&target);
    assert_eq!(index["artifactType"], PROVIDER_ARTIFACT_TYPE, "kept");
    let digests: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    let image_digest = digest_of(&image);
    assert_eq!(
        digests,
        [
            p.amd64.digest.to_string(),
            p.source.digest.to_string(),
            image_digest.clone()
        ]
    );
    assert_eq!(index["manifests"][2]["platform"], linux("amd64"));
    assert!(
        index["manifests"][2].get("annotations").is_none(),
        "no origin for a child from a layout"
    );
    assert_eq!(
        index["annotations"],
        json!({"org.opencontainers.image.version": "1.0.0"})
    );

    let before = raw(&target);
    let err = failing(&["index", "update", &target, "--remove", "linux/s390x"]);
    assert!(
        err.contains("matches no entry") && err.contains("linux/amd64"),
        "{err}"
    );
    let err = failing(&["index", "update", &target, "--add", "1.0.0-linux-amd64"]);
    assert!(
        err.contains("entry manifests[0] of the index and source \"1.0.0-linux-amd64\""),
        "{err}"
    );
    let err = failing(&["index", "update", &target, "--add", "nope"]);
    assert!(err.contains(r#"source "nope""#), "{err}");
    let err = failing(&[
        "index",
        "update",
        &registry.reference("update/tofu/provider:1.0.0-linux-amd64"),
        "--add",
        "1.0.0-linux-arm64",
    ]);
    assert!(err.contains("not an index"), "{err}");
    assert_eq!(raw(&target), before, "failed updates change nothing");
}

#[test]
fn help_lists_the_index_commands() {
    let out = ocx_ok(&["index", "create", "--help"]);
    for flag in [
        "--artifact-type",
        "--annotation",
        "--copy-annotations",
        "--child-platform",
        "--subject",
        "--tag",
        "--dry-run",
        "--output",
        "--json",
        "--concurrency",
    ] {
        assert!(out.contains(flag), "{flag}: {out}");
    }
    assert!(ocx_ok(&["index", "update", "--help"]).contains("--remove"));
    assert!(Path::new(&repo_root().join("man/ocx-index-create.1")).is_file());
}

/// Layers large enough that a copy holding them whole would show; small enough for tests.
const BIG_LAYER: usize = 8 * 1024 * 1024;
const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

/// Pseudo-random bytes (xorshift), different for each seed.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn layer_descriptor(layer: &[u8]) -> Descriptor {
    Descriptor::new(OCI_LAYER_TAR, Digest::sha256_of(layer), layer.len() as u64)
}

/// An image's manifest bytes: a linux/amd64 config and the given layer.
fn image_manifest(config: &Descriptor, layer: &Descriptor) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": [layer],
    }))
    .unwrap()
}

/// Stores an image with one layer, `layer`, in `dest`, tagged `big`; returns the
/// manifest's digest and the layer's descriptor.
fn push_big_image(dest: &dyn Source, layer: &[u8]) -> (Digest, Descriptor) {
    let descriptor = layer_descriptor(layer);
    runtime().block_on(async {
        let config = common::fixtures::platform_config(dest, "linux", "amd64")
            .await
            .unwrap();
        dest.blob_put(&descriptor, Bytes::copy_from_slice(layer))
            .await
            .unwrap();
        let manifest = Bytes::from(image_manifest(&config, &descriptor));
        let digest = dest
            .manifest_put(&ManifestRef::Tag("big".into()), OCI_MANIFEST, manifest)
            .await
            .unwrap();
        (digest, descriptor)
    })
}

/// A new layout at `path` holding an image whose layer is `layer`, tagged `big`.
fn big_image_layout(path: &Path, layer: &[u8]) -> (Digest, Descriptor) {
    let layout = ocx::source::layout::LayoutSource::open_or_create(path).unwrap();
    push_big_image(&layout, layer)
}

fn layout_blob_file(layout: &Path, digest: &Digest) -> std::path::PathBuf {
    layout.join("blobs/sha256").join(digest.hex())
}

/// The sizes of the `.ocx-tmp-*` files in a directory.
fn temporary_file_sizes(dir: &Path) -> Vec<u64> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(".ocx-tmp-"))
        .filter_map(|entry| entry.metadata().ok().map(|m| m.len()))
        .collect()
}

/// The blob as the registry serves it, verified against its descriptor.
fn registry_blob(registry: &Registry, repo: &str, descriptor: &Descriptor) -> Bytes {
    let source = open_source(&registry.reference(&format!("{repo}:unused")));
    runtime()
        .block_on(source.blob_get(descriptor, u64::MAX))
        .unwrap()
}

fn registry_has_blob(registry: &Registry, repo: &str, digest: &Digest) -> bool {
    let source = open_source(&registry.reference(&format!("{repo}:unused")));
    runtime()
        .block_on(source.blob_head(digest))
        .unwrap()
        .is_some()
}

#[test]
fn a_multi_megabyte_layer_is_copied_layout_to_registry_to_layout_and_registry() {
    let layer = noise(BIG_LAYER, 1);
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("source");
    let (image, descriptor) = big_image_layout(&layout, &layer);
    let (first, second) = (Registry::start(), Registry::start());

    let from_layout = format!("oci:{}:big", layout.display());
    let (_, err) = succeeding(&["index", "create", &first.reference("app:1"), &from_layout]);
    assert!(err.contains("0 blobs mounted, 2 copied"), "{err}");
    assert_eq!(registry_blob(&first, "app", &descriptor), layer);

    let in_first = format!("{}/app@{image}", first.addr);
    let copy = dir.path().join("copy");
    succeeding(&[
        "index",
        "create",
        &format!("oci:{}:1", copy.display()),
        &in_first,
    ]);
    let copied = std::fs::read(layout_blob_file(&copy, &descriptor.digest)).unwrap();
    assert!(copied == layer, "the layout's copy differs");
    assert_eq!(
        temporary_file_sizes(&copy.join("blobs/sha256")),
        Vec::<u64>::new()
    );

    let (_, err) = succeeding(&["index", "create", &second.reference("app:1"), &in_first]);
    assert!(err.contains("0 blobs mounted, 2 copied"), "{err}");
    assert_eq!(registry_blob(&second, "app", &descriptor), layer);
}

#[test]
fn a_tampered_layout_layer_is_refused_by_digest_and_never_stored_in_the_registry() {
    let layer = noise(BIG_LAYER, 2);
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("source");
    let (_, descriptor) = big_image_layout(&layout, &layer);
    let registry = Registry::start();
    let from_layout = format!("oci:{}:big", layout.display());
    let named = format!("oci:{}@{}", layout.display(), descriptor.digest);

    let mut last_byte_flipped = layer.clone();
    *last_byte_flipped.last_mut().unwrap() ^= 1;
    let mut longer = layer.clone();
    longer.push(0);
    for (tampered, says) in [
        (last_byte_flipped, "digest mismatch for blob"),
        (longer, "size mismatch for blob"),
    ] {
        std::fs::write(layout_blob_file(&layout, &descriptor.digest), &tampered).unwrap();
        let err = failing(&[
            "index",
            "create",
            &registry.reference("app:1"),
            &from_layout,
        ]);
        assert!(err.contains(&format!("{says} {named}")), "{err}");
        assert!(!registry_has_blob(&registry, "app", &descriptor.digest));
    }
}

/// A registry serving, as `app`, an image whose one layer is described by `layer` and
/// answered by `layer_reply`.
fn registry_with_layer(
    layer: Descriptor,
    layer_reply: impl Fn() -> common::hostile::Reply + Send + Sync + 'static,
) -> (common::hostile::Hostile, Digest) {
    use common::hostile::{Hostile, Reply};
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let config_descriptor = Descriptor::new(
        "application/vnd.oci.image.config.v1+json",
        Digest::sha256_of(config),
        config.len() as u64,
    );
    let manifest = image_manifest(&config_descriptor, &layer);
    let digest = Digest::sha256_of(&manifest);
    let served = digest.clone();
    let hostile = runtime().block_on(Hostile::start(move |request| {
        let path = request.path.as_str();
        if path == format!("/v2/app/manifests/{served}") {
            Reply::ok(OCI_MANIFEST, manifest.clone())
                .header("Docker-Content-Digest", &served.to_string())
        } else if path == format!("/v2/app/blobs/{}", config_descriptor.digest) {
            Reply::ok("application/octet-stream", config.to_vec())
        } else if path == format!("/v2/app/blobs/{}", layer.digest) {
            layer_reply()
        } else {
            Reply::not_found()
        }
    }));
    (hostile, digest)
}

#[test]
fn wrong_bytes_from_a_registry_leave_nothing_in_the_layout() {
    let layer = noise(BIG_LAYER, 3);
    let descriptor = layer_descriptor(&layer);
    let mut first_byte_flipped = layer.clone();
    first_byte_flipped[0] ^= 1;
    let mut longer = layer.clone();
    longer.extend_from_slice(b"more");
    for (served, says) in [
        (first_byte_flipped, "digest mismatch for blob"),
        (longer, "size mismatch for blob"),
    ] {
        let served = Arc::new(served);
        let (registry, image) = registry_with_layer(descriptor.clone(), move || {
            common::hostile::Reply::ok("application/octet-stream", served.to_vec())
        });
        let dir = tempfile::tempdir().unwrap();
        let layout = dir.path().join("copy");
        let err = failing(&[
            "index",
            "create",
            &format!("oci:{}:1", layout.display()),
            &format!("{}/app@{image}", registry.addr),
        ]);
        let named = format!("{says} {}/app@{}", registry.addr, descriptor.digest);
        assert!(err.contains(&named), "{err}");
        assert!(!layout_blob_file(&layout, &descriptor.digest).exists());
        assert_eq!(
            temporary_file_sizes(&layout.join("blobs/sha256")),
            Vec::<u64>::new()
        );
    }
}

#[test]
fn a_layer_reaches_the_layout_while_the_registry_is_still_sending_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let layer = noise(BIG_LAYER, 4);
    let descriptor = layer_descriptor(&layer);
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("copy");
    let half = BIG_LAYER / 2;
    // The registry sends the second half only once the first is being written: a copy
    // that holds the layer until its last byte waits for the gate's timeout instead.
    let written_while_sending = Arc::new(AtomicBool::new(false));
    let gate: Arc<common::hostile::Gate> = {
        let (blobs, seen) = (layout.join("blobs/sha256"), written_while_sending.clone());
        Arc::new(move || {
            let written = temporary_file_sizes(&blobs)
                .iter()
                .any(|&size| size >= half as u64);
            seen.fetch_or(written, Ordering::SeqCst);
            written
        })
    };
    let served = Arc::new(layer.clone());
    let (registry, image) = registry_with_layer(descriptor.clone(), move || {
        common::hostile::Reply::gated(
            served[..half].to_vec(),
            served[half..].to_vec(),
            gate.clone(),
        )
    });
    succeeding(&[
        "index",
        "create",
        &format!("oci:{}:1", layout.display()),
        &format!("{}/app@{image}", registry.addr),
    ]);
    assert!(
        written_while_sending.load(Ordering::SeqCst),
        "the layer was held until its last byte arrived"
    );
    let copied = std::fs::read(layout_blob_file(&layout, &descriptor.digest)).unwrap();
    assert!(copied == layer, "the layout's copy differs");
}

/// The size of the largest upload in progress in distribution's storage
/// (`.../repositories/NAME/_uploads/ID/data`).
fn largest_upload(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                largest_upload(&path)
            } else if path.ends_with("data") && path.to_string_lossy().contains("/_uploads/") {
                entry.metadata().map(|m| m.len()).unwrap_or(0)
            } else {
                0
            }
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn a_layer_reaches_the_destination_registry_while_the_source_is_still_sending_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let layer = noise(BIG_LAYER, 5);
    let descriptor = layer_descriptor(&layer);
    let destination = Registry::start();
    let half = BIG_LAYER / 2;
    // As for a layout destination: the second half only once the first is uploaded.
    let uploaded_while_sending = Arc::new(AtomicBool::new(false));
    let gate: Arc<common::hostile::Gate> = {
        let (storage, seen) = (
            destination.storage().to_path_buf(),
            uploaded_while_sending.clone(),
        );
        Arc::new(move || {
            // distribution buffers a little of what it receives before writing it.
            let uploaded = largest_upload(&storage) >= half as u64 / 2;
            seen.fetch_or(uploaded, Ordering::SeqCst);
            uploaded
        })
    };
    let served = Arc::new(layer.clone());
    let (source, image) = registry_with_layer(descriptor.clone(), move || {
        common::hostile::Reply::gated(
            served[..half].to_vec(),
            served[half..].to_vec(),
            gate.clone(),
        )
    });
    succeeding(&[
        "index",
        "create",
        &destination.reference("app:1"),
        &format!("{}/app@{image}", source.addr),
    ]);
    assert!(
        uploaded_while_sending.load(Ordering::SeqCst),
        "the layer was held until its last byte arrived"
    );
    assert_eq!(registry_blob(&destination, "app", &descriptor), layer);
}
