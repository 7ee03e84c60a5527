//! `ocx describe` against a real registry (CNCF distribution 2.8) and OCI layouts.

mod common;

use common::*;
use serde_json::Value;

fn keys(value: &Value) -> Vec<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn single_platform_image_from_the_registry() {
    let registry = registry::shared();
    push_samples(registry, "single-image");
    let out = describe_json(&[&registry.reference("single-image:image")]);
    assert_eq!(
        out["media_type"]["value"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(out["media_type"]["is_image"], true);
    assert_eq!(out["media_type"]["is_index"], false);
    assert!(out["resolved"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/single-image@sha256:", registry.addr)));
    let config = &out["config"];
    assert_eq!(
        (config["os"].as_str(), config["architecture"].as_str()),
        (Some("linux"), Some("amd64"))
    );
    assert_eq!(config["entrypoint"], serde_json::json!(["/ko-app/hello"]));
    assert_eq!(config["exposed_ports"], serde_json::json!(["8080/tcp"]));
    assert_eq!(out["layers"].as_array().unwrap().len(), 1);
    assert_eq!(
        out["build"]["builder"]["value"],
        "ko ko://example.com/ocx/hello"
    );
    assert_eq!(out["build"]["source"]["source"], "label");
    assert_eq!(out["build"]["revision"]["value"], "4f1c2d9e0b7a");
    assert_eq!(out["build"]["created"]["source"], "annotation");
    let sizes: u64 = ["descriptor", "config"]
        .iter()
        .map(|k| out[k]["size"].as_u64().unwrap())
        .sum::<u64>()
        + out["layers"][0]["size"].as_u64().unwrap();
    assert_eq!(out["total_size"].as_u64().unwrap(), sizes);
}

#[test]
fn three_platform_index_with_an_attestation() {
    let registry = registry::shared();
    push_samples(registry, "three-platforms");
    let out = describe_json(&[&registry.reference("three-platforms:multi-platform")]);
    assert_eq!(out["media_type"]["is_index"], true);
    assert_eq!(
        keys(&out["manifests"]),
        [
            "linux/amd64",
            "linux/arm64/v8",
            "windows/amd64:10.0.20348.2113"
        ]
    );
    let windows = &out["manifests"]["windows/amd64:10.0.20348.2113"];
    assert_eq!(windows["config"]["os"], "windows");
    assert_eq!(
        windows["descriptor"]["platform"]["os_version"],
        "10.0.20348.2113"
    );
    assert_eq!(
        out["manifests"]["linux/arm64/v8"]["config"]["variant"],
        "v8"
    );
    let attestations = out["attestations"].as_array().unwrap();
    assert_eq!(attestations.len(), 1);
    assert_eq!(attestations[0]["refers_to_platform"], "linux/amd64");
    assert_eq!(
        attestations[0]["refers_to"],
        out["manifests"]["linux/amd64"]["descriptor"]["digest"]
    );
    assert_eq!(
        attestations[0]["predicate_types"],
        serde_json::json!(["https://spdx.dev/Document"])
    );
    assert_eq!(out["build"]["source"]["source"], "annotation");
    assert_eq!(out["build"]["revision"]["source"], "label");
}

#[test]
fn artifact_index_keeps_artifact_types_and_config_platforms() {
    let registry = registry::shared();
    push_samples(registry, "tofu/provider");
    let out = describe_json(&[&registry.reference("tofu/provider:provider")]);
    assert_eq!(out["artifact_type"], "application/vnd.opentofu.provider");
    let manifests = out["manifests"].as_object().unwrap();
    assert_eq!(manifests.len(), 3);
    for (key, child) in manifests {
        assert_eq!(
            child["artifact_type"], "application/vnd.opentofu.provider-target",
            "{key}"
        );
        assert_eq!(
            child["descriptor"]["artifact_type"],
            "application/vnd.opentofu.provider-target"
        );
    }
    let amd64 = &manifests["linux/amd64"];
    assert_eq!(amd64["config"]["os"], "linux");
    assert_eq!(amd64["config"]["architecture"], "amd64");
    assert!(amd64["config"]["created"].is_null());
    // The child with the empty config has no platform: it is keyed by its digest.
    let (key, source_only) = manifests
        .iter()
        .find(|(k, _)| k.starts_with("sha256:"))
        .unwrap();
    assert_eq!(&source_only["descriptor"]["digest"], key);
    assert_eq!(
        source_only["config"]["media_type"],
        "application/vnd.oci.empty.v1+json"
    );
    assert!(source_only["config"]["os"].is_null());
    assert!(source_only["descriptor"]["platform"].is_null());
}

#[test]
fn nested_index_is_walked_recursively() {
    let registry = registry::shared();
    push_samples(registry, "nested");
    let out = describe_json(&[&registry.reference("nested:nested")]);
    let manifests = out["manifests"].as_object().unwrap();
    assert_eq!(manifests.len(), 2);
    let (_, inner) = manifests
        .iter()
        .find(|(_, m)| m["media_type"]["is_index"] == true)
        .unwrap();
    assert_eq!(keys(&inner["manifests"]).len(), 3);
    assert_eq!(inner["attestations"].as_array().unwrap().len(), 1);
    assert_eq!(
        manifests["linux/amd64"]["layers"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn docker_manifest_list_and_image() {
    let registry = registry::shared();
    push_samples(registry, "docker");
    let out = describe_json(&[&registry.reference("docker:docker")]);
    assert_eq!(
        out["media_type"]["value"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    assert_eq!(out["media_type"]["is_index"], true);
    let child = &out["manifests"]["linux/amd64"];
    assert_eq!(
        child["media_type"]["value"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        child["config"]["media_type"],
        "application/vnd.docker.container.image.v1+json"
    );
    assert_eq!(out["build"]["builder"]["value"], "buildkit");
}

#[test]
fn unknown_tag_is_a_clear_error() {
    let registry = registry::shared();
    push_samples(registry, "unknown-tag");
    let reference = registry.reference("unknown-tag:no-such-tag");
    let output = ocx(&["describe", &reference]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains(&reference), "{err}");
    assert!(err.contains("not found"), "{err}");
    assert!(err.contains("MANIFEST_UNKNOWN"), "{err}");
    assert!(stdout(&output).is_empty());
    let missing_repo = ocx(&["describe", &registry.reference("nothing/here:1")]);
    assert_eq!(missing_repo.status.code(), Some(2));
    assert!(
        stderr(&missing_repo).contains("nothing/here:1 not found"),
        "{}",
        stderr(&missing_repo)
    );
}

#[test]
fn unreachable_registry_names_it() {
    let addr = format!("127.0.0.1:{}", common::registry::free_port());
    let output = ocx(&["describe", &format!("{addr}/app:1")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("cannot reach registry {addr}")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn registry_and_layout_give_the_same_description() {
    let registry = registry::shared();
    push_samples(registry, "same-description");
    let (_dir, layout) = sample_layout();
    for tag in fixtures::TAGS {
        let mut from_registry =
            describe_json(&[&registry.reference(&format!("same-description:{tag}"))]);
        let mut from_layout = describe_json(&[&format!("oci:{}:{tag}", layout.display())]);
        for out in [&mut from_registry, &mut from_layout] {
            let map = out.as_object_mut().unwrap();
            map.remove("reference");
            map.remove("resolved");
            map["descriptor"]["annotations"]
                .as_object_mut()
                .unwrap()
                .remove("org.opencontainers.image.ref.name");
            strip_discovery_paths(out);
        }
        assert_json_eq(&from_registry, &from_layout, tag);
    }
}

#[test]
fn tag_and_digest_resolves_by_digest_and_verifies() {
    let registry = registry::shared();
    push_samples(registry, "by-digest");
    let by_tag = describe_json(&[&registry.reference("by-digest:image")]);
    let digest = by_tag["descriptor"]["digest"].as_str().unwrap().to_string();
    // The tag names another manifest: the digest wins.
    let out = describe_json(&[&registry.reference(&format!("by-digest:provider@{digest}"))]);
    assert_eq!(out["descriptor"]["digest"], digest.as_str());
    let unknown = format!("sha256:{}", "0".repeat(64));
    let output = ocx(&[
        "describe",
        &registry.reference(&format!("by-digest@{unknown}")),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&unknown), "{}", stderr(&output));
}

#[test]
fn platform_selects_one_manifest() {
    let registry = registry::shared();
    push_samples(registry, "platform");
    let out = describe_json(&[
        &registry.reference("platform:multi-platform"),
        "--platform",
        "linux/arm64",
    ]);
    assert_eq!(out["media_type"]["is_image"], true);
    assert_eq!(out["config"]["architecture"], "arm64");
    assert_eq!(out["descriptor"]["platform"]["variant"], "v8");
    let windows = describe_json(&[
        &registry.reference("platform:multi-platform"),
        "--platform",
        "windows/amd64",
    ]);
    assert_eq!(windows["config"]["os"], "windows");
    let output = ocx(&[
        "describe",
        &registry.reference("platform:multi-platform"),
        "--platform",
        "linux/s390x",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("linux/s390x") && err.contains("linux/arm64/v8"),
        "{err}"
    );
    let image = ocx(&[
        "describe",
        &registry.reference("platform:image"),
        "--platform",
        "linux/arm64",
    ]);
    assert_eq!(image.status.code(), Some(2));
    assert!(
        stderr(&image).contains("single image for linux/amd64"),
        "{}",
        stderr(&image)
    );
}

#[test]
fn raw_prints_the_stored_bytes() {
    let registry = registry::shared();
    push_samples(registry, "raw");
    let described = describe_json(&[&registry.reference("raw:multi-platform")]);
    let raw = ocx(&[
        "describe",
        &registry.reference("raw:multi-platform"),
        "--raw",
    ]);
    assert!(raw.status.success());
    let digest = ocx::digest::Digest::sha256_of(&raw.stdout).to_string();
    assert_eq!(described["descriptor"]["digest"], digest.as_str());
    let child = ocx(&[
        "describe",
        &registry.reference("raw:multi-platform"),
        "--raw",
        "--platform",
        "linux/amd64",
    ]);
    assert_eq!(
        described["manifests"]["linux/amd64"]["descriptor"]["digest"],
        ocx::digest::Digest::sha256_of(&child.stdout)
            .to_string()
            .as_str()
    );
}

#[test]
fn human_output_is_plain_when_piped() {
    let (_dir, layout) = sample_layout();
    let out = ocx_ok(&[
        "describe",
        &format!("oci:{}:multi-platform", layout.display()),
    ]);
    assert!(out.contains("Platforms (3)"), "{out}");
    assert!(out.contains("windows/amd64:10.0.20348.2113"), "{out}");
    assert!(out.contains("PLATFORM"), "{out}");
    assert!(!out.contains('\u{1b}'), "no escape codes when piped: {out}");
    assert!(
        !out.contains('│') && !out.contains('─'),
        "no box drawing when piped: {out}"
    );
    let styled = ocx_ok(&[
        "--color",
        "always",
        "describe",
        &format!("oci:{}:image", layout.display()),
    ]);
    assert!(
        styled.contains('\u{1b}') && styled.contains('│'),
        "{styled}"
    );
}

#[test]
fn a_registry_that_never_answers_times_out() {
    // The kernel accepts connections into the backlog; nothing ever answers them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let started = std::time::Instant::now();
    let output = ocx(&["--timeout", "1", "describe", &format!("{addr}/app:1")]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains(&addr.to_string()) && err.contains("timed out"),
        "{err}"
    );
    // One second per attempt, three attempts, short pauses between them.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
}

/// Every kind of referrer an image can have, each listed once with its artifact type and
/// digest, in JSON and in the human output; a manifest without any shows no section.
#[test]
fn describe_lists_signatures_attestations_sboms_and_other_referrers() {
    use ocx::reference::ManifestRef;
    let (_dir, layout) = sample_layout();
    let reference = format!("oci:{}:image", layout.display());
    let source = open_source(&reference);
    let image = runtime()
        .block_on(source.manifest_get(&ManifestRef::Tag("image".into())))
        .unwrap()
        .descriptor;
    let attach = |artifact_type: &str, document: &[u8]| {
        runtime()
            .block_on(fixtures::attach_referrer(
                source.as_ref(),
                &image,
                artifact_type,
                document.to_vec(),
            ))
            .unwrap()
    };
    let signature = attach("application/vnd.cncf.notary.signature", b"jws");
    let readme = attach("application/vnd.example.readme", b"# hello");
    let sbom = attach(
        "application/spdx+json",
        br#"{"spdxVersion":"SPDX-2.3","packages":[]}"#,
    );
    let provenance = fixtures::in_toto_statement(
        "https://slsa.dev/provenance/v1",
        serde_json::json!({"buildDefinition": {}}),
    );
    let (attestation, _) = runtime()
        .block_on(fixtures::attach_cosign_attestations(
            source.as_ref(),
            &image.digest,
            &[provenance],
        ))
        .unwrap();

    let described = describe_json(&[&reference]);
    let listed: Vec<(String, String, String, String)> = described["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap_or("-").to_string();
            (
                text("kind"),
                text("artifact_type"),
                text("digest"),
                text("convention"),
            )
        })
        .collect();
    let row = |kind: &str, artifact_type: &str, digest: &ocx::digest::Digest, via: &str| {
        (
            kind.into(),
            artifact_type.into(),
            digest.to_string(),
            via.into(),
        )
    };
    let expected = [
        row(
            "signature",
            "application/vnd.cncf.notary.signature",
            &signature.digest,
            "referrers_api",
        ),
        row(
            "artifact",
            "application/vnd.example.readme",
            &readme.digest,
            "referrers_api",
        ),
        row(
            "sbom",
            "application/spdx+json",
            &sbom.digest,
            "referrers_api",
        ),
        row(
            "attestation",
            "application/vnd.oci.image.config.v1+json",
            &attestation.digest,
            "cosign_attestation_tag",
        ),
    ];
    for wanted in &expected {
        assert!(listed.contains(wanted), "{wanted:?} not in {listed:?}");
    }
    assert_eq!(listed.len(), expected.len(), "{listed:?}");

    let text = ocx_ok(&["describe", &reference]);
    assert!(text.contains("Referrers (4)"), "{text}");
    let has_row = |cells: &[&str]| text.lines().any(|l| cells.iter().all(|c| l.contains(c)));
    let short = |digest: &ocx::digest::Digest| digest.to_string()[..19].to_string();
    assert!(
        has_row(&[
            "signature",
            "application/vnd.cncf.notary.signature",
            &short(&signature.digest),
            "referrers API"
        ]),
        "{text}"
    );
    assert!(
        has_row(&[
            "attestation (https://slsa.dev/provenance/v1)",
            &short(&attestation.digest),
            "cosign .att tag"
        ]),
        "{text}"
    );

    let plain = format!("oci:{}:provider", layout.display());
    assert_eq!(describe_json(&[&plain])["referrers"], serde_json::json!([]));
    assert!(!ocx_ok(&["describe", &plain]).contains("Referrers"));
    let skipped = describe_json(&[&reference, "--no-sbom"]);
    assert!(skipped["referrers"].is_null());
}
