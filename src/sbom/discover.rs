//! Finding the SBOMs attached to a manifest, by every convention in use:
//!
//! 1. OCI 1.1 referrers: the referrers API, or on registries without it the referrers
//!    tag schema (`<alg>-<hex>`, an index);
//! 2. cosign's tags in the same repository (or `COSIGN_REPOSITORY`): `sha256-<hex>.sbom`
//!    and `sha256-<hex>.att` (DSSE envelopes of in-toto statements) — how ko attaches
//!    SBOMs;
//! 3. BuildKit attestation manifests inside the parent index.
//!
//! Every request of a subject's conventions goes out at once; each chain (list, then
//! manifests, then blobs) proceeds as soon as its answer arrives. What needs no subject
//! goes out beside the read's first request: the repository's tag list, when short,
//! answers every tag convention without a probe per manifest, and one referrers
//! request tells whether the API exists; a 404 from the API for one subject stops the
//! others from asking. What is decided is
//! decided from the manifests and layers themselves, not from index entries, which
//! clients write and can get wrong.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::Result;
use bytes::Bytes;
use futures_util::future::join_all;

use super::parse::{is_sbom_predicate_type, parse_document, NotAnSbom, ParsedSbom};
use crate::digest::Digest;
use crate::manifest::{annotations, Descriptor, Manifest};
use crate::model::{Convention, Outcome};
use crate::reference::ManifestRef;
use crate::source::{FetchedManifest, Referrers, Source};

/// Referrers followed per subject at the most (containers/image uses the same bound).
pub const MAX_REFERRERS: usize = 64;
/// SBOM blobs larger than this are refused unless `--max-sbom-size` says otherwise.
pub const DEFAULT_MAX_SBOM_BYTES: u64 = 64 * 1024 * 1024;

/// One SBOM document, parsed.
#[derive(Debug, Clone)]
pub struct Document {
    pub convention: Convention,
    /// The manifest that carries the document (referrer, cosign tag, attestation).
    pub manifest: Digest,
    pub layer: Descriptor,
    /// The document as stored, kept only when the discoverer was asked to (`--raw`).
    pub bytes: Option<Bytes>,
    pub parsed: ParsedSbom,
}

/// One place looked at, and what it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub convention: Convention,
    /// The API path, tag or manifest looked at.
    pub location: String,
    pub outcome: Outcome,
    pub manifest: Option<Digest>,
    pub document: Option<Digest>,
    /// For an attestation that is not an SBOM: its in-toto predicate type.
    pub predicate_type: Option<String>,
    pub detail: Option<String>,
}

/// A manifest found to refer to the subject, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub convention: Convention,
    /// Media type, digest, size and artifact type (as a referrers list gives them).
    pub descriptor: Descriptor,
}

/// Everything found for one subject.
#[derive(Debug, Clone, Default)]
pub struct Attached {
    pub documents: Vec<Document>,
    pub checks: Vec<Check>,
    /// Every manifest that refers to the subject, whatever it holds.
    pub referrals: Vec<Referral>,
}

impl Attached {
    pub fn absorb(&mut self, other: Attached) {
        self.documents.extend(other.documents);
        self.checks.extend(other.checks);
        self.referrals.extend(other.referrals);
    }

    /// A place that could not be read, or held what could not be parsed: recorded, so
    /// that what was read elsewhere is still shown.
    fn failed(convention: Convention, location: String, error: &anyhow::Error) -> Attached {
        let mut failed = Attached::check(convention, location, Outcome::Error);
        failed.checks[0].detail = Some(format!("{error:#}"));
        failed
    }

    fn check(convention: Convention, location: String, outcome: Outcome) -> Attached {
        Attached {
            checks: vec![Check {
                convention,
                location,
                outcome,
                manifest: None,
                document: None,
                predicate_type: None,
                detail: None,
            }],
            ..Attached::default()
        }
    }

    fn referred_by(convention: Convention, descriptor: Descriptor) -> Attached {
        Attached {
            referrals: vec![Referral {
                convention,
                descriptor,
            }],
            ..Attached::default()
        }
    }
}

/// A repository's tag list is read for discovery when it comes in at most this many
/// pages of at most [`TAG_LIST_MAX_PAGE_BYTES`] (about 13,000 cosign tags); a longer one
/// is not read, and each tag is asked for instead.
pub const TAG_LIST_MAX_PAGES: usize = 2;
pub const TAG_LIST_MAX_PAGE_BYTES: u64 = 1024 * 1024;

/// The subject of the referrers request that tells, beside the first request of a read,
/// whether the registry has the referrers API: the digest of `{}`, OCI's empty
/// descriptor. A registry with the API answers 200 for any well-formed digest.
const PROBE_SUBJECT: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/// A repository's tags, read once per discoverer; `None` inside when the list was too
/// long or could not be read, and each tag is then asked for.
type TagList = Arc<tokio::sync::OnceCell<Option<HashSet<String>>>>;

pub struct Discoverer {
    source: Arc<dyn Source>,
    /// Where cosign's tags live: the subject's repository or `COSIGN_REPOSITORY`.
    cosign: Arc<dyn Source>,
    max_sbom_bytes: u64,
    keep_bytes: bool,
    /// Whether the source has the referrers API. Until something has told, one subject
    /// asks and the others wait for its answer: a registry that answers 404 does not
    /// have the API (distribution spec), so it is not asked again for the others.
    referrers_api: tokio::sync::OnceCell<bool>,
    /// Where the referrers tags (`sha256-<hex>`) are looked up.
    source_tags: TagList,
    /// Where cosign's tags are looked up (the same list when it is the same repository).
    cosign_tags: TagList,
}

impl Discoverer {
    pub fn new(source: Arc<dyn Source>, cosign: Arc<dyn Source>, max_sbom_bytes: u64) -> Self {
        let source_tags = TagList::default();
        let cosign_tags = if cosign.location() == source.location() {
            Arc::clone(&source_tags)
        } else {
            TagList::default()
        };
        Discoverer {
            source,
            cosign,
            max_sbom_bytes,
            keep_bytes: false,
            referrers_api: tokio::sync::OnceCell::new(),
            source_tags,
            cosign_tags,
        }
    }

    /// Asks what needs no subject, so that it goes out beside the read's first request:
    /// the tag lists, and whether the referrers API exists.
    pub async fn prepare(&self) {
        tokio::join!(
            self.tags(&self.source, &self.source_tags),
            self.tags(&self.cosign, &self.cosign_tags),
            self.probe_referrers_api(),
        );
    }

    /// Only a yes is believed: a registry may have the API and still answer 404 for a
    /// subject it does not hold, so a no is left for a real subject to tell.
    async fn probe_referrers_api(&self) {
        let subject: Digest = PROBE_SUBJECT.parse().expect("a well-formed digest");
        if let Ok(true) = self.source.referrers_answered(&subject).await {
            let _ = self.referrers_api.set(true);
        }
    }

    async fn tags<'a>(
        &self,
        source: &Arc<dyn Source>,
        list: &'a TagList,
    ) -> Option<&'a HashSet<String>> {
        list.get_or_init(|| async {
            let listed = source
                .tag_list_if_small(TAG_LIST_MAX_PAGES, TAG_LIST_MAX_PAGE_BYTES)
                .await;
            // A list refused or unreadable costs nothing but the probes it would save.
            listed.ok().flatten().map(|tags| tags.into_iter().collect())
        })
        .await
        .as_ref()
    }

    /// Whether `tag` may exist: false only when a tag list was read and lacks it.
    async fn may_have_tag(&self, source: &Arc<dyn Source>, list: &TagList, tag: &str) -> bool {
        self.tags(source, list)
            .await
            .is_none_or(|tags| tags.contains(tag))
    }

    /// The referrers of `subject` from the API, or `None` when the source has none; one
    /// subject's answer decides for all (see [`Discoverer::referrers_api`]).
    async fn referrers_listed(&self, subject: &Digest) -> Result<Option<Referrers>> {
        let mut answered = None;
        let has_api = self
            .referrers_api
            .get_or_try_init(|| async {
                let listed = self.source.referrers_list(subject, None).await?;
                let has_api = listed.is_some();
                answered = Some(listed);
                anyhow::Ok(has_api)
            })
            .await?;
        match (answered, has_api) {
            (Some(listed), _) => Ok(listed),
            (None, true) => self.source.referrers_list(subject, None).await,
            (None, false) => Ok(None),
        }
    }

    /// Keeps each document's bytes as stored, besides what was parsed from them; without
    /// this they are dropped once parsed.
    pub fn keeping_bytes(mut self, keep: bool) -> Self {
        self.keep_bytes = keep;
        self
    }

    /// Every SBOM attached to `subject`; `attestations` are the BuildKit attestation
    /// manifests of the parent index that refer to it.
    ///
    /// Whatever cannot be read is recorded as a check with outcome `error`, never fatal:
    /// one broken attachment must not hide the others.
    pub async fn attached(&self, subject: &Digest, attestations: &[Descriptor]) -> Attached {
        let (referrers, sbom_tag, att_tag, buildkit) = tokio::join!(
            self.referrers(subject),
            self.cosign_tag(subject, "sbom", Convention::CosignSbomTag),
            self.cosign_tag(subject, "att", Convention::CosignAttestationTag),
            self.attestations(attestations),
        );
        let mut all = Attached::default();
        for part in [referrers, sbom_tag, att_tag, buildkit] {
            all.absorb(part);
        }
        all
    }

    async fn referrers(&self, subject: &Digest) -> Attached {
        let location = format!("{}@{subject}", self.source.location());
        let listed = match self.referrers_listed(subject).await {
            Ok(listed) => listed,
            Err(e) => return Attached::failed(Convention::ReferrersApi, location, &e),
        };
        let mut all = Attached::default();
        let (convention, referrers, location) = match listed {
            Some(list) => {
                if let Some(cut) = &list.cut {
                    let mut truncated = Attached::check(
                        Convention::ReferrersApi,
                        location.clone(),
                        Outcome::Truncated,
                    );
                    truncated.checks[0].detail = Some(cut.clone());
                    all.absorb(truncated);
                }
                (Convention::ReferrersApi, list.manifests, location)
            }
            None => {
                all.absorb(Attached::check(
                    Convention::ReferrersApi,
                    location.clone(),
                    Outcome::Absent,
                ));
                let tag = crate::source::fallback_tag(subject);
                let tag_location = format!("{}:{tag}", self.source.location());
                if !self
                    .may_have_tag(&self.source, &self.source_tags, &tag)
                    .await
                {
                    all.absorb(Attached::check(
                        Convention::ReferrersTag,
                        tag_location,
                        Outcome::Absent,
                    ));
                    return all;
                }
                match self.source.manifest_probe(&ManifestRef::Tag(tag)).await {
                    Ok(Some(fetched)) => match fetched.manifest {
                        Manifest::Index(index) => {
                            (Convention::ReferrersTag, index.manifests, tag_location)
                        }
                        Manifest::Image(_) => {
                            all.absorb(Attached::check(
                                Convention::ReferrersTag,
                                tag_location,
                                Outcome::NotAnSbom,
                            ));
                            return all;
                        }
                    },
                    Ok(None) => {
                        all.absorb(Attached::check(
                            Convention::ReferrersTag,
                            tag_location,
                            Outcome::Absent,
                        ));
                        return all;
                    }
                    Err(e) => {
                        all.absorb(Attached::failed(Convention::ReferrersTag, tag_location, &e));
                        return all;
                    }
                }
            }
        };
        // Some registries list a referrer more than once.
        let mut referrers = referrers;
        let mut seen = std::collections::HashSet::new();
        referrers.retain(|r| seen.insert(r.digest.clone()));
        for referrer in &referrers {
            all.absorb(Attached::referred_by(convention, referrer.clone()));
        }
        if referrers.is_empty() {
            all.absorb(Attached::check(convention, location, Outcome::NoneFound));
            return all;
        }
        let followed = referrers
            .iter()
            .take(MAX_REFERRERS)
            .map(|referrer| self.listed_manifest(convention, &referrer.digest));
        for part in join_all(followed).await {
            all.absorb(part);
        }
        if referrers.len() > MAX_REFERRERS {
            let mut skipped = Attached::check(convention, location, Outcome::NoneFound);
            skipped.checks[0].detail = Some(format!(
                "{} referrers listed; only the first {MAX_REFERRERS} were followed",
                referrers.len()
            ));
            all.absorb(skipped);
        }
        all
    }

    /// Reads a manifest a referrers list or an index of attestations names, and the SBOMs
    /// in it; a manifest listed but not there is recorded as an error.
    async fn listed_manifest(&self, convention: Convention, digest: &Digest) -> Attached {
        let reference = ManifestRef::Digest(digest.clone());
        let location = reference.qualify(&self.source.location());
        match self.manifest(&self.source, &reference).await {
            Ok(fetched) => self.examine(convention, &fetched, location).await,
            Err(e) => {
                let mut failed = Attached::failed(convention, location, &e);
                failed.checks[0].manifest = Some(digest.clone());
                failed
            }
        }
    }

    async fn cosign_tag(&self, subject: &Digest, suffix: &str, convention: Convention) -> Attached {
        let tag = format!("{}-{}.{suffix}", subject.algorithm().name(), subject.hex());
        let location = format!("{}:{tag}", self.cosign.location());
        if !self
            .may_have_tag(&self.cosign, &self.cosign_tags, &tag)
            .await
        {
            return Attached::check(convention, location, Outcome::Absent);
        }
        match self.cosign.manifest_probe(&ManifestRef::Tag(tag)).await {
            Ok(Some(fetched)) => {
                let mut found = self.examine(convention, &fetched, location).await;
                let d = &fetched.descriptor;
                let mut descriptor =
                    Descriptor::new(d.media_type.clone(), d.digest.clone(), d.size);
                descriptor.artifact_type = fetched.manifest.referrer_artifact_type();
                found.absorb(Attached::referred_by(convention, descriptor));
                found
            }
            Ok(None) => Attached::check(convention, location, Outcome::Absent),
            Err(e) => Attached::failed(convention, location, &e),
        }
    }

    /// Reads BuildKit attestation manifests.
    pub async fn attestations(&self, attestations: &[Descriptor]) -> Attached {
        let examined = attestations
            .iter()
            .map(|d| self.listed_manifest(Convention::BuildkitAttestation, &d.digest));
        let mut all = Attached::default();
        for descriptor in attestations {
            let listed = Descriptor::new(
                descriptor.media_type.clone(),
                descriptor.digest.clone(),
                descriptor.size,
            );
            all.absorb(Attached::referred_by(
                Convention::BuildkitAttestation,
                listed,
            ));
        }
        for part in join_all(examined).await {
            all.absorb(part);
        }
        all
    }

    /// cosign's manifests and blobs live where its tags do.
    fn source_of(&self, convention: Convention) -> &Arc<dyn Source> {
        match convention {
            Convention::CosignSbomTag | Convention::CosignAttestationTag => &self.cosign,
            _ => &self.source,
        }
    }

    async fn manifest(
        &self,
        source: &Arc<dyn Source>,
        reference: &ManifestRef,
    ) -> Result<FetchedManifest> {
        source.manifest_get(reference).await
    }

    /// Reads the SBOM layers of a referrer, cosign or attestation manifest.
    async fn examine(
        &self,
        convention: Convention,
        fetched: &FetchedManifest,
        location: String,
    ) -> Attached {
        let manifest_digest = fetched.descriptor.digest.clone();
        let layers = match &fetched.manifest {
            Manifest::Image(image) if !is_signature(&fetched.manifest) => image.layers.clone(),
            _ => {
                let mut skip = Attached::check(convention, location, Outcome::NotAnSbom);
                skip.checks[0].manifest = Some(manifest_digest);
                skip.checks[0].detail = fetched.manifest.referrer_artifact_type();
                return skip;
            }
        };
        let candidates: Vec<&Descriptor> = layers.iter().filter(|l| may_hold_sbom(l)).collect();
        let mut all = Attached::default();
        for (layer, predicate_type) in layers.iter().filter_map(non_sbom_attestation) {
            let mut noted = Attached::check(convention, location.clone(), Outcome::NotAnSbom);
            let check = &mut noted.checks[0];
            check.manifest = Some(manifest_digest.clone());
            check.document = Some(layer.digest.clone());
            check.detail = Some(format!(
                "an in-toto attestation of predicate type {predicate_type}, not an SBOM"
            ));
            check.predicate_type = Some(predicate_type.to_string());
            all.absorb(noted);
        }
        if candidates.is_empty() && !all.checks.is_empty() {
            return all;
        }
        if candidates.is_empty() {
            let mut none = Attached::check(convention, location, Outcome::NotAnSbom);
            none.checks[0].manifest = Some(manifest_digest);
            none.checks[0].detail = fetched.manifest.referrer_artifact_type();
            return none;
        }
        let read = candidates
            .into_iter()
            .map(|layer| self.document(convention, &manifest_digest, layer, location.clone()));
        for part in join_all(read).await {
            all.absorb(part);
        }
        all
    }

    async fn document(
        &self,
        convention: Convention,
        manifest: &Digest,
        layer: &Descriptor,
        location: String,
    ) -> Attached {
        let mut check = Check {
            convention,
            location,
            outcome: Outcome::Found,
            manifest: Some(manifest.clone()),
            document: Some(layer.digest.clone()),
            predicate_type: None,
            detail: None,
        };
        let bytes = match self
            .source_of(convention)
            .blob_get(layer, self.max_sbom_bytes)
            .await
        {
            Ok(bytes) => bytes,
            Err(e) => {
                check.outcome = Outcome::Error;
                check.detail = Some(self.unreadable_blob(manifest, layer, &e));
                return Attached {
                    checks: vec![check],
                    ..Attached::default()
                };
            }
        };
        match parse_document(&bytes, Some(&layer.media_type)) {
            Ok(parsed) => Attached {
                documents: vec![Document {
                    convention,
                    manifest: manifest.clone(),
                    layer: layer.clone(),
                    bytes: self.keep_bytes.then_some(bytes),
                    parsed,
                }],
                checks: vec![check],
                ..Attached::default()
            },
            // An envelope is only known to hold an SBOM once opened: one that holds
            // provenance or anything else is noted, not an error.
            Err(e) if is_envelope(&layer.media_type) => {
                check.outcome = Outcome::NotAnSbom;
                check.detail = Some(format!("{e:#}"));
                check.predicate_type = e
                    .downcast_ref::<NotAnSbom>()
                    .map(|n| n.predicate_type.clone());
                Attached {
                    checks: vec![check],
                    ..Attached::default()
                }
            }
            Err(e) => {
                check.outcome = Outcome::Error;
                check.detail = Some(format!(
                    "parsing SBOM blob {} ({}) of manifest {manifest}: {e:#}",
                    layer.digest, layer.media_type
                ));
                Attached {
                    checks: vec![check],
                    ..Attached::default()
                }
            }
        }
    }

    /// Why an SBOM blob could not be read, with the flag that helps when one does.
    fn unreadable_blob(
        &self,
        manifest: &Digest,
        layer: &Descriptor,
        error: &anyhow::Error,
    ) -> String {
        let hint = if layer.size > self.max_sbom_bytes {
            " (raise the limit with --max-sbom-size)"
        } else {
            ""
        };
        format!(
            "reading SBOM blob {} of manifest {manifest}: {error:#}{hint}",
            layer.digest
        )
    }
}

const SBOM_MEDIA_TYPES: [&str; 7] = [
    "application/spdx+json",
    "text/spdx+json",
    "text/spdx",
    "application/vnd.cyclonedx+json",
    "application/vnd.cyclonedx+xml",
    "application/vnd.cyclonedx",
    "application/vnd.syft+json",
];

const ENVELOPE_MEDIA_TYPES: [&str; 3] = [
    "application/vnd.in-toto+json",
    "application/vnd.dsse.envelope.v1+json",
    "application/vnd.dev.sigstore.bundle",
];

const SIGNATURE_ARTIFACT_TYPES: [&str; 3] = [
    "application/vnd.dev.cosign.simplesigning.v1+json",
    "application/vnd.cncf.notary.signature",
    "application/vnd.dev.cosign.artifact.sig.v1+json",
];

/// Predicate-type annotations that let a layer be skipped without fetching it.
const PREDICATE_ANNOTATIONS: [&str; 3] = [
    annotations::IN_TOTO_PREDICATE_TYPE,
    "predicateType",
    "dev.sigstore.bundle.predicateType",
];

fn base_media_type(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or(media_type).trim()
}

fn is_envelope(media_type: &str) -> bool {
    let base = base_media_type(media_type);
    ENVELOPE_MEDIA_TYPES
        .iter()
        .any(|t| base == *t || (t.ends_with("bundle") && base.starts_with(t)))
}

fn is_signature(manifest: &Manifest) -> bool {
    manifest
        .referrer_artifact_type()
        .is_some_and(|t| is_signature_artifact_type(&t))
}

/// cosign's and Notary's signature artifact types.
pub fn is_signature_artifact_type(artifact_type: &str) -> bool {
    SIGNATURE_ARTIFACT_TYPES.contains(&artifact_type)
}

/// An envelope layer whose predicate-type annotation names something other than an SBOM
/// (`cosign attest --type slsaprovenance` writes `predicateType`), with that type.
fn non_sbom_attestation(layer: &Descriptor) -> Option<(&Descriptor, &str)> {
    if !is_envelope(&layer.media_type) {
        return None;
    }
    let predicate = PREDICATE_ANNOTATIONS
        .iter()
        .find_map(|key| layer.annotation(key))?;
    (!is_sbom_predicate_type(predicate)).then_some((layer, predicate))
}

/// Whether a layer is an SBOM, or an envelope whose predicate may be one.
fn may_hold_sbom(layer: &Descriptor) -> bool {
    let media_type = base_media_type(&layer.media_type);
    if SBOM_MEDIA_TYPES.contains(&media_type) {
        return true;
    }
    if !is_envelope(media_type) {
        return false;
    }
    let predicate = PREDICATE_ANNOTATIONS
        .iter()
        .find_map(|key| layer.annotation(key));
    predicate.is_none_or(is_sbom_predicate_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(media_type: &str, predicate: Option<&str>) -> Descriptor {
        let mut d = Descriptor::new(media_type, Digest::sha256_of(b"x"), 1);
        d.annotations = predicate.map(|p| {
            [(
                annotations::IN_TOTO_PREDICATE_TYPE.to_string(),
                p.to_string(),
            )]
            .into()
        });
        d
    }

    #[test]
    fn layers_are_chosen_by_media_type_and_predicate() {
        assert!(may_hold_sbom(&layer("text/spdx+json", None)));
        assert!(may_hold_sbom(&layer(
            "application/vnd.cyclonedx+json",
            None
        )));
        assert!(may_hold_sbom(&layer(
            "application/vnd.in-toto+json",
            Some("https://spdx.dev/Document/v2.3")
        )));
        assert!(!may_hold_sbom(&layer(
            "application/vnd.in-toto+json",
            Some("https://slsa.dev/provenance/v0.2")
        )));
        assert!(may_hold_sbom(&layer(
            "application/vnd.dsse.envelope.v1+json",
            None
        )));
        assert!(may_hold_sbom(&layer(
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            None
        )));
        assert!(may_hold_sbom(&layer(
            "application/vnd.dev.sigstore.bundle+json;version=0.3",
            None
        )));
        assert!(!may_hold_sbom(&layer(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            None
        )));
    }
}
