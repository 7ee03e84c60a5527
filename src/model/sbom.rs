//! The SBOM part of the schema: packages as purls, where each was found, and the
//! `ocx sbom --json` report.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{Description, ManifestInfo, SCHEMA_VERSION};

/// `ocx sbom --json`: the SBOM packages of a manifest and of every manifest below it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SbomReport {
    pub schema_version: u32,
    pub reference: String,
    pub resolved: String,
    /// As in describe: how many parts could not be read; absent when everything was.
    #[serde(default, skip_serializing_if = "super::is_zero")]
    pub failures: usize,
    #[serde(flatten)]
    pub subject: SbomSubject,
}

/// One manifest's SBOM packages, and for an index its children's, keyed as in describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SbomSubject {
    pub digest: String,
    pub media_type: String,
    pub sbom: Vec<Package>,
    pub sbom_sources: Vec<SbomSource>,
    /// As in describe: distinct packages listed without a purl.
    #[serde(default)]
    pub sbom_packages_without_purl: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<IndexMap<String, SbomSubject>>,
    /// As in describe: why this manifest could not be read; absent when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A package URL from an SBOM and every document it was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    #[serde(flatten)]
    pub purl: Purl,
    pub sources: Vec<PackageSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSource {
    pub format: SbomFormat,
    pub convention: Convention,
    /// The manifest that carries the SBOM (referrer, cosign tag, attestation manifest).
    /// Shared by every package of the document, as is `document`.
    #[serde(with = "shared_text")]
    pub manifest: Arc<str>,
    /// The SBOM blob.
    #[serde(with = "shared_text")]
    pub document: Arc<str>,
}

/// An `Arc<str>` as a JSON string.
mod shared_text {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(text: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(deserializer).map(Arc::from)
    }
}

/// One place that can hold SBOMs, and what it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomSource {
    pub convention: Convention,
    pub location: String,
    pub outcome: Outcome,
    pub manifest: Option<String>,
    pub document: Option<String>,
    pub media_type: Option<String>,
    pub format: Option<SbomFormat>,
    pub spec_version: Option<String>,
    pub predicate_type: Option<String>,
    pub envelopes: Vec<String>,
    pub packages: Option<usize>,
    pub packages_without_purl: Option<usize>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SbomFormat {
    Spdx,
    #[serde(rename = "cyclonedx")]
    CycloneDx,
    Syft,
}

/// One package URL, split into parts. Always keeps the raw string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purl {
    /// The string exactly as the SBOM holds it.
    pub purl: String,
    /// "pkg" when the string has the purl scheme. This and the type are most often
    /// constants, not allocated for each of the many purls of an SBOM.
    pub scheme: Option<Cow<'static, str>>,
    #[serde(rename = "type")]
    pub purl_type: Option<Cow<'static, str>>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    #[serde(default)]
    pub qualifiers: Qualifiers,
    pub subpath: Option<String>,
    /// Set when the packageurl crate rejected the string; the parts are then a best-effort
    /// split by hand (or None), never invented.
    pub warning: Option<String>,
}

impl Purl {
    /// A purl string that could not be split at all: only the raw string is known.
    pub fn unsplit(raw: &str) -> Purl {
        Purl {
            purl: raw.to_string(),
            scheme: None,
            purl_type: None,
            namespace: None,
            name: None,
            version: None,
            qualifiers: Qualifiers::default(),
            subpath: None,
            warning: None,
        }
    }
}

/// A purl's qualifiers by key, in key order; a JSON object in the output. A sorted list
/// rather than a `BTreeMap`, whose first node takes over 500 bytes for every purl that has
/// a qualifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Qualifiers(Vec<(String, String)>);

impl Qualifiers {
    pub fn get(&self, key: &str) -> Option<&String> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    /// Sets `key` to `value`, replacing the value it had.
    pub fn insert(&mut self, key: String, value: String) {
        match self.position(&key) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// In key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(key, value)| (key, value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(key, _)| key)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }
}

/// A key given twice keeps its last value, as a map collected the same way does.
impl FromIterator<(String, String)> for Qualifiers {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        // Sized by the iterator's hint: `collect` would make room for at least four.
        let pairs = pairs.into_iter();
        let mut list = Vec::with_capacity(pairs.size_hint().0);
        list.extend(pairs);
        Qualifiers::from(list)
    }
}

/// The pairs in key order, in their own allocation; a key given twice keeps its last
/// value, as a map collected the same way does.
impl From<Vec<(String, String)>> for Qualifiers {
    fn from(mut pairs: Vec<(String, String)>) -> Self {
        pairs.sort_by(|(a, _), (b, _)| a.cmp(b));
        // Of a run of equal keys the first stays, holding the last value.
        pairs.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        Qualifiers(pairs)
    }
}

/// The value of a key that is there; panics otherwise, as a map does.
impl std::ops::Index<&str> for Qualifiers {
    type Output = String;

    fn index(&self, key: &str) -> &String {
        self.get(key)
            .unwrap_or_else(|| panic!("no qualifier {key:?}"))
    }
}

impl Serialize for Qualifiers {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Qualifiers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(deserializer)?;
        Ok(Qualifiers(map.into_iter().collect()))
    }
}

/// How an SBOM was attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Convention {
    ReferrersApi,
    ReferrersTag,
    CosignSbomTag,
    CosignAttestationTag,
    BuildkitAttestation,
}

/// What one place that can hold SBOMs held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An SBOM was found and parsed.
    Found,
    /// The place exists or was listed, and holds no SBOM.
    NoneFound,
    /// The place does not exist (no such tag, no referrers API).
    Absent,
    /// An attestation or referrer that is not an SBOM (provenance, a signature).
    NotAnSbom,
    /// The place could not be read, or what it held could not be parsed (`detail` says
    /// why); the other places are still shown.
    Error,
    /// The list was cut short: more referrers than ocx reads (`detail` says where).
    Truncated,
}

impl SbomReport {
    /// The SBOM view of a description: each manifest's packages and sources, nothing else.
    pub fn from_description(description: Description) -> SbomReport {
        SbomReport {
            schema_version: SCHEMA_VERSION,
            failures: description.failures,
            subject: SbomSubject::from_described(description.manifest),
            reference: description.reference,
            resolved: description.resolved,
        }
    }
}

impl SbomSubject {
    /// Moves the packages out of the description rather than copying them.
    fn from_described(described: ManifestInfo) -> SbomSubject {
        SbomSubject {
            digest: described.descriptor.digest,
            media_type: described.media_type.value,
            sbom: described.sbom.unwrap_or_default(),
            sbom_sources: described.sbom_sources.unwrap_or_default(),
            sbom_packages_without_purl: described.sbom_packages_without_purl.unwrap_or_default(),
            manifests: described.manifests.map(|children| {
                children
                    .into_iter()
                    .map(|(k, v)| (k, SbomSubject::from_described(v)))
                    .collect()
            }),
            error: described.error,
        }
    }
}

impl SbomFormat {
    /// The name the schema uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SbomFormat::Spdx => "spdx",
            SbomFormat::CycloneDx => "cyclonedx",
            SbomFormat::Syft => "syft",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_are_a_map_in_key_order() {
        let qualifiers: Qualifiers = [("distro", "alpine"), ("arch", "x86"), ("distro", "debian")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(qualifiers.len(), 2);
        assert_eq!(qualifiers.get("distro").map(String::as_str), Some("debian"));
        assert_eq!(qualifiers.get("epoch"), None);
        let json = serde_json::to_string(&qualifiers).unwrap();
        assert_eq!(json, r#"{"arch":"x86","distro":"debian"}"#);
        let back: Qualifiers = serde_json::from_str(&json).unwrap();
        assert_eq!(back, qualifiers);
        assert_eq!(serde_json::to_string(&Qualifiers::default()).unwrap(), "{}");
    }

    #[test]
    fn format_names_are_the_schemas() {
        for format in [SbomFormat::Spdx, SbomFormat::CycloneDx, SbomFormat::Syft] {
            assert_eq!(
                serde_json::to_value(format).unwrap(),
                serde_json::Value::from(format.as_str())
            );
        }
    }
}
