//! Wire types for OCI and Docker v2 manifests, indexes, descriptors and image configs.
//!
//! These mirror the OCI image spec (v1.1) field for field, tolerate what real registries
//! hold (Docker v2 schema 2 manifests and manifest lists parse into the same types), and
//! serialize with a fixed field order and sorted annotations so that a manifest ocx
//! writes is byte-for-byte reproducible.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// The manifest media types ocx asks registries for, most specific first.
pub const ACCEPTED_MANIFEST_TYPES: [&str; 4] = [
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST,
];

/// The digest of the two-byte empty JSON object `{}` (the OCI empty descriptor).
pub const EMPTY_JSON_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/// Annotations with a meaning for the walk and the output.
pub mod annotations {
    pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
    pub const TITLE: &str = "org.opencontainers.image.title";
    pub const DOCKER_REFERENCE_TYPE: &str = "vnd.docker.reference.type";
    pub const DOCKER_REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";
    pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";
    pub const IN_TOTO_PREDICATE_TYPE: &str = "in-toto.io/predicate-type";
    /// Set by `ocx index create` on an entry it brought in from another repository,
    /// registry or layout: where it came from, as `registry/repository@digest` or
    /// `oci:PATH@digest`.
    pub const OCX_ORIGIN: &str = "dev.ocx.origin";
}

pub type Annotations = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl Descriptor {
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Self {
        Descriptor {
            media_type: media_type.into(),
            artifact_type: None,
            digest,
            size,
            urls: None,
            platform: None,
            annotations: None,
            data: None,
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }

    /// A BuildKit attestation manifest inside an index.
    pub fn is_attestation_manifest(&self) -> bool {
        self.annotation(annotations::DOCKER_REFERENCE_TYPE)
            == Some(annotations::ATTESTATION_MANIFEST)
    }

    /// The OCI empty descriptor (`{}`), whose content is known without fetching it.
    pub fn is_empty_json(&self) -> bool {
        self.size == 2 && self.digest.to_string() == EMPTY_JSON_DIGEST
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

impl ImageManifest {
    /// A schema-2 manifest of this media type with nothing but a config and layers.
    pub fn new(media_type: &str, config: Descriptor, layers: Vec<Descriptor>) -> ImageManifest {
        ImageManifest {
            schema_version: 2,
            media_type: Some(media_type.to_string()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: None,
        }
    }
}

impl ImageIndex {
    /// An OCI index with no entries.
    pub fn empty() -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: Some(OCI_INDEX.into()),
            artifact_type: None,
            manifests: vec![],
            subject: None,
            annotations: None,
        }
    }
}

/// A parsed manifest of either kind. Few exist at once, so the size difference
/// between the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    Image(ImageManifest),
    Index(ImageIndex),
}

impl Manifest {
    /// Parses manifest bytes.
    ///
    /// The kind comes from the media type the source reported (a registry's
    /// Content-Type, an index.json descriptor) or, failing that, from the body's own
    /// `mediaType`, or from its shape. Schema 1 and unknown types are refused by name.
    pub fn parse(bytes: &[u8], reported_media_type: Option<&str>) -> Result<(Manifest, String)> {
        let body: serde_json::Value =
            serde_json::from_slice(bytes).context("the manifest is not valid JSON")?;
        let declared = body.get("mediaType").and_then(|v| v.as_str());
        let media_type = effective_media_type(reported_media_type, declared, &body)?;
        let manifest = match media_type.as_str() {
            OCI_INDEX | DOCKER_MANIFEST_LIST => Manifest::Index(
                serde_json::from_value(body).context("the image index is malformed")?,
            ),
            OCI_MANIFEST | DOCKER_MANIFEST => Manifest::Image(
                serde_json::from_value(body).context("the image manifest is malformed")?,
            ),
            DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED => bail!(
                "unsupported manifest media type {media_type} (Docker schema 1 is deprecated; \
                 re-push the image with a current client)"
            ),
            other => bail!("unsupported manifest media type {other}"),
        };
        Ok((manifest, media_type))
    }

    pub fn artifact_type(&self) -> Option<&str> {
        match self {
            Manifest::Image(m) => m.artifact_type.as_deref(),
            Manifest::Index(i) => i.artifact_type.as_deref(),
        }
    }

    /// The artifact type a referrers list gives this manifest: its artifactType, else
    /// (for an image manifest) its config's media type.
    pub fn referrer_artifact_type(&self) -> Option<String> {
        match self {
            Manifest::Image(m) => m
                .artifact_type
                .clone()
                .or_else(|| Some(m.config.media_type.clone())),
            Manifest::Index(i) => i.artifact_type.clone(),
        }
    }

    pub fn annotations(&self) -> Option<&Annotations> {
        match self {
            Manifest::Image(m) => m.annotations.as_ref(),
            Manifest::Index(i) => i.annotations.as_ref(),
        }
    }

    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Manifest::Image(m) => m.subject.as_ref(),
            Manifest::Index(i) => i.subject.as_ref(),
        }
    }
}

/// Content-Type can carry parameters and registries sometimes answer with a generic type.
fn effective_media_type(
    reported: Option<&str>,
    declared: Option<&str>,
    body: &serde_json::Value,
) -> Result<String> {
    let reported = reported
        .map(|t| t.split(';').next().unwrap_or(t).trim())
        .filter(|t| !t.is_empty() && *t != "application/json" && *t != "text/plain");
    if let Some(media_type) = reported.or(declared) {
        return Ok(media_type.to_string());
    }
    if body.get("manifests").is_some() {
        Ok(OCI_INDEX.to_string())
    } else if body.get("config").is_some() {
        Ok(OCI_MANIFEST.to_string())
    } else if body.get("fsLayers").is_some() {
        Ok(DOCKER_SCHEMA1.to_string())
    } else {
        bail!("the manifest has no mediaType and is neither an image manifest nor an index")
    }
}

pub fn is_index_media_type(media_type: &str) -> bool {
    matches!(media_type, OCI_INDEX | DOCKER_MANIFEST_LIST)
}

pub fn is_image_media_type(media_type: &str) -> bool {
    matches!(media_type, OCI_MANIFEST | DOCKER_MANIFEST)
}

pub fn is_image_config_media_type(media_type: &str) -> bool {
    matches!(media_type, OCI_CONFIG | DOCKER_CONFIG)
}

/// Whether a config blob of this type is JSON ocx should read for platform and labels.
pub fn is_json_media_type(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}

/// An image configuration, read leniently: artifacts reuse the config slot for
/// platform-only documents (`oras push --artifact-platform`) and arbitrary JSON.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ImageConfig {
    pub architecture: Option<String>,
    pub os: Option<String>,
    #[serde(rename = "os.version")]
    pub os_version: Option<String>,
    #[serde(rename = "os.features")]
    pub os_features: Option<Vec<String>>,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub author: Option<String>,
    pub config: Option<RuntimeConfig>,
    #[serde(default, deserialize_with = "lenient")]
    pub rootfs: Option<RootFs>,
    #[serde(default)]
    pub history: Option<Vec<History>>,
    /// Fields this type does not name (Docker's `container_config`, `docker_version`, …),
    /// kept so that describe can show them.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeConfig {
    pub user: Option<String>,
    pub env: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    pub stop_signal: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub args_escaped: Option<bool>,
    /// Reserved by the image spec (once part of it), still written by old builders.
    #[serde(default, deserialize_with = "lenient")]
    pub memory: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub memory_swap: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub cpu_shares: Option<i64>,
    /// Docker's: the health check, the ONBUILD triggers and the SHELL of a Dockerfile.
    #[serde(default, deserialize_with = "lenient")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default, deserialize_with = "lenient")]
    pub on_build: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient")]
    pub shell: Option<Vec<String>>,
    /// Fields this type does not name (Docker's `Hostname`, `Tty`, …).
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// Docker's `HEALTHCHECK`: durations in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    pub test: Option<Vec<String>>,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub start_period: Option<i64>,
    pub start_interval: Option<i64>,
    pub retries: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub diff_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
}

/// Fields ocx added after configs were first read: a value of another type than the
/// spec's (`"Memory": "1g"`) reads as absent rather than failing the whole config.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

impl ImageConfig {
    /// The platform the config records, when it records at least os and architecture.
    /// Empty optional fields are left out rather than copied as `""` or `[]`.
    pub fn platform(&self) -> Option<Platform> {
        let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        Some(Platform {
            architecture: non_empty(&self.architecture)?,
            os: non_empty(&self.os)?,
            os_version: non_empty(&self.os_version),
            os_features: self.os_features.clone().filter(|f| !f.is_empty()),
            variant: non_empty(&self.variant),
            features: None,
        })
    }

    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.config.as_ref()?.labels.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_content_type_then_body_then_shape() {
        let index = br#"{"schemaVersion":2,"manifests":[]}"#;
        let (m, t) = Manifest::parse(index, Some("application/json")).unwrap();
        assert!(matches!(m, Manifest::Index(_)));
        assert_eq!(t, OCI_INDEX);
        let (_, t) = Manifest::parse(index, Some(&format!("{DOCKER_MANIFEST_LIST}; q=1"))).unwrap();
        assert_eq!(t, DOCKER_MANIFEST_LIST);
    }

    #[test]
    fn a_config_field_of_an_unexpected_type_reads_as_absent() {
        let config: ImageConfig = serde_json::from_str(
            r#"{"architecture":"amd64","os":"linux","rootfs":"x",
                "config":{"Memory":"1g","Shell":"sh","Healthcheck":[],"User":"root"}}"#,
        )
        .unwrap();
        let runtime = config.config.unwrap();
        assert_eq!(
            (runtime.memory, runtime.shell, runtime.healthcheck),
            (None, None, None)
        );
        assert_eq!(runtime.user.as_deref(), Some("root"));
        assert_eq!(config.rootfs, None);
    }

    #[test]
    fn refuses_schema1_by_name() {
        let s1 = br#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#;
        let err = Manifest::parse(s1, None).unwrap_err().to_string();
        assert!(err.contains(DOCKER_SCHEMA1), "{err}");
        let err = Manifest::parse(b"{}", Some("application/vnd.example+json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("application/vnd.example+json"), "{err}");
    }

    #[test]
    fn serializes_descriptor_in_spec_order_with_sorted_annotations() {
        let mut d = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(b"x"), 1);
        d.artifact_type = Some("application/vnd.example".into());
        d.platform = Some(Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Default::default()
        });
        d.annotations = Some([("b".to_string(), "2".to_string()), ("a".into(), "1".into())].into());
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"mediaType":"{OCI_MANIFEST}","artifactType":"application/vnd.example","digest":"{}","size":1,"platform":{{"architecture":"amd64","os":"linux"}},"annotations":{{"a":"1","b":"2"}}}}"#,
                Digest::sha256_of(b"x")
            )
        );
    }

    #[test]
    fn empty_json_digest_is_right() {
        assert_eq!(Digest::sha256_of(b"{}").to_string(), EMPTY_JSON_DIGEST);
    }
}
