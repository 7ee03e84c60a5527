//! `ocx sbom` and describe's `sbom`: every discovery path on a registry without the
//! referrers API (distribution 2.8: tag fallback) and one with it (ferro-oci-server),
//! SBOMs made by real generators, and the failures a user must see.

mod common;

use std::process::Command;

use bytes::Bytes;
use common::registry::{self, Kind, Registry};
use common::*;
use serde_json::{json, Value};

const WINDOWS: &str = "windows/amd64:10.0.20348.2113";

fn purls(subject: &Value) -> Vec<String> {
    subject["sbom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purl"].as_str().unwrap().to_string())
        .collect()
}

/// The first place that held an SBOM of a subject.
fn found_source(subject: &Value) -> Value {
    subject["sbom_sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["outcome"] == "found")
        .unwrap_or_else(|| panic!("no SBOM found: {}", subject["sbom_sources"]))
        .clone()
}

/// The shared distribution registry, or a ferro-oci-server started into `ferro`.
fn registry_of(kind: Kind, ferro: &mut Option<Registry>) -> &Registry {
    match kind {
        Kind::Distribution => registry::shared(),
        Kind::Ferro => ferro.insert(Registry::start_ferro()),
    }
}

fn every_convention_is_found(kind: Kind) {
    let mut ferro = None;
    let registry = registry_of(kind, &mut ferro);
    push_samples(registry, "every-convention");
    let out = sbom_json(&[&registry.reference("every-convention:multi-platform")]);
    let manifests = &out["manifests"];

    // Index level: a DSSE-wrapped in-toto SPDX statement under cosign's .att tag, listing
    // only pkg:oci images; the purl the parser rejects is kept with a warning.
    assert_eq!(found_conventions(&out), ["cosign_attestation_tag"]);
    let index_purls = purls(&out);
    assert_eq!(index_purls.len(), 3);
    assert!(
        index_purls.iter().all(|p| p.starts_with("pkg:oci/")),
        "{index_purls:?}"
    );
    let rejected = out["sbom"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purl"] == "pkg:oci/library/hello")
        .unwrap();
    assert!(
        rejected["warning"].as_str().unwrap().contains("namespace"),
        "{rejected}"
    );
    assert_eq!(
        (rejected["type"].as_str(), rejected["name"].as_str()),
        (Some("oci"), Some("hello"))
    );
    let att = found_source(&out);
    assert_eq!(att["envelopes"], json!(["dsse", "in-toto"]));
    assert_eq!(att["predicate_type"], "https://spdx.dev/Document");

    // Each platform has its own SBOM, each attached another way.
    assert_eq!(
        found_conventions(&manifests["linux/amd64"]),
        ["buildkit_attestation"]
    );
    assert_eq!(
        purls(&manifests["linux/amd64"]),
        [
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1",
            "pkg:golang/golang.org/x/net@v0.24.0"
        ]
    );
    assert_eq!(
        found_conventions(&manifests["linux/arm64/v8"]),
        ["cosign_sbom_tag"]
    );
    let arm_source = found_source(&manifests["linux/arm64/v8"]);
    assert_eq!(
        (
            arm_source["packages"].as_u64(),
            arm_source["packages_without_purl"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let libc = manifests["linux/arm64/v8"]["sbom"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libc6")
        .unwrap()
        .clone();
    assert_eq!(libc["version"], "2.36-9+deb12u4");
    assert_eq!(
        libc["qualifiers"],
        json!({"arch": "arm64", "distro": "debian-12"})
    );
    assert_eq!(libc["namespace"], "debian");
    assert_eq!(libc["scheme"], "pkg");

    let expected_referrer = match kind {
        Kind::Distribution => "referrers_tag",
        Kind::Ferro => "referrers_api",
    };
    assert_eq!(found_conventions(&manifests[WINDOWS]), [expected_referrer]);
    assert_eq!(purls(&manifests[WINDOWS]).len(), 4);
    let api = manifests[WINDOWS]["sbom_sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["convention"] == "referrers_api")
        .unwrap()
        .clone();
    let expected_api_outcome = match kind {
        Kind::Distribution => "absent",
        Kind::Ferro => "found",
    };
    assert_eq!(api["outcome"], expected_api_outcome);

    // describe carries the same packages.
    let described = describe_json(&[&registry.reference("every-convention:multi-platform")]);
    assert_eq!(
        described["manifests"][WINDOWS]["sbom"],
        manifests[WINDOWS]["sbom"]
    );
    assert_eq!(described["sbom"], out["sbom"]);
}

#[test]
fn every_convention_on_distribution_with_the_tag_fallback() {
    every_convention_is_found(Kind::Distribution);
}

#[test]
fn every_convention_on_a_registry_with_the_referrers_api() {
    every_convention_is_found(Kind::Ferro);
}

#[test]
fn nested_indexes_keep_their_attestations() {
    let (_dir, layout) = sample_layout();
    let out = sbom_json(&[&format!("oci:{}:nested", layout.display())]);
    let (_, inner) = out["manifests"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, m)| m.get("manifests").is_some())
        .unwrap();
    assert_eq!(
        found_conventions(&inner["manifests"]["linux/amd64"]),
        ["buildkit_attestation"]
    );
    assert_eq!(found_conventions(inner), ["cosign_attestation_tag"]);
    let human = ocx_ok(&["sbom", &format!("oci:{}:nested", layout.display())]);
    assert!(human.contains("> windows/amd64:10.0.20348.2113"), "{human}");
    assert!(human.contains("pkg:golang/stdlib@go1.22.2"), "{human}");
}

#[test]
fn platform_filter_raw_and_no_sbom() {
    let registry = registry::shared();
    push_samples(registry, "platform-filter");
    let reference = registry.reference("platform-filter:multi-platform");
    let one = sbom_json(&[&reference, "--platform", "linux/arm64"]);
    assert!(one.get("manifests").is_none());
    assert_eq!(found_conventions(&one), ["cosign_sbom_tag"]);
    // The attestation the index lists for a platform is read when that platform is
    // picked out of it.
    let amd64 = sbom_json(&[&reference, "--platform", "linux/amd64"]);
    assert_eq!(found_conventions(&amd64), ["buildkit_attestation"]);
    assert_eq!(purls(&amd64).len(), 2);

    let raw = ocx(&["sbom", &reference, "--platform", "linux/arm64", "--raw"]);
    assert!(raw.status.success(), "{}", stderr(&raw));
    let document: Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(document["spdxVersion"], "SPDX-2.3");
    let source = found_source(&one);
    assert_eq!(
        ocx::digest::Digest::sha256_of(&raw.stdout).to_string(),
        source["document"].as_str().unwrap()
    );

    let index_raw = ocx(&[
        "sbom",
        &registry.reference("platform-filter:image"),
        "--raw",
    ]);
    assert_eq!(index_raw.status.code(), Some(2));
    assert!(
        stderr(&index_raw).contains("no SBOM is attached"),
        "{}",
        stderr(&index_raw)
    );

    let structure = describe_json(&[&reference, "--no-sbom"]);
    assert!(structure["sbom"].is_null() && structure["sbom_sources"].is_null());
    assert!(structure["manifests"]["linux/amd64"]["sbom"].is_null());
}

/// Attaches `document` to the `image` sample in `repo` as an OCI 1.1 referrer.
fn attach_referrer(registry: &Registry, repo: &str, media_type: &str, document: Vec<u8>) {
    let source = open_source(&registry.reference(&format!("{repo}:image")));
    let image = runtime()
        .block_on(source.manifest_get(&ocx::reference::ManifestRef::Tag("image".into())))
        .unwrap();
    runtime()
        .block_on(fixtures::attach_referrer(
            source.as_ref(),
            &image.descriptor,
            media_type,
            document,
        ))
        .unwrap();
}

#[test]
fn cyclonedx_from_cyclonedx_py() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.json");
    run_tool(
        Command::new(python_tool("cyclonedx-py"))
            .args([
                "environment",
                "--spec-version",
                "1.6",
                "--output-format",
                "JSON",
                "-o",
            ])
            .arg(&path),
    );
    let document = std::fs::read(&path).unwrap();
    let bom: Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(bom["specVersion"], "1.6");
    let mut expected: Vec<String> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect();
    expected.sort();
    expected.dedup();
    assert!(
        expected
            .iter()
            .any(|p| p.starts_with("pkg:pypi/cyclonedx-bom@")),
        "{expected:?}"
    );

    for kind in [Kind::Ferro, Kind::Distribution] {
        let mut ferro = None;
        let registry = registry_of(kind, &mut ferro);
        push_samples(registry, "cyclonedx");
        attach_referrer(
            registry,
            "cyclonedx",
            "application/vnd.cyclonedx+json",
            document.clone(),
        );
        let out = sbom_json(&[&registry.reference("cyclonedx:image")]);
        let mut got = purls(&out);
        got.retain(|p| p.starts_with("pkg:pypi/"));
        let mut want = expected.clone();
        want.retain(|p| p.starts_with("pkg:pypi/"));
        assert_eq!(got, want, "{kind:?}");
        let source = found_source(&out);
        assert_eq!(
            (source["format"].as_str(), source["spec_version"].as_str()),
            (Some("cyclonedx"), Some("1.6"))
        );
    }
}

#[test]
fn spdx_json_from_spdx_tools_under_a_cosign_tag() {
    let dir = tempfile::tempdir().unwrap();
    let tag_value = dir.path().join("doc.spdx");
    std::fs::write(
        &tag_value,
        "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: ocx-test\n\
         DocumentNamespace: https://example.com/ocx-test\nCreator: Tool: ocx-tests\nCreated: 2024-05-01T12:00:00Z\n\n\
         PackageName: zlib\nSPDXID: SPDXRef-zlib\nPackageVersion: 1.3\nPackageDownloadLocation: NOASSERTION\n\
         FilesAnalyzed: false\nExternalRef: PACKAGE-MANAGER purl pkg:deb/debian/zlib1g@1.3?arch=amd64\n\n\
         PackageName: openssl\nSPDXID: SPDXRef-openssl\nPackageVersion: 3.0.11\nPackageDownloadLocation: NOASSERTION\n\
         FilesAnalyzed: false\nExternalRef: PACKAGE-MANAGER purl pkg:deb/debian/openssl@3.0.11?arch=amd64\n\n\
         PackageName: no-purl\nSPDXID: SPDXRef-nopurl\nPackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\n\n\
         Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-zlib\n\
         Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-openssl\n\
         Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-nopurl\n",
    )
    .unwrap();
    let json_path = dir.path().join("doc.spdx.json");
    run_tool(
        Command::new(python_tool("pyspdxtools"))
            .arg("-i")
            .arg(&tag_value)
            .arg("-o")
            .arg(&json_path),
    );
    let document = std::fs::read(&json_path).unwrap();

    let registry = registry::shared();
    push_samples(registry, "spdx-tools");
    let source = open_source(&registry.reference("spdx-tools:image"));
    let image = runtime()
        .block_on(source.manifest_get(&ocx::reference::ManifestRef::Tag("image".into())))
        .unwrap();
    runtime()
        .block_on(fixtures::attach_cosign_tag(
            source.as_ref(),
            &image.descriptor.digest,
            "sbom",
            "text/spdx+json",
            document,
        ))
        .unwrap();
    let out = sbom_json(&[&registry.reference("spdx-tools:image")]);
    assert_eq!(
        purls(&out),
        [
            "pkg:deb/debian/openssl@3.0.11?arch=amd64",
            "pkg:deb/debian/zlib1g@1.3?arch=amd64"
        ]
    );
    let source = found_source(&out);
    assert_eq!(source["convention"], "cosign_sbom_tag");
    assert_eq!(source["packages_without_purl"], 1);
    let human = ocx_ok(&["sbom", &registry.reference("spdx-tools:image")]);
    assert!(
        human.contains("zlib1g") && human.contains("1 package is listed without a purl"),
        "{human}"
    );
}

#[test]
fn cosign_repository_is_honoured() {
    let registry = registry::shared();
    push_samples(registry, "cosign-repository");
    let elsewhere = open_source(&registry.reference("cosign-repository/signatures:unused"));
    let image = runtime()
        .block_on(
            open_source(&registry.reference("cosign-repository:image"))
                .manifest_get(&ocx::reference::ManifestRef::Tag("image".into())),
        )
        .unwrap();
    let spdx = br#"{"spdxVersion":"SPDX-2.3","packages":[{"name":"x","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:npm/left-pad@1.3.0"}]}]}"#;
    runtime()
        .block_on(fixtures::attach_cosign_tag(
            elsewhere.as_ref(),
            &image.descriptor.digest,
            "sbom",
            "application/spdx+json",
            spdx.to_vec(),
        ))
        .unwrap();
    let without = sbom_json(&[&registry.reference("cosign-repository:image")]);
    assert!(purls(&without).is_empty());
    let repository = format!("{}/cosign-repository/signatures", registry.addr);
    let with = ocx_with_env(
        &[
            "sbom",
            &registry.reference("cosign-repository:image"),
            "--json",
        ],
        &[("COSIGN_REPOSITORY", &repository)],
    );
    assert!(with.status.success(), "{}", stderr(&with));
    let out: Value = serde_json::from_slice(&with.stdout).unwrap();
    assert_eq!(purls(&out), ["pkg:npm/left-pad@1.3.0"]);
}

/// A referrer whose layer descriptor claims more bytes than the blob has.
#[test]
fn truncated_and_oversized_sbom_blobs_are_clear_errors() {
    let registry = Registry::start_ferro();
    push_samples(&registry, "app");
    let source = open_source(&registry.reference("app:image"));
    let image = runtime()
        .block_on(source.manifest_get(&ocx::reference::ManifestRef::Tag("image".into())))
        .unwrap();
    let document = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}"#.to_vec();
    let layer = ocx::manifest::Descriptor::new(
        "application/vnd.cyclonedx+json",
        ocx::digest::Digest::sha256_of(&document),
        document.len() as u64,
    );
    runtime()
        .block_on(source.blob_put(&layer, Bytes::from(document.clone())))
        .unwrap();
    let empty = ocx::manifest::Descriptor::new(
        ocx::manifest::OCI_EMPTY,
        ocx::digest::Digest::sha256_of(b"{}"),
        2,
    );
    runtime()
        .block_on(source.blob_put(&empty, Bytes::from_static(b"{}")))
        .unwrap();
    let mut claimed = layer.clone();
    claimed.size += 100;
    let manifest = json!({
        "schemaVersion": 2, "mediaType": ocx::manifest::OCI_MANIFEST,
        "artifactType": "application/vnd.cyclonedx+json",
        "config": empty, "layers": [claimed],
        "subject": {"mediaType": image.descriptor.media_type, "digest": image.descriptor.digest.to_string(), "size": image.descriptor.size}
    });
    runtime()
        .block_on(source.referrer_put(
            ocx::manifest::OCI_MANIFEST,
            Bytes::from(serde_json::to_vec(&manifest).unwrap()),
        ))
        .unwrap();
    // Recorded and warned about; raising the limit cannot help a size mismatch, so the
    // hint is not given. --strict makes it fatal.
    let output = ocx(&["sbom", &registry.reference("app:image")]);
    assert_eq!(output.status.code(), Some(0));
    let warned = stderr(&output);
    assert!(
        warned.contains(&layer.digest.to_string()) && warned.contains("size mismatch"),
        "{warned}"
    );
    assert!(!warned.contains("--max-sbom-size"), "{warned}");
    let err = failing(&["sbom", &registry.reference("app:image"), "--strict"]);
    assert!(
        err.contains(&layer.digest.to_string()) && err.contains("size mismatch"),
        "{err}"
    );

    let err = failing(&[
        "sbom",
        &registry.reference("app:multi-platform"),
        "--max-sbom-size",
        "100",
        "--strict",
    ]);
    assert!(
        err.contains("over the 100-byte limit") && err.contains("--max-sbom-size"),
        "{err}"
    );
    assert!(err.contains("blob") && err.contains("sha256:"), "{err}");
}

#[test]
fn truncated_sbom_in_a_layout_names_the_digest() {
    let (_dir, layout) = sample_layout();
    let reference = format!("oci:{}:multi-platform", layout.display());
    let out = sbom_json(&[&reference]);
    let document = found_source(&out["manifests"]["linux/arm64/v8"])["document"]
        .as_str()
        .unwrap()
        .to_string();
    let path = layout
        .join("blobs/sha256")
        .join(document.trim_start_matches("sha256:"));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = failing(&["sbom", &reference, "--strict"]);
    assert!(err.contains(&document), "{err}");
    // Without --strict, the rest is still shown and the document is recorded as an error.
    let out = sbom_json(&[&reference]);
    let recorded = out["manifests"]["linux/arm64/v8"]["sbom_sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["document"] == document.as_str())
        .unwrap();
    assert_eq!(recorded["outcome"], "error");
    assert!(recorded["detail"].as_str().unwrap().contains(&document));
    assert_eq!(out["failures"], 1);
}

/// cosign 3 and GitHub's attest action: a sigstore bundle referrer whose DSSE envelope
/// holds an SBOM statement; a provenance statement beside it is noted, not parsed.
#[test]
fn sigstore_bundles_and_non_sbom_attestations() {
    use base64::Engine as _;
    let registry = Registry::start_ferro();
    push_samples(&registry, "app");
    let statement = |predicate_type: &str, predicate: Value| json!({"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": predicate_type, "predicate": predicate});
    let spdx = statement(
        "https://spdx.dev/Document/v2.3",
        json!({"spdxVersion": "SPDX-2.3", "packages": [{"name": "jq", "externalRefs": [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:deb/debian/jq@1.6-2.1?arch=amd64"}]}]}),
    );
    let encode = |v: &Value| {
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(v).unwrap())
    };
    let bundle = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "test"}},
        "dsseEnvelope": {"payload": encode(&spdx), "payloadType": "application/vnd.in-toto+json",
                         "signatures": [{"sig": "c2ln", "keyid": ""}]}
    });
    attach_referrer(
        &registry,
        "app",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        serde_json::to_vec(&bundle).unwrap(),
    );
    let provenance = statement(
        "https://slsa.dev/provenance/v1",
        json!({"buildDefinition": {}}),
    );
    attach_referrer(
        &registry,
        "app",
        "application/vnd.in-toto+json",
        serde_json::to_vec(&provenance).unwrap(),
    );

    // The referrers API filters by artifact type (OCI-Filters-Applied).
    let source = open_source(&registry.reference("app:image"));
    let image = runtime()
        .block_on(source.manifest_get(&ocx::reference::ManifestRef::Tag("image".into())))
        .unwrap();
    let subject = &image.descriptor.digest;
    let all = runtime()
        .block_on(source.referrers_list(subject, None))
        .unwrap()
        .unwrap()
        .manifests;
    assert_eq!(all.len(), 2, "{all:?}");
    let filtered = runtime()
        .block_on(source.referrers_list(subject, Some("application/vnd.in-toto+json")))
        .unwrap()
        .unwrap()
        .manifests;
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    assert_eq!(
        filtered[0].artifact_type.as_deref(),
        Some("application/vnd.in-toto+json")
    );

    let out = sbom_json(&[&registry.reference("app:image")]);
    assert_eq!(purls(&out), ["pkg:deb/debian/jq@1.6-2.1?arch=amd64"]);
    let sources = out["sbom_sources"].as_array().unwrap();
    let bundle_source = sources.iter().find(|s| s["outcome"] == "found").unwrap();
    assert_eq!(
        bundle_source["envelopes"],
        json!(["sigstore-bundle", "dsse", "in-toto"])
    );
    assert_eq!(bundle_source["convention"], "referrers_api");
    let skipped = sources
        .iter()
        .find(|s| s["outcome"] == "not_an_sbom")
        .unwrap();
    assert!(
        skipped["detail"]
            .as_str()
            .unwrap()
            .contains("https://slsa.dev/provenance/v1"),
        "{skipped}"
    );
}

/// The image of a fresh sample layout: its reference, source and descriptor.
fn layout_image() -> (
    tempfile::TempDir,
    String,
    std::sync::Arc<dyn ocx::source::Source>,
    ocx::manifest::Descriptor,
) {
    let (dir, layout) = sample_layout();
    let reference = format!("oci:{}:image", layout.display());
    let source = open_source(&reference);
    let image = runtime()
        .block_on(source.manifest_get(&ocx::reference::ManifestRef::Tag("image".into())))
        .unwrap();
    (dir, reference, source, image.descriptor)
}

fn spdx_statement(purl: &str) -> Value {
    fixtures::in_toto_statement(
        "https://spdx.dev/Document",
        json!({"spdxVersion": "SPDX-2.3", "packages": [{"name": "jq", "externalRefs": [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}]}]}),
    )
}

/// `cosign attest --type spdxjson`, then `--type slsaprovenance`, on one image: the SBOM
/// is read, and the provenance beside it is reported, in JSON and in text, not dropped.
#[test]
fn provenance_under_cosigns_att_tag_is_reported_beside_the_sbom() {
    let (_dir, reference, source, image) = layout_image();
    let provenance = fixtures::in_toto_statement(
        "https://slsa.dev/provenance/v0.2",
        json!({"builder": {"id": "https://example.com/builder"}, "buildType": "https://example.com/build"}),
    );
    let statements = [spdx_statement("pkg:deb/debian/jq@1.6"), provenance];
    let (manifest, layers) = runtime()
        .block_on(fixtures::attach_cosign_attestations(
            source.as_ref(),
            &image.digest,
            &statements,
        ))
        .unwrap();

    let out = sbom_json(&[&reference]);
    assert_eq!(purls(&out), ["pkg:deb/debian/jq@1.6"]);
    let noted = out["sbom_sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["outcome"] == "not_an_sbom")
        .unwrap_or_else(|| panic!("provenance not reported: {}", out["sbom_sources"]))
        .clone();
    assert_eq!(noted["convention"], "cosign_attestation_tag");
    assert_eq!(noted["predicate_type"], "https://slsa.dev/provenance/v0.2");
    assert_eq!(noted["manifest"], manifest.digest.to_string());
    assert_eq!(noted["document"], layers[1].digest.to_string());

    let text = ocx_ok(&["sbom", &reference]);
    assert!(
        text.contains("holds an attestation of https://slsa.dev/provenance/v0.2"),
        "{text}"
    );
}

/// ko's `.sbom` tag and a `cosign attest` beside it: `--raw` refuses to run two documents
/// together and lists them; `--document` picks one by number, digest or manifest digest;
/// `--unwrap` takes the SPDX document out of its DSSE envelope and in-toto statement.
#[test]
fn raw_with_several_documents_asks_for_one_and_unwraps_it() {
    let (_dir, reference, source, image) = layout_image();
    let bare = br#"{"spdxVersion":"SPDX-2.3","packages":[]}"#.to_vec();
    runtime()
        .block_on(fixtures::attach_cosign_tag(
            source.as_ref(),
            &image.digest,
            "sbom",
            "text/spdx+json",
            bare.clone(),
        ))
        .unwrap();
    let statement = spdx_statement("pkg:deb/debian/jq@1.6");
    let (attestation, layers) = runtime()
        .block_on(fixtures::attach_cosign_attestations(
            source.as_ref(),
            &image.digest,
            std::slice::from_ref(&statement),
        ))
        .unwrap();
    let bare_digest = ocx::digest::Digest::sha256_of(&bare).to_string();
    let envelope_digest = layers[0].digest.to_string();

    let refused = failing(&["sbom", &reference, "--raw"]);
    assert!(
        refused.contains("2 SBOM documents are attached")
            && refused.contains("--document")
            && refused.contains(&format!("1  {bare_digest}"))
            && refused.contains(&format!("2  {envelope_digest}"))
            && refused.contains("inside dsse > in-toto"),
        "{refused}"
    );
    let raw = |extra: &[&str]| {
        let mut args = vec!["sbom", reference.as_str(), "--raw"];
        args.extend_from_slice(extra);
        let output = ocx(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        output.stdout
    };
    assert_eq!(raw(&["--document", "1"]), bare);
    let stored_envelope = raw(&["--document", "2"]);
    assert_eq!(
        ocx::digest::Digest::sha256_of(&stored_envelope).to_string(),
        envelope_digest
    );
    assert_eq!(raw(&["--document", &envelope_digest]), stored_envelope);
    assert_eq!(
        raw(&["--document", &attestation.digest.to_string()]),
        stored_envelope
    );
    let unwrapped = raw(&["--document", "2", "--unwrap"]);
    assert_eq!(
        unwrapped,
        serde_json::to_vec(&statement["predicate"]).unwrap()
    );
    assert_eq!(
        raw(&["--document", "1", "--unwrap"]),
        bare,
        "nothing to unwrap"
    );
    let unknown = failing(&["sbom", &reference, "--raw", "--document", "3"]);
    assert!(
        unknown.contains(r#"--document "3" names none"#),
        "{unknown}"
    );
}

/// An SPDX document under cosign's `.sbom` tag and a CycloneDX referrer list the same
/// image: a package both list without a purl is counted once, as purls are merged.
#[test]
fn packages_without_a_purl_are_counted_once_across_documents() {
    let (_dir, reference, source, image) = layout_image();
    let spdx = json!({"spdxVersion": "SPDX-2.3", "packages": [
        {"name": "busybox", "versionInfo": "1.36.1"},
        {"name": "libfoo"},
        {"name": "jq", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl", "referenceLocator": "pkg:apk/alpine/jq@1.7"}]}]});
    let cyclonedx = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "busybox", "version": "1.36.1"},
        {"type": "library", "name": "only-here"},
        {"type": "library", "name": "jq", "purl": "pkg:apk/alpine/jq@1.7"}]});
    runtime().block_on(async {
        fixtures::attach_cosign_tag(
            source.as_ref(),
            &image.digest,
            "sbom",
            "text/spdx+json",
            serde_json::to_vec(&spdx).unwrap(),
        )
        .await
        .unwrap();
        fixtures::attach_referrer(
            source.as_ref(),
            &image,
            "application/vnd.cyclonedx+json",
            serde_json::to_vec(&cyclonedx).unwrap(),
        )
        .await
        .unwrap();
    });

    let out = sbom_json(&[&reference]);
    assert_eq!(purls(&out), ["pkg:apk/alpine/jq@1.7"]);
    let per_document: Vec<u64> = out["sbom_sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "found")
        .map(|s| s["packages_without_purl"].as_u64().unwrap())
        .collect();
    assert_eq!(per_document, [2, 2]);
    // busybox 1.36.1, libfoo, only-here
    assert_eq!(out["sbom_packages_without_purl"], 3);
    assert_eq!(
        describe_json(&[&reference])["sbom_packages_without_purl"],
        3
    );
    let text = ocx_ok(&["sbom", &reference]);
    assert!(
        text.contains("3 packages are listed without a purl"),
        "{text}"
    );
}
