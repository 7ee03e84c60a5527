//! What SBOM discovery costs in requests, counted by a proxy in front of real registries:
//! on distribution (no referrers API) a constant number beyond the SBOMs that exist, not
//! four probes per manifest; on ferro-oci-server one referrers request per manifest and
//! no tag probes.

mod common;
#[allow(dead_code)]
#[path = "../benches/support/delay_proxy.rs"]
mod delay_proxy;

use std::time::Duration;

use common::fixtures;
use common::registry::{self, Registry};
use common::*;
use delay_proxy::{DelayProxy, EventKind};
use ocx::manifest::Descriptor;
use ocx::reference::ManifestRef;
use ocx::source::Source;
use serde_json::Value;

const CHILDREN: usize = 8;
const ARCHITECTURES: [&str; CHILDREN] = [
    "amd64", "arm64", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64",
];
const CYCLONEDX: &str = "application/vnd.cyclonedx+json";

fn cyclonedx(name: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{"type": "library", "name": name, "version": "1.0",
                        "purl": format!("pkg:generic/{name}@1.0")}]
    }))
    .unwrap()
}

/// Pushes `repo:index`, an index of [`CHILDREN`] images, and returns the children.
fn push_index(source: &dyn Source) -> Vec<Descriptor> {
    runtime().block_on(async {
        let mut children = Vec::new();
        for arch in ARCHITECTURES {
            let platform = fixtures::platform("linux", arch, None);
            children.push(fixtures::image(source, platform).await.unwrap());
        }
        fixtures::index(source, "index", &children).await.unwrap();
        children
    })
}

/// The request lines of one `ocx describe --json` through a counting proxy, and its
/// output.
fn requests_of(registry: &Registry, repo: &str, args: &[&str]) -> (Vec<String>, Value) {
    let proxy = DelayProxy::start(registry.addr.parse().unwrap(), Duration::ZERO, None);
    let reference = format!("{}/{repo}:index", proxy.addr());
    let mut all = vec!["--plain-http", "describe", &reference, "--json"];
    all.extend_from_slice(args);
    let out = ocx_ok(&all);
    let requests = proxy
        .take_events()
        .into_iter()
        .filter(|e| e.kind == EventKind::Request)
        .map(|e| e.line)
        .collect();
    (requests, serde_json::from_str(&out).unwrap())
}

fn count(requests: &[String], needle: &str) -> usize {
    requests.iter().filter(|r| r.contains(needle)).count()
}

/// The conventions that found an SBOM for each child, in index order.
fn found_per_child(described: &Value) -> Vec<Vec<String>> {
    ARCHITECTURES
        .iter()
        .map(|arch| found_conventions(&described["manifests"][format!("linux/{arch}")]))
        .collect()
}

#[test]
fn discovery_without_the_referrers_api_costs_a_constant_number_of_requests() {
    let registry = registry::shared();
    let repo = "discovery-cost";
    let source = open_source(&registry.reference(&format!("{repo}:index")));
    let children = push_index(source.as_ref());
    // Two children with a cosign .sbom, one with a referrer in its `sha256-<hex>` tag.
    runtime().block_on(async {
        for child in &children[..2] {
            fixtures::attach_cosign_tag(
                source.as_ref(),
                &child.digest,
                "sbom",
                CYCLONEDX,
                cyclonedx("cosign"),
            )
            .await
            .unwrap();
        }
        fixtures::attach_referrer(source.as_ref(), &children[2], CYCLONEDX, cyclonedx("oras"))
            .await
            .unwrap();
    });

    let (walk, _) = requests_of(registry, repo, &["--no-sbom"]);
    let (with_discovery, described) = requests_of(registry, repo, &[]);
    let mut expected = vec![Vec::<String>::new(); CHILDREN];
    expected[0] = vec!["cosign_sbom_tag".into()];
    expected[1] = vec!["cosign_sbom_tag".into()];
    expected[2] = vec!["referrers_tag".into()];
    assert_eq!(found_per_child(&described), expected);

    // The tag list, the referrers API asked twice (a probe, then the first subject), and
    // what the SBOMs found take: two cosign manifests and blobs; the referrers tag's
    // index, its referrer and blob.
    let sboms = 2 * 2 + 3;
    let extra = with_discovery.len() - walk.len();
    assert!(
        extra <= 3 + sboms,
        "{extra} requests beyond the walk's {}: {with_discovery:#?}",
        walk.len()
    );
    assert_eq!(
        count(&with_discovery, "/tags/list"),
        1,
        "{with_discovery:#?}"
    );
    assert!(
        count(&with_discovery, "/referrers/") <= 2,
        "{with_discovery:#?}"
    );
    assert_eq!(count(&with_discovery, ".att "), 0, "{with_discovery:#?}");
}

#[test]
fn a_registry_with_the_referrers_api_is_asked_once_per_manifest_and_no_tag_is_probed() {
    let registry = Registry::start_ferro();
    let repo = "discovery-cost";
    let source = open_source(&registry.reference(&format!("{repo}:index")));
    let children = push_index(source.as_ref());
    runtime().block_on(async {
        fixtures::attach_referrer(source.as_ref(), &children[0], CYCLONEDX, cyclonedx("api"))
            .await
            .unwrap();
    });

    let (requests, described) = requests_of(&registry, repo, &[]);
    assert_eq!(found_per_child(&described)[0], ["referrers_api"]);
    // Each manifest (the index and its children) once, and the probe.
    assert_eq!(
        count(&requests, "/referrers/"),
        CHILDREN + 2,
        "{requests:#?}"
    );
    assert_eq!(count(&requests, "/manifests/sha256-"), 0, "{requests:#?}");
}

/// When the tag list cannot be read, discovery probes each convention's tag; a probe that
/// finds nothing costs its one request, not another tag list for a hint nobody sees.
#[test]
fn a_missing_convention_tag_costs_one_request() {
    use common::hostile::{image, Hostile, Reply};
    use std::sync::Arc;
    let image = image();
    let served = Arc::clone(&image);
    let registry = runtime().block_on(Hostile::start(move |request| {
        served.serve(request).unwrap_or_else(|| {
            if request.path.contains("/tags/list") {
                Reply::new("500 Internal Server Error", "")
            } else {
                Reply::not_found()
            }
        })
    }));
    let reference = format!("{}/app@{}", registry.addr, image.digest);
    let out = ocx(&["describe", &reference, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = registry.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    let probes = paths
        .iter()
        .filter(|p| p.contains(&format!("/manifests/sha256-{}", image.digest.hex())))
        .count();
    assert_eq!(probes, 3, "the .sbom, .att and referrers tags: {paths:#?}");
    let tag_lists = paths.iter().filter(|p| p.contains("/tags/list")).count();
    assert_eq!(tag_lists, 1, "{paths:#?}");
}

/// Both sides of a diff of one repository read its tag list once: the session asks it
/// once per run, as it asks each digest once.
#[test]
fn a_diff_within_one_repository_lists_its_tags_once() {
    let registry = registry::shared();
    let repo = "discovery-cost-diff";
    let source = open_source(&registry.reference(&format!("{repo}:index")));
    push_index(source.as_ref());
    runtime().block_on(async {
        let image = fixtures::image(source.as_ref(), fixtures::platform("linux", "amd64", None))
            .await
            .unwrap();
        let fetched = source
            .manifest_get(&ManifestRef::Digest(image.digest.clone()))
            .await
            .unwrap();
        source
            .manifest_put(
                &ManifestRef::Tag("other".into()),
                &image.media_type,
                fetched.bytes,
            )
            .await
            .unwrap();
    });
    let proxy = DelayProxy::start(registry.addr.parse().unwrap(), Duration::ZERO, None);
    let old = format!("{}/{repo}:index", proxy.addr());
    let new = format!("{}/{repo}:other", proxy.addr());
    let out = ocx(&["--plain-http", "diff", &old, &new, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let requests: Vec<String> = proxy
        .take_events()
        .into_iter()
        .filter(|e| e.kind == EventKind::Request)
        .map(|e| e.line)
        .collect();
    assert_eq!(count(&requests, "/tags/list"), 1, "{requests:#?}");
}
