//! Indexes serialized byte for byte as the image-spec's Go types marshal them (what oras,
//! crane and containerd push), so that the same index gets the same digest whichever tool
//! wrote it: fields in the Go structs' order (a descriptor's `artifactType` last), empty
//! optional fields left out (`omitempty`), annotations sorted by key, `<`, `>`, `&`,
//! U+2028 and U+2029 escaped as `encoding/json` escapes them, and no trailing newline.

use std::io;

use serde::Serialize;

use super::{Annotations, Descriptor, ImageIndex, Platform};
use crate::digest::Digest;

/// The bytes of `index` as `json.Marshal` of an `ocispec.Index` gives them.
pub fn index_bytes(index: &ImageIndex) -> serde_json::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, GoFormatter);
    GoIndex::from(index).serialize(&mut serializer)?;
    Ok(bytes)
}

/// `ocispec.Index`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GoIndex<'a> {
    schema_version: u32,
    #[serde(skip_serializing_if = "str::is_empty")]
    media_type: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    artifact_type: &'a str,
    manifests: Vec<GoDescriptor<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<GoDescriptor<'a>>,
    #[serde(skip_serializing_if = "is_empty_map")]
    annotations: Option<&'a Annotations>,
}

/// `ocispec.Descriptor`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GoDescriptor<'a> {
    media_type: &'a str,
    digest: &'a Digest,
    size: u64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    urls: &'a [String],
    #[serde(skip_serializing_if = "is_empty_map")]
    annotations: Option<&'a Annotations>,
    #[serde(skip_serializing_if = "str::is_empty")]
    data: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<GoPlatform<'a>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    artifact_type: &'a str,
}

/// `ocispec.Platform`.
#[derive(Serialize)]
struct GoPlatform<'a> {
    architecture: &'a str,
    os: &'a str,
    #[serde(rename = "os.version", skip_serializing_if = "str::is_empty")]
    os_version: &'a str,
    #[serde(rename = "os.features", skip_serializing_if = "<[String]>::is_empty")]
    os_features: &'a [String],
    #[serde(skip_serializing_if = "str::is_empty")]
    variant: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    features: &'a [String],
}

fn is_empty_map(annotations: &Option<&Annotations>) -> bool {
    annotations.is_none_or(|a| a.is_empty())
}

impl<'a> From<&'a ImageIndex> for GoIndex<'a> {
    fn from(index: &'a ImageIndex) -> Self {
        GoIndex {
            schema_version: index.schema_version,
            media_type: index.media_type.as_deref().unwrap_or_default(),
            artifact_type: index.artifact_type.as_deref().unwrap_or_default(),
            manifests: index.manifests.iter().map(GoDescriptor::from).collect(),
            subject: index.subject.as_ref().map(GoDescriptor::from),
            annotations: index.annotations.as_ref(),
        }
    }
}

impl<'a> From<&'a Descriptor> for GoDescriptor<'a> {
    fn from(d: &'a Descriptor) -> Self {
        GoDescriptor {
            media_type: &d.media_type,
            digest: &d.digest,
            size: d.size,
            urls: d.urls.as_deref().unwrap_or_default(),
            annotations: d.annotations.as_ref(),
            data: d.data.as_deref().unwrap_or_default(),
            platform: d.platform.as_ref().map(GoPlatform::from),
            artifact_type: d.artifact_type.as_deref().unwrap_or_default(),
        }
    }
}

impl<'a> From<&'a Platform> for GoPlatform<'a> {
    fn from(p: &'a Platform) -> Self {
        GoPlatform {
            architecture: &p.architecture,
            os: &p.os,
            os_version: p.os_version.as_deref().unwrap_or_default(),
            os_features: p.os_features.as_deref().unwrap_or_default(),
            variant: p.variant.as_deref().unwrap_or_default(),
            features: p.features.as_deref().unwrap_or_default(),
        }
    }
}

/// Compact JSON with the escapes `encoding/json` adds to serde_json's: both escape `"`,
/// `\` and control characters alike (`\n`, `\u001f`), Go also the HTML characters and
/// the two JavaScript line terminators.
struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..at])?;
            writer.write_all(escaped.as_bytes())?;
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{OCI_INDEX, OCI_MANIFEST};

    fn text(index: &ImageIndex) -> String {
        String::from_utf8(index_bytes(index).unwrap()).unwrap()
    }

    #[test]
    fn descriptors_follow_the_go_struct_order_with_artifact_type_last() {
        let digest = Digest::sha256_of(b"x");
        let mut entry = Descriptor::new(OCI_MANIFEST, digest.clone(), 7);
        entry.artifact_type = Some("application/vnd.example".into());
        entry.urls = Some(vec!["https://example.com/x".into()]);
        entry.data = Some("e30=".into());
        entry.annotations = Some([("b".into(), "2".into()), ("a".into(), "1".into())].into());
        entry.platform = Some(Platform {
            architecture: "arm64".into(),
            os: "linux".into(),
            os_version: Some("1".into()),
            os_features: Some(vec!["f".into()]),
            variant: Some("v8".into()),
            features: Some(vec!["g".into()]),
        });
        let mut index = ImageIndex::empty();
        index.artifact_type = Some("application/vnd.example.index".into());
        index.subject = Some(Descriptor::new(OCI_MANIFEST, digest.clone(), 3));
        index.annotations = Some([("k".into(), "v".into())].into());
        index.manifests = vec![entry];
        assert_eq!(
            text(&index),
            format!(
                concat!(
                    r#"{{"schemaVersion":2,"mediaType":"{index}","artifactType":"application/vnd.example.index","#,
                    r#""manifests":[{{"mediaType":"{manifest}","digest":"{digest}","size":7,"#,
                    r#""urls":["https://example.com/x"],"annotations":{{"a":"1","b":"2"}},"data":"e30=","#,
                    r#""platform":{{"architecture":"arm64","os":"linux","os.version":"1","os.features":["f"],"variant":"v8","features":["g"]}},"#,
                    r#""artifactType":"application/vnd.example"}}],"#,
                    r#""subject":{{"mediaType":"{manifest}","digest":"{digest}","size":3}},"annotations":{{"k":"v"}}}}"#
                ),
                index = OCI_INDEX,
                manifest = OCI_MANIFEST,
                digest = digest
            )
        );
    }

    #[test]
    fn empty_optional_fields_are_left_out_as_omitempty_does() {
        let mut entry = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(b"x"), 1);
        entry.artifact_type = Some(String::new());
        entry.urls = Some(vec![]);
        entry.annotations = Some(Annotations::new());
        entry.platform = Some(Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            variant: Some(String::new()),
            os_features: Some(vec![]),
            ..Platform::default()
        });
        let mut index = ImageIndex::empty();
        index.annotations = Some(Annotations::new());
        index.manifests = vec![entry];
        let json = text(&index);
        assert!(
            json.ends_with(r#""size":1,"platform":{"architecture":"amd64","os":"linux"}}]}"#),
            "{json}"
        );
    }

    #[test]
    fn html_characters_and_line_separators_are_escaped_as_go_does() {
        let mut index = ImageIndex::empty();
        index.annotations = Some(
            [(
                "a<b>".to_string(),
                "x & y\u{2028}\u{2029}\n\"\\\u{1}\u{7f}é".to_string(),
            )]
            .into(),
        );
        let expected = concat!(
            r#""annotations":{"a\u003cb\u003e":"x \u0026 y\u2028\u2029\n\"\\\u0001"#,
            "\u{7f}é\"}}"
        );
        assert!(text(&index).ends_with(expected), "{}", text(&index));
    }
}
