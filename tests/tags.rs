//! `ocx tags`: every tag of a repository on a real registry (distribution) or of a
//! layout, every page of a paginated list, `--json` by its schema; and the tags a
//! registry has, offered when a tag is missing.

mod common;

use std::collections::BTreeSet;

use common::hostile::{Hostile, Reply};
use common::registry::shared;
use common::*;
use serde_json::Value;

fn tags_json(args: &[&str]) -> Value {
    let mut full = vec!["tags"];
    full.extend_from_slice(args);
    full.push("--json");
    let value: Value = serde_json::from_str(&ocx_ok(&full)).expect("tags --json prints JSON");
    let schema: Value = serde_json::from_str(ocx::schema::TAGS_V1).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    assert!(
        validator.is_valid(&value),
        "tags output violates its schema: {value}"
    );
    value
}

fn as_set(value: &Value) -> BTreeSet<String> {
    value["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_registry_repository_and_a_layout_list_the_same_tags() {
    let registry = shared();
    push_samples(registry, "tags/app");
    let (_dir, layout) = sample_layout();
    let from_layout = tags_json(&[&format!("oci:{}", layout.display())]);
    let from_registry = tags_json(&[&registry.reference("tags/app")]);
    // Distribution has no referrers API: the registry also holds the referrers tag
    // (sha256-<hex>) that the fallback wrote, where the layout lists referrers in its index.
    let registry_only: Vec<String> = as_set(&from_registry)
        .difference(&as_set(&from_layout))
        .cloned()
        .collect();
    assert!(
        registry_only
            .iter()
            .all(|t| t.starts_with("sha256-") && t.len() == 71),
        "{registry_only:?}"
    );
    assert!(as_set(&from_layout).is_subset(&as_set(&from_registry)));
    assert!(as_set(&from_registry).contains("multi-platform"));
    assert_eq!(from_registry["location"], registry.reference("tags/app"));
    let human = ocx_ok(&["tags", &registry.reference("tags/app")]);
    let lines: BTreeSet<String> = human.lines().map(String::from).collect();
    assert_eq!(lines, as_set(&from_registry), "one tag a line");
}

#[test]
fn every_page_is_listed() {
    let server =
        runtime().block_on(Hostile::start(|request| {
            let page = |tags: &str| {
                Reply::ok(
                    "application/json",
                    format!(r#"{{"name":"app","tags":[{tags}]}}"#),
                )
            };
            match request.path.as_str() {
                "/v2/app/tags/list" => page(r#""a","b""#)
                    .header("Link", "</v2/app/tags/list?n=2&last=b>; rel=\"next\""),
                "/v2/app/tags/list?n=2&last=b" => page(r#""c","d""#)
                    .header("Link", "</v2/app/tags/list?n=2&last=d>; rel=\"next\""),
                "/v2/app/tags/list?n=2&last=d" => page(r#""e""#),
                _ => Reply::not_found(),
            }
        }));
    let listed = tags_json(&[&format!("{}/app", server.addr)]);
    assert_eq!(listed["tags"], serde_json::json!(["a", "b", "c", "d", "e"]));
}

#[test]
fn a_tag_or_digest_is_refused() {
    for reference in [
        "localhost:1/app:1",
        "oci:./x:1",
        "localhost:1/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let err = failing(&["tags", reference]);
        assert!(err.contains("not a tag or digest"), "{reference}: {err}");
    }
}

#[test]
fn a_missing_tag_names_tags_that_exist() {
    let registry = shared();
    push_samples(registry, "tags/hint");
    let err = failing(&["describe", &registry.reference("tags/hint:no-such-tag")]);
    assert!(
        err.contains("no-such-tag") && err.contains("not found"),
        "{err}"
    );
    assert!(
        err.contains("the repository's tags: ") && err.contains("docker"),
        "{err}"
    );
    assert!(
        err.contains(&format!("`ocx tags {}`", registry.reference("tags/hint"))),
        "more tags than the hint shows: {err}"
    );
    // A digest that is missing gets no tag list: the tags would not help.
    let digest = format!("sha256:{}", "0".repeat(64));
    let err = failing(&[
        "describe",
        &registry.reference(&format!("tags/hint@{digest}")),
    ]);
    assert!(!err.contains("the repository's tags"), "{err}");
}

/// cosign and referrers tags (`sha256-HEX[.sbom|.att|.sig]`) sort before `v1` and would
/// fill the hint: they are left out of it.
#[test]
fn a_missing_tag_hint_leaves_out_digest_tags() {
    let registry = shared();
    let reference = registry.reference("tags/buried");
    let dest = open_source(&format!("{reference}:x"));
    let hex = "a".repeat(64);
    let digest_tags = ["", ".att", ".sbom", ".sig"]
        .map(|suffix| format!("sha256-{hex}{suffix}"))
        .into_iter()
        .chain([format!("sha256-{}", "b".repeat(64))]);
    runtime().block_on(async {
        let image = fixtures::docker_image(dest.as_ref()).await.unwrap();
        let bytes = dest
            .manifest_get(&ocx::reference::ManifestRef::Digest(image.digest.clone()))
            .await
            .unwrap()
            .bytes;
        for tag in digest_tags.chain(["v1".to_string()]) {
            let tag = ocx::reference::ManifestRef::Tag(tag);
            dest.manifest_put(&tag, &image.media_type, bytes.clone())
                .await
                .unwrap();
        }
    });
    let err = failing(&["describe", &format!("{reference}:v2")]);
    assert!(
        err.contains(&format!(
            "(the repository's tags: v1, …; `ocx tags {reference}` lists them all)"
        )),
        "{err}"
    );
}
