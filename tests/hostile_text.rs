//! Text from outside (layouts, registries, SBOMs) is shown, never obeyed: errors on
//! stderr escape it as stdout does, and package versions are shown whole.

mod common;

use std::path::Path;

use common::hostile::{Hostile, Recorded, Reply};
use common::{failing, ocx, ocx_ok, sample_layout, stderr, stdout};
use serde_json::{json, Value};

/// An OSC title change, a colour, a carriage return and a forged error line.
const HOSTILE: &str = "x\u{1b}]0;pwned\u{7}\u{1b}[31m\rerror: forged\nerror: forged too\u{202e}";

/// Asserts that a terminal would show `text` as it is: no control character other than
/// the line breaks ocx writes itself, and no forged `error:` line.
fn assert_inert(text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "raw control characters reached the terminal: {text:?}"
    );
    assert!(
        text.lines().filter(|l| l.starts_with("error:")).count() <= 1,
        "a forged error line: {text:?}"
    );
    assert!(
        text.contains("\\u{1b}"),
        "the hostile text is shown escaped: {text:?}"
    );
}

fn read_index(layout: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap()
}

fn write_index(layout: &Path, index: &Value) {
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(index).unwrap(),
    )
    .unwrap();
}

/// Writes a blob into the layout and returns its descriptor fields.
fn put_blob(layout: &Path, bytes: &[u8]) -> (String, u64) {
    let digest = ocx::digest::Digest::sha256_of(bytes);
    std::fs::write(layout.join("blobs/sha256").join(digest.hex()), bytes).unwrap();
    (digest.to_string(), bytes.len() as u64)
}

fn tag_entry(index: &Value, tag: &str) -> Value {
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("the sample layout has the tag {tag}"))
        .clone()
}

#[test]
fn a_layout_tag_list_in_an_error_is_escaped() {
    let (_dir, layout) = sample_layout();
    let mut index = read_index(&layout);
    let mut entry = tag_entry(&index, "image");
    entry["annotations"]["org.opencontainers.image.ref.name"] = json!(HOSTILE);
    index["manifests"].as_array_mut().unwrap().push(entry);
    write_index(&layout, &index);

    let err = failing(&["describe", &format!("oci:{}:missing", layout.display())]);
    assert!(err.contains("tags:"), "{err}");
    assert_inert(&err);
}

#[test]
fn the_platform_list_of_a_platform_miss_is_escaped() {
    let (_dir, layout) = sample_layout();
    let mut index = read_index(&layout);
    let image = tag_entry(&index, "image");
    let mut child = image.clone();
    child.as_object_mut().unwrap().remove("annotations");
    child["platform"] = json!({"os": HOSTILE, "architecture": "amd64"});
    let hostile_index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [child],
    });
    let (digest, size) = put_blob(&layout, &serde_json::to_vec(&hostile_index).unwrap());
    index["manifests"].as_array_mut().unwrap().push(json!({
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": digest,
        "size": size,
        "annotations": {"org.opencontainers.image.ref.name": "hostile"},
    }));
    write_index(&layout, &index);

    let err = failing(&[
        "describe",
        &format!("oci:{}:hostile", layout.display()),
        "--platform",
        "linux/s390x",
        "--no-sbom",
    ]);
    assert!(err.contains("platforms:"), "{err}");
    assert_inert(&err);
}

#[test]
fn a_manifest_media_type_in_an_error_is_escaped() {
    let (_dir, layout) = sample_layout();
    let mut index = read_index(&layout);
    let mut entry = tag_entry(&index, "image");
    entry["mediaType"] = json!(HOSTILE);
    entry["annotations"]["org.opencontainers.image.ref.name"] = json!("hostile");
    index["manifests"].as_array_mut().unwrap().push(entry);
    write_index(&layout, &index);

    let err = failing(&[
        "describe",
        &format!("oci:{}:hostile", layout.display()),
        "--no-sbom",
    ]);
    assert!(err.contains("media type"), "{err}");
    assert_inert(&err);
}

/// Debian and Ubuntu versions with epochs, and a long multi-byte version, shown whole
/// in the human SBOM table (they used to go through the digest shortener).
#[test]
fn sbom_versions_are_shown_whole_and_never_cut_inside_a_character() {
    let long_version = format!("1:a{}", "é".repeat(40));
    let versions = [
        "2:2.36-9+deb12u4",
        "1:3.0.2-0ubuntu1.15",
        long_version.as_str(),
    ];
    let (_dir, layout) = sample_layout();
    let reference = attach_cyclonedx(&layout, "image", &versions);

    let output = ocx(&["sbom", &reference, "--color", "never"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "ocx sbom must not panic:\n{}",
        stderr(&output)
    );
    let table = stdout(&output);
    let unwrapped: String = table.split_whitespace().collect();
    for version in versions {
        assert!(
            unwrapped.contains(version),
            "{version} shown whole in:\n{table}"
        );
    }
    let json = ocx_ok(&["sbom", &reference, "--json"]);
    for version in versions {
        assert!(json.contains(version), "{version} in the JSON output");
    }
}

/// Attaches a CycloneDX document listing one deb package per version to a layout's tag,
/// as an OCI 1.1 referrer; returns the tag's reference.
fn attach_cyclonedx(layout: &Path, tag: &str, versions: &[&str]) -> String {
    let components: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, version)| {
            json!({
                "type": "library",
                "name": format!("pkg{i}"),
                "version": version,
                "purl": format!("pkg:deb/debian/pkg{i}@{}?arch=amd64", version.replace(':', "%3A")),
            })
        })
        .collect();
    let document = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": components,
    });
    let subject: ocx::manifest::Descriptor =
        serde_json::from_value(tag_entry(&read_index(layout), tag)).unwrap();
    let reference = format!("oci:{}:{tag}", layout.display());
    let source = common::open_source(&reference);
    common::runtime()
        .block_on(common::fixtures::attach_referrer(
            source.as_ref(),
            &subject,
            "application/vnd.cyclonedx+json",
            serde_json::to_vec(&document).unwrap(),
        ))
        .unwrap();
    reference
}

fn hostile_server(route: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Hostile {
    common::runtime().block_on(Hostile::start(route))
}

/// A registry whose every answer is an error with this body.
fn failing_registry(status: &'static str, body: String) -> Hostile {
    hostile_server(move |_| {
        Reply::new(status, body.clone()).header("Content-Type", "application/json")
    })
}

#[test]
fn a_registry_error_envelope_is_escaped() {
    let body = json!({"errors": [{"code": "DENIED", "message": HOSTILE}]}).to_string();
    let registry = failing_registry("403 Forbidden", body);
    let err = failing(&["describe", &format!("{}/app:1", registry.addr)]);
    assert!(err.contains("DENIED"), "{err}");
    assert_inert(&err);
}

#[test]
fn a_plain_text_registry_error_is_escaped() {
    let registry = failing_registry("500 Internal Server Error", HOSTILE.to_string());
    let err = failing(&["describe", &format!("{}/app:1", registry.addr)]);
    assert!(err.contains("500"), "{err}");
    assert_inert(&err);
}

#[test]
fn a_token_service_error_is_escaped() {
    let realm = hostile_server(|_| Reply::new("401 Unauthorized", HOSTILE));
    let challenge = format!(r#"Bearer realm="{}/token",service="hostile""#, realm.url());
    let registry = hostile_server(move |_| Reply::challenge(&challenge));
    let err = failing(&["describe", &format!("{}/app:1", registry.addr)]);
    assert!(err.contains("token"), "{err}");
    assert_inert(&err);
}
