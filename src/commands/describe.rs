//! `ocx describe`: resolve, optionally pick a platform, walk, describe, render.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use crate::cli::{DescribeArgs, GlobalArgs};
use crate::manifest::Manifest;
use crate::platform::PlatformFilter;
use crate::reference::{ManifestRef, Target};
use crate::source::{FetchedManifest, Source};

pub async fn run(global: &GlobalArgs, args: DescribeArgs) -> Result<ExitCode> {
    let target = Target::parse(&args.reference)?;
    let sources = super::sources(global)?;
    let (source, reference) = sources.open(&target)?;
    let mut fetched = source.manifest_get(&reference).await?;
    if let Some(filter) = &args.platform {
        fetched = select_platform(source.as_ref(), &target, fetched, filter).await?;
    }
    if args.raw {
        super::write_stdout(&fetched.bytes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let resolved = target.canonical(&fetched.descriptor.digest);
    let tree = crate::walk::walk(Arc::clone(&source), fetched, usize::from(args.concurrency))
        .await
        .with_context(|| format!("describing {resolved}"))?;
    let description = crate::describe::describe(&args.reference, resolved, &tree);
    let output = if args.json {
        let mut json = serde_json::to_vec_pretty(&description)?;
        json.push(b'\n');
        json
    } else {
        crate::render::human(&description, super::styled(global)).into_bytes()
    };
    super::write_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
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
            let config = source
                .blob_get(&image.config, crate::source::MAX_CONFIG_BYTES)
                .await?;
            let platform = serde_json::from_slice::<crate::manifest::ImageConfig>(&config)
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
    let chosen = index
        .manifests
        .iter()
        .filter(|d| !d.is_attestation_manifest())
        .find(|d| d.platform.as_ref().is_some_and(|p| filter.matches(p)));
    let Some(chosen) = chosen else {
        let available: Vec<String> = index
            .manifests
            .iter()
            .filter(|d| !d.is_attestation_manifest())
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
    let mut child = source
        .manifest_get(&ManifestRef::Digest(chosen.digest.clone()))
        .await?;
    if child.descriptor.size != chosen.size {
        bail!(
            "size mismatch for manifest {}: the index says {} bytes, the source returned {}",
            chosen.digest,
            chosen.size,
            child.descriptor.size
        );
    }
    child.descriptor = crate::manifest::Descriptor {
        media_type: child.descriptor.media_type,
        ..chosen.clone()
    };
    Ok(child)
}
