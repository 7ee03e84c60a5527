//! `ocx diff --files`: what is read, CPU per uncompressed byte against `zcat | tar t`,
//! and peak memory for an image of 100,000 files. See benches/README.md.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use serde_json::{json, Value};

use ocx::digest::Digest;
use ocx::manifest::{Descriptor, ImageManifest, OCI_CONFIG, OCI_MANIFEST};
use ocx::reference::ManifestRef;
use ocx::source::layout::LayoutSource;
use ocx::source::Source as _;

const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A layer of `files` files of `size` bytes each under `dir/`, seeded so that two seeds
/// write the same paths with other contents. Text-like, so gzip does what it does on
/// real layers (about 3:1).
fn layer(dir: &str, files: usize, size: usize, seed: u64) -> Vec<u8> {
    let words = [
        "lorem ", "ipsum ", "dolor ", "sit ", "amet ", "config ", "value ", "0x1f ", "usr ",
        "lib ", "share ", "\n",
    ];
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut builder = tar::Builder::new(Vec::new());
    let mut content = Vec::with_capacity(size + 16);
    for i in 0..files {
        content.clear();
        while content.len() < size {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            content.extend_from_slice(words[(state >> 59) as usize % words.len()].as_bytes());
            if state & 0xf == 0 {
                content.extend_from_slice(format!("{:x} ", state >> 20).as_bytes());
            }
        }
        content.truncate(size);
        let mut header = tar::Header::new_gnu();
        header
            .set_path(format!("{dir}/{:03}/f{i}", i % 512))
            .unwrap();
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_size(size as u64);
        header.set_cksum();
        builder.append(&header, &content[..]).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&builder.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

async fn put(layout: &LayoutSource, media_type: &str, bytes: Vec<u8>) -> Descriptor {
    let descriptor = Descriptor::new(media_type, Digest::sha256_of(&bytes), bytes.len() as u64);
    layout
        .blob_put(&descriptor, Bytes::from(bytes))
        .await
        .unwrap();
    descriptor
}

async fn image(layout: &LayoutSource, tag: &str, layers: &[Descriptor]) {
    let config = json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []}});
    let config = put(layout, OCI_CONFIG, serde_json::to_vec(&config).unwrap()).await;
    let manifest = ImageManifest::new(OCI_MANIFEST, config, layers.to_vec());
    let bytes = Bytes::from(serde_json::to_vec(&manifest).unwrap());
    layout
        .manifest_put(&ManifestRef::Tag(tag.into()), OCI_MANIFEST, bytes)
        .await
        .unwrap();
}

/// CPU seconds (user + system) and peak RSS in MiB of one child, and its stdout.
fn measured(command: &mut Command) -> (f64, f64, Vec<u8>) {
    let child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawning");
    let pid = child.id() as libc::pid_t;
    let output = std::thread::spawn(move || child.wait_with_output_no_reap());
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; `pid` is our unreaped child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let stdout = output.join().unwrap();
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    (cpu, usage.ru_maxrss as f64 / 1024.0, stdout)
}

trait NoReap {
    fn wait_with_output_no_reap(self) -> Vec<u8>;
}

impl NoReap for std::process::Child {
    /// Reads stdout to its end without waiting for the child (wait4 reaps it).
    fn wait_with_output_no_reap(mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(mut stdout) = self.stdout.take() {
            std::io::Read::read_to_end(&mut stdout, &mut out).unwrap();
        }
        std::mem::forget(self);
        out
    }
}

/// Peak RSS (MiB) is measured by GNU time, which forks ocx from a small process: a child
/// forked from this bench would count this bench's memory as its own until its exec.
fn ocx_diff(layout: &Path, old: &str, new: &str) -> (f64, f64, Value) {
    let ocx = env!("CARGO_BIN_EXE_ocx");
    let reference = |tag: &str| format!("oci:{}:{tag}", layout.display());
    let (cpu, _, stdout) = measured(Command::new(ocx).args([
        "diff",
        &reference(old),
        &reference(new),
        "--files",
        "--json",
        "--no-sbom",
    ]));
    let value: Value = serde_json::from_slice(&stdout).expect("ocx diff --json");
    let timed = Command::new("/usr/bin/time")
        .args(["-f", "%M", ocx, "diff", &reference(old), &reference(new)])
        .args(["--files", "--quiet", "--no-sbom"])
        .output()
        .expect("GNU time (apt install time) measures the peak memory");
    let stderr = String::from_utf8_lossy(&timed.stderr);
    let kib: f64 = stderr
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("GNU time printed {stderr:?}"));
    (cpu, kib / 1024.0, value)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layout");
    let layout = LayoutSource::open_or_create(&path).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!("building: 10 layers of 30 MB (3,000 files of 10 KB) and variants...");
    let mut uncompressed = 0u64;
    let (layers, other_last, other_middle, many) = runtime.block_on(async {
        let mut layers = Vec::new();
        for i in 0..10 {
            let bytes = layer(&format!("layer{i}"), 3_000, 10_000, i);
            layers.push(put(&layout, GZIP, bytes).await);
            uncompressed += 3_000 * 10_512;
        }
        let other_last = put(&layout, GZIP, layer("layer9", 3_000, 10_000, 99)).await;
        let other_middle = put(&layout, GZIP, layer("layer5", 3_000, 10_000, 55)).await;
        let many = [
            put(&layout, GZIP, layer("many0", 50_000, 100, 1)).await,
            put(&layout, GZIP, layer("many1", 50_000, 100, 2)).await,
            put(&layout, GZIP, layer("many0", 50_000, 100, 3)).await,
            put(&layout, GZIP, layer("extra", 1, 100, 4)).await,
        ];
        (layers, other_last, other_middle, many)
    });
    runtime.block_on(async {
        image(&layout, "old", &layers).await;
        let mut last = layers.clone();
        last[9] = other_last.clone();
        image(&layout, "last", &last).await;
        let mut middle = layers.clone();
        middle[5] = other_middle.clone();
        image(&layout, "middle", &middle).await;
        image(&layout, "empty", &[]).await;
        image(&layout, "many-old", &many[..2]).await;
        image(&layout, "many-new", &[many[2].clone(), many[1].clone()]).await;
        image(
            &layout,
            "many-plus",
            &[many[0].clone(), many[1].clone(), many[3].clone()],
        )
        .await;
    });
    let compressed: u64 = layers.iter().map(|l| l.size).sum();
    println!(
        "images: 10 layers, {:.0} MB uncompressed, {:.0} MB gzip\n",
        uncompressed as f64 / 1e6,
        compressed as f64 / 1e6
    );

    println!(
        "{:<44} {:>7} {:>10} {:>8}",
        "what is read", "layers", "MB read", "expected"
    );
    for (tag, differing) in [("last", &other_last), ("middle", &other_middle)] {
        let (_, _, diff) = ocx_diff(&path, "old", tag);
        let files = &diff["summary"]["files"];
        // The differing layer on each side, and once each the shared layers above it:
        // they may hide what differs, so their entries are needed, not the base's.
        let replaced = if tag == "last" { 9 } else { 5 };
        let above: u64 = layers[replaced + 1..].iter().map(|l| l.size).sum();
        let expected = layers[replaced].size + differing.size + above;
        let read = files["bytes_read"].as_u64().unwrap();
        println!(
            "{:<44} {:>7} {:>10.2} {:>8.2}",
            format!("old vs {tag} layer replaced"),
            files["layers_read"],
            read as f64 / 1e6,
            expected as f64 / 1e6
        );
        assert_eq!(
            read, expected,
            "read more than the differing layers and those above"
        );
    }

    let blobs: Vec<String> = layers
        .iter()
        .map(|l| format!("{}/blobs/sha256/{}", path.display(), l.digest.hex()))
        .collect();
    let script = format!(
        "for b in {}; do zcat \"$b\" | tar t > /dev/null; done",
        blobs.join(" ")
    );
    let mut best = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..3 {
        let (zcat, _, _) = measured(Command::new("bash").args(["-c", &script]));
        let (ocx, _, diff) = ocx_diff(&path, "empty", "old");
        assert_eq!(diff["summary"]["files"]["added"], 30_000);
        best = (best.0.min(ocx), best.1.min(zcat), best.2);
    }
    let ratio = best.0 / best.1;
    println!(
        "\nCPU over the 10 layers ({:.0} MB uncompressed): ocx {:.2} s ({:.2} ns/B), \
         zcat | tar t {:.2} s ({:.2} ns/B): {ratio:.2}x (target <= 1.5x)",
        uncompressed as f64 / 1e6,
        best.0,
        best.0 * 1e9 / uncompressed as f64,
        best.1,
        best.1 * 1e9 / uncompressed as f64
    );

    // One file added on top: a path on one side only, so the shared 100,000-file base
    // is read and both filesystems are built whole.
    let (cpu, rss, diff) = ocx_diff(&path, "many-old", "many-plus");
    assert_eq!(diff["summary"]["files"]["added"], 1);
    println!(
        "\n100,000 files a side, 1 added (base read whole): peak RSS {rss:.1} MiB \
         (target < 100), CPU {cpu:.2} s"
    );
    let (cpu, rewritten_rss, diff) = ocx_diff(&path, "many-old", "many-new");
    println!(
        "100,000 files a side, 50,000 rewritten (the change set is most of it): peak RSS \
         {rewritten_rss:.1} MiB, CPU {cpu:.2} s, {} files changed",
        diff["summary"]["files"]["changed"]
    );
    let failed = ratio > 1.5 || rss >= 100.0;
    if failed {
        println!("FAILED: a target was missed");
        std::process::exit(1);
    }
}
