//! Building an image index: one descriptor per child, built from the child manifest
//! itself, media types checked against RFC 6838, and a serialization that gives the same
//! bytes (and digest) for the same inputs. Pure: no I/O.

use anyhow::{anyhow, bail, Context, Result};

use crate::digest::Digest;
use crate::manifest::{
    annotations, is_image_config_media_type, Annotations, Descriptor, ImageIndex, Platform,
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX,
};
use crate::source::FetchedManifest;

/// RFC 6838 §4.2: a type or subtype name is at most 127 characters.
const MAX_RESTRICTED_NAME: usize = 127;

/// Checks a media type against RFC 6838's naming rules: `type "/" subtype`, each a
/// restricted name (a letter or digit, then letters, digits and `!#$&-^_.+`), an optional
/// non-empty `+suffix`, and no parameters (OCI forbids them in `artifactType`, and no
/// manifest media type has any).
pub fn check_media_type(value: &str) -> Result<()> {
    let invalid = |why: String| {
        anyhow!(
            "invalid media type {value:?}: {why} (RFC 6838 expects TYPE/SUBTYPE[+SUFFIX], \
             e.g. application/vnd.example.thing+json)"
        )
    };
    if value.contains(';') {
        return Err(invalid("parameters are not allowed".into()));
    }
    let (type_name, subtype) = value
        .split_once('/')
        .ok_or_else(|| invalid("there is no '/' between type and subtype".into()))?;
    if let Some(why) = restricted_name_problem(type_name) {
        return Err(invalid(format!("the type {why}")));
    }
    if let Some(why) = restricted_name_problem(subtype) {
        return Err(invalid(format!("the subtype {why}")));
    }
    if subtype.ends_with('+') {
        return Err(invalid("the suffix after '+' is empty".into()));
    }
    Ok(())
}

fn restricted_name_problem(name: &str) -> Option<String> {
    let Some(first) = name.chars().next() else {
        return Some("is empty".into());
    };
    if name.len() > MAX_RESTRICTED_NAME {
        return Some(format!("is longer than {MAX_RESTRICTED_NAME} characters"));
    }
    if !first.is_ascii_alphanumeric() {
        return Some(format!("starts with {first:?}, not a letter or digit"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c);
    name.chars()
        .find(|c| !allowed(*c))
        .map(|c| format!("contains {c:?}, which RFC 6838 does not allow"))
}

/// A child manifest, fetched and verified, with what its index entry needs.
#[derive(Debug, Clone)]
pub struct Child {
    /// The source as the user wrote it (for messages and `--child-platform`).
    pub source: String,
    pub fetched: FetchedManifest,
    /// The platform its config records; `None` for an index or a config without one.
    pub config_platform: Option<Platform>,
    /// Where it was brought in from (`registry/repository@digest`, `oci:PATH@digest`);
    /// `None` when it already lives in the target.
    pub origin: Option<String>,
}

/// Whether a config's platform is worth fetching: image configs (and the platform-only
/// configs `oras push --artifact-platform` writes, which use the image config type). Any
/// other config is the artifact's own business, and the empty config records nothing.
pub fn config_may_record_platform(config: &Descriptor) -> bool {
    is_image_config_media_type(&config.media_type) && !config.is_empty_json()
}

/// The index entry for a child: media type, digest and size of the manifest bytes, the
/// manifest's own artifactType, the platform (`platform` when given, else the config's),
/// the manifest's annotations when `copy_annotations`, and the origin annotation.
pub fn child_descriptor(
    child: &Child,
    platform: Option<&Platform>,
    copy_annotations: bool,
) -> Descriptor {
    let fetched = &child.fetched;
    let mut descriptor = Descriptor::new(
        fetched.descriptor.media_type.clone(),
        fetched.descriptor.digest.clone(),
        fetched.descriptor.size,
    );
    descriptor.artifact_type = fetched.manifest.artifact_type().map(str::to_string);
    descriptor.platform = platform.or(child.config_platform.as_ref()).cloned();
    let mut entry_annotations = Annotations::new();
    if copy_annotations {
        entry_annotations.extend(fetched.manifest.annotations().cloned().unwrap_or_default());
    }
    if let Some(origin) = &child.origin {
        entry_annotations.insert(annotations::OCX_ORIGIN.to_string(), origin.clone());
    }
    descriptor.annotations = (!entry_annotations.is_empty()).then_some(entry_annotations);
    descriptor
}

/// A subject descriptor: what the referrers API needs, and nothing a later change to the
/// subject's index entry elsewhere could make stale.
pub fn subject_descriptor(fetched: &FetchedManifest) -> Descriptor {
    let d = &fetched.descriptor;
    Descriptor::new(d.media_type.clone(), d.digest.clone(), d.size)
}

/// A new OCI image index.
pub fn new_index(
    artifact_type: Option<String>,
    manifests: Vec<Descriptor>,
    subject: Option<Descriptor>,
    annotations: Annotations,
) -> ImageIndex {
    ImageIndex {
        schema_version: 2,
        media_type: Some(OCI_INDEX.to_string()),
        artifact_type,
        manifests,
        subject,
        annotations: (!annotations.is_empty()).then_some(annotations),
    }
}

/// Checks every media type and artifactType an index records, naming the entry at fault.
pub fn validate(index: &ImageIndex) -> Result<()> {
    if let Some(artifact_type) = &index.artifact_type {
        check_media_type(artifact_type).context("the index's artifactType")?;
    }
    for (position, entry) in index.manifests.iter().enumerate() {
        let what = || format!("manifests[{position}] ({})", entry.digest);
        check_media_type(&entry.media_type)
            .with_context(|| format!("the mediaType of {}", what()))?;
        if let Some(artifact_type) = &entry.artifact_type {
            check_media_type(artifact_type)
                .with_context(|| format!("the artifactType of {}", what()))?;
        }
    }
    if let Some(subject) = &index.subject {
        check_media_type(&subject.media_type)
            .with_context(|| format!("the mediaType of subject {}", subject.digest))?;
    }
    Ok(())
}

/// The bytes to push: compact JSON, fields in the OCI spec's order (schemaVersion,
/// mediaType, artifactType, manifests, subject, annotations; in each descriptor mediaType,
/// artifactType, digest, size, platform, annotations) and annotations sorted by key, so
/// that the same inputs always give the same digest.
pub fn to_bytes(index: &ImageIndex) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(index)?)
}

/// One warning per platform that several entries share, naming each entry: `--platform`
/// and `--remove` cannot tell them apart by platform alone.
pub fn repeated_platforms(named: &[(String, &Descriptor)]) -> Vec<String> {
    let mut by_platform: Vec<(String, Vec<String>)> = Vec::new();
    for (name, entry) in named {
        let Some(platform) = entry.platform.as_ref() else {
            continue;
        };
        if entry.is_attestation_manifest() {
            continue;
        }
        let key = crate::platform::key(platform);
        let this = format!("{name} ({})", entry.digest);
        match by_platform.iter_mut().find(|(k, _)| *k == key) {
            Some((_, names)) => names.push(this),
            None => by_platform.push((key, vec![this])),
        }
    }
    by_platform
        .into_iter()
        .filter(|(_, names)| names.len() > 1)
        .map(|(key, names)| {
            format!(
                "{} entries have the platform {key}: {}; `--platform {key}` will refuse to \
                 choose, name them by digest",
                names.len(),
                names.join(", ")
            )
        })
        .collect()
}

/// A Docker manifest list lists Docker manifests only: an OCI manifest or index added to
/// one is refused (not converted), naming it, since converting would change the list's
/// media type under its tag.
pub fn check_fits_docker_list(index: &ImageIndex, added: &[&Child]) -> Result<()> {
    if index.media_type.as_deref() != Some(DOCKER_MANIFEST_LIST) {
        return Ok(());
    }
    for child in added {
        let media_type = &child.fetched.descriptor.media_type;
        if !matches!(media_type.as_str(), DOCKER_MANIFEST | DOCKER_MANIFEST_LIST) {
            bail!(
                "the index is a Docker manifest list, which lists only Docker manifests, and \
                 {:?} is {media_type}: build an OCI index over them with `ocx index create`",
                child.source
            );
        }
    }
    Ok(())
}

/// Refuses a manifest listed twice, naming both entries (each named as the user knows it).
pub fn check_distinct(named: &[(String, &Digest)]) -> Result<()> {
    for (i, (name, digest)) in named.iter().enumerate() {
        if let Some((earlier, _)) = named[..i].iter().find(|(_, d)| d == digest) {
            bail!("{earlier} and {name} are the same manifest {digest}: an index lists each manifest once");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ImageManifest, OCI_CONFIG, OCI_MANIFEST};
    use bytes::Bytes;

    #[test]
    fn media_types_follow_rfc_6838() {
        for good in [
            "application/vnd.opentofu.provider",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.example.thing+json",
            "text/plain",
            "application/x-tar",
            "application/vnd.a!#$&^_.+-b",
            "archive/zip",
        ] {
            assert!(check_media_type(good).is_ok(), "{good}");
        }
        let long = format!("application/{}", "a".repeat(128));
        for (bad, says) in [
            ("application", "no '/'"),
            ("/json", "type "),
            ("application/", "subtype "),
            ("application/json; charset=utf-8", "parameters"),
            ("application/vnd example", "' '"),
            ("application/.hidden", "starts with '.'"),
            ("application/a/b", "'/'"),
            ("application/vnd.example+", "suffix"),
            ("appli\u{e9}tion/json", "'\u{e9}'"),
            (long.as_str(), "longer than 127"),
            ("", "no '/'"),
        ] {
            let err = check_media_type(bad).unwrap_err().to_string();
            assert!(err.contains(says), "{bad:?}: {err}");
            assert!(err.contains(&format!("{bad:?}")), "names the value: {err}");
        }
    }

    fn child(
        artifact_type: Option<&str>,
        platform: Option<Platform>,
        origin: Option<&str>,
    ) -> Child {
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            artifact_type: artifact_type.map(str::to_string),
            config: Descriptor::new(OCI_CONFIG, Digest::sha256_of(b"config"), 6),
            layers: vec![],
            subject: None,
            annotations: Some(
                [(
                    "org.opencontainers.image.created".to_string(),
                    "2024".to_string(),
                )]
                .into(),
            ),
        };
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let fetched = crate::source::verify_manifest(
            "here",
            &crate::reference::ManifestRef::Tag("t".into()),
            Bytes::from(bytes),
            None,
            None,
        )
        .unwrap();
        Child {
            source: "t".into(),
            fetched,
            config_platform: platform,
            origin: origin.map(str::to_string),
        }
    }

    fn linux_amd64() -> Platform {
        Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Platform::default()
        }
    }

    #[test]
    fn descriptors_come_from_the_child_and_serialize_in_the_issues_order() {
        let c = child(
            Some("application/vnd.opentofu.provider-target"),
            Some(linux_amd64()),
            None,
        );
        let entry = child_descriptor(&c, None, false);
        let index = new_index(
            Some("application/vnd.opentofu.provider".into()),
            vec![entry],
            None,
            [(
                "org.opencontainers.image.version".to_string(),
                "1.0.0".to_string(),
            )]
            .into(),
        );
        let json = String::from_utf8(to_bytes(&index).unwrap()).unwrap();
        assert_eq!(
            json,
            format!(
                concat!(
                    r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","#,
                    r#""artifactType":"application/vnd.opentofu.provider","manifests":[{{"#,
                    r#""mediaType":"application/vnd.oci.image.manifest.v1+json","#,
                    r#""artifactType":"application/vnd.opentofu.provider-target","digest":"{}","size":{},"#,
                    r#""platform":{{"architecture":"amd64","os":"linux"}}}}],"#,
                    r#""annotations":{{"org.opencontainers.image.version":"1.0.0"}}}}"#
                ),
                c.fetched.descriptor.digest, c.fetched.descriptor.size
            )
        );
        assert!(validate(&index).is_ok());
    }

    #[test]
    fn no_platform_is_invented_and_an_override_wins() {
        let c = child(None, None, None);
        assert_eq!(child_descriptor(&c, None, false).platform, None);
        let arm = Platform {
            architecture: "arm64".into(),
            ..linux_amd64()
        };
        let with_config = child(None, Some(linux_amd64()), None);
        assert_eq!(
            child_descriptor(&with_config, Some(&arm), false).platform,
            Some(arm)
        );
    }

    #[test]
    fn annotations_are_copied_only_when_asked_and_origin_only_for_imports() {
        let local = child(None, None, None);
        assert_eq!(child_descriptor(&local, None, false).annotations, None);
        let copied = child_descriptor(&local, None, true).annotations.unwrap();
        assert_eq!(
            copied.keys().collect::<Vec<_>>(),
            ["org.opencontainers.image.created"]
        );
        let imported = child(None, None, Some("r.example/app/api@sha256:00"));
        let entry = child_descriptor(&imported, None, false);
        assert_eq!(
            entry.annotation(annotations::OCX_ORIGIN),
            Some("r.example/app/api@sha256:00")
        );
    }

    #[test]
    fn only_image_configs_may_record_a_platform() {
        let config = Descriptor::new(OCI_CONFIG, Digest::sha256_of(b"c"), 1);
        let empty = Descriptor::new(
            crate::manifest::OCI_EMPTY,
            crate::manifest::EMPTY_JSON_DIGEST.parse().unwrap(),
            2,
        );
        assert!(!config_may_record_platform(&empty));
        assert!(!config_may_record_platform(&Descriptor::new(
            "application/vnd.example+json",
            Digest::sha256_of(b""),
            0
        )));
        assert!(config_may_record_platform(&config));
    }

    #[test]
    fn validation_names_the_entry() {
        let mut entry = child_descriptor(&child(None, None, None), None, false);
        entry.artifact_type = Some("not a type".into());
        let index = new_index(None, vec![entry.clone()], None, Annotations::new());
        let err = format!("{:#}", validate(&index).unwrap_err());
        assert!(
            err.contains("manifests[0]") && err.contains(&entry.digest.to_string()),
            "{err}"
        );
        let bad_index = new_index(Some("x".into()), vec![], None, Annotations::new());
        assert!(
            format!("{:#}", validate(&bad_index).unwrap_err()).contains("the index's artifactType")
        );
    }

    #[test]
    fn a_manifest_listed_twice_is_refused_by_both_names() {
        let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
        let named = [
            ("source \"x\"".to_string(), &a),
            ("source \"y\"".to_string(), &b),
        ];
        assert!(check_distinct(&named).is_ok());
        let twice = [
            named[0].clone(),
            named[1].clone(),
            ("source \"z\"".to_string(), &a),
        ];
        let err = check_distinct(&twice).unwrap_err().to_string();
        assert!(
            err.contains(r#"source "x" and source "z" are the same manifest sha256:"#),
            "{err}"
        );
    }
}
