//! `--remove`: which entries of an index a digest or platform key names.

use anyhow::{bail, Result};

use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::platform;

/// Removes the entries `--remove` names: a digest, or the key `ocx describe` shows
/// (`os/architecture[/variant][:os.version]`, `#2` for a repeated platform), which must
/// then name exactly one entry: a platform listed twice is named by `KEY#N` or digest.
pub fn remove_entries(manifests: &mut Vec<Descriptor>, removals: &[String]) -> Result<()> {
    let keys = platform::entry_keys(manifests);
    let mut doomed = std::collections::BTreeSet::new();
    for removal in removals {
        let hits = matching_entries(manifests, &keys, removal);
        match hits.as_slice() {
            [] if manifests.is_empty() => {
                bail!("--remove {removal:?} matches no entry: the index has no entries")
            }
            [] => bail!(
                "--remove {removal:?} matches no entry of the index (entries: {})",
                entry_names(manifests, &keys).join(", ")
            ),
            [one] => {
                doomed.insert(*one);
            }
            many => bail!(
                "--remove {removal:?} matches {} entries ({}): name the one to remove by its key or digest",
                many.len(),
                many.iter()
                    .map(|&i| entry_name(&manifests[i], &keys[i]))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    // A BuildKit attestation of a removed manifest would attest to nothing: it goes too.
    let removed: Vec<String> = doomed
        .iter()
        .map(|&i| manifests[i].digest.to_string())
        .collect();
    let mut index = 0;
    manifests.retain(|d| {
        let orphaned = d.is_attestation_manifest()
            && d.annotation(crate::manifest::annotations::DOCKER_REFERENCE_DIGEST)
                .is_some_and(|r| removed.iter().any(|x| x == r));
        let keep = !doomed.contains(&index) && !orphaned;
        index += 1;
        keep
    });
    Ok(())
}

/// Entries a `--remove` names: by digest, by the exact key `ocx describe` shows
/// (`linux/amd64#2` included), or else by platform as `--platform` matches them.
fn matching_entries(
    manifests: &[Descriptor],
    keys: &[Option<String>],
    removal: &str,
) -> Vec<usize> {
    if let Ok(digest) = removal.parse::<Digest>() {
        return (0..manifests.len())
            .filter(|&i| manifests[i].digest == digest)
            .collect();
    }
    // `linux/amd64` names every entry of that platform (`linux/amd64#2` too), so that
    // a repeated platform is ambiguous rather than the first entry silently.
    let exact: Vec<usize> = (0..manifests.len())
        .filter(|&i| {
            keys[i]
                .as_deref()
                .is_some_and(|key| key == removal || key.split('#').next() == Some(removal))
        })
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    // A key with `#n` names an entry exactly or nothing.
    let Ok(filter) = removal.parse::<platform::PlatformFilter>() else {
        return vec![];
    };
    if filter.occurrence.is_some() {
        return vec![];
    }
    (0..manifests.len())
        .filter(|&i| {
            keys[i].is_some()
                && manifests[i]
                    .platform
                    .as_ref()
                    .is_some_and(|p| filter.matches(p))
        })
        .collect()
}

/// How `--remove` can name each entry: its key, with its digest.
fn entry_names(manifests: &[Descriptor], keys: &[Option<String>]) -> Vec<String> {
    manifests
        .iter()
        .zip(keys)
        .filter(|(_, key)| key.is_some())
        .map(|(d, key)| entry_name(d, key))
        .collect()
}

fn entry_name(descriptor: &Descriptor, key: &Option<String>) -> String {
    match key {
        Some(key) if *key != descriptor.digest.to_string() => {
            format!("{key} ({})", descriptor.digest)
        }
        _ => descriptor.digest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Platform, OCI_MANIFEST};

    fn linux_amd64() -> Platform {
        Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Platform::default()
        }
    }

    #[test]
    fn removal_by_digest_or_platform_key() {
        let a = Descriptor {
            platform: Some(linux_amd64()),
            ..Descriptor::new(OCI_MANIFEST, Digest::sha256_of(b"a"), 1)
        };
        let mut b = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(b"b"), 1);
        b.platform = Some(Platform {
            architecture: "arm64".into(),
            ..linux_amd64()
        });
        let mut manifests = vec![a.clone(), b.clone()];
        remove_entries(&mut manifests, &["linux/arm64".into()]).unwrap();
        assert_eq!(manifests, vec![a.clone()]);
        remove_entries(&mut manifests, &[a.digest.to_string()]).unwrap();
        assert!(manifests.is_empty());
        let mut twice = vec![
            a.clone(),
            Descriptor {
                digest: Digest::sha256_of(b"c"),
                ..a.clone()
            },
        ];
        // Keys are describe's: the second linux/amd64 is linux/amd64#2.
        let mut second = twice.clone();
        remove_entries(&mut second, &["linux/amd64#2".into()]).unwrap();
        assert_eq!(second, vec![a.clone()]);
        // The platform alone names both: an error listing them, not the first one.
        let err = remove_entries(&mut twice.clone(), &["linux/amd64".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("matches 2 entries")
                && err.contains(&format!("linux/amd64 ({})", a.digest))
                && err.contains(&format!("linux/amd64#2 ({})", twice[1].digest)),
            "{err}"
        );
        // A platform that is no key matches as --platform does, and must be unambiguous.
        let variants: Vec<Descriptor> = ["v7", "v6"]
            .iter()
            .map(|v| Descriptor {
                digest: Digest::sha256_of(v.as_bytes()),
                platform: Some(Platform {
                    architecture: "arm".into(),
                    variant: Some(v.to_string()),
                    ..linux_amd64()
                }),
                ..a.clone()
            })
            .collect();
        let err = remove_entries(&mut variants.clone(), &["linux/arm".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("matches 2 entries"), "{err}");
        let mut one = variants.clone();
        remove_entries(&mut one, &["linux/arm/v6".into()]).unwrap();
        assert_eq!(one, vec![variants[0].clone()]);
        let err = remove_entries(&mut twice, &["linux/s390x".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("matches no entry") && err.contains("linux/amd64 (sha256:"),
            "{err}"
        );
        let err = remove_entries(&mut vec![], &["linux/amd64".into()])
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("the index has no entries"), "{err}");
    }
}
