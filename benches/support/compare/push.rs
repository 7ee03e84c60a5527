//! The indexes the comparison reads, pushed through ocx's registry source with the test
//! fixtures' builders: per width N, `nN` (N images, no SBOM), `sN` (N other images, each
//! with a CycloneDX SBOM of `packages` packages attached as cosign does, under the tag
//! `sha256-<hex>.sbom`) and `tN` (the same platforms again, other images, SBOMs with
//! some packages upgraded, removed and added: the other side of `ocx diff`).

use std::sync::Arc;

use anyhow::{Context, Result};
use serde_json::json;

use crate::fixtures;
use ocx::digest::Digest;
use ocx::manifest::{Descriptor, Platform};
use ocx::reference::Target;
use ocx::source::registry::TransportOptions;
use ocx::source::{Session, Source};

pub const REPO: &str = "bench";
pub const MAX_WIDTH: usize = 64;
const CYCLONEDX: &str = "application/vnd.cyclonedx+json";

const ARCHITECTURES: [(&str, &str); 16] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("linux", "arm"),
    ("linux", "386"),
    ("linux", "ppc64le"),
    ("linux", "s390x"),
    ("linux", "riscv64"),
    ("linux", "mips64le"),
    ("linux", "loong64"),
    ("linux", "mips"),
    ("linux", "mipsle"),
    ("linux", "mips64"),
    ("linux", "ppc64"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("freebsd", "amd64"),
];
/// Variants that no platform normalises to another (arm64 is v8, arm is v7).
const VARIANTS: [Option<&str>; 4] = [None, Some("v2"), Some("v3"), Some("v4")];

/// What was pushed: the digest of each `nN` index, for the runs pinned by digest.
pub struct Pushed {
    pub plain_index: Vec<(usize, Digest)>,
    pub sbom_bytes_per_platform: usize,
}

/// Platform `i` of 64 distinct ones.
fn platform(i: usize) -> Platform {
    let (os, arch) = ARCHITECTURES[i % ARCHITECTURES.len()];
    fixtures::platform(os, arch, VARIANTS[i / ARCHITECTURES.len()])
}

/// A CycloneDX 1.6 BOM of `packages` packages of four ecosystems; `side` 1 upgrades
/// every tenth package, drops every 97th and adds a few, as a next release would.
pub fn cyclonedx(platform: usize, packages: usize, side: usize) -> Vec<u8> {
    let mut components = Vec::with_capacity(packages + 10);
    for k in 0..packages {
        if side == 1 && k % 97 == 0 {
            continue;
        }
        let patch = k % 10 + usize::from(side == 1 && k % 10 == 3);
        let version = format!("{}.{}.{patch}", 1 + k % 3, platform % 8);
        let purl = match k % 4 {
            0 => format!("pkg:deb/debian/lib{k}@{version}?arch=amd64&distro=debian-12"),
            1 => format!("pkg:npm/pkg-{k}@{version}"),
            2 => format!("pkg:pypi/py-{k}@{version}"),
            _ => format!("pkg:golang/example.com/mod{k}@v{version}"),
        };
        components.push(
            json!({"type": "library", "name": format!("p{k}"), "version": version, "purl": purl}),
        );
    }
    if side == 1 {
        for k in 0..10 {
            components.push(json!({"type": "library", "name": format!("new{k}"), "version": "0.1.0", "purl": format!("pkg:npm/new-{k}@0.1.0")}));
        }
    }
    let bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": {"type": "container", "name": format!("bench-{platform}")}},
        "components": components,
    });
    serde_json::to_vec(&bom).expect("a BOM serializes")
}

pub fn push(registry: &str, packages: usize) -> Result<Pushed> {
    let (source, runtime) = open(registry)?;
    runtime.block_on(push_all(source, packages))
}

/// The `nN` indexes only (no SBOMs), with the same images as [`push`]'s.
pub fn push_plain(registry: &str) -> Result<()> {
    let (source, runtime) = open(registry)?;
    runtime.block_on(async {
        let plain = images(&source, "2024-05-01T12:00:00Z", None).await?;
        for n in [1, 8, MAX_WIDTH] {
            put_index(&source, &format!("n{n}"), &plain[..n]).await?;
        }
        Ok(())
    })
}

fn open(registry: &str) -> Result<(Arc<dyn Source>, tokio::runtime::Runtime)> {
    let target = Target::parse(&format!("{registry}/{REPO}:unused"))?;
    let options = TransportOptions {
        plain_http: true,
        ..Default::default()
    };
    let (source, _) = Session::new(options)?.open(&target)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok((Arc::new(source), runtime))
}

async fn push_all(source: Arc<dyn Source>, packages: usize) -> Result<Pushed> {
    let plain = images(&source, "2024-05-01T12:00:00Z", None).await?;
    let with_sbom = images(&source, "2025-01-01T00:00:00Z", Some((packages, 0))).await?;
    let next = images(&source, "2025-02-01T00:00:00Z", Some((packages, 1))).await?;
    let mut plain_index = Vec::new();
    for n in [1, 8, MAX_WIDTH] {
        plain_index.push((n, put_index(&source, &format!("n{n}"), &plain[..n]).await?));
        put_index(&source, &format!("s{n}"), &with_sbom[..n]).await?;
        put_index(&source, &format!("t{n}"), &next[..n]).await?;
    }
    Ok(Pushed {
        plain_index,
        sbom_bytes_per_platform: cyclonedx(0, packages, 0).len(),
    })
}

/// One image per platform, `created` telling the sets apart; with `sbom = (packages,
/// side)`, each with its SBOM under the cosign tag.
async fn images(
    source: &Arc<dyn Source>,
    created: &str,
    sbom: Option<(usize, usize)>,
) -> Result<Vec<Descriptor>> {
    // One at a time: every image uploads the same empty layer again, and distribution
    // answers MANIFEST_BLOB_UNKNOWN to a manifest whose blob another upload is rewriting.
    let mut images = Vec::new();
    for i in 0..MAX_WIDTH {
        images.push(image(source, i, created, sbom).await?);
    }
    Ok(images)
}

async fn image(
    source: &Arc<dyn Source>,
    i: usize,
    created: &str,
    sbom: Option<(usize, usize)>,
) -> Result<Descriptor> {
    let image = fixtures::image_created(source.as_ref(), platform(i), created)
        .await
        .with_context(|| format!("pushing image {i}"))?;
    if let Some((packages, side)) = sbom {
        let document = cyclonedx(i, packages, side);
        fixtures::attach_cosign_tag(source.as_ref(), &image.digest, "sbom", CYCLONEDX, document)
            .await
            .with_context(|| format!("attaching the SBOM of image {i}"))?;
    }
    Ok(image)
}

async fn put_index(source: &Arc<dyn Source>, tag: &str, children: &[Descriptor]) -> Result<Digest> {
    fixtures::index(source.as_ref(), tag, children)
        .await
        .with_context(|| format!("pushing index {tag}"))
}
