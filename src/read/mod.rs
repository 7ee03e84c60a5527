//! Reading what a reference names: resolve it (to one platform with `--platform`), then
//! walk its tree and discover its SBOMs concurrently. Every command that reads goes
//! through [`read`]; two reads that share a [`Session`] share its connections, tokens
//! and request budget.

pub mod config;
mod describe;
pub mod discovery;
mod select;
pub mod walk;

use std::sync::Arc;

use anyhow::{Context, Result};

use crate::manifest::Manifest;
use crate::model::Description;
use crate::platform::PlatformFilter;
use crate::reference::{ManifestRef, Target};
use crate::sbom::discover::Discoverer;
use crate::source::{FetchedManifest, Limited, Session, Source as _};
use config::Config;
use discovery::Findings;
use walk::Node;

pub use walk::MAX_DEPTH;

/// What a read needs besides the target.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Read only the child of an index for this platform.
    pub platform: Option<PlatformFilter>,
    /// Discover SBOMs, refusing documents larger than this; `None` skips discovery.
    pub max_sbom_bytes: Option<u64>,
    /// Keep the SBOM documents' bytes as stored (for `ocx sbom --raw`), not only what was
    /// parsed from them.
    pub keep_sbom_bytes: bool,
}

/// The manifest a target means, fetched and verified.
pub struct ResolvedTarget {
    pub source: Limited,
    pub manifest: FetchedManifest,
    /// The index the manifest was chosen from with `--platform`.
    pub chosen_from: Option<Manifest>,
    /// The root image's config when choosing its platform already read it.
    pub config: Option<Config>,
    /// Canonical `location@digest`.
    pub canonical: String,
}

/// A read: the resolved target, its tree, and what SBOM discovery found.
pub struct Read {
    pub resolved: ResolvedTarget,
    pub tree: Node,
    /// None when SBOM discovery was not asked for.
    pub sboms: Option<Findings>,
}

impl Read {
    /// The output model of the read; `reference` is what the user typed.
    pub fn describe(&self, reference: &str) -> Description {
        describe::describe(
            reference,
            self.resolved.canonical.clone(),
            &self.tree,
            self.sboms.clone(),
        )
    }

    /// The output model of the read, which moves the SBOM packages into it instead of
    /// copying them; the rest of the read is freed.
    pub fn into_description(self, reference: &str) -> Description {
        describe::describe(reference, self.resolved.canonical, &self.tree, self.sboms)
    }
}

/// Resolves, walks and discovers. What discovery can ask before the root manifest is
/// known (tag lists, whether the referrers API exists) goes out beside it.
pub async fn read(session: &Session, target: &Target, options: &ReadOptions) -> Result<Read> {
    let (source, reference) = session.open(target)?;
    let discoverer = match options.max_sbom_bytes {
        Some(limit) => Some(
            Discoverer::new(
                session.for_discovery(&source),
                discovery::cosign_source(session, &source)?,
                limit,
            )
            .keeping_bytes(options.keep_sbom_bytes),
        ),
        None => None,
    };
    let prepare = async {
        if let Some(d) = &discoverer {
            d.prepare().await;
        }
    };
    let read = async {
        let resolved = resolve_opened(source, reference, target, options.platform.as_ref()).await?;
        read_resolved(resolved, discoverer.as_ref()).await
    };
    tokio::pin!(prepare, read);
    // A read that ends (a missing manifest, say) does not wait for what it no longer needs.
    tokio::select! {
        read = &mut read => read,
        () = &mut prepare => read.await,
    }
}

/// Resolves a target to its manifest, or to the child for `platform` of an index.
pub async fn resolve(
    session: &Session,
    target: &Target,
    platform: Option<&PlatformFilter>,
) -> Result<ResolvedTarget> {
    let (source, reference) = session.open(target)?;
    resolve_opened(source, reference, target, platform).await
}

async fn resolve_opened(
    source: Limited,
    reference: ManifestRef,
    target: &Target,
    platform: Option<&PlatformFilter>,
) -> Result<ResolvedTarget> {
    let manifest = source.manifest_get(&reference).await?;
    let (manifest, chosen_from, config) = match platform {
        Some(filter) => {
            let chosen = select::platform(&source, target, manifest, filter).await?;
            (chosen.manifest, chosen.index, chosen.config)
        }
        None => (manifest, None, None),
    };
    let canonical = target.canonical(&manifest.descriptor.digest);
    Ok(ResolvedTarget {
        source,
        manifest,
        chosen_from,
        config,
        canonical,
    })
}

/// Walks the resolved manifest and, with a discoverer, discovers the SBOMs of it and of
/// every manifest below it, concurrently with the walk.
async fn read_resolved(resolved: ResolvedTarget, discoverer: Option<&Discoverer>) -> Result<Read> {
    let walk = walk::walk(
        Arc::new(resolved.source.clone()),
        resolved.manifest.clone(),
        resolved.config.clone(),
    );
    let subjects = discovery::root_subjects(&resolved.manifest, resolved.chosen_from.as_ref());
    let discovery = async {
        let mut findings = Findings::new();
        if let Some(d) = discoverer {
            discovery::discover(d, subjects, &mut findings).await;
        }
        anyhow::Ok(findings)
    };
    let (tree, mut findings) = tokio::try_join!(walk, discovery)
        .with_context(|| format!("reading {}", resolved.canonical))?;
    let sboms = match discoverer {
        Some(d) => {
            discovery::discover(d, discovery::nested_subjects(&tree), &mut findings).await;
            Some(findings)
        }
        None => None,
    };
    Ok(Read {
        resolved,
        tree,
        sboms,
    })
}
