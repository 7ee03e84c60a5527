//! Builds the output model from a walked manifest tree. Pure: no I/O.

use std::collections::{BTreeMap, HashMap, HashSet};

use indexmap::IndexMap;

use super::discovery::Findings;
use crate::digest::Digest;
use crate::manifest::{
    annotations, is_image_config_media_type, is_image_media_type, is_index_media_type, Descriptor,
    History, ImageConfig, Manifest, Platform, OCI_EMPTY,
};
use crate::model::{
    Attestation, Build, BuildSource, BuildValue, ConfigInfo, Description, DescriptorInfo,
    HealthcheckInfo, HistoryEntry, ManifestInfo, MediaType, OtherBuildValue, Package,
    PackageSource, PlatformInfo, Referrer, ReferrerKind, RootFsInfo, SbomSource, SCHEMA_VERSION,
};
use crate::platform;
use crate::read::walk::Node;
use crate::sbom::discover::{is_signature_artifact_type, Attached, Document, Referral};

/// Describes a walked tree; `reference` is what the user typed, `resolved` the canonical
/// `location@digest`, `sboms` what SBOM discovery found (None when it was skipped), whose
/// packages move into the description.
pub fn describe(
    reference: &str,
    resolved: String,
    root: &Node,
    sboms: Option<Findings>,
) -> Description {
    let mut sboms = sboms.map(|findings| Subjects::new(findings, root));
    let manifest = described(root, sboms.as_mut());
    Description {
        schema_version: SCHEMA_VERSION,
        reference: reference.to_string(),
        resolved,
        failures: manifest.failures().len(),
        manifest,
    }
}

/// What SBOM discovery found, handed out per subject: moved out at the last place the tree
/// names the subject, copied before that.
struct Subjects {
    findings: Findings,
    uses_left: HashMap<Digest, usize>,
}

impl Subjects {
    fn new(findings: Findings, root: &Node) -> Subjects {
        let mut uses_left = HashMap::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            *uses_left.entry(node.descriptor.digest.clone()).or_default() += 1;
            stack.extend(node.children.iter());
        }
        Subjects {
            findings,
            uses_left,
        }
    }

    fn take(&mut self, digest: &Digest) -> Attached {
        let left = self.uses_left.get_mut(digest).map(|left| {
            *left = left.saturating_sub(1);
            *left
        });
        match left {
            Some(0) | None => self.findings.remove(digest),
            Some(_) => self.findings.get(digest).cloned(),
        }
        .unwrap_or_default()
    }
}

fn described(node: &Node, mut sboms: Option<&mut Subjects>) -> ManifestInfo {
    let media_type = &node.descriptor.media_type;
    let mut out = ManifestInfo {
        media_type: MediaType {
            value: media_type.clone(),
            is_image: is_image_media_type(media_type),
            is_index: is_index_media_type(media_type),
        },
        descriptor: descriptor_info(&node.descriptor),
        origin: node
            .descriptor
            .annotation(annotations::OCX_ORIGIN)
            .map(str::to_string),
        artifact_type: match &node.manifest {
            Some(manifest) => manifest.artifact_type().map(str::to_string),
            // Unread, the index entry's claim is all there is.
            None => node.descriptor.artifact_type.clone(),
        },
        derived_artifact_type: node.manifest.as_ref().and_then(derived_artifact_type),
        annotations: node
            .manifest
            .as_ref()
            .and_then(Manifest::annotations)
            .cloned()
            .unwrap_or_default(),
        subject: node
            .manifest
            .as_ref()
            .and_then(Manifest::subject)
            .map(descriptor_info),
        config: None,
        layers: None,
        manifests: None,
        attestations: None,
        total_size: total_size(node),
        build: Build::default(),
        sbom: None,
        sbom_sources: None,
        referrers: None,
        sbom_packages_without_purl: None,
        error: node.error.clone(),
    };
    if let Some(subjects) = sboms.as_deref_mut() {
        let mut attached = subjects.take(&node.descriptor.digest);
        out.sbom_sources = Some(sources(&attached));
        out.referrers = Some(referrers(&attached));
        out.sbom_packages_without_purl = Some(distinct_without_purl(&attached));
        out.sbom = Some(packages(&mut attached.documents));
    }
    match &node.manifest {
        None => {}
        Some(Manifest::Image(image)) => {
            out.layers = Some(image.layers.iter().map(descriptor_info).collect());
            out.config = node
                .config
                .as_ref()
                .map(|c| config_info(&c.descriptor, c.parsed.as_ref()));
        }
        Some(Manifest::Index(_)) => {
            let (manifests, attestations) = index_entries(&node.children, sboms);
            out.manifests = Some(manifests);
            out.attestations = Some(attestations);
        }
    }
    out.build = build_info(node, &out);
    out
}

/// The image spec's artifact type of a manifest without `artifactType`: its config's
/// media type, unless that is the empty config's.
fn derived_artifact_type(manifest: &Manifest) -> Option<String> {
    match manifest {
        Manifest::Image(image) if image.artifact_type.is_none() => {
            Some(image.config.media_type.clone()).filter(|t| t != OCI_EMPTY)
        }
        _ => None,
    }
}

pub fn descriptor_info(d: &Descriptor) -> DescriptorInfo {
    DescriptorInfo {
        media_type: d.media_type.clone(),
        digest: d.digest.to_string(),
        size: d.size,
        artifact_type: d.artifact_type.clone(),
        annotations: d.annotations.clone().unwrap_or_default(),
        platform: d.platform.as_ref().map(platform_info),
        urls: d.urls.clone(),
    }
}

fn platform_info(p: &Platform) -> PlatformInfo {
    PlatformInfo {
        os: p.os.clone(),
        architecture: p.architecture.clone(),
        variant: p.variant.clone(),
        os_version: p.os_version.clone(),
        os_features: p.os_features.clone(),
        features: p.features.clone(),
    }
}

fn config_info(descriptor: &Descriptor, config: Option<&ImageConfig>) -> ConfigInfo {
    let empty = ImageConfig::default();
    let c = config.unwrap_or(&empty);
    let runtime = c.config.clone().unwrap_or_default();
    let unknown_fields = (config.is_some() && is_image_config_media_type(&descriptor.media_type))
        .then(|| unknown_fields(c));
    ConfigInfo {
        descriptor: descriptor_info(descriptor),
        os: c.os.clone(),
        architecture: c.architecture.clone(),
        variant: c.variant.clone(),
        os_version: c.os_version.clone(),
        os_features: c.os_features.clone(),
        created: c.created.clone(),
        author: c.author.clone(),
        user: runtime.user,
        env: runtime.env,
        entrypoint: runtime.entrypoint,
        cmd: runtime.cmd,
        working_dir: runtime.working_dir,
        labels: runtime.labels,
        exposed_ports: runtime.exposed_ports.map(|p| p.into_keys().collect()),
        volumes: runtime.volumes.map(|v| v.into_keys().collect()),
        stop_signal: runtime.stop_signal,
        args_escaped: runtime.args_escaped,
        memory: runtime.memory,
        memory_swap: runtime.memory_swap,
        cpu_shares: runtime.cpu_shares,
        healthcheck: runtime.healthcheck.map(|h| HealthcheckInfo {
            test: h.test,
            interval: h.interval,
            timeout: h.timeout,
            start_period: h.start_period,
            start_interval: h.start_interval,
            retries: h.retries,
        }),
        on_build: runtime.on_build,
        shell: runtime.shell,
        rootfs: c.rootfs.clone().map(|r| RootFsInfo {
            kind: r.kind,
            diff_ids: r.diff_ids,
        }),
        history: c
            .history
            .as_ref()
            .map(|h| h.iter().map(history_entry).collect()),
        unknown_fields,
    }
}

/// The config's fields the model has no key for, those of the runtime config under
/// `config`.
fn unknown_fields(config: &ImageConfig) -> BTreeMap<String, serde_json::Value> {
    let mut unknown = config.other.clone();
    if let Some(runtime) = config.config.as_ref().filter(|r| !r.other.is_empty()) {
        let runtime_unknown = runtime.other.clone().into_iter().collect();
        unknown.insert("config".into(), serde_json::Value::Object(runtime_unknown));
    }
    unknown
}

fn history_entry(h: &History) -> HistoryEntry {
    HistoryEntry {
        created: h.created.clone(),
        created_by: h.created_by.clone(),
        author: h.author.clone(),
        comment: h.comment.clone(),
        empty_layer: h.empty_layer.unwrap_or(false),
    }
}

/// Splits an index's children into the platform map and BuildKit attestations.
fn index_entries(
    children: &[Node],
    mut sboms: Option<&mut Subjects>,
) -> (IndexMap<String, ManifestInfo>, Vec<Attestation>) {
    let descriptors: Vec<Descriptor> = children.iter().map(|c| c.descriptor.clone()).collect();
    let mut manifests = IndexMap::new();
    let mut attestation_nodes = Vec::new();
    for (child, key) in children.iter().zip(platform::entry_keys(&descriptors)) {
        match key {
            Some(key) => {
                manifests.insert(key, described(child, sboms.as_deref_mut()));
            }
            None => attestation_nodes.push(child),
        }
    }
    let attestations = attestation_nodes
        .into_iter()
        .map(|node| attestation(node, &manifests))
        .collect();
    (manifests, attestations)
}

fn attestation(node: &Node, manifests: &IndexMap<String, ManifestInfo>) -> Attestation {
    let refers_to = node
        .descriptor
        .annotation(annotations::DOCKER_REFERENCE_DIGEST)
        .map(str::to_string);
    let refers_to_platform = refers_to.as_ref().and_then(|digest| {
        manifests
            .iter()
            .find(|(_, m)| &m.descriptor.digest == digest)
            .map(|(k, _)| k.clone())
    });
    let layers = match &node.manifest {
        Some(Manifest::Image(image)) => image.layers.clone(),
        _ => Vec::new(),
    };
    Attestation {
        descriptor: descriptor_info(&node.descriptor),
        refers_to,
        refers_to_platform,
        predicate_types: layers
            .iter()
            .filter_map(|l| l.annotation(annotations::IN_TOTO_PREDICATE_TYPE))
            .map(str::to_string)
            .collect(),
        layers: layers.iter().map(descriptor_info).collect(),
    }
}

/// Bytes of every distinct manifest and blob in the tree.
fn total_size(node: &Node) -> u64 {
    let mut seen = HashSet::new();
    let mut total = 0;
    let mut count = |d: &Descriptor| {
        if seen.insert(d.digest.clone()) {
            total += d.size;
        }
    };
    visit(node, &mut count);
    total
}

fn visit(node: &Node, count: &mut impl FnMut(&Descriptor)) {
    count(&node.descriptor);
    if let Some(Manifest::Image(image)) = &node.manifest {
        count(&image.config);
        image.layers.iter().for_each(&mut *count);
    }
    for child in &node.children {
        visit(child, count);
    }
}

/// Picks one field of [`Build`].
type BuildField = fn(&mut Build) -> &mut Option<BuildValue>;

/// The annotation (or label) each build field is read from.
const BUILD_KEYS: [(&str, BuildField); 13] = [
    ("org.opencontainers.image.source", |b| &mut b.source),
    ("org.opencontainers.image.revision", |b| &mut b.revision),
    ("org.opencontainers.image.version", |b| &mut b.version),
    ("org.opencontainers.image.created", |b| &mut b.created),
    ("org.opencontainers.image.authors", |b| &mut b.authors),
    ("org.opencontainers.image.url", |b| &mut b.url),
    ("org.opencontainers.image.documentation", |b| {
        &mut b.documentation
    }),
    ("org.opencontainers.image.title", |b| &mut b.title),
    ("org.opencontainers.image.description", |b| {
        &mut b.description
    }),
    ("org.opencontainers.image.licenses", |b| &mut b.licenses),
    ("org.opencontainers.image.vendor", |b| &mut b.vendor),
    ("org.opencontainers.image.base.name", |b| &mut b.base_name),
    ("org.opencontainers.image.base.digest", |b| {
        &mut b.base_digest
    }),
];

/// Annotations first, then config labels, then the config's `created` and history. An
/// index's own annotations come first; for a field it lacks, the first platform child
/// with a value gives it, and the children's differing values are kept beside it.
fn build_info(node: &Node, out: &ManifestInfo) -> Build {
    let mut build = Build::default();
    let manifest_digest = node.descriptor.digest.to_string();
    fill_from_map(
        &mut build,
        &out.annotations,
        BuildSource::Annotation,
        &manifest_digest,
    );
    if let Some(config) = node.config.as_ref() {
        let config_digest = config.descriptor.digest.to_string();
        if let Some(parsed) = &config.parsed {
            if let Some(labels) = parsed.labels() {
                fill_from_map(&mut build, labels, BuildSource::Label, &config_digest);
            }
            if build.created.is_none() {
                build.created = parsed
                    .created
                    .clone()
                    .map(|value| own_value(value, BuildSource::Config, &config_digest, "created"));
            }
            build.builder = parsed
                .history
                .as_deref()
                .and_then(|h| builder_from_history(h, &config_digest));
        }
    }
    if let Some(children) = &out.manifests {
        fill_from_children(&mut build, children);
    }
    build
}

fn fill_from_map(
    build: &mut Build,
    map: &BTreeMap<String, String>,
    source: BuildSource,
    from: &str,
) {
    for (key, field) in BUILD_KEYS {
        let slot = field(build);
        if slot.is_some() {
            continue;
        }
        if let Some(value) = map.get(key).filter(|v| !v.is_empty()) {
            *slot = Some(own_value(value.clone(), source, from, key));
        }
    }
}

fn own_value(value: String, source: BuildSource, from: &str, key: &str) -> BuildValue {
    BuildValue {
        value,
        source,
        from: from.to_string(),
        key: key.to_string(),
        platform: None,
        other_values: Vec::new(),
    }
}

/// Fills the fields an index does not record itself from its children: the first
/// child's value, labelled with its key, and every other value the children have.
fn fill_from_children(build: &mut Build, children: &IndexMap<String, ManifestInfo>) {
    let fields = BUILD_KEYS
        .iter()
        .map(|(_, field)| *field)
        .chain([(|b| &mut b.builder) as BuildField]);
    let mut child_builds: Vec<(&String, Build)> = children
        .iter()
        .map(|(key, child)| (key, child.build.clone()))
        .collect();
    for field in fields {
        if field(build).is_some() {
            continue;
        }
        let found: Vec<OtherBuildValue> = child_builds
            .iter_mut()
            .filter_map(|(key, child)| Some(values_of(key, field(child).take()?)))
            .flatten()
            .collect();
        *field(build) = first_with_others(found);
    }
}

/// A child's value and the other values under it, as seen from its parent.
fn values_of(child_key: &str, value: BuildValue) -> Vec<OtherBuildValue> {
    let through = |platform: Option<String>| {
        Some(match platform {
            Some(inner) => format!("{child_key} > {inner}"),
            None => child_key.to_string(),
        })
    };
    let first = OtherBuildValue {
        value: value.value,
        source: value.source,
        from: value.from,
        key: value.key,
        platform: through(value.platform),
    };
    let others = value.other_values.into_iter().map(|o| OtherBuildValue {
        platform: through(o.platform.clone()),
        ..o
    });
    std::iter::once(first).chain(others).collect()
}

/// The first value, with each distinct other value once.
fn first_with_others(found: Vec<OtherBuildValue>) -> Option<BuildValue> {
    let mut found = found.into_iter();
    let first = found.next()?;
    let mut other_values: Vec<OtherBuildValue> = Vec::new();
    for other in found {
        let seen =
            other.value == first.value || other_values.iter().any(|o| o.value == other.value);
        if !seen {
            other_values.push(other);
        }
    }
    Some(BuildValue {
        value: first.value,
        source: first.source,
        from: first.from,
        key: first.key,
        platform: first.platform,
        other_values,
    })
}

/// Builders that sign their layers in the history: ko (`ko publish ko://IMPORTPATH`),
/// BuildKit (`buildkit.dockerfile.v0` comments), Jib and apko.
fn builder_from_history(history: &[History], config_digest: &str) -> Option<BuildValue> {
    history.iter().find_map(|entry| {
        let created_by = entry.created_by.as_deref().unwrap_or_default();
        let comment = entry.comment.as_deref().unwrap_or_default();
        let (value, key) = if let Some(path) = created_by.strip_prefix("ko publish ") {
            (format!("ko {}", path.trim()), "history.created_by")
        } else if comment.starts_with("buildkit.dockerfile") {
            ("buildkit".to_string(), "history.comment")
        } else if created_by.starts_with("jib-") || created_by.starts_with("apko") {
            (created_by.to_string(), "history.created_by")
        } else {
            return None;
        };
        Some(own_value(value, BuildSource::History, config_digest, key))
    })
}

/// The packages of one subject, moved out of its documents: duplicates merged with every
/// source kept in document order, ordered by purl.
fn packages(documents: &mut [Document]) -> Vec<Package> {
    let sources: Vec<PackageSource> = documents
        .iter()
        .map(|document| PackageSource {
            format: document.parsed.format,
            convention: document.convention,
            manifest: document.manifest.to_string().into(),
            document: document.layer.digest.to_string().into(),
        })
        .collect();
    // The packages stay where the parser put them: the first document's list takes the
    // others' after it.
    let mut packages: Vec<Package> = Vec::new();
    for (document, source) in documents.iter_mut().zip(&sources) {
        let mut found = std::mem::take(&mut document.parsed.packages);
        for package in &mut found {
            package.sources = vec![source.clone()];
        }
        if packages.is_empty() {
            packages = found;
        } else {
            packages.append(&mut found);
        }
    }
    // The same purl always splits the same way, so which of its copies stays is moot.
    packages.sort_unstable_by(|a, b| a.purl.purl.cmp(&b.purl.purl));
    packages.dedup_by(|later, kept| {
        let same = later.purl.purl == kept.purl.purl;
        if same {
            kept.sources.append(&mut later.sources);
        }
        same
    });
    for package in packages.iter_mut().filter(|p| p.sources.len() > 1) {
        let first_document = |source: &PackageSource| sources.iter().position(|s| s == source);
        package.sources.sort_by_key(first_document);
        package.sources.dedup();
    }
    packages
}

/// Packages listed without a purl, counted once however many documents list them: by
/// name and version, or each on its own when it has no name.
fn distinct_without_purl(attached: &Attached) -> usize {
    let mut named = HashSet::new();
    let mut unnamed = 0;
    for parsed in attached.documents.iter().map(|d| &d.parsed) {
        named.extend(parsed.named_without_purl.iter());
        unnamed += parsed.packages_without_purl - parsed.named_without_purl.len();
    }
    named.len() + unnamed
}

/// Every place looked at for one subject, with what each held.
fn sources(attached: &Attached) -> Vec<SbomSource> {
    attached
        .checks
        .iter()
        .map(|check| {
            let document = attached.documents.iter().find(|d| {
                Some(&d.layer.digest) == check.document.as_ref()
                    && Some(&d.manifest) == check.manifest.as_ref()
            });
            SbomSource {
                convention: check.convention,
                location: check.location.clone(),
                outcome: check.outcome,
                manifest: check.manifest.as_ref().map(Digest::to_string),
                document: check.document.as_ref().map(Digest::to_string),
                media_type: document.map(|d| d.layer.media_type.clone()),
                format: document.map(|d| d.parsed.format),
                spec_version: document.and_then(|d| d.parsed.spec_version.clone()),
                predicate_type: document
                    .and_then(|d| d.parsed.predicate_type.clone())
                    .or_else(|| check.predicate_type.clone()),
                envelopes: document
                    .map(|d| d.parsed.envelopes.clone())
                    .unwrap_or_default(),
                packages: document.map(|d| d.parsed.packages.len()),
                packages_without_purl: document.map(|d| d.parsed.packages_without_purl),
                detail: check.detail.clone(),
            }
        })
        .collect()
}

/// Every manifest found to refer to one subject, each once, with what discovery read of it.
fn referrers(attached: &Attached) -> Vec<Referrer> {
    let mut seen = HashSet::new();
    attached
        .referrals
        .iter()
        .filter(|r| seen.insert(r.descriptor.digest.clone()))
        .map(|referral| referrer(attached, referral))
        .collect()
}

fn referrer(attached: &Attached, referral: &Referral) -> Referrer {
    let digest = &referral.descriptor.digest;
    let checks = || {
        attached
            .checks
            .iter()
            .filter(move |c| c.manifest.as_ref() == Some(digest))
    };
    let mut predicate_types: Vec<String> = Vec::new();
    let read_types = attached
        .documents
        .iter()
        .filter(|d| &d.manifest == digest)
        .filter_map(|d| d.parsed.predicate_type.clone())
        .chain(checks().filter_map(|c| c.predicate_type.clone()));
    for predicate_type in read_types {
        if !predicate_types.contains(&predicate_type) {
            predicate_types.push(predicate_type);
        }
    }
    let artifact_type = referral.descriptor.artifact_type.clone();
    let is_sbom = attached.documents.iter().any(|d| &d.manifest == digest);
    let kind = if is_sbom {
        ReferrerKind::Sbom
    } else if !predicate_types.is_empty() || is_attestation_convention(referral) {
        ReferrerKind::Attestation
    } else if artifact_type.as_deref().is_some_and(is_signature_type) {
        ReferrerKind::Signature
    } else {
        ReferrerKind::Artifact
    };
    Referrer {
        kind,
        artifact_type,
        digest: digest.to_string(),
        media_type: referral.descriptor.media_type.clone(),
        convention: referral.convention,
        predicate_types,
    }
}

/// cosign's `.att` tag and BuildKit's attestation manifests hold only attestations.
fn is_attestation_convention(referral: &Referral) -> bool {
    use crate::model::Convention::*;
    matches!(
        referral.convention,
        CosignAttestationTag | BuildkitAttestation
    )
}

/// A signature: cosign's or Notary's, or a sigstore bundle that held no attestation.
fn is_signature_type(artifact_type: &str) -> bool {
    is_signature_artifact_type(artifact_type)
        || artifact_type.starts_with("application/vnd.dev.sigstore.bundle")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::manifest::{ImageIndex, ImageManifest, OCI_INDEX, OCI_MANIFEST};
    use crate::model::{Convention, Outcome};
    use crate::read::config::Config;
    use crate::sbom::discover::Check;

    fn image_node(name: &str, platform: Option<Platform>, annotations: &[(&str, &str)]) -> Node {
        let config = Descriptor::new(
            crate::manifest::OCI_CONFIG,
            Digest::sha256_of(name.as_bytes()),
            10,
        );
        let layer = Descriptor::new(
            crate::manifest::OCI_LAYER_TAR_GZIP,
            Digest::sha256_of(b"shared"),
            100,
        );
        let mut descriptor = Descriptor::new(
            OCI_MANIFEST,
            Digest::sha256_of(format!("m{name}").as_bytes()),
            50,
        );
        descriptor.platform = platform;
        descriptor.annotations = (!annotations.is_empty()).then(|| {
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        });
        Node {
            descriptor,
            manifest: Some(Manifest::Image(ImageManifest {
                schema_version: 2,
                media_type: Some(OCI_MANIFEST.into()),
                artifact_type: None,
                config: config.clone(),
                layers: vec![layer],
                subject: None,
                annotations: None,
            })),
            config: Some(Config {
                descriptor: config,
                parsed: Some(ImageConfig {
                    created: Some(format!("created-{name}")),
                    history: Some(vec![History {
                        created_by: Some("ko publish ko://example.com/cmd/app".into()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
            }),
            children: vec![],
            error: None,
        }
    }

    fn linux(arch: &str) -> Option<Platform> {
        Some(Platform {
            os: "linux".into(),
            architecture: arch.into(),
            ..Default::default()
        })
    }

    fn index_node(children: Vec<Node>) -> Node {
        Node {
            descriptor: Descriptor::new(OCI_INDEX, Digest::sha256_of(b"index"), 300),
            manifest: Some(Manifest::Index(ImageIndex {
                schema_version: 2,
                media_type: Some(OCI_INDEX.into()),
                artifact_type: None,
                manifests: children.iter().map(|c| c.descriptor.clone()).collect(),
                subject: None,
                annotations: Some(
                    [(
                        "org.opencontainers.image.source".to_string(),
                        "https://example.com/repo".to_string(),
                    )]
                    .into(),
                ),
            })),
            config: None,
            children,
            error: None,
        }
    }

    #[test]
    fn duplicate_platforms_get_stable_suffixes_and_attestations_are_separate() {
        let attestation_for = image_node("a", None, &[]).descriptor.digest.to_string();
        let att = image_node(
            "att",
            Some(Platform {
                os: "unknown".into(),
                architecture: "unknown".into(),
                ..Default::default()
            }),
            &[
                (
                    annotations::DOCKER_REFERENCE_TYPE,
                    annotations::ATTESTATION_MANIFEST,
                ),
                (annotations::DOCKER_REFERENCE_DIGEST, &attestation_for),
            ],
        );
        let root = index_node(vec![
            image_node("a", linux("amd64"), &[]),
            image_node("b", linux("amd64"), &[]),
            image_node("c", None, &[]),
            att,
        ]);
        let d = describe("x", "y".into(), &root, None);
        let keys: Vec<&String> = d.manifest.manifests.as_ref().unwrap().keys().collect();
        let c_digest = root.children[2].descriptor.digest.to_string();
        assert_eq!(
            keys,
            vec!["linux/amd64", "linux/amd64#2", c_digest.as_str()]
        );
        let atts = d.manifest.attestations.unwrap();
        assert_eq!(atts.len(), 1);
        assert_eq!(atts[0].refers_to_platform.as_deref(), Some("linux/amd64"));
    }

    #[test]
    fn build_prefers_annotations_then_falls_back_to_children() {
        let root = index_node(vec![image_node("a", linux("amd64"), &[])]);
        let build = describe("x", "y".into(), &root, None).manifest.build;
        let source = build.source.unwrap();
        assert_eq!(
            (source.value.as_str(), source.source),
            ("https://example.com/repo", BuildSource::Annotation)
        );
        let created = build.created.unwrap();
        assert_eq!(
            (created.value.as_str(), created.source),
            ("created-a", BuildSource::Config)
        );
        let builder = build.builder.unwrap();
        assert_eq!(builder.value, "ko ko://example.com/cmd/app");
        assert_eq!(builder.source, BuildSource::History);
    }

    #[test]
    fn origin_comes_from_the_entry_annotation() {
        let origin = "r.example/app/api@sha256:00";
        let root = index_node(vec![
            image_node("a", linux("amd64"), &[(annotations::OCX_ORIGIN, origin)]),
            image_node("b", linux("arm64"), &[]),
        ]);
        let d = describe("x", "y".into(), &root, None).manifest;
        assert_eq!(d.origin, None);
        let children = d.manifests.unwrap();
        assert_eq!(children["linux/amd64"].origin.as_deref(), Some(origin));
        assert_eq!(children["linux/arm64"].origin, None);
    }

    /// A CycloneDX document of `purls` attached to `subject` by a cosign tag.
    fn document(subject: &str, purls: &[&str]) -> (Check, Document) {
        let components: Vec<serde_json::Value> = purls
            .iter()
            .map(|purl| serde_json::json!({"name": "x", "purl": purl}))
            .collect();
        let bom = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6",
                                     "components": components});
        let bytes = bom.to_string();
        let manifest = Digest::sha256_of(format!("{subject}{bytes}").as_bytes());
        let layer = Descriptor::new(
            "application/vnd.cyclonedx+json",
            Digest::sha256_of(bytes.as_bytes()),
            bytes.len() as u64,
        );
        let check = Check {
            convention: Convention::CosignSbomTag,
            location: format!("r.example/app:{subject}.sbom"),
            outcome: Outcome::Found,
            manifest: Some(manifest.clone()),
            document: Some(layer.digest.clone()),
            predicate_type: None,
            detail: None,
        };
        let parsed = crate::sbom::parse::parse_document(bytes.as_bytes(), None).unwrap();
        let document = Document {
            convention: Convention::CosignSbomTag,
            manifest,
            layer,
            bytes: None,
            parsed,
        };
        (check, document)
    }

    fn attached(documents: Vec<(Check, Document)>) -> Attached {
        let (checks, documents) = documents.into_iter().unzip();
        Attached {
            documents,
            checks,
            referrals: vec![],
        }
    }

    fn purls_and_documents(packages: &[Package]) -> Vec<(String, Vec<String>)> {
        packages
            .iter()
            .map(|p| {
                let documents = p.sources.iter().map(|s| s.document.to_string()).collect();
                (p.purl.purl.clone(), documents)
            })
            .collect()
    }

    #[test]
    fn packages_of_several_documents_are_merged_by_purl_with_every_source() {
        let root = image_node("a", linux("amd64"), &[]);
        let documents = vec![
            document("a", &["pkg:npm/z@1", "pkg:npm/b@1", "pkg:npm/z@1"]),
            document("a", &["pkg:npm/b@1", "pkg:npm/a@1"]),
            document("a", &["pkg:npm/a@1", "pkg:npm/b@1"]),
        ];
        let digests: Vec<String> = documents
            .iter()
            .map(|(_, d)| d.layer.digest.to_string())
            .collect();
        let findings = Findings::from([(root.descriptor.digest.clone(), attached(documents))]);
        let described = describe("x", "y".into(), &root, Some(findings)).manifest;
        let [d1, d2, d3] = [0, 1, 2].map(|i| digests[i].clone());
        assert_eq!(
            purls_and_documents(described.sbom.as_ref().unwrap()),
            [
                ("pkg:npm/a@1".to_string(), vec![d2.clone(), d3.clone()]),
                ("pkg:npm/b@1".to_string(), vec![d1.clone(), d2, d3]),
                ("pkg:npm/z@1".to_string(), vec![d1]),
            ]
        );
        let counted: Vec<Option<usize>> = described
            .sbom_sources
            .unwrap()
            .iter()
            .map(|s| s.packages)
            .collect();
        assert_eq!(counted, [Some(2), Some(2), Some(2)]);
    }

    #[test]
    fn a_manifest_listed_twice_has_its_packages_at_both_places() {
        let root = index_node(vec![
            image_node("a", linux("amd64"), &[]),
            image_node("a", linux("arm64"), &[]),
            image_node("b", linux("s390x"), &[]),
        ]);
        let findings = Findings::from([
            (
                root.children[0].descriptor.digest.clone(),
                attached(vec![document("a", &["pkg:npm/a@1"])]),
            ),
            (
                root.children[2].descriptor.digest.clone(),
                attached(vec![document("b", &["pkg:npm/b@1"])]),
            ),
        ]);
        let described = describe("x", "y".into(), &root, Some(findings)).manifest;
        let children = described.manifests.unwrap();
        let purls = |key: &str| -> Vec<String> {
            let packages = children[key].sbom.as_ref().unwrap();
            packages.iter().map(|p| p.purl.purl.clone()).collect()
        };
        assert_eq!(purls("linux/amd64"), ["pkg:npm/a@1"]);
        assert_eq!(purls("linux/arm64"), ["pkg:npm/a@1"]);
        assert_eq!(purls("linux/s390x"), ["pkg:npm/b@1"]);
        assert_eq!(
            children["linux/arm64"].sbom_sources.as_ref().unwrap().len(),
            1
        );
        assert_eq!(described.sbom, Some(vec![]));
    }

    #[test]
    fn total_size_counts_shared_blobs_once() {
        let root = index_node(vec![
            image_node("a", linux("amd64"), &[]),
            image_node("b", linux("arm64"), &[]),
        ]);
        // index 300 + 2 manifests 50 + 2 configs 10 + one shared layer 100
        assert_eq!(
            describe("x", "y".into(), &root, None).manifest.total_size,
            300 + 100 + 20 + 100
        );
    }
}
