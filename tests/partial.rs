//! A partial failure degrades instead of aborting: what could be read is printed, each
//! failure is recorded where it happened, warned about once on stderr and counted, and
//! `--strict` turns any of them into exit 2.

mod common;

use std::io::Write;
use std::sync::Arc;

use common::hostile::{image, Hostile, Reply};
use common::registry::Registry;
use common::*;
use ocx::digest::Digest;
use ocx::manifest::{Descriptor, OCI_INDEX, OCI_MANIFEST};
use ocx::source::Source;
use serde_json::{json, Value};

const CYCLONEDX: &str = "application/vnd.cyclonedx+json";
const SPDX: &str = "application/spdx+json";

fn blob_path(layout: &std::path::Path, digest: &str) -> std::path::PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

#[test]
fn an_index_with_a_missing_child_is_described_with_the_child_marked() {
    let (_dir, layout) = sample_layout();
    let reference = format!("oci:{}:multi-platform", layout.display());
    let child = describe_json(&[&reference, "--no-sbom"])["manifests"]["linux/arm64/v8"]
        ["descriptor"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(blob_path(&layout, &child)).unwrap();

    let (json, strict_err) = describe_with_failure(&[&reference, "--no-sbom"]);
    assert_eq!(json["failures"], 1, "{json}");
    let entry = &json["manifests"]["linux/arm64/v8"];
    assert_eq!(entry["descriptor"]["digest"], child.as_str());
    let error = entry["error"].as_str().unwrap();
    assert!(
        error.contains(&child) && error.contains("not found"),
        "{error}"
    );
    assert!(entry.get("config").is_none() && entry.get("layers").is_none());
    assert!(json["manifests"]["linux/amd64"]["layers"].is_array());
    assert!(
        strict_err.contains("1 part could not be read (--strict)") && strict_err.contains(&child),
        "{strict_err}"
    );

    let human = ocx(&["describe", &reference, "--no-sbom"]);
    assert!(human.status.success());
    let text = stdout(&human);
    assert!(
        text.contains("unreadable") && text.contains("Could not be read (1)"),
        "{text}"
    );
    let err = stderr(&human);
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(warnings.len(), 1, "warned once: {warnings:?}");
    assert!(warnings[0].contains("linux/arm64/v8") && warnings[0].contains(&child));

    let sbom = ocx(&["sbom", &reference, "--json"]);
    assert!(sbom.status.success(), "{}", stderr(&sbom));
    let report: Value = serde_json::from_str(&stdout(&sbom)).unwrap();
    assert!(report["manifests"]["linux/arm64/v8"]["error"].is_string());
    assert_eq!(report["failures"], 1);
}

/// Attaches `document` to `subject` as an OCI 1.1 referrer whose one layer has
/// `media_type`; returns the referrer's descriptor and the layer's digest.
fn attach(
    source: &dyn Source,
    subject: &Descriptor,
    media_type: &str,
    document: Vec<u8>,
) -> (Descriptor, Digest) {
    let layer = Digest::sha256_of(&document);
    let referrer = runtime()
        .block_on(fixtures::attach_referrer(
            source, subject, media_type, document,
        ))
        .unwrap();
    (referrer, layer)
}

fn cyclonedx(name: &str, padding: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"comment": "x".repeat(padding)},
        "components": [{"type": "library", "name": name, "version": "1.0", "purl": format!("pkg:npm/{name}@1.0")}],
    }))
    .unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    // A stored-only gzip stream is enough for ocx to see gzip's magic and refuse it.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&[1, bytes.len() as u8, 0, !(bytes.len() as u8), 0xff]);
    out.write_all(&bytes[..bytes.len().min(255)]).unwrap();
    out.extend_from_slice(&[0; 8]);
    out
}

/// Deletes a manifest from a registry (distribution runs with deletes enabled), as
/// `crane delete` does: indexes and referrers tags that list it still do.
fn delete_manifest(registry: &Registry, repository: &str, digest: &Digest) {
    let url = format!(
        "http://{}/v2/{repository}/manifests/{digest}",
        registry.addr
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let status = runtime()
        .block_on(reqwest::Client::new().delete(&url).send())
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 202, "deleting {digest}");
}

/// After `crane delete` of one child, the index is still described, as crane, oras and
/// skopeo read it; the child is marked with what the registry said.
#[test]
fn a_deleted_child_on_a_registry_is_marked_with_the_registrys_answer() {
    let registry = Registry::start();
    push_samples(&registry, "app");
    let reference = registry.reference("app:multi-platform");
    let child = describe_json(&[&reference, "--no-sbom"])["manifests"]["linux/amd64"]["descriptor"]
        ["digest"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    delete_manifest(&registry, "app", &child);
    let (json, strict_err) = describe_with_failure(&[&reference, "--no-sbom"]);
    let error = json["manifests"]["linux/amd64"]["error"].as_str().unwrap();
    assert!(
        error.contains("MANIFEST_UNKNOWN") && error.contains(&child.to_string()),
        "{error}"
    );
    assert!(json["manifests"]["linux/arm64/v8"]["config"].is_object());
    assert!(strict_err.contains("MANIFEST_UNKNOWN"), "{strict_err}");
}

#[test]
fn broken_sboms_are_recorded_beside_the_good_one() {
    let registry = Registry::start();
    let source = open_source(&registry.reference("app:unused"));
    let image = runtime()
        .block_on(fixtures::image(
            source.as_ref(),
            fixtures::platform("linux", "amd64", None),
        ))
        .unwrap();
    let reference = registry.reference(&format!("app@{}", image.digest));
    attach(source.as_ref(), &image, CYCLONEDX, cyclonedx("good", 0));
    let (_, not_json) = attach(
        source.as_ref(),
        &image,
        SPDX,
        b"{ this is not json".to_vec(),
    );
    let (_, not_cyclonedx) = attach(
        source.as_ref(),
        &image,
        CYCLONEDX,
        br#"{"hello":"world"}"#.to_vec(),
    );
    let (_, gzipped) = attach(source.as_ref(), &image, SPDX, gzip(&cyclonedx("zipped", 0)));
    let (_, too_big) = attach(source.as_ref(), &image, CYCLONEDX, cyclonedx("big", 4000));
    let (missing, _) = attach(source.as_ref(), &image, SPDX, b"{}".to_vec());
    let missing = missing.digest;
    delete_manifest(&registry, "app", &missing);

    for command in ["describe", "sbom"] {
        let output = ocx(&[command, &reference, "--json", "--max-sbom-size", "3000"]);
        assert!(output.status.success(), "{command}: {}", stderr(&output));
        let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let purls: Vec<&str> = json["sbom"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["purl"].as_str().unwrap())
            .collect();
        assert_eq!(
            purls,
            ["pkg:npm/good@1.0"],
            "{command}: the good SBOM is still read"
        );
        let errors: Vec<&Value> = json["sbom_sources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["outcome"] == "error")
            .collect();
        let detail_of = |digest: &Digest| -> String {
            let digest = digest.to_string();
            errors
                .iter()
                .find(|s| s["document"] == digest.as_str() || s["manifest"] == digest.as_str())
                .unwrap_or_else(|| panic!("{command}: no error recorded for {digest}: {json}"))
                ["detail"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert!(detail_of(&not_json).contains(&not_json.to_string()));
        assert!(detail_of(&not_cyclonedx).contains("parsing SBOM blob"));
        assert!(
            detail_of(&gzipped).contains("gzip"),
            "{}",
            detail_of(&gzipped)
        );
        let over = detail_of(&too_big);
        assert!(
            over.contains("over the 3000-byte limit") && over.contains("--max-sbom-size"),
            "{over}"
        );
        assert!(
            detail_of(&missing).contains("not found"),
            "{}",
            detail_of(&missing)
        );
        assert_eq!(errors.len(), 5, "{command}: {errors:?}");
        assert_eq!(json["failures"], 5, "{command}");
        let warnings = stderr(&output)
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .count();
        assert_eq!(
            warnings,
            5,
            "{command}: each failure warned once:\n{}",
            stderr(&output)
        );
        assert_valid_for(command, &json);
    }
    let err = failing(&["sbom", &reference, "--max-sbom-size", "3000", "--strict"]);
    assert!(
        err.contains("5 parts could not be read (--strict)"),
        "{err}"
    );
}

fn assert_valid_for(command: &str, json: &Value) {
    match command {
        "describe" => assert_valid_describe(json),
        _ => assert_valid_sbom(json),
    }
}

/// A registry whose referrers API always has a next page: ocx reads a bounded number of
/// pages and records that the list was cut, and where.
#[test]
fn a_referrers_list_cut_short_is_recorded() {
    let image = image();
    let served = Arc::clone(&image);
    let registry = runtime().block_on(Hostile::start(move |request| {
        served.serve(request).unwrap_or_else(|| {
            if let Some(rest) = request.path.strip_prefix("/v2/app/referrers/") {
                let page: u32 = rest.split("page=").nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
                let next = format!("</v2/app/referrers/{}?page={}>; rel=\"next\"", served.digest, page + 1);
                Reply::ok(OCI_INDEX, r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#)
                    .header("Link", &next)
            } else {
                Reply::not_found()
            }
        })
    }));
    let reference = format!("{}/app@{}", registry.addr, image.digest);
    let (json, err) = describe_with_failure(&[&reference]);
    let truncated: Vec<&Value> = json["sbom_sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "truncated")
        .collect();
    assert_eq!(truncated.len(), 1, "{json}");
    let detail = truncated[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("16 pages") && detail.contains("page=16"),
        "{detail}"
    );
    assert!(err.contains("16 pages"), "{err}");
    let pages = registry
        .requests()
        .iter()
        .filter(|r| r.path.contains(&format!("/referrers/{}", image.digest)))
        .count();
    assert_eq!(
        pages,
        2 * 16,
        "two reads (plain and --strict), 16 pages each"
    );
}

/// A side with a child that cannot be read is a difference to report, not a crash.
#[test]
fn diff_reports_a_side_with_an_unreadable_child() {
    let (_old_dir, old_layout) = sample_layout();
    let (_new_dir, new_layout) = sample_layout();
    let old = format!("oci:{}:multi-platform", old_layout.display());
    let new = format!("oci:{}:multi-platform", new_layout.display());
    let child = describe_json(&[&new, "--no-sbom"])["manifests"]["linux/arm64/v8"]["descriptor"]
        ["digest"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(blob_path(&new_layout, &child)).unwrap();

    let output = ocx(&["diff", &old, &new, "--no-sbom", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("warning: new side > linux/arm64/v8") && err.contains(&child),
        "{err}"
    );
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["equal"], false);
    let err = failing(&["diff", &old, &new, "--no-sbom", "--strict"]);
    assert!(err.contains("could not be read (--strict)"), "{err}");
}

/// An index that lists one child many times costs one request for the child and one for
/// its config, not one per entry.
#[test]
fn a_child_listed_many_times_is_fetched_once() {
    let image = image();
    let entry = json!({"mediaType": OCI_MANIFEST, "digest": image.digest.to_string(), "size": image.manifest.len()});
    let index = serde_json::to_string(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": vec![entry; 2000],
    }))
    .unwrap();
    let index_digest = Digest::sha256_of(index.as_bytes());
    let served = Arc::clone(&image);
    let index_path = format!("/v2/app/manifests/{index_digest}");
    let registry = runtime().block_on(Hostile::start(move |request| {
        if request.path == index_path {
            let digest = Digest::sha256_of(index.as_bytes()).to_string();
            return Reply::ok(OCI_INDEX, index.clone()).header("Docker-Content-Digest", &digest);
        }
        served.serve(request).unwrap_or_else(Reply::not_found)
    }));
    let reference = format!("{}/app@{index_digest}", registry.addr);
    let json = describe_json(&[&reference, "--no-sbom"]);
    assert_eq!(json["manifests"].as_object().unwrap().len(), 2000);
    let fetched = |path: String| {
        registry
            .requests()
            .iter()
            .filter(|r| r.path == path)
            .count()
    };
    assert_eq!(fetched(format!("/v2/app/manifests/{}", image.digest)), 1);
    assert_eq!(fetched(format!("/v2/app/blobs/{}", image.config_digest)), 1);
}
