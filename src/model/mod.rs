//! The output schema (version 1): plain serde types shared by every command and
//! published as a JSON Schema at `schema/describe.v1.json`.
//!
//! Keys are snake_case. Every key of an object is always present (null or empty when the
//! content has no value) except the kind-specific ones: `config`, `layers` for images,
//! `manifests`, `attestations` for indexes.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

mod diff;
mod sbom;
mod tags;

pub use diff::*;
pub use sbom::*;
pub use tags::*;

pub const SCHEMA_VERSION: u32 = 1;

/// `ocx describe --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Description {
    pub schema_version: u32,
    /// The reference as the user typed it.
    pub reference: String,
    /// Canonical `location@digest` of what was described.
    pub resolved: String,
    /// How many parts could not be read (manifests, configs, SBOM places); absent when
    /// everything was.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures: usize,
    #[serde(flatten)]
    pub manifest: ManifestInfo,
}

pub(crate) fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// A part of the tree that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The manifest's path of `manifests` keys (`linux/amd64`, `nested > linux/arm64`);
    /// empty for the described manifest itself.
    pub manifest: String,
    /// For an SBOM place: its location (API path, tag or manifest).
    pub sbom_place: Option<String>,
    pub reason: String,
}

impl ManifestInfo {
    /// The manifest with this digest: this one or one below it.
    pub fn find(&self, digest: &str) -> Option<&ManifestInfo> {
        if self.descriptor.digest == digest {
            return Some(self);
        }
        self.manifests
            .iter()
            .flat_map(|children| children.values())
            .find_map(|child| child.find(digest))
    }

    /// Every failure recorded in this manifest and below it, in tree order.
    pub fn failures(&self) -> Vec<Failure> {
        let mut found = Vec::new();
        self.collect_failures(String::new(), &mut found);
        found
    }

    fn collect_failures(&self, path: String, found: &mut Vec<Failure>) {
        if let Some(error) = &self.error {
            found.push(Failure {
                manifest: path.clone(),
                sbom_place: None,
                reason: error.clone(),
            });
        }
        for source in self.sbom_sources.iter().flatten() {
            if matches!(source.outcome, Outcome::Error | Outcome::Truncated) {
                found.push(Failure {
                    manifest: path.clone(),
                    sbom_place: Some(source.location.clone()),
                    reason: source.detail.clone().unwrap_or_default(),
                });
            }
        }
        for (key, child) in self.manifests.iter().flatten() {
            let child_path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path} > {key}")
            };
            child.collect_failures(child_path, found);
        }
    }
}

/// A manifest that refers to another: found in its referrers (API or tag), under
/// cosign's tags, or as a BuildKit attestation of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referrer {
    pub kind: ReferrerKind,
    /// As the referrers API gives it: the manifest's artifactType, else its config's
    /// media type; null when only an index entry named it.
    pub artifact_type: Option<String>,
    pub digest: String,
    pub media_type: String,
    /// How it was found.
    pub convention: Convention,
    /// The in-toto predicate types of what it holds, where discovery read them.
    pub predicate_types: Vec<String>,
}

/// What a referrer is, from what discovery read of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferrerKind {
    /// cosign or Notary signature, or a sigstore bundle without an attestation.
    Signature,
    /// Holds an SBOM ocx parsed.
    Sbom,
    /// An in-toto attestation of something else (provenance, vulnerability scan...).
    Attestation,
    /// Anything else.
    Artifact,
}

impl ReferrerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferrerKind::Signature => "signature",
            ReferrerKind::Sbom => "sbom",
            ReferrerKind::Attestation => "attestation",
            ReferrerKind::Artifact => "artifact",
        }
    }
}

/// One manifest (image or index) and what the walk found under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestInfo {
    pub media_type: MediaType,
    pub descriptor: DescriptorInfo,
    /// Where `ocx index create` brought this manifest from: the `dev.ocx.origin`
    /// annotation of the descriptor that led here.
    pub origin: Option<String>,
    pub artifact_type: Option<String>,
    /// For an image manifest without `artifactType`: the artifact type the image spec
    /// gives it, its config's media type (never the empty config's); null otherwise.
    #[serde(default)]
    pub derived_artifact_type: Option<String>,
    pub annotations: BTreeMap<String, String>,
    pub subject: Option<DescriptorInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<DescriptorInfo>>,
    /// Platform key (`os/architecture[/variant][:os.version]`) to child, in index order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<IndexMap<String, ManifestInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestations: Option<Vec<Attestation>>,
    /// Bytes of all distinct content: manifests, configs and layers, each counted once.
    pub total_size: u64,
    pub build: Build,
    /// Packages of the SBOMs attached to this manifest; null when discovery was skipped
    /// (`--no-sbom`).
    pub sbom: Option<Vec<Package>>,
    /// Every place looked at for SBOMs and what it held; null when discovery was skipped.
    pub sbom_sources: Option<Vec<SbomSource>>,
    /// Distinct packages the SBOMs list without a purl: one listed by several documents
    /// (by name and version) counts once; null when discovery was skipped.
    #[serde(default)]
    pub sbom_packages_without_purl: Option<usize>,
    /// The manifests that refer to this one (signatures, attestations, SBOMs, other
    /// artifacts), as SBOM discovery found them; null when discovery was skipped.
    #[serde(default)]
    pub referrers: Option<Vec<Referrer>>,
    /// Why this manifest, or its config, could not be read; absent when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaType {
    pub value: String,
    pub is_image: bool,
    pub is_index: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescriptorInfo {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub artifact_type: Option<String>,
    pub annotations: BTreeMap<String, String>,
    pub platform: Option<PlatformInfo>,
    pub urls: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformInfo {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub os_version: Option<String>,
    pub os_features: Option<Vec<String>>,
    pub features: Option<Vec<String>>,
}

/// An image's config: its descriptor's fields, then what the config records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfo {
    #[serde(flatten)]
    pub descriptor: DescriptorInfo,
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub variant: Option<String>,
    pub os_version: Option<String>,
    #[serde(default)]
    pub os_features: Option<Vec<String>>,
    pub created: Option<String>,
    pub author: Option<String>,
    pub user: Option<String>,
    pub env: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub exposed_ports: Option<Vec<String>>,
    pub volumes: Option<Vec<String>>,
    pub stop_signal: Option<String>,
    #[serde(default)]
    pub args_escaped: Option<bool>,
    #[serde(default)]
    pub memory: Option<i64>,
    #[serde(default)]
    pub memory_swap: Option<i64>,
    #[serde(default)]
    pub cpu_shares: Option<i64>,
    #[serde(default)]
    pub healthcheck: Option<HealthcheckInfo>,
    #[serde(default)]
    pub on_build: Option<Vec<String>>,
    #[serde(default)]
    pub shell: Option<Vec<String>>,
    #[serde(default)]
    pub rootfs: Option<RootFsInfo>,
    pub history: Option<Vec<HistoryEntry>>,
    /// An image config's fields that have no key above, as the config has them (those
    /// of its runtime `config` under `config`); null for other configs.
    #[serde(default)]
    pub unknown_fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// Docker's `HEALTHCHECK`; durations in nanoseconds, as the config records them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthcheckInfo {
    pub test: Option<Vec<String>>,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub start_period: Option<i64>,
    pub start_interval: Option<i64>,
    pub retries: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFsInfo {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub diff_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub created: Option<String>,
    pub created_by: Option<String>,
    pub author: Option<String>,
    pub comment: Option<String>,
    pub empty_layer: bool,
}

/// A BuildKit attestation manifest found in an index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attestation {
    pub descriptor: DescriptorInfo,
    /// The digest of the manifest it attests (`vnd.docker.reference.digest`).
    pub refers_to: Option<String>,
    /// That manifest's key in `manifests`, when it is there.
    pub refers_to_platform: Option<String>,
    /// `in-toto.io/predicate-type` of each layer, in layer order.
    pub predicate_types: Vec<String>,
    pub layers: Vec<DescriptorInfo>,
}

/// Provenance from standard annotations, config labels and config history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    pub source: Option<BuildValue>,
    pub revision: Option<BuildValue>,
    pub version: Option<BuildValue>,
    pub created: Option<BuildValue>,
    pub authors: Option<BuildValue>,
    pub url: Option<BuildValue>,
    pub documentation: Option<BuildValue>,
    pub title: Option<BuildValue>,
    pub description: Option<BuildValue>,
    pub licenses: Option<BuildValue>,
    pub vendor: Option<BuildValue>,
    pub base_name: Option<BuildValue>,
    pub base_digest: Option<BuildValue>,
    /// The tool that built the image, when it records itself in the history.
    pub builder: Option<BuildValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildValue {
    pub value: String,
    pub source: BuildSource,
    /// The digest of the manifest (annotation) or config (label, config, history) it
    /// was read from.
    pub from: String,
    /// The exact key or history entry it was read from.
    pub key: String,
    /// For an index: the key in `manifests` of the child it was read from (`KEY > KEY`
    /// through a nested index); null when this manifest itself records it.
    #[serde(default)]
    pub platform: Option<String>,
    /// For an index whose children disagree: the other values, one per distinct value,
    /// each with where it was read from; empty when they agree.
    #[serde(default)]
    pub other_values: Vec<OtherBuildValue>,
}

/// A value another child of an index has for a build field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherBuildValue {
    pub value: String,
    pub source: BuildSource,
    pub from: String,
    pub key: String,
    pub platform: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildSource {
    Annotation,
    Label,
    Config,
    History,
}

impl BuildSource {
    /// The name the schema uses.
    pub fn as_str(self) -> &'static str {
        match self {
            BuildSource::Annotation => "annotation",
            BuildSource::Label => "label",
            BuildSource::Config => "config",
            BuildSource::History => "history",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_source_names_are_the_schemas() {
        use BuildSource::*;
        for source in [Annotation, Label, Config, History] {
            assert_eq!(
                serde_json::to_value(source).unwrap(),
                serde_json::Value::from(source.as_str())
            );
        }
    }
}
