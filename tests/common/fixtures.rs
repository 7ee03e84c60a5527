//! Content the tests build one piece at a time, written through ocx's [`Source`] so that
//! it lands in a layout or a registry alike. The whole sample set comes from
//! `ocx generate --samples` instead (see `sample_layout` and `push_samples`).

use anyhow::Result;
use bytes::Bytes;
use serde_json::{json, Value};

use ocx::digest::Digest;
use ocx::manifest::{
    Annotations, Descriptor, ImageIndex, ImageManifest, Platform, DOCKER_CONFIG, DOCKER_MANIFEST,
    OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST,
};
use ocx::reference::ManifestRef;
use ocx::source::Source;

/// The tags `ocx generate --samples` writes.
pub const TAGS: [&str; 5] = ["image", "multi-platform", "provider", "nested", "docker"];
/// The `os.version` of the samples' Windows image.
pub const WINDOWS_OS_VERSION: &str = "10.0.20348.2113";
pub const PROVIDER_ARTIFACT_TYPE: &str = "application/vnd.opentofu.provider";
pub const PROVIDER_TARGET_ARTIFACT_TYPE: &str = "application/vnd.opentofu.provider-target";

const CREATED: &str = "2024-05-01T12:00:00Z";
const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";
/// An empty tar archive: two zero blocks. No test reads a layer's files.
const EMPTY_TAR: [u8; 1024] = [0; 1024];

async fn put_blob(dest: &dyn Source, media_type: &str, bytes: Vec<u8>) -> Result<Descriptor> {
    let descriptor = Descriptor::new(media_type, Digest::sha256_of(&bytes), bytes.len() as u64);
    dest.blob_put(&descriptor, Bytes::from(bytes)).await?;
    Ok(descriptor)
}

async fn put_json_blob(dest: &dyn Source, media_type: &str, value: &Value) -> Result<Descriptor> {
    put_blob(dest, media_type, serde_json::to_vec(value)?).await
}

/// Pushes a manifest by digest and returns its descriptor.
async fn put_manifest(
    dest: &dyn Source,
    media_type: &str,
    manifest: &impl serde::Serialize,
) -> Result<Descriptor> {
    let bytes = serde_json::to_vec(manifest)?;
    let descriptor = Descriptor::new(media_type, Digest::sha256_of(&bytes), bytes.len() as u64);
    let reference = ManifestRef::Digest(descriptor.digest.clone());
    dest.manifest_put(&reference, media_type, Bytes::from(bytes))
        .await?;
    Ok(descriptor)
}

fn annotations(pairs: &[(&str, &str)]) -> Option<Annotations> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

pub fn platform(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
    Platform {
        architecture: architecture.into(),
        os: os.into(),
        variant: variant.map(str::to_string),
        ..Default::default()
    }
}

/// The image config fields a platform is read from.
fn platform_fields(platform: &Platform) -> Value {
    let mut config = json!({"architecture": platform.architecture, "os": platform.os});
    if let Some(variant) = &platform.variant {
        config["variant"] = json!(variant);
    }
    if let Some(os_version) = &platform.os_version {
        config["os.version"] = json!(os_version);
    }
    config
}

/// An OCI image for one platform, with a created annotation; the descriptor carries the
/// platform.
pub async fn image(dest: &dyn Source, platform: Platform) -> Result<Descriptor> {
    image_created(dest, platform, CREATED).await
}

/// The same image with another config `created`: another image of the same platform.
pub async fn image_created(
    dest: &dyn Source,
    platform: Platform,
    created: &str,
) -> Result<Descriptor> {
    let layer = put_blob(dest, OCI_LAYER_TAR, EMPTY_TAR.to_vec()).await?;
    let mut config = platform_fields(&platform);
    config["created"] = json!(created);
    config["config"] = json!({"Entrypoint": ["/hello"]});
    config["rootfs"] = json!({"type": "layers", "diff_ids": [layer.digest.to_string()]});
    let config = put_json_blob(dest, OCI_CONFIG, &config).await?;
    let manifest = ImageManifest {
        annotations: annotations(&[("org.opencontainers.image.created", CREATED)]),
        ..ImageManifest::new(OCI_MANIFEST, config, vec![layer])
    };
    let mut descriptor = put_manifest(dest, OCI_MANIFEST, &manifest).await?;
    descriptor.platform = Some(platform);
    Ok(descriptor)
}

/// A Docker v2 schema 2 image for linux/amd64, without annotations; the descriptor
/// carries that platform.
pub async fn docker_image(dest: &dyn Source) -> Result<Descriptor> {
    let layer = put_blob(dest, DOCKER_LAYER, EMPTY_TAR.to_vec()).await?;
    let config = json!({
        "architecture": "amd64", "os": "linux", "created": CREATED,
        "rootfs": {"type": "layers", "diff_ids": [layer.digest.to_string()]}
    });
    let config = put_json_blob(dest, DOCKER_CONFIG, &config).await?;
    let manifest = ImageManifest::new(DOCKER_MANIFEST, config, vec![layer]);
    let mut descriptor = put_manifest(dest, DOCKER_MANIFEST, &manifest).await?;
    descriptor.platform = Some(platform("linux", "amd64", None));
    Ok(descriptor)
}

/// The config `oras push --artifact-platform OS/ARCH` writes: an image config holding
/// exactly `{"architecture":ARCH,"os":OS}`.
pub async fn platform_config(
    dest: &dyn Source,
    os: &str,
    architecture: &str,
) -> Result<Descriptor> {
    let config = json!({"architecture": architecture, "os": os});
    put_json_blob(dest, OCI_CONFIG, &config).await
}

/// The OCI empty config, `{}`.
pub async fn empty_config(dest: &dyn Source) -> Result<Descriptor> {
    put_blob(dest, OCI_EMPTY, b"{}".to_vec()).await
}

/// One platform's provider package, as `oras push --artifact-type
/// application/vnd.opentofu.provider-target` writes it: the given config, one zip layer.
pub async fn provider_target(
    dest: &dyn Source,
    config: Descriptor,
    os: &str,
    arch: &str,
) -> Result<Descriptor> {
    let file = format!("terraform-provider-hello_1.0.0_{os}_{arch}.zip");
    let zip = format!("zip bytes of {file}\n").into_bytes();
    let mut layer = put_blob(dest, "archive/zip", zip).await?;
    layer.annotations = annotations(&[("org.opencontainers.image.title", &file)]);
    let manifest = ImageManifest {
        artifact_type: Some(PROVIDER_TARGET_ARTIFACT_TYPE.into()),
        annotations: annotations(&[("org.opencontainers.image.created", CREATED)]),
        ..ImageManifest::new(OCI_MANIFEST, config, vec![layer])
    };
    let mut descriptor = put_manifest(dest, OCI_MANIFEST, &manifest).await?;
    descriptor.artifact_type = Some(PROVIDER_TARGET_ARTIFACT_TYPE.into());
    Ok(descriptor)
}

/// An artifact manifest holding one document: empty config, one layer.
async fn artifact_manifest(
    dest: &dyn Source,
    artifact_type: Option<&str>,
    layer_media_type: &str,
    document: Vec<u8>,
    subject: Option<&Descriptor>,
) -> Result<Bytes> {
    let config = empty_config(dest).await?;
    let layer = put_blob(dest, layer_media_type, document).await?;
    let subject = subject.map(|s| Descriptor::new(s.media_type.clone(), s.digest.clone(), s.size));
    let manifest = ImageManifest {
        artifact_type: artifact_type.map(str::to_string),
        subject,
        ..ImageManifest::new(OCI_MANIFEST, config, vec![layer])
    };
    Ok(Bytes::from(serde_json::to_vec(&manifest)?))
}

/// An OCI index over `children`, pushed to `dest` under `tag`; returns its digest.
pub async fn index(dest: &dyn Source, tag: &str, children: &[Descriptor]) -> Result<Digest> {
    let index = ImageIndex {
        manifests: children.to_vec(),
        ..ImageIndex::empty()
    };
    let bytes = Bytes::from(serde_json::to_vec(&index)?);
    dest.manifest_put(&ManifestRef::Tag(tag.into()), OCI_INDEX, bytes)
        .await
}

/// cosign's convention: `sha256-<hex>.<suffix>` in the repository of `dest`.
pub async fn attach_cosign_tag(
    dest: &dyn Source,
    subject: &Digest,
    suffix: &str,
    layer_media_type: &str,
    document: Vec<u8>,
) -> Result<()> {
    let bytes = artifact_manifest(dest, None, layer_media_type, document, None).await?;
    let tag = format!("{}-{}.{suffix}", subject.algorithm().name(), subject.hex());
    dest.manifest_put(&ManifestRef::Tag(tag), OCI_MANIFEST, bytes)
        .await?;
    Ok(())
}

/// OCI 1.1: an artifact of type `media_type` whose `subject` is the described manifest;
/// returns the referrer's descriptor.
pub async fn attach_referrer(
    dest: &dyn Source,
    subject: &Descriptor,
    media_type: &str,
    document: Vec<u8>,
) -> Result<Descriptor> {
    let bytes =
        artifact_manifest(dest, Some(media_type), media_type, document, Some(subject)).await?;
    dest.referrer_put(OCI_MANIFEST, bytes).await
}

/// What `cosign attest --type …` leaves under the `sha256-<hex>.att` tag, one call per
/// statement: an image config, and per statement a DSSE envelope layer annotated with its
/// `predicateType`. Returns the manifest's descriptor and each layer's.
pub async fn attach_cosign_attestations(
    dest: &dyn Source,
    subject: &Digest,
    statements: &[Value],
) -> Result<(Descriptor, Vec<Descriptor>)> {
    use base64::Engine as _;
    let config = json!({"architecture": "", "os": "", "config": {},
                        "rootfs": {"type": "layers", "diff_ids": []}});
    let config = put_json_blob(dest, OCI_CONFIG, &config).await?;
    let mut layers = Vec::new();
    for statement in statements {
        let envelope = json!({
            "payloadType": "application/vnd.in-toto+json",
            "payload": base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(statement)?),
            "signatures": [{"keyid": "", "sig": "c2ln"}]
        });
        let mut layer =
            put_json_blob(dest, "application/vnd.dsse.envelope.v1+json", &envelope).await?;
        let predicate_type = statement["predicateType"].as_str().unwrap_or_default();
        layer.annotations = annotations(&[
            ("dev.cosignproject.cosign/signature", ""),
            ("predicateType", predicate_type),
        ]);
        layers.push(layer);
    }
    let manifest = ImageManifest::new(OCI_MANIFEST, config, layers.clone());
    let bytes = Bytes::from(serde_json::to_vec(&manifest)?);
    let descriptor = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(&bytes), bytes.len() as u64);
    let tag = format!("{}-{}.att", subject.algorithm().name(), subject.hex());
    dest.manifest_put(&ManifestRef::Tag(tag), OCI_MANIFEST, bytes)
        .await?;
    Ok((descriptor, layers))
}

/// An in-toto statement about nothing in particular.
pub fn in_toto_statement(predicate_type: &str, predicate: Value) -> Value {
    json!({"_type": "https://in-toto.io/Statement/v1", "subject": [],
           "predicateType": predicate_type, "predicate": predicate})
}
