//! `ocx diff --files` against a real unpacker: images are built at test time from layer
//! archives written here and added by `umoci raw add-layer` (umoci gzips them), copied
//! into distribution by skopeo where a registry is read; the oracle is `umoci unpack` of
//! both images, whose root filesystems the tests compare themselves. ocx's file changes
//! must be exactly that comparison. Hostile layers are written by code into layouts.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use common::registry::Registry;
use common::*;

const MTIME: u64 = 1_700_000_000;

/// One tar entry of a layer written by hand.
#[derive(Clone)]
enum Item {
    Dir(&'static str, u32),
    File(&'static str, &'static str, u32),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
    /// A raw name, written into the header as is (for hostile layers).
    RawName(&'static [u8]),
}

use Item::*;

fn tar_of(items: &[Item]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for item in items {
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(MTIME);
        let (path, data): (&str, &[u8]) = match item {
            Dir(path, mode) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(*mode);
                (path, b"")
            }
            File(path, content, mode) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(*mode);
                (path, content.as_bytes())
            }
            Symlink(path, target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_link_name(target).unwrap();
                (path, b"")
            }
            Hardlink(path, target) => {
                header.set_entry_type(tar::EntryType::Link);
                header.set_mode(0o644);
                header.set_link_name(target).unwrap();
                (path, b"")
            }
            RawName(name) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(0o644);
                header.as_old_mut().name[..name.len()].copy_from_slice(name);
                header.set_size(1);
                header.set_cksum();
                builder.append(&header, &b"x"[..]).unwrap();
                continue;
            }
        };
        header.set_path(path).unwrap();
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// An OCI layout built with umoci, one image per tag.
struct Layout {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layout");
        umoci(&["init", "--layout", path.to_str().unwrap()]);
        umoci(&["new", "--image", &format!("{}:empty", path.display())]);
        Layout { _dir: dir, path }
    }

    fn image(&self, tag: &str) -> String {
        format!("{}:{tag}", self.path.display())
    }

    fn reference(&self, tag: &str) -> String {
        format!("oci:{}", self.image(tag))
    }

    /// An image of these layers, in order, under `tag`.
    fn build(&self, tag: &str, layers: &[&[Item]]) {
        let mut from = "empty".to_string();
        for (i, items) in layers.iter().enumerate() {
            let archive = self.path.parent().unwrap().join(format!("{tag}-{i}.tar"));
            std::fs::write(&archive, tar_of(items)).unwrap();
            umoci(&[
                "raw",
                "add-layer",
                "--no-history",
                "--image",
                &self.image(&from),
                "--tag",
                tag,
                archive.to_str().unwrap(),
            ]);
            from = tag.to_string();
        }
    }

    /// What a real unpacker makes of the image: path -> state.
    fn unpacked(&self, tag: &str) -> BTreeMap<String, State> {
        let bundle = self.path.parent().unwrap().join(format!("bundle-{tag}"));
        umoci(&[
            "unpack",
            "--image",
            &self.image(tag),
            bundle.to_str().unwrap(),
        ]);
        let mut states = BTreeMap::new();
        walk(&bundle.join("rootfs"), "", &mut states);
        states
    }
}

fn umoci(args: &[&str]) {
    run_tool(Command::new("umoci").args(args));
}

/// What the oracle compares of a path: what ocx compares but mtime, hard links and
/// xattrs (on disk a hard link is the file it shares an inode with).
#[derive(Debug, Clone, PartialEq)]
struct State {
    kind: &'static str,
    content: Option<String>,
    size: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    target: Option<String>,
}

fn walk(dir: &Path, prefix: &str, states: &mut BTreeMap<String, State>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let meta = entry.path().symlink_metadata().unwrap();
        let file_type = meta.file_type();
        let (kind, content, size, target) = if file_type.is_dir() {
            ("directory", None, 0, None)
        } else if file_type.is_symlink() {
            let target = std::fs::read_link(entry.path()).unwrap();
            (
                "symlink",
                None,
                0,
                Some(target.to_string_lossy().into_owned()),
            )
        } else {
            let bytes = std::fs::read(entry.path()).unwrap();
            let hash = ocx::digest::Digest::sha256_of(&bytes).to_string();
            ("file", Some(hash), bytes.len() as u64, None)
        };
        let mode = if kind == "symlink" {
            0o777
        } else {
            meta.permissions().mode() & 0o7777
        };
        let state = State {
            kind,
            content,
            size,
            mode,
            uid: meta.uid(),
            gid: meta.gid(),
            target,
        };
        states.insert(path.clone(), state);
        if file_type.is_dir() {
            walk(&entry.path(), &path, states);
        }
    }
}

/// `(path, change, fields)` of every difference between two unpacked trees.
fn oracle(old: &BTreeMap<String, State>, new: &BTreeMap<String, State>) -> BTreeSet<Found> {
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut found = BTreeSet::new();
    for path in paths {
        match (old.get(path), new.get(path)) {
            (Some(o), Some(n)) if o == n => {}
            (Some(o), Some(n)) => {
                let mut fields = Vec::new();
                for (name, differs) in [
                    ("type", o.kind != n.kind),
                    ("content", o.content != n.content),
                    ("size", o.size != n.size),
                    ("mode", o.mode != n.mode),
                    ("uid", o.uid != n.uid),
                    ("gid", o.gid != n.gid),
                    ("target", o.target != n.target),
                ] {
                    if differs {
                        fields.push(name.to_string());
                    }
                }
                found.insert((path.clone(), "changed".into(), fields));
            }
            (Some(_), None) => {
                found.insert((path.clone(), "removed".into(), Vec::new()));
            }
            _ => {
                found.insert((path.clone(), "added".into(), Vec::new()));
            }
        }
    }
    found
}

type Found = (String, String, Vec<String>);

/// ocx's file changes as the oracle states them (hard links are their files on disk).
fn file_changes(diff: &Value) -> BTreeSet<Found> {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "file")
        .map(|c| {
            let address = c["address"].as_str().unwrap();
            let quoted = address
                .rsplit_once("files[")
                .unwrap()
                .1
                .trim_end_matches(']');
            let path: String = serde_json::from_str(quoted).unwrap();
            let fields = c["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f.as_str().unwrap().to_string())
                .filter(|f| f != "hardlink")
                .collect();
            (path, c["change"].as_str().unwrap().to_string(), fields)
        })
        .collect()
}

fn diff_files(old: &str, new: &str, extra: &[&str]) -> Value {
    let mut args = vec!["diff", old, new, "--files", "--json", "--no-sbom"];
    args.extend_from_slice(extra);
    let output = ocx(&args);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "ocx {args:?}: {}",
        stderr(&output)
    );
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_valid_diff(&value);
    assert_eq!(output.status.code() == Some(0), value["equal"] == true);
    value
}

fn found(items: &[(&str, &str, &[&str])]) -> BTreeSet<Found> {
    items
        .iter()
        .map(|(p, c, f)| {
            let fields = f.iter().map(|s| s.to_string()).collect();
            (p.to_string(), c.to_string(), fields)
        })
        .collect()
}

fn base() -> Vec<Item> {
    vec![
        Dir("etc", 0o755),
        File("etc/keep", "keep\n", 0o644),
        File("etc/gone", "gone\n", 0o644),
        File("etc/replaced", "a file\n", 0o644),
        Dir("opt", 0o755),
        File("opt/a", "a\n", 0o644),
        File("opt/b", "b\n", 0o644),
        Dir("bin", 0o755),
        File("bin/tool", "#!/bin/sh\n", 0o755),
        File("t", "target\n", 0o644),
        Symlink("lnk", "/etc/keep"),
        Dir("data", 0o755),
    ]
}

/// Old: the base and one layer. New: the base and two layers that remove, add, replace
/// by a directory, make a directory opaque, change a mode, retarget a symlink, add a
/// hard link, and write the old layer's file again in another layer.
fn scenario(layout: &Layout) {
    let base = base();
    layout.build(
        "old",
        &[
            &base,
            &[File("moved", "same\n", 0o644), File("data/x", "x\n", 0o644)],
        ],
    );
    layout.build(
        "new",
        &[
            &base,
            &[
                Dir("etc", 0o755),
                File("etc/.wh.gone", "", 0o644),
                File("etc/added", "new\n", 0o644),
                Dir("etc/replaced", 0o755),
                File("etc/replaced/inner", "inner\n", 0o644),
                Dir("opt", 0o755),
                File("opt/.wh..wh..opq", "", 0o644),
                File("opt/c", "c\n", 0o644),
                File("bin/tool", "#!/bin/sh\n", 0o700),
                Symlink("lnk", "/t"),
                Hardlink("h", "t"),
                File("data/x", "x\n", 0o644),
            ],
            &[File("moved", "same\n", 0o644)],
        ],
    );
}

#[test]
fn file_changes_are_what_a_real_unpacker_sees_read_from_a_registry() {
    let layout = Layout::new();
    scenario(&layout);
    let registry = Registry::start();
    for tag in ["old", "new"] {
        run_tool(Command::new("skopeo").args([
            "copy",
            "--dest-tls-verify=false",
            &format!("oci:{}", layout.image(tag)),
            &format!(
                "docker://{}",
                registry.reference(&format!("files/app:{tag}"))
            ),
        ]));
    }
    let old = registry.reference("files/app:old");
    let new = registry.reference("files/app:new");
    let diff = diff_files(&old, &new, &[]);
    let expected = found(&[
        ("/bin/tool", "changed", &["mode"]),
        ("/etc/added", "added", &[]),
        ("/etc/gone", "removed", &[]),
        (
            "/etc/replaced",
            "changed",
            &["type", "content", "size", "mode"],
        ),
        ("/etc/replaced/inner", "added", &[]),
        ("/h", "added", &[]),
        ("/lnk", "changed", &["target"]),
        ("/opt/a", "removed", &[]),
        ("/opt/b", "removed", &[]),
        ("/opt/c", "added", &[]),
    ]);
    let unpacked = oracle(&layout.unpacked("old"), &layout.unpacked("new"));
    assert_eq!(unpacked, expected, "the oracle disagrees with the scenario");
    assert_eq!(file_changes(&diff), unpacked);
    // The hard link is its target's file, and says so.
    let link = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == r#"files["/h"]"#)
        .unwrap();
    assert_eq!(link["after"]["hardlink"], "/t");
    assert_eq!(
        link["after"]["sha256"],
        ocx::digest::Digest::sha256_of(b"target\n").to_string()
    );
    assert_eq!(link["platform"], "linux/amd64");
    // A path on one side only needs the shared base: it is read, and the reason given.
    let files = &diff["platforms"][0]["files"];
    assert_eq!(files["layers_skipped"], 0);
    assert_eq!(
        files["base_read_because"],
        "the hard link /h in the new image's own layers points into the shared layers"
    );
    assert_eq!(diff["summary"]["files"]["layers_read"], 4);
    assert_eq!(diff["summary"]["files"]["added"], 4);
    assert_eq!(diff["summary"]["files"]["removed"], 3);
    assert_eq!(diff["summary"]["files"]["changed"], 3);
    // Human output: a Files block and the summary line.
    let text = stdout(&ocx(&["diff", &old, &new, "--files", "--no-sbom"]));
    assert!(text.contains("    ~ /bin/tool  mode\n"), "{text}");
    assert!(text.contains("    + /h  file 7 B\n"), "{text}");
    assert!(
        text.contains("; files: 4 added, 3 removed, 3 changed."),
        "{text}"
    );
}

#[test]
fn path_globs_and_addresses_leave_files_out() {
    let layout = Layout::new();
    scenario(&layout);
    let (old, new) = (layout.reference("old"), layout.reference("new"));
    let all = diff_files(&old, &new, &[]);
    let diff = diff_files(
        &old,
        &new,
        &[
            "--ignore",
            "/opt",
            "--ignore",
            "/etc/*ed",
            "--ignore",
            r#"files["/lnk"]"#,
        ],
    );
    let expected = found(&[
        ("/bin/tool", "changed", &["mode"]),
        ("/etc/gone", "removed", &[]),
        ("/h", "added", &[]),
    ]);
    assert_eq!(file_changes(&diff), expected);
    // /opt/a, /opt/b, /opt/c; /etc/added, /etc/replaced and below it; /lnk.
    let ignored = |d: &Value| d["summary"]["ignored"].as_u64().unwrap();
    assert_eq!(ignored(&diff) - ignored(&all), 7);
    // `/opt/**` leaves /opt itself in; it did not change, so nothing differs there.
    let below = diff_files(&old, &new, &["--ignore", "/opt/**"]);
    assert!(!file_changes(&below)
        .iter()
        .any(|(p, _, _)| p.starts_with("/opt")));
    // A path glob without --files is a usage error.
    let error = failing(&["diff", &old, &new, "--ignore", "/opt/**"]);
    assert!(error.contains("needs --files"), "{error}");
}

#[test]
fn an_inserted_layer_reports_only_its_files_and_shared_layers_are_read_once() {
    let layout = Layout::new();
    let base = base();
    let b: &[Item] = &[Dir("b", 0o755), File("b/file", "b\n", 0o644)];
    let c: &[Item] = &[File("c", "c\n", 0o644)];
    let x: &[Item] = &[Dir("x", 0o755), File("x/file", "x\n", 0o644)];
    layout.build("old", &[&base, b, c]);
    layout.build("new", &[&base, x, b, c]);
    let diff = diff_files(&layout.reference("old"), &layout.reference("new"), &[]);
    let expected = found(&[("/x", "added", &[]), ("/x/file", "added", &[])]);
    assert_eq!(
        oracle(&layout.unpacked("old"), &layout.unpacked("new")),
        expected
    );
    assert_eq!(file_changes(&diff), expected);
    // Four distinct layers, each read once.
    assert_eq!(diff["summary"]["files"]["layers_read"], 4);
}

#[test]
fn the_shared_base_is_not_downloaded_when_both_sides_rewrite_the_same_paths() {
    let layout = Layout::new();
    let base = base();
    layout.build(
        "old",
        &[&base, &[Dir("app", 0o755), File("app/bin", "v1\n", 0o755)]],
    );
    layout.build(
        "new",
        &[&base, &[Dir("app", 0o755), File("app/bin", "v2\n", 0o755)]],
    );
    // With a whiteout on the new side only, the base must say what was there.
    layout.build(
        "whiteout",
        &[
            &base,
            &[
                Dir("app", 0o755),
                File("app/bin", "v2\n", 0o755),
                File("etc/.wh.keep", "", 0o644),
            ],
        ],
    );
    let (old, new) = (layout.reference("old"), layout.reference("new"));
    let diff = diff_files(&old, &new, &[]);
    assert_eq!(
        file_changes(&diff),
        found(&[("/app/bin", "changed", &["content"])])
    );
    assert_eq!(
        oracle(&layout.unpacked("old"), &layout.unpacked("new")),
        file_changes(&diff)
    );
    let files = &diff["platforms"][0]["files"];
    assert_eq!(files["layers_skipped"], 1, "{files}");
    assert_eq!(files["base_read_because"], Value::Null);
    // Only the two layers that differ were downloaded.
    let sizes: u64 = describe_json(&[&old, "--no-sbom"])["layers"][1]["size"]
        .as_u64()
        .unwrap()
        + describe_json(&[&new, "--no-sbom"])["layers"][1]["size"]
            .as_u64()
            .unwrap();
    assert_eq!(diff["summary"]["files"]["bytes_read"], sizes);
    assert_eq!(diff["summary"]["files"]["layers_read"], 2);

    let diff = diff_files(&old, &layout.reference("whiteout"), &[]);
    assert_eq!(
        file_changes(&diff),
        found(&[
            ("/app/bin", "changed", &["content"]),
            ("/etc/keep", "removed", &[])
        ])
    );
    let files = &diff["platforms"][0]["files"];
    assert_eq!(files["layers_skipped"], 0);
    assert_eq!(
        files["base_read_because"],
        "/etc/keep is removed by the new image's own layers only"
    );
}

#[test]
fn timestamps_count_unless_ignored_and_content_shows_text_diffs() {
    let layout = Layout::new();
    let base = base();
    layout.build("old", &[&base, &[File("etc/conf", "a\nb\nc\n", 0o644)]]);
    let newer = {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, data, mtime) in [
            ("etc/conf", &b"a\nB\nc\n"[..], MTIME),
            ("etc/keep", b"keep\n", MTIME + 60),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_path(path).unwrap();
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(mtime);
            header.set_size(data.len() as u64);
            header.set_cksum();
            builder.append(&header, data).unwrap();
        }
        builder.into_inner().unwrap()
    };
    layout.build("new", &[&base]);
    let archive = layout.path.parent().unwrap().join("newer.tar");
    std::fs::write(&archive, newer).unwrap();
    umoci(&[
        "raw",
        "add-layer",
        "--no-history",
        "--image",
        &layout.image("new"),
        archive.to_str().unwrap(),
    ]);
    let (old, new) = (layout.reference("old"), layout.reference("new"));
    let diff = diff_files(&old, &new, &["--content"]);
    let changes = file_changes(&diff);
    assert!(changes.contains(&("/etc/keep".into(), "changed".into(), vec!["mtime".into()])));
    let conf = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == r#"files["/etc/conf"]"#)
        .unwrap();
    assert_eq!(conf["fields"], json!(["content"]));
    assert_eq!(
        conf["content_diff"],
        "--- old/etc/conf\n+++ new/etc/conf\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
    );
    let quiet = diff_files(&old, &new, &["--ignore-timestamps"]);
    assert_eq!(
        file_changes(&quiet),
        found(&[("/etc/conf", "changed", &["content"])])
    );
    let changes = quiet["changes"].as_array().unwrap();
    assert!(changes.iter().all(|c| c.get("content_diff").is_none()));
    let text = stdout(&ocx(&[
        "diff",
        &old,
        &new,
        "--files",
        "--content",
        "--no-sbom",
    ]));
    assert!(text.contains("      -b\n      +B\n"), "{text}");
}

/// A layout holding one image per (tag, layer blob, media type), written by code.
async fn put_image(layout: &str, tag: &str, layer: Vec<u8>, media_type: &str, diff_id: &str) {
    use bytes::Bytes;
    use ocx::digest::Digest;
    use ocx::manifest::{Descriptor, ImageManifest, OCI_CONFIG, OCI_MANIFEST};
    use ocx::reference::ManifestRef;
    use ocx::source::Source as _;
    let source = ocx::source::layout::LayoutSource::open_or_create(Path::new(layout)).unwrap();
    let put = |media_type: &str, bytes: Vec<u8>| {
        let descriptor = Descriptor::new(media_type, Digest::sha256_of(&bytes), bytes.len() as u64);
        (descriptor, Bytes::from(bytes))
    };
    let (layer, bytes) = put(media_type, layer);
    source.blob_put(&layer, bytes).await.unwrap();
    let config = json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]}});
    let (config, bytes) = put(OCI_CONFIG, serde_json::to_vec(&config).unwrap());
    source.blob_put(&config, bytes).await.unwrap();
    let manifest = ImageManifest::new(OCI_MANIFEST, config, vec![layer]);
    source
        .manifest_put(
            &ManifestRef::Tag(tag.into()),
            OCI_MANIFEST,
            Bytes::from(serde_json::to_vec(&manifest).unwrap()),
        )
        .await
        .unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const TAR: &str = "application/vnd.oci.image.layer.v1.tar";

#[test]
fn gzip_zstd_and_plain_layers_of_one_archive_have_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("l");
    let layout = layout.to_str().unwrap();
    let archive = tar_of(&base());
    let diff_id = ocx::digest::Digest::sha256_of(&archive).to_string();
    let zstd = ruzstd::encoding::compress_to_vec(
        &archive[..],
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    // zstd:chunked style: several frames with a skippable frame between them.
    let (front, back) = archive.split_at(1536);
    let level = ruzstd::encoding::CompressionLevel::Fastest;
    let mut frames = ruzstd::encoding::compress_to_vec(front, level);
    frames.extend_from_slice(&[0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    frames.extend(ruzstd::encoding::compress_to_vec(back, level));
    runtime().block_on(async {
        put_image(layout, "frames", frames, ZSTD, &diff_id).await;
        put_image(layout, "gzip", gzip(&archive), GZIP, &diff_id).await;
        put_image(layout, "zstd", zstd, ZSTD, &diff_id).await;
        put_image(layout, "tar", archive.clone(), TAR, &diff_id).await;
    });
    let reference = |tag: &str| format!("oci:{layout}:{tag}");
    for (old, new) in [("gzip", "zstd"), ("zstd", "tar"), ("tar", "frames")] {
        let diff = diff_files(&reference(old), &reference(new), &[]);
        assert_eq!(file_changes(&diff), BTreeSet::new(), "{old} vs {new}");
        assert_eq!(diff["summary"]["files"]["layers_read"], 2);
        let files = &diff["platforms"][0]["files"];
        assert_eq!(
            (files["added"].as_u64(), files["changed"].as_u64()),
            (Some(0), Some(0))
        );
    }
}

/// Runs `ocx diff --files` from a good image to a bad one; returns stderr.
fn refused(layer: Vec<u8>, media_type: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("l");
    let layout = layout.to_str().unwrap();
    runtime().block_on(async {
        let diff_id = digest_of(&layer);
        put_image(layout, "good", tar_of(&base()), TAR, &diff_id).await;
        put_image(layout, "bad", layer, media_type, &diff_id).await;
    });
    let reference = |tag: &str| format!("oci:{layout}:{tag}");
    // The comparison without --files reads no layer: nothing to refuse.
    let plain = ocx(&["diff", &reference("good"), &reference("bad"), "--no-sbom"]);
    assert_eq!(plain.status.code(), Some(1), "{}", stderr(&plain));
    failing(&[
        "diff",
        &reference("good"),
        &reference("bad"),
        "--files",
        "--no-sbom",
    ])
}

fn digest_of(bytes: &[u8]) -> String {
    ocx::digest::Digest::sha256_of(bytes).to_string()
}

#[test]
fn hostile_layers_are_refused_naming_the_layer() {
    for (name, says) in [
        (&b"../escape"[..], "path with `..`"),
        (b"/etc/passwd", "absolute path"),
    ] {
        let layer = tar_of(&[RawName(name)]);
        let digest = digest_of(&layer);
        let error = refused(layer, TAR);
        assert!(error.contains(says) && error.contains(&digest), "{error}");
    }
    // Truncated: the blob is what its digest says, the gzip stream in it is cut short.
    let whole = gzip(&tar_of(&[File(
        "big",
        "0123456789".repeat(10_000).leak(),
        0o644,
    )]));
    let cut = whole[..whole.len() / 2].to_vec();
    let digest = digest_of(&cut);
    let error = refused(cut, GZIP);
    assert!(error.contains(&digest), "{error}");
    // A bomb: a 100 MB file of zeros gzips over 1000 times smaller.
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_path("zeros").unwrap();
    header.set_size(100_000_000);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(MTIME);
    header.set_cksum();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    builder
        .append(&header, std::io::repeat(0).take_bytes(100_000_000))
        .unwrap();
    encoder.write_all(&builder.into_inner().unwrap()).unwrap();
    let bomb = encoder.finish().unwrap();
    let digest = digest_of(&bomb);
    let error = refused(bomb, GZIP);
    assert!(
        error.contains("decompression bomb") && error.contains(&digest),
        "{error}"
    );
}

#[test]
fn a_layer_that_does_not_match_its_digest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("l");
    let layout_str = layout.to_str().unwrap();
    let layer = gzip(&tar_of(&base()));
    let digest = digest_of(&layer);
    runtime().block_on(async {
        let good = tar_of(&[File("a", "a", 0o644)]);
        put_image(layout_str, "good", good, TAR, &digest).await;
        put_image(layout_str, "bad", layer.clone(), GZIP, &digest).await;
    });
    // Same size, other bytes: a valid gzip of another archive would pass the tar reader.
    let mut other = gzip(&tar_of(&[File("x", "y", 0o644)]));
    other.resize(layer.len(), 0);
    let blob = layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    std::fs::write(&blob, other).unwrap();
    let error = failing(&[
        "diff",
        &format!("oci:{layout_str}:good"),
        &format!("oci:{layout_str}:bad"),
        "--files",
        "--no-sbom",
    ]);
    assert!(
        error.contains("digest mismatch") && error.contains(&digest),
        "{error}"
    );
}

trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        self.take(n)
    }
}

impl<R: std::io::Read> TakeBytes for R {}

#[test]
fn foreign_layers_are_reported_not_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("l");
    let layout_str = layout.to_str().unwrap();
    let foreign = gzip(&tar_of(&base()));
    let digest = digest_of(&foreign);
    runtime().block_on(async {
        let good = tar_of(&[File("a", "a", 0o644)]);
        put_image(layout_str, "good", good, TAR, &digest).await;
        let media_type = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
        put_image(layout_str, "foreign", foreign, media_type, &digest).await;
    });
    // Not there to fetch: only its descriptor is.
    std::fs::remove_file(
        layout
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    let diff = diff_files(
        &format!("oci:{layout_str}:good"),
        &format!("oci:{layout_str}:foreign"),
        &[],
    );
    let files = &diff["platforms"][0]["files"];
    let reason = files["not_compared"].as_str().unwrap();
    assert!(
        reason.contains(&digest) && reason.contains("foreign"),
        "{reason}"
    );
    assert_eq!(diff["summary"]["files"]["layers_read"], 0);
}

#[test]
fn platforms_of_indexes_are_compared_file_by_file_and_selected() {
    let layout = Layout::new();
    scenario(&layout);
    for tag in ["old", "new"] {
        let arm = format!("{tag}-arm");
        umoci(&[
            "config",
            "--image",
            &layout.image(tag),
            "--tag",
            &arm,
            "--architecture",
            "arm64",
        ]);
        ocx_ok(&[
            "index",
            "create",
            &layout.reference(&format!("index-{tag}")),
            tag,
            &arm,
        ]);
    }
    let diff = diff_files(
        &layout.reference("index-old"),
        &layout.reference("index-new"),
        &["--platform", "linux/arm64"],
    );
    let keys: Vec<&Value> = diff["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["key"])
        .collect();
    assert_eq!(keys, ["linux/arm64/v8"]);
    let address = r#"platforms["linux/arm64/v8"].files["/etc/added"]"#;
    let changes = diff["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["address"] == address),
        "{changes:?}"
    );
    assert_eq!(file_changes(&diff).len(), 10);
    // Both platforms: the layers they share are read once.
    let both = diff_files(
        &layout.reference("index-old"),
        &layout.reference("index-new"),
        &[],
    );
    assert_eq!(both["summary"]["files"]["changed"], 6);
    assert_eq!(both["summary"]["files"]["layers_read"], 4);
}
