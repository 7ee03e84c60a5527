//! Platform keys (`os/architecture[/variant][:os.version]`) and `--platform` matching.

use std::fmt;
use std::str::FromStr;

use anyhow::{bail, Result};

use std::collections::HashMap;

use crate::manifest::{Descriptor, Platform};

/// The key a platform gets in `manifests`.
pub fn key(platform: &Platform) -> String {
    let mut key = format!("{}/{}", platform.os, platform.architecture);
    if let Some(variant) = platform.variant.as_deref().filter(|v| !v.is_empty()) {
        key.push('/');
        key.push_str(variant);
    }
    if let Some(version) = platform.os_version.as_deref().filter(|v| !v.is_empty()) {
        key.push(':');
        key.push_str(version);
    }
    key
}

/// The key of each entry of an index in `manifests`: its platform key, or its digest
/// when it has no platform; a key seen before gets `#2`, `#3`, … in index order, so no
/// entry is lost. BuildKit attestation manifests have none (they go to `attestations`).
pub fn entry_keys(entries: &[Descriptor]) -> Vec<Option<String>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    entries
        .iter()
        .map(|entry| {
            if entry.is_attestation_manifest() {
                return None;
            }
            let base = match &entry.platform {
                Some(p) => key(p),
                None => entry.digest.to_string(),
            };
            let count = seen.entry(base.clone()).or_insert(0);
            *count += 1;
            Some(if *count == 1 {
                base
            } else {
                format!("{base}#{count}")
            })
        })
        .collect()
}

/// What a user asks for with `--platform os/arch[/variant][:os.version][#n]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformFilter {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub os_version: Option<String>,
    /// `#n` of a key `ocx describe` shows (`linux/amd64#2`): the n-th entry of the
    /// platform in its index. [`PlatformFilter::matches`] leaves it to the caller.
    pub occurrence: Option<usize>,
}

/// The `n` of a key's `#n` suffix; 1 without one.
pub fn key_occurrence(key: &str) -> usize {
    key.rsplit_once('#')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(1)
}

impl FromStr for PlatformFilter {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let (platform, occurrence) = match s.rsplit_once('#') {
            Some((platform, n)) => match n.parse::<usize>() {
                Ok(n) if n >= 1 => (platform, Some(n)),
                _ => bail!("invalid platform {s:?}: expected a number from 1 after '#'"),
            },
            None => (s, None),
        };
        let (path, os_version) = match platform.split_once(':') {
            Some((p, v)) if !v.is_empty() => (p, Some(v.to_string())),
            Some(_) => bail!("invalid platform {s:?}: empty os.version after ':'"),
            None => (platform, None),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (os, architecture, variant) = match parts.as_slice() {
            [os, arch] => (os, arch, None),
            [os, arch, variant] => (os, arch, Some(variant.to_string())),
            _ => bail!(
                "invalid platform {s:?}: expected OS/ARCH[/VARIANT][:OS_VERSION], e.g. linux/arm64"
            ),
        };
        if os.is_empty() || architecture.is_empty() || variant.as_deref() == Some("") {
            bail!(
                "invalid platform {s:?}: expected OS/ARCH[/VARIANT][:OS_VERSION], e.g. linux/arm64"
            );
        }
        Ok(PlatformFilter {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant,
            os_version,
            occurrence,
        })
    }
}

impl fmt::Display for PlatformFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        if let Some(v) = &self.os_version {
            write!(f, ":{v}")?;
        }
        if let Some(n) = self.occurrence {
            write!(f, "#{n}")?;
        }
        Ok(())
    }
}

/// The variant an architecture has when none is written (containerd's normalization).
pub fn default_variant(architecture: &str) -> Option<&'static str> {
    match architecture {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        _ => None,
    }
}

impl PlatformFilter {
    /// Whether the `occurrence`-th entry of its platform in an index (`#n` in its key; 1
    /// for the first, or for a manifest not in an index) is one this filter asks for.
    pub fn wants_occurrence(&self, occurrence: usize) -> bool {
        self.occurrence.is_none_or(|n| n == occurrence)
    }

    /// Whether a platform satisfies this filter. An unspecified variant or os.version
    /// matches any; a specified one must match, with arm64 = arm64/v8 and arm = arm/v7.
    pub fn matches(&self, platform: &Platform) -> bool {
        if !self.os.eq_ignore_ascii_case(&platform.os)
            || !self
                .architecture
                .eq_ignore_ascii_case(&platform.architecture)
        {
            return false;
        }
        if let Some(wanted) = &self.variant {
            let actual = platform
                .variant
                .as_deref()
                .filter(|v| !v.is_empty())
                .or_else(|| default_variant(&platform.architecture));
            if actual != Some(wanted.as_str()) {
                return false;
            }
        }
        match &self.os_version {
            Some(wanted) => platform.os_version.as_deref() == Some(wanted.as_str()),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(os: &str, arch: &str, variant: Option<&str>, version: Option<&str>) -> Platform {
        Platform {
            os: os.into(),
            architecture: arch.into(),
            variant: variant.map(str::to_string),
            os_version: version.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn keys() {
        assert_eq!(key(&platform("linux", "amd64", None, None)), "linux/amd64");
        assert_eq!(
            key(&platform("linux", "arm64", Some("v8"), None)),
            "linux/arm64/v8"
        );
        assert_eq!(
            key(&platform("windows", "amd64", None, Some("10.0.20348.2113"))),
            "windows/amd64:10.0.20348.2113"
        );
    }

    #[test]
    fn matching_normalizes_variants() {
        let arm64: PlatformFilter = "linux/arm64".parse().unwrap();
        assert!(arm64.matches(&platform("linux", "arm64", Some("v8"), None)));
        assert!(arm64.matches(&platform("linux", "arm64", None, None)));
        let v8: PlatformFilter = "linux/arm64/v8".parse().unwrap();
        assert!(v8.matches(&platform("linux", "arm64", None, None)));
        let v7: PlatformFilter = "linux/arm/v6".parse().unwrap();
        assert!(!v7.matches(&platform("linux", "arm", None, None)));
        let win: PlatformFilter = "windows/amd64:10.0.1".parse().unwrap();
        assert!(win.matches(&platform("windows", "amd64", None, Some("10.0.1"))));
        assert!(!win.matches(&platform("windows", "amd64", None, Some("10.0.2"))));
        assert!(!arm64.matches(&platform("linux", "amd64", None, None)));
    }

    #[test]
    fn an_entry_key_is_a_platform_and_its_occurrence() {
        let second: PlatformFilter = "windows/amd64:10.0.1#2".parse().unwrap();
        assert_eq!(second.occurrence, Some(2));
        assert_eq!(second.os_version.as_deref(), Some("10.0.1"));
        assert_eq!(second.to_string(), "windows/amd64:10.0.1#2");
        let amd64: PlatformFilter = "linux/amd64#2".parse().unwrap();
        assert!(amd64.matches(&platform("linux", "amd64", None, None)));
        assert_eq!(key_occurrence("linux/amd64#2"), 2);
        assert_eq!(key_occurrence("linux/amd64"), 1);
    }

    #[test]
    fn rejects_malformed_filters() {
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "a/b/c/d",
            "linux/amd64:",
            "linux/arm64/",
            "linux/amd64#",
            "linux/amd64#0",
            "linux/amd64#x",
        ] {
            assert!(bad.parse::<PlatformFilter>().is_err(), "{bad}");
        }
    }
}
