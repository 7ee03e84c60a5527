//! `--platform`: the child of an index for one platform, or an image that matches it.

use anyhow::{bail, Result};

use super::config::{read_config, Config};
use crate::manifest::{Descriptor, Manifest};
use crate::platform::PlatformFilter;
use crate::reference::Target;
use crate::source::{FetchedManifest, Source};

pub struct Chosen {
    pub manifest: FetchedManifest,
    /// The index it was chosen from; `None` when the target was the image itself.
    pub index: Option<Manifest>,
    /// The image's config, read to learn its platform.
    pub config: Option<Config>,
}

/// For an index, fetches the child for the platform; an image must itself match.
pub async fn platform(
    source: &dyn Source,
    target: &Target,
    fetched: FetchedManifest,
    filter: &PlatformFilter,
) -> Result<Chosen> {
    let index = match &fetched.manifest {
        Manifest::Index(index) => index,
        Manifest::Image(image) => {
            let config = read_config(source, &image.config).await?;
            return match config.parsed.as_ref().and_then(|c| c.platform()) {
                Some(p) if filter.matches(&p) => Ok(Chosen {
                    manifest: fetched,
                    index: None,
                    config: Some(config),
                }),
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
    Ok(Chosen {
        manifest: child,
        index: Some(fetched.manifest),
        config: None,
    })
}
