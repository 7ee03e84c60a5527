//! `--platform`: the manifest of an index (or of the indexes nested in it) for one
//! platform, or an image that matches it.

use std::collections::HashSet;

use anyhow::{bail, Result};
use futures_util::future::{join_all, BoxFuture};
use futures_util::FutureExt;

use super::config::{read_config, Config};
use super::walk::MAX_DEPTH;
use crate::digest::Digest;
use crate::manifest::{is_index_media_type, Descriptor, Manifest};
use crate::platform::{self, default_variant, PlatformFilter};
use crate::reference::Target;
use crate::source::{fetch_listed_manifest, FetchedManifest, Source};

pub struct Chosen {
    pub manifest: FetchedManifest,
    /// The index it was chosen from; `None` when the target was the image itself.
    pub index: Option<Manifest>,
    /// The image's config, read to learn its platform.
    pub config: Option<Config>,
}

/// For an index, fetches the manifest for the platform, looking into nested indexes too;
/// an image must itself match.
pub async fn platform(
    source: &dyn Source,
    target: &Target,
    fetched: FetchedManifest,
    filter: &PlatformFilter,
) -> Result<Chosen> {
    if let Manifest::Image(image) = &fetched.manifest {
        let config = read_config(source, &image.config).await?;
        return match config.parsed.as_ref().and_then(|c| c.platform()) {
            Some(p) if filter.matches(&p) && filter.wants_occurrence(1) => Ok(Chosen {
                manifest: fetched,
                index: None,
                config: Some(config),
            }),
            Some(p) => bail!(
                "{target} is a single image for {}, not {filter}",
                platform::key(&p)
            ),
            None => bail!("{target} is a single manifest with no platform, not {filter}"),
        };
    }
    let mut search = Search::default();
    search.searched.insert(fetched.descriptor.digest.clone());
    search
        .index(source, filter, &fetched.manifest, Vec::new(), 1)
        .await;
    let chosen = choose(target, filter, search)?;
    let mut child = fetch_listed_manifest(source, &chosen.entry).await?;
    child.descriptor = Descriptor {
        media_type: child.descriptor.media_type,
        ..chosen.entry
    };
    Ok(Chosen {
        manifest: child,
        index: Some(chosen.parent),
        config: None,
    })
}

/// An entry for the platform, the index that lists it, and its path of `manifests` keys.
struct Candidate {
    entry: Descriptor,
    parent: Manifest,
    path: Vec<String>,
}

#[derive(Default)]
struct Search {
    /// Matching entries, those of outer indexes before those of the indexes they nest.
    found: Vec<Candidate>,
    /// Every platform key seen, for the error when none matches.
    platforms: Vec<String>,
    /// Nested indexes that could not be read.
    unreadable: Vec<String>,
    /// Indexes already looked through (the described one included).
    searched: HashSet<Digest>,
}

impl Search {
    /// Looks through an index's entries, then (concurrently) the indexes it nests that
    /// were not looked through already, each at most once.
    fn index<'a>(
        &'a mut self,
        source: &'a dyn Source,
        filter: &'a PlatformFilter,
        manifest: &'a Manifest,
        path: Vec<String>,
        depth: usize,
    ) -> BoxFuture<'a, ()> {
        async move {
            let Manifest::Index(index) = manifest else {
                return;
            };
            let keys = platform::entry_keys(&index.manifests);
            let mut nested = Vec::new();
            for (entry, key) in index.manifests.iter().zip(keys) {
                let Some(key) = key else { continue };
                let matches = entry.platform.as_ref().map(|p| filter.matches(p));
                if let Some(p) = &entry.platform {
                    let key = platform::key(p);
                    if !self.platforms.contains(&key) {
                        self.platforms.push(key);
                    }
                }
                // Built only for an entry kept: the parent index is cloned into each.
                let candidate = || {
                    let mut entry_path = path.clone();
                    entry_path.push(key.clone());
                    Candidate {
                        entry: entry.clone(),
                        parent: manifest.clone(),
                        path: entry_path,
                    }
                };
                if is_index_media_type(&entry.media_type) {
                    if matches != Some(false) && self.searched.insert(entry.digest.clone()) {
                        nested.push((candidate(), matches == Some(true)));
                    }
                } else if matches == Some(true) {
                    self.found.push(candidate());
                }
            }
            if nested.is_empty() || depth >= MAX_DEPTH {
                return;
            }
            let fetched = join_all(
                nested
                    .iter()
                    .map(|(c, _)| fetch_listed_manifest(source, &c.entry)),
            )
            .await;
            for ((candidate, matches), fetched) in nested.into_iter().zip(fetched) {
                let inner = match fetched {
                    Ok(inner) => inner,
                    Err(e) => {
                        self.unreadable
                            .push(format!("{}: {e:#}", candidate.entry.digest));
                        continue;
                    }
                };
                let before = self.found.len();
                let path = candidate.path.clone();
                self.index(source, filter, &inner.manifest, path, depth + 1)
                    .await;
                // An index entry for the platform whose own entries have none is the
                // manifest for it.
                if matches && self.found.len() == before {
                    self.found.push(candidate);
                }
            }
        }
        .boxed()
    }
}

/// The one manifest the search found for the platform. The same manifest listed in
/// several indexes is one; with `#n`, only entries keyed `#n` in their index count;
/// several manifests are an error unless exactly one of them is
/// the platform as written, else exactly one is it once an unwritten variant is read as
/// the architecture's default (`linux/arm` is `linux/arm/v7`, as docker reads it).
fn choose(target: &Target, filter: &PlatformFilter, search: Search) -> Result<Candidate> {
    let mut distinct: Vec<Candidate> = Vec::new();
    // `linux/amd64#2`: the entry describe keys so in its index.
    // Every candidate was found in an index, so its path ends in its key there.
    let found = search.found.into_iter().filter(|c| {
        c.path
            .last()
            .is_some_and(|key| filter.wants_occurrence(platform::key_occurrence(key)))
    });
    for candidate in found {
        if !distinct
            .iter()
            .any(|c| c.entry.digest == candidate.entry.digest)
        {
            distinct.push(candidate);
        }
    }
    if distinct.is_empty() {
        let platforms = if search.platforms.is_empty() {
            "none".to_string()
        } else {
            search.platforms.join(", ")
        };
        let unreadable = if search.unreadable.is_empty() {
            String::new()
        } else {
            format!(
                "; nested indexes that could not be read: {}",
                search.unreadable.join("; ")
            )
        };
        bail!(
            "{target} has no manifest for platform {filter} (platforms: {platforms}){unreadable}"
        );
    }
    if distinct.len() > 1 {
        for read_default in [false, true] {
            let exact: Vec<usize> = (0..distinct.len())
                .filter(|&i| is_exactly(filter, &distinct[i].entry, read_default))
                .collect();
            if let [one] = exact.as_slice() {
                return Ok(distinct.swap_remove(*one));
            }
        }
        bail!(
            "{target} has {} manifests for platform {filter}: {}; name one by digest \
             ({target}@DIGEST) or give the platform in full",
            distinct.len(),
            distinct
                .iter()
                .map(|c| format!("{} ({})", c.path.join(" > "), c.entry.digest))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(distinct.remove(0))
}

/// Whether an entry's platform is the filter's with nothing left open: the same
/// variant and os.version; with `read_default`, an unwritten variant is the
/// architecture's default (so `linux/arm64` is also `linux/arm64/v8`).
fn is_exactly(filter: &PlatformFilter, entry: &Descriptor, read_default: bool) -> bool {
    let Some(p) = &entry.platform else {
        return false;
    };
    let variant = |v: Option<&str>, arch: &str| {
        v.filter(|v| !v.is_empty())
            .or_else(|| default_variant(arch).filter(|_| read_default))
            .map(str::to_string)
    };
    variant(filter.variant.as_deref(), &filter.architecture)
        == variant(p.variant.as_deref(), &p.architecture)
        && filter.os_version == p.os_version.clone().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ImageIndex, Platform, OCI_MANIFEST};

    fn entry(name: &str, arch: &str, variant: Option<&str>) -> Candidate {
        let mut entry = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(name.as_bytes()), 1);
        entry.platform = Some(Platform {
            os: "linux".into(),
            architecture: arch.into(),
            variant: variant.map(str::to_string),
            ..Default::default()
        });
        Candidate {
            path: vec![platform::key(entry.platform.as_ref().unwrap())],
            entry,
            parent: Manifest::Index(ImageIndex::empty()),
        }
    }

    fn chosen(filter: &str, found: Vec<Candidate>) -> Result<String> {
        let target = Target::parse("oci:/x:t").unwrap();
        let search = Search {
            found,
            ..Search::default()
        };
        choose(&target, &filter.parse().unwrap(), search).map(|c| c.path.join(" > "))
    }

    #[test]
    fn a_loose_platform_takes_the_one_written_exactly_else_refuses() {
        let arm = || vec![entry("a", "arm", Some("v6")), entry("b", "arm", Some("v7"))];
        assert_eq!(chosen("linux/arm", arm()).unwrap(), "linux/arm/v7");
        assert_eq!(chosen("linux/arm/v6", arm()).unwrap(), "linux/arm/v6");
        let twice = vec![entry("a", "amd64", None), entry("b", "amd64", None)];
        let err = chosen("linux/amd64", twice).unwrap_err().to_string();
        assert!(
            err.contains("has 2 manifests for platform linux/amd64"),
            "{err}"
        );
        // The same manifest listed twice (an index and the index nested in it) is one.
        let same = vec![entry("a", "amd64", None), entry("a", "amd64", None)];
        assert_eq!(chosen("linux/amd64", same).unwrap(), "linux/amd64");
    }

    #[test]
    fn the_platform_written_exactly_wins_over_its_default_variant() {
        let arm64 = || vec![entry("a", "arm64", Some("v8")), entry("b", "arm64", None)];
        assert_eq!(chosen("linux/arm64/v8", arm64()).unwrap(), "linux/arm64/v8");
        assert_eq!(chosen("linux/arm64", arm64()).unwrap(), "linux/arm64");
    }

    #[test]
    fn a_key_with_its_occurrence_names_that_entry() {
        let mut second = entry("b", "amd64", None);
        second.path = vec!["linux/amd64#2".into()];
        let twice = || vec![entry("a", "amd64", None), second_of(&second)];
        assert_eq!(chosen("linux/amd64#2", twice()).unwrap(), "linux/amd64#2");
        assert_eq!(chosen("linux/amd64#1", twice()).unwrap(), "linux/amd64");
        assert!(chosen("linux/amd64#3", twice()).is_err());
    }

    fn second_of(candidate: &Candidate) -> Candidate {
        Candidate {
            entry: candidate.entry.clone(),
            parent: candidate.parent.clone(),
            path: candidate.path.clone(),
        }
    }
}
