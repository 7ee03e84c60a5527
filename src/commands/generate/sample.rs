//! Deterministic sample content: the example layout under examples/ and, through
//! `ocx generate --samples REF`, the content the tests read from layouts and registries.
//! Written through [`Source`], so the same bytes land in a layout or a registry.
//!
//! | tag              | what                                                                     |
//! |------------------|--------------------------------------------------------------------------|
//! | `image`          | one linux/amd64 image built "by ko", labels and history                  |
//! | `multi-platform` | index: linux/amd64, linux/arm64/v8, windows/amd64 with os.version, plus  |
//! |                  | a BuildKit attestation manifest (SPDX in-toto statement) for amd64       |
//! | `provider`       | OpenTofu-style artifact index: artifactType on the index and each child, |
//! |                  | platform-only configs, and one child with the empty config               |
//! | `nested`         | index of the `multi-platform` index and the `image`                      |
//! | `docker`         | Docker manifest list with one Docker v2 schema 2 image                   |
//!
//! SBOMs are attached to `multi-platform` by every convention: a BuildKit attestation
//! (linux/amd64), a cosign `.sbom` tag (linux/arm64, SPDX), an OCI 1.1 referrer
//! (windows, CycloneDX; in the referrers tag index where the registry lacks the API) and
//! a cosign `.att` tag on the index itself (DSSE-wrapped SPDX listing pkg:oci images).

use anyhow::Result;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::digest::Digest;
use crate::manifest::{
    annotations, Annotations, Descriptor, ImageIndex, ImageManifest, Platform, DOCKER_CONFIG,
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST,
};
use crate::reference::ManifestRef;
use crate::source::Source;

const TAGS: [&str; 5] = ["image", "multi-platform", "provider", "nested", "docker"];

const CREATED: &str = "2024-05-01T12:00:00Z";
const SOURCE_URL: &str = "https://example.com/ocx/hello";
const PROVIDER_ARTIFACT_TYPE: &str = "application/vnd.opentofu.provider";
const PROVIDER_TARGET_ARTIFACT_TYPE: &str = "application/vnd.opentofu.provider-target";
const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";
const IN_TOTO: &str = "application/vnd.in-toto+json";
const WINDOWS_OS_VERSION: &str = "10.0.20348.2113";

/// Writes every sample, tagged with [`TAGS`].
pub(crate) async fn write_all(dest: &dyn Source) -> Result<()> {
    let image = image(dest, "amd64", None, "linux", None, "hello").await?;
    let multi = multi_platform(dest).await?;
    attach_sboms(dest, &multi).await?;
    let provider = provider(dest).await?;
    let nested = nested(dest, &multi, &image).await?;
    let docker = docker(dest).await?;
    for (tag, descriptor) in TAGS
        .into_iter()
        .zip([&image, &multi, &provider, &nested, &docker])
    {
        let bytes = manifest_bytes_for(dest, descriptor).await?;
        dest.manifest_put(&ManifestRef::Tag(tag.into()), &descriptor.media_type, bytes)
            .await?;
    }
    Ok(())
}

async fn manifest_bytes_for(dest: &dyn Source, descriptor: &Descriptor) -> Result<Bytes> {
    Ok(dest
        .manifest_get(&ManifestRef::Digest(descriptor.digest.clone()))
        .await?
        .bytes)
}

async fn put_blob(dest: &dyn Source, media_type: &str, bytes: Vec<u8>) -> Result<Descriptor> {
    let descriptor = Descriptor::new(media_type, Digest::sha256_of(&bytes), bytes.len() as u64);
    dest.blob_put(&descriptor, Bytes::from(bytes)).await?;
    Ok(descriptor)
}

async fn put_json_blob(dest: &dyn Source, media_type: &str, value: &Value) -> Result<Descriptor> {
    put_blob(dest, media_type, serde_json::to_vec(value)?).await
}

/// Pushes a manifest by digest and returns its descriptor.
async fn put_manifest(dest: &dyn Source, media_type: &str, bytes: Vec<u8>) -> Result<Descriptor> {
    let digest = Digest::sha256_of(&bytes);
    let size = bytes.len() as u64;
    dest.manifest_put(
        &ManifestRef::Digest(digest.clone()),
        media_type,
        Bytes::from(bytes),
    )
    .await?;
    Ok(Descriptor::new(media_type, digest, size))
}

fn platform(
    os: &str,
    architecture: &str,
    variant: Option<&str>,
    os_version: Option<&str>,
) -> Platform {
    Platform {
        architecture: architecture.into(),
        os: os.into(),
        os_version: os_version.map(str::to_string),
        variant: variant.map(str::to_string),
        ..Default::default()
    }
}

fn annotations(pairs: &[(&str, &str)]) -> Option<Annotations> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A ko-style OCI image for one platform; the descriptor carries that platform.
async fn image(
    dest: &dyn Source,
    architecture: &str,
    variant: Option<&str>,
    os: &str,
    os_version: Option<&str>,
    program: &str,
) -> Result<Descriptor> {
    let layer_bytes = tar_with_file(
        program,
        format!("{program} for {os}/{architecture}\n").as_bytes(),
    );
    let layer = put_blob(dest, OCI_LAYER_TAR, layer_bytes).await?;
    let mut config = json!({
        "created": CREATED,
        "author": "ocx examples",
        "architecture": architecture,
        "os": os,
        "config": {
            "User": "65532",
            "Env": ["PATH=/ko-app:/usr/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
            "Entrypoint": [format!("/ko-app/{program}")],
            "Cmd": ["--listen", ":8080"],
            "WorkingDir": "/home/nonroot",
            "ExposedPorts": {"8080/tcp": {}},
            "Labels": {
                "org.opencontainers.image.source": SOURCE_URL,
                "org.opencontainers.image.revision": "4f1c2d9e0b7a",
                "org.opencontainers.image.version": "1.2.0",
                "org.opencontainers.image.licenses": "Apache-2.0",
                "org.opencontainers.image.base.name": "cgr.dev/chainguard/static:latest"
            }
        },
        "rootfs": {"type": "layers", "diff_ids": [layer.digest.to_string()]},
        "history": [
            {"created": CREATED, "created_by": format!("ko publish ko://example.com/ocx/{program}"), "comment": "kodata contents"}
        ]
    });
    if let Some(v) = variant {
        config["variant"] = json!(v);
    }
    if let Some(v) = os_version {
        config["os.version"] = json!(v);
    }
    let config = put_json_blob(dest, OCI_CONFIG, &config).await?;
    let manifest = ImageManifest {
        annotations: annotations(&[
            ("org.opencontainers.image.created", CREATED),
            (
                "org.opencontainers.image.base.digest",
                &Digest::sha256_of(b"base image").to_string(),
            ),
        ]),
        ..ImageManifest::new(OCI_MANIFEST, config, vec![layer])
    };
    let mut descriptor = put_manifest(dest, OCI_MANIFEST, serde_json::to_vec(&manifest)?).await?;
    descriptor.platform = Some(platform(os, architecture, variant, os_version));
    Ok(descriptor)
}

async fn multi_platform(dest: &dyn Source) -> Result<Descriptor> {
    let amd64 = image(dest, "amd64", None, "linux", None, "hello").await?;
    let arm64 = image(dest, "arm64", Some("v8"), "linux", None, "hello").await?;
    let windows = image(
        dest,
        "amd64",
        None,
        "windows",
        Some(WINDOWS_OS_VERSION),
        "hello.exe",
    )
    .await?;
    let attestation = attestation_manifest(dest, &amd64).await?;
    let index = ImageIndex {
        schema_version: 2,
        media_type: Some(OCI_INDEX.into()),
        artifact_type: None,
        manifests: vec![amd64, arm64, windows, attestation],
        subject: None,
        annotations: annotations(&[
            ("org.opencontainers.image.created", CREATED),
            ("org.opencontainers.image.source", SOURCE_URL),
            ("org.opencontainers.image.title", "hello"),
        ]),
    };
    put_manifest(dest, OCI_INDEX, serde_json::to_vec(&index)?).await
}

/// A BuildKit attestation manifest: an in-toto statement with an SPDX predicate.
async fn attestation_manifest(dest: &dyn Source, subject: &Descriptor) -> Result<Descriptor> {
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{"name": "pkg:docker/example.com/ocx/hello@1.2.0?platform=linux%2Famd64",
                     "digest": {"sha256": subject.digest.hex()}}],
        "predicate": {
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "sbom",
            "documentNamespace": "https://example.com/ocx/hello/sbom",
            "creationInfo": {"created": CREATED, "creators": ["Tool: buildkit-syft-scanner"]},
            "packages": [
                {"name": "musl", "SPDXID": "SPDXRef-musl", "versionInfo": "1.2.4-r2",
                 "downloadLocation": "NOASSERTION",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                   "referenceLocator": "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"}]},
                {"name": "golang.org/x/net", "SPDXID": "SPDXRef-net", "versionInfo": "v0.24.0",
                 "downloadLocation": "NOASSERTION",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                   "referenceLocator": "pkg:golang/golang.org/x/net@v0.24.0"}]}
            ]
        }
    });
    let mut layer = put_json_blob(dest, IN_TOTO, &statement).await?;
    layer.annotations = annotations(&[(
        annotations::IN_TOTO_PREDICATE_TYPE,
        "https://spdx.dev/Document",
    )]);
    let config = put_json_blob(
        dest,
        OCI_CONFIG,
        &json!({"architecture": "unknown", "os": "unknown", "config": {}, "rootfs": {"type": "layers", "diff_ids": [layer.digest.to_string()]}}),
    )
    .await?;
    let manifest = ImageManifest::new(OCI_MANIFEST, config, vec![layer]);
    let mut descriptor = put_manifest(dest, OCI_MANIFEST, serde_json::to_vec(&manifest)?).await?;
    descriptor.platform = Some(platform("unknown", "unknown", None, None));
    descriptor.annotations = annotations(&[
        (
            annotations::DOCKER_REFERENCE_DIGEST,
            &subject.digest.to_string(),
        ),
        (
            annotations::DOCKER_REFERENCE_TYPE,
            annotations::ATTESTATION_MANIFEST,
        ),
    ]);
    Ok(descriptor)
}

/// An OpenTofu provider package: per-platform artifacts and the index over them.
async fn provider(dest: &dyn Source) -> Result<Descriptor> {
    let mut children = Vec::new();
    for (os, arch) in [("linux", "amd64"), ("linux", "arm64")] {
        let config = platform_config(dest, os, arch).await?;
        children.push(
            provider_target(dest, config, Some(platform(os, arch, None, None)), os, arch).await?,
        );
    }
    let empty = empty_config(dest).await?;
    children.push(provider_target(dest, empty, None, "source", "any").await?);
    let index = ImageIndex {
        schema_version: 2,
        media_type: Some(OCI_INDEX.into()),
        artifact_type: Some(PROVIDER_ARTIFACT_TYPE.into()),
        manifests: children,
        subject: None,
        annotations: annotations(&[
            ("org.opencontainers.image.version", "1.0.0"),
            (
                "org.opencontainers.image.source",
                "https://example.com/terraform-provider-hello",
            ),
        ]),
    };
    put_manifest(dest, OCI_INDEX, serde_json::to_vec(&index)?).await
}

/// The config `oras push --artifact-platform OS/ARCH` writes: an image config holding
/// exactly `{"architecture":ARCH,"os":OS}`.
async fn platform_config(dest: &dyn Source, os: &str, architecture: &str) -> Result<Descriptor> {
    put_json_blob(
        dest,
        OCI_CONFIG,
        &json!({"architecture": architecture, "os": os}),
    )
    .await
}

/// The OCI empty config, `{}`.
async fn empty_config(dest: &dyn Source) -> Result<Descriptor> {
    put_blob(dest, OCI_EMPTY, b"{}".to_vec()).await
}

/// One platform's provider package, as `oras push --artifact-type
/// application/vnd.opentofu.provider-target` writes it: the given config, one zip layer.
/// The descriptor carries `platform`, as the index over it records it.
async fn provider_target(
    dest: &dyn Source,
    config: Descriptor,
    platform: Option<Platform>,
    os: &str,
    arch: &str,
) -> Result<Descriptor> {
    let file = format!("terraform-provider-hello_1.0.0_{os}_{arch}.zip");
    let mut layer = put_blob(
        dest,
        "archive/zip",
        format!("zip bytes of {file}\n").into_bytes(),
    )
    .await?;
    layer.annotations = annotations(&[("org.opencontainers.image.title", &file)]);
    let manifest = ImageManifest {
        artifact_type: Some(PROVIDER_TARGET_ARTIFACT_TYPE.into()),
        annotations: annotations(&[("org.opencontainers.image.created", CREATED)]),
        ..ImageManifest::new(OCI_MANIFEST, config, vec![layer])
    };
    let mut descriptor = put_manifest(dest, OCI_MANIFEST, serde_json::to_vec(&manifest)?).await?;
    descriptor.artifact_type = Some(PROVIDER_TARGET_ARTIFACT_TYPE.into());
    descriptor.platform = platform;
    Ok(descriptor)
}

async fn nested(dest: &dyn Source, multi: &Descriptor, image: &Descriptor) -> Result<Descriptor> {
    let index = ImageIndex {
        schema_version: 2,
        media_type: Some(OCI_INDEX.into()),
        artifact_type: None,
        manifests: vec![multi.clone(), image.clone()],
        subject: None,
        annotations: annotations(&[("org.opencontainers.image.title", "nested")]),
    };
    put_manifest(dest, OCI_INDEX, serde_json::to_vec(&index)?).await
}

async fn docker(dest: &dyn Source) -> Result<Descriptor> {
    let child = docker_image(dest).await?;
    let list = ImageIndex {
        schema_version: 2,
        media_type: Some(DOCKER_MANIFEST_LIST.into()),
        artifact_type: None,
        manifests: vec![child],
        subject: None,
        annotations: None,
    };
    put_manifest(dest, DOCKER_MANIFEST_LIST, serde_json::to_vec(&list)?).await
}

/// A Docker v2 schema 2 image for linux/amd64; the descriptor carries that platform.
async fn docker_image(dest: &dyn Source) -> Result<Descriptor> {
    let layer = put_blob(
        dest,
        DOCKER_LAYER,
        tar_with_file("hello", b"hello from docker\n"),
    )
    .await?;
    let config = put_json_blob(
        dest,
        DOCKER_CONFIG,
        &json!({
            "architecture": "amd64", "os": "linux", "created": CREATED,
            "config": {"Cmd": ["/hello"], "Labels": {"org.opencontainers.image.source": SOURCE_URL}},
            "rootfs": {"type": "layers", "diff_ids": [layer.digest.to_string()]},
            "history": [{"created": CREATED, "created_by": "COPY hello / # buildkit", "comment": "buildkit.dockerfile.v0"}]
        }),
    )
    .await?;
    let manifest = ImageManifest::new(DOCKER_MANIFEST, config, vec![layer]);
    let mut child = put_manifest(dest, DOCKER_MANIFEST, serde_json::to_vec(&manifest)?).await?;
    child.platform = Some(platform("linux", "amd64", None, None));
    Ok(child)
}

/// Attaches SBOMs to the multi-platform index and its children, one convention each.
async fn attach_sboms(dest: &dyn Source, index: &Descriptor) -> Result<()> {
    let fetched = dest
        .manifest_get(&ManifestRef::Digest(index.digest.clone()))
        .await?;
    let crate::manifest::Manifest::Index(list) = fetched.manifest else {
        anyhow::bail!("the multi-platform sample is not an index");
    };
    let child = |os: &str, arch: &str| {
        list.manifests
            .iter()
            .find(|d| {
                d.platform
                    .as_ref()
                    .is_some_and(|p| p.os == os && p.architecture == arch)
            })
            .cloned()
            .expect("the sample has this platform")
    };
    let arm64 = child("linux", "arm64");
    let windows = child("windows", "amd64");
    let spdx = serde_json::to_vec(&spdx_document(&[
        (
            "libc6",
            Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=arm64&distro=debian-12"),
        ),
        (
            "ca-certificates",
            Some("pkg:deb/debian/ca-certificates@20230311?arch=all&distro=debian-12"),
        ),
        ("hello", None),
    ]))?;
    attach_cosign_tag(dest, &arm64.digest, "sbom", "text/spdx+json", spdx, None).await?;
    attach_referrer(
        dest,
        &windows,
        "application/vnd.cyclonedx+json",
        serde_json::to_vec(&cyclonedx_document())?,
    )
    .await?;
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{"name": "example.com/ocx/hello", "digest": {"sha256": index.digest.hex()}}],
        "predicate": spdx_document(&[
            ("hello-linux-amd64", Some(&format!("pkg:oci/hello@{}?arch=amd64&os=linux", child("linux", "amd64").digest))),
            ("hello-linux-arm64", Some(&format!("pkg:oci/hello@{}?arch=arm64&os=linux", arm64.digest))),
            ("hello-base", Some("pkg:oci/library/hello")),
        ]),
    });
    let envelope = json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, serde_json::to_vec(&statement)?),
        "signatures": [{"keyid": "", "sig": "c2FtcGxl"}]
    });
    let predicate = annotations(&[("predicateType", "https://spdx.dev/Document")]);
    let envelope = serde_json::to_vec(&envelope)?;
    attach_cosign_tag(
        dest,
        &index.digest,
        "att",
        "application/vnd.dsse.envelope.v1+json",
        envelope,
        predicate,
    )
    .await
}

fn spdx_document(packages: &[(&str, Option<&str>)]) -> Value {
    let packages: Vec<Value> = packages
        .iter()
        .map(|(name, purl)| {
            let mut package = json!({
                "name": name, "SPDXID": format!("SPDXRef-Package-{name}"),
                "downloadLocation": "NOASSERTION", "versionInfo": "1"
            });
            if let Some(purl) = purl {
                package["externalRefs"] = json!([{"referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl", "referenceLocator": purl}]);
            }
            package
        })
        .collect();
    json!({
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "hello", "documentNamespace": "https://example.com/ocx/hello/spdx",
        "creationInfo": {"created": CREATED, "creators": ["Tool: ocx-sample"]},
        "packages": packages
    })
}

fn cyclonedx_document() -> Value {
    json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"timestamp": CREATED, "component": {"type": "application", "name": "hello.exe",
            "purl": "pkg:generic/hello.exe@1.2.0"}},
        "components": [
            {"type": "library", "name": "golang.org/x/sys", "version": "v0.19.0",
             "purl": "pkg:golang/golang.org/x/sys@v0.19.0",
             "components": [{"type": "library", "name": "windows", "purl": "pkg:golang/golang.org/x/sys@v0.19.0#windows"}]},
            {"type": "library", "name": "stdlib", "version": "go1.22.2", "purl": "pkg:golang/stdlib@go1.22.2"}
        ]
    })
}

/// An artifact manifest holding one document: empty config, one layer.
async fn artifact_manifest(
    dest: &dyn Source,
    artifact_type: Option<&str>,
    layer_media_type: &str,
    document: Vec<u8>,
    layer_annotations: Option<Annotations>,
    subject: Option<&Descriptor>,
) -> Result<(Vec<u8>, Descriptor)> {
    let config = put_blob(dest, OCI_EMPTY, b"{}".to_vec()).await?;
    let mut layer = put_blob(dest, layer_media_type, document).await?;
    layer.annotations = layer_annotations;
    let subject = subject.map(|s| Descriptor::new(s.media_type.clone(), s.digest.clone(), s.size));
    let manifest = ImageManifest {
        artifact_type: artifact_type.map(str::to_string),
        subject,
        annotations: annotations(&[("org.opencontainers.image.created", CREATED)]),
        ..ImageManifest::new(OCI_MANIFEST, config, vec![layer.clone()])
    };
    Ok((serde_json::to_vec(&manifest)?, layer))
}

/// cosign's convention: `sha256-<hex>.<suffix>` in the subject's repository.
async fn attach_cosign_tag(
    dest: &dyn Source,
    subject: &Digest,
    suffix: &str,
    layer_media_type: &str,
    document: Vec<u8>,
    layer_annotations: Option<Annotations>,
) -> Result<()> {
    let (bytes, _) = artifact_manifest(
        dest,
        None,
        layer_media_type,
        document,
        layer_annotations,
        None,
    )
    .await?;
    let tag = format!("{}-{}.{suffix}", subject.algorithm().name(), subject.hex());
    dest.manifest_put(&ManifestRef::Tag(tag), OCI_MANIFEST, Bytes::from(bytes))
        .await?;
    Ok(())
}

/// OCI 1.1: an artifact whose `subject` is the described manifest.
async fn attach_referrer(
    dest: &dyn Source,
    subject: &Descriptor,
    media_type: &str,
    document: Vec<u8>,
) -> Result<()> {
    let (bytes, _) = artifact_manifest(
        dest,
        Some(media_type),
        media_type,
        document,
        None,
        Some(subject),
    )
    .await?;
    dest.referrer_put(OCI_MANIFEST, Bytes::from(bytes)).await?;
    Ok(())
}

/// A ustar archive holding one regular file, with fixed metadata.
fn tar_with_file(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    let field = |header: &mut [u8; 512], offset: usize, value: &[u8]| {
        header[offset..offset + value.len()].copy_from_slice(value);
    };
    field(&mut header, 0, name.as_bytes());
    field(&mut header, 100, b"0000644\0");
    field(&mut header, 108, b"0000000\0");
    field(&mut header, 116, b"0000000\0");
    field(
        &mut header,
        124,
        format!("{:011o}\0", content.len()).as_bytes(),
    );
    field(
        &mut header,
        136,
        format!("{:011o}\0", 1_714_564_800u64).as_bytes(),
    );
    header[156] = b'0';
    field(&mut header, 257, b"ustar\x0000");
    // The checksum is computed with its own field read as spaces.
    field(&mut header, 148, b"        ");
    let checksum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    field(&mut header, 148, format!("{checksum:06o}\0 ").as_bytes());
    let mut archive = header.to_vec();
    archive.extend_from_slice(content);
    archive.resize(archive.len().div_ceil(512) * 512, 0);
    archive.resize(archive.len() + 1024, 0);
    archive
}
