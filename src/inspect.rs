//! Fetching for the commands that read: resolve a target (optionally to one platform),
//! then walk its tree and discover its SBOMs concurrently. Each has its own request
//! limiter, so that discovery's many small requests never hold back the walk.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use tokio::sync::Semaphore;

use crate::manifest::{Descriptor, ImageConfig, Manifest};
use crate::platform::PlatformFilter;
use crate::reference::Target;
use crate::sbom::discover::Discoverer;
use crate::sbom::Findings;
use crate::source::{FetchedManifest, Source, Sources, MAX_CONFIG_BYTES};
use crate::walk::Node;

pub struct Resolved {
    pub source: Arc<dyn Source>,
    pub manifest: FetchedManifest,
    /// For a platform picked out of an index: the BuildKit attestation manifests that
    /// index lists for it.
    pub attestations: Vec<Descriptor>,
    /// Canonical `location@digest`.
    pub canonical: String,
}

pub struct Inspection {
    pub resolved: Resolved,
    pub tree: Node,
    /// None when SBOM discovery was not asked for.
    pub sboms: Option<Findings>,
}

/// Resolves a target to its manifest, or to the child for `platform` of an index.
pub async fn resolve(
    sources: &Sources,
    target: &Target,
    platform: Option<&PlatformFilter>,
) -> Result<Resolved> {
    let (source, reference) = sources.open(target)?;
    let mut manifest = source.manifest_get(&reference).await?;
    let mut attestations = Vec::new();
    if let Some(filter) = platform {
        let parent = manifest.manifest.clone();
        manifest = select_platform(source.as_ref(), target, manifest, filter).await?;
        attestations = crate::sbom::attestations_for(&parent, &manifest.descriptor.digest);
    }
    let canonical = target.canonical(&manifest.descriptor.digest);
    Ok(Resolved {
        source,
        manifest,
        attestations,
        canonical,
    })
}

/// Walks the resolved manifest and, when `max_sbom_bytes` is given, discovers the SBOMs
/// of it and of every manifest below it, concurrently with the walk.
pub async fn inspect(
    sources: &Sources,
    resolved: Resolved,
    concurrency: usize,
    max_sbom_bytes: Option<u64>,
) -> Result<Inspection> {
    let limiter = Arc::new(Semaphore::new(concurrency.max(1)));
    let walk = crate::walk::walk(
        Arc::clone(&resolved.source),
        resolved.manifest.clone(),
        Arc::clone(&limiter),
    );
    let discoverer = match max_sbom_bytes {
        Some(limit) => {
            let cosign = crate::sbom::cosign_source(sources, &resolved.source)?;
            Some(Discoverer::new(
                Arc::clone(&resolved.source),
                cosign,
                Arc::new(Semaphore::new(concurrency.max(1))),
                limit,
            ))
        }
        None => None,
    };
    let mut subjects = crate::sbom::subjects_of(
        &resolved.manifest.descriptor.digest,
        &resolved.manifest.manifest,
    );
    subjects[0].attestations = resolved.attestations.clone();
    let discovery = async {
        let mut findings = Findings::new();
        if let Some(d) = &discoverer {
            crate::sbom::discover(d, subjects, &mut findings).await?;
        }
        anyhow::Ok(findings)
    };
    let (tree, mut findings) = tokio::try_join!(walk, discovery)
        .with_context(|| format!("reading {}", resolved.canonical))?;
    let sboms = match &discoverer {
        Some(d) => {
            crate::sbom::discover(d, crate::sbom::nested_subjects(&tree), &mut findings).await?;
            Some(findings)
        }
        None => None,
    };
    Ok(Inspection {
        resolved,
        tree,
        sboms,
    })
}

/// For an index, fetches the child for the platform; an image must itself match.
async fn select_platform(
    source: &dyn Source,
    target: &Target,
    fetched: FetchedManifest,
    filter: &PlatformFilter,
) -> Result<FetchedManifest> {
    let index = match &fetched.manifest {
        Manifest::Index(index) => index,
        Manifest::Image(image) => {
            let config = source.blob_get(&image.config, MAX_CONFIG_BYTES).await?;
            let platform = serde_json::from_slice::<ImageConfig>(&config)
                .ok()
                .and_then(|c| c.platform());
            return match platform {
                Some(p) if filter.matches(&p) => Ok(fetched),
                Some(p) => bail!(
                    "{target} is a single image for {}, not {filter}",
                    crate::platform::key(&p)
                ),
                None => bail!("{target} is a single manifest with no platform, not {filter}"),
            };
        }
    };
    let platforms = || {
        index
            .manifests
            .iter()
            .filter(|d| !d.is_attestation_manifest())
    };
    let Some(chosen) = platforms().find(|d| d.platform.as_ref().is_some_and(|p| filter.matches(p)))
    else {
        let available: Vec<String> = platforms()
            .filter_map(|d| d.platform.as_ref().map(crate::platform::key))
            .collect();
        bail!(
            "{target} has no manifest for platform {filter} (platforms: {})",
            if available.is_empty() {
                "none".into()
            } else {
                available.join(", ")
            }
        );
    };
    let mut child = crate::source::fetch_listed_manifest(source, chosen).await?;
    child.descriptor = Descriptor {
        media_type: child.descriptor.media_type,
        ..chosen.clone()
    };
    Ok(child)
}
