//! OCI layouts made by someone hostile: special files, symlinks out of the layout, file
//! modes and the temporary files a killed write leaves behind.
//!
//! Every ocx here runs under a deadline and a memory cap, so a regression that hangs on
//! a FIFO or reads /dev/zero fails the test instead of hanging CI or eating the machine.

mod common;

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(20);
/// Virtual memory, in KiB: plenty for ocx, far from what an unbounded read would take.
const MEMORY_CAP_KIB: u64 = 4 * 1024 * 1024;

/// Runs ocx under `umask` with a memory cap, killing it when it outlives the deadline.
fn ocx_bounded(umask: &str, args: &[&str]) -> Output {
    let script = format!("umask {umask}; ulimit -v {MEMORY_CAP_KIB}; exec \"$0\" \"$@\"");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_ocx"))
        .args(args)
        .env("DOCKER_CONFIG", "/nonexistent-ocx-test-docker-config")
        .env_remove("REGISTRY_AUTH_FILE")
        .env("NO_COLOR", "1")
        // glibc reserves 64 MiB of address space per malloc arena, up to 8 per core: on a
        // many-core machine that alone could reach the cap.
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running ocx");
    let started = Instant::now();
    while child.try_wait().expect("waiting for ocx").is_none() {
        if started.elapsed() > DEADLINE {
            child.kill().expect("killing ocx");
            child.wait().expect("reaping ocx");
            panic!("ocx {args:?} hung: killed after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("collecting ocx's output")
}

/// Expects ocx to fail (status 2, nothing on stdout) in time; returns stderr.
fn refused(args: &[&str]) -> String {
    let output = ocx_bounded("022", args);
    assert_eq!(
        output.status.code(),
        Some(2),
        "ocx {args:?} should fail cleanly; stderr:\n{}",
        stderr(&output)
    );
    assert!(output.stdout.is_empty(), "nothing half-written to stdout");
    stderr(&output)
}

fn succeeds_under(umask: &str, args: &[&str]) -> String {
    let output = ocx_bounded(umask, args);
    assert!(
        output.status.success(),
        "ocx {args:?} failed ({:?}):\n{}",
        output.status.code(),
        stderr(&output)
    );
    stdout(&output)
}

fn blob_path(layout: &Path, digest: &str) -> PathBuf {
    let (alg, hex) = digest.split_once(':').unwrap();
    layout.join("blobs").join(alg).join(hex)
}

/// The manifest digest index.json lists under a tag.
fn tagged_digest(layout: &Path, tag: &str) -> String {
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("no tag {tag}"))["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

fn make_fifo(path: &Path) {
    std::fs::remove_file(path).ok();
    run_tool(Command::new("mkfifo").arg(path));
}

fn replace_with_symlink(path: &Path, target: &Path) {
    std::fs::remove_file(path).unwrap();
    symlink(target, path).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn reference(layout: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", layout.display())
}

// Item 6: only regular files are read, and never more than expected.

#[test]
fn a_fifo_index_json_is_refused_without_hanging() {
    let (_dir, layout) = sample_layout();
    let index_json = layout.join("index.json");
    make_fifo(&index_json);
    let err = refused(&["describe", &reference(&layout, "image")]);
    assert!(
        err.contains(&index_json.display().to_string())
            && err.contains("is a FIFO, not a regular file"),
        "{err}"
    );
}

#[test]
fn a_fifo_or_invalid_oci_layout_file_is_refused_by_name() {
    let (_dir, layout) = sample_layout();
    let marker = layout.join("oci-layout");
    make_fifo(&marker);
    let err = refused(&["describe", &reference(&layout, "image")]);
    assert!(
        err.contains(&marker.display().to_string())
            && err.contains("is a FIFO, not a regular file"),
        "{err}"
    );
    std::fs::remove_file(&marker).unwrap();
    std::fs::write(&marker, b"{}").unwrap();
    let err = refused(&["index", "create", &reference(&layout, "release"), "image"]);
    assert!(
        err.contains(&marker.display().to_string()) && err.contains("imageLayoutVersion"),
        "{err}"
    );
}

#[test]
fn a_fifo_manifest_of_another_tag_is_refused_by_the_referrer_scan() {
    let (_dir, layout) = sample_layout();
    let other = blob_path(&layout, &tagged_digest(&layout, "provider"));
    make_fifo(&other);
    // The scan's failure is recorded; --strict makes it fatal.
    let err = refused(&["describe", &reference(&layout, "image"), "--strict"]);
    assert!(
        err.contains(&other.display().to_string()) && err.contains("is a FIFO, not a regular file"),
        "{err}"
    );
}

#[test]
fn an_index_json_leading_to_dev_zero_is_refused_without_reading_it() {
    let (_dir, layout) = sample_layout();
    let index_json = layout.join("index.json");
    replace_with_symlink(&index_json, Path::new("/dev/zero"));
    let err = refused(&["describe", &reference(&layout, "image")]);
    assert!(
        err.contains(&index_json.display().to_string()) && err.contains("leaves the layout"),
        "{err}"
    );
}

#[test]
fn a_manifest_of_another_tag_leading_to_dev_urandom_is_refused() {
    let (_dir, layout) = sample_layout();
    let other = blob_path(&layout, &tagged_digest(&layout, "provider"));
    replace_with_symlink(&other, Path::new("/dev/urandom"));
    let err = refused(&["describe", &reference(&layout, "image"), "--strict"]);
    assert!(
        err.contains(&other.display().to_string()) && err.contains("leaves the layout"),
        "{err}"
    );
}

// Item 7: symlinks may not lead out of the layout.

#[test]
fn a_config_blob_leading_out_of_the_layout_reveals_nothing_of_its_target() {
    let (dir, layout) = sample_layout();
    let secret = dir.path().join("secret");
    let secret_bytes = b"root:x:0:0:root:/root:/bin/sh\n";
    std::fs::write(&secret, secret_bytes).unwrap();
    let config = describe_json(&[&reference(&layout, "image")])["config"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let config_path = blob_path(&layout, &config);
    replace_with_symlink(&config_path, &secret);
    let err = refused(&["describe", &reference(&layout, "image"), "--strict"]);
    assert!(
        err.contains(&config_path.display().to_string()) && err.contains("leaves the layout"),
        "{err}"
    );
    // Without --strict the config is recorded as unreadable, in the output too.
    let recorded = ocx_bounded("022", &["describe", &reference(&layout, "image"), "--json"]);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    let json: serde_json::Value = serde_json::from_str(&stdout(&recorded)).unwrap();
    assert!(json["config"].is_null(), "{json}");
    let err = format!("{err}{}{}", json["error"], stderr(&recorded));
    let secret_hash = ocx::digest::Digest::sha256_of(secret_bytes).to_string();
    for revealing in [
        secret_bytes.len().to_string().as_str(),
        secret_hash.as_str(),
        &secret_hash["sha256:".len()..],
        "secret",
    ] {
        assert!(!err.contains(revealing), "{revealing:?} revealed: {err}");
    }
}

#[test]
fn a_blob_directory_leading_out_of_the_layout_is_not_written_to() {
    let (dir, layout) = sample_layout();
    let outside = dir.path().join("outside-blobs");
    let blobs = layout.join("blobs/sha256");
    std::fs::rename(&blobs, &outside).unwrap();
    symlink(&outside, &blobs).unwrap();
    let before = file_names(&outside);
    let err = refused(&["index", "create", &reference(&layout, "release"), "image"]);
    assert!(
        err.contains(&blobs.display().to_string()) && err.contains("leaves the layout"),
        "{err}"
    );
    assert_eq!(file_names(&outside), before, "nothing written outside");
}

#[test]
fn an_index_json_leading_out_of_the_layout_is_neither_read_nor_replaced() {
    let (dir, layout) = sample_layout();
    let outside = dir.path().join("outside-index.json");
    let index_json = layout.join("index.json");
    std::fs::rename(&index_json, &outside).unwrap();
    symlink(&outside, &index_json).unwrap();
    let before = std::fs::read(&outside).unwrap();
    let err = refused(&["index", "create", &reference(&layout, "release"), "image"]);
    assert!(
        err.contains(&index_json.display().to_string()) && err.contains("leaves the layout"),
        "{err}"
    );
    assert!(index_json.symlink_metadata().unwrap().is_symlink());
    assert_eq!(std::fs::read(&outside).unwrap(), before);
}

/// A symlink that stays inside the layout is followed, for reading and for writing: the
/// write goes to its target and the link stays.
#[test]
fn a_symlink_inside_the_layout_is_followed_and_kept() {
    let (_dir, layout) = sample_layout();
    let index_json = layout.join("index.json");
    let real = layout.join("refs/index.json");
    std::fs::create_dir(layout.join("refs")).unwrap();
    std::fs::rename(&index_json, &real).unwrap();
    symlink("refs/index.json", &index_json).unwrap();
    succeeds_under(
        "022",
        &["index", "create", &reference(&layout, "release"), "image"],
    );
    assert!(index_json.symlink_metadata().unwrap().is_symlink());
    assert_eq!(tagged_digest(&layout, "release").len(), 71);
    describe_json(&[&reference(&layout, "release")]);
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// Item 10: new files follow the umask; a replaced file keeps its mode.

#[test]
fn new_layout_files_and_the_output_file_follow_the_umask() {
    let (dir, sample) = sample_layout();
    let fresh = dir.path().join("fresh");
    let output = dir.path().join("index-out.json");
    succeeds_under(
        "022",
        &[
            "index",
            "create",
            &reference(&fresh, "1"),
            &reference(&sample, "image"),
            "--output",
            output.to_str().unwrap(),
        ],
    );
    let mut files = vec![fresh.join("oci-layout"), fresh.join("index.json"), output];
    for blob in file_names(&fresh.join("blobs/sha256")) {
        files.push(fresh.join("blobs/sha256").join(blob));
    }
    assert!(files.len() > 4, "{files:?}");
    for file in files {
        assert_eq!(mode(&file), 0o644, "{}", file.display());
    }
}

/// Not a fixed 0644: under umask 002 and 027 too, every file `index create` and `update`
/// write (layout files, blobs, `--output`) gets `0666 & !umask`, every directory
/// `0777 & !umask`.
#[test]
fn every_file_and_directory_written_follows_any_umask() {
    for (umask, file_mode, dir_mode) in [("002", 0o664, 0o775), ("027", 0o640, 0o750)] {
        let (dir, sample) = sample_layout();
        let fresh = dir.path().join("fresh");
        let created = dir.path().join("created.json");
        let updated = dir.path().join("updated.json");
        let create = [
            "index",
            "create",
            &reference(&fresh, "1"),
            &reference(&sample, "image"),
            "--output",
            created.to_str().unwrap(),
        ];
        succeeds_under(umask, &create);
        let update = [
            "index",
            "update",
            &reference(&fresh, "1"),
            "--add",
            &reference(&sample, "docker"),
            "--output",
            updated.to_str().unwrap(),
        ];
        succeeds_under(umask, &update);
        let blobs = fresh.join("blobs/sha256");
        let mut files = vec![
            fresh.join("oci-layout"),
            fresh.join("index.json"),
            created,
            updated,
        ];
        files.extend(file_names(&blobs).iter().map(|name| blobs.join(name)));
        for file in files {
            assert_eq!(
                mode(&file),
                file_mode,
                "{} under umask {umask}",
                file.display()
            );
        }
        for directory in [fresh.clone(), fresh.join("blobs"), blobs] {
            assert_eq!(
                mode(&directory),
                dir_mode,
                "{} under umask {umask}",
                directory.display()
            );
        }
    }
}

#[test]
fn a_replaced_index_json_and_output_file_keep_their_modes() {
    let (dir, layout) = sample_layout();
    let index_json = layout.join("index.json");
    let output = dir.path().join("index-out.json");
    std::fs::write(&output, b"old").unwrap();
    for (umask, kept) in [("022", 0o640), ("077", 0o644)] {
        std::fs::set_permissions(&index_json, PermissionsExt::from_mode(kept)).unwrap();
        std::fs::set_permissions(&output, PermissionsExt::from_mode(kept)).unwrap();
        succeeds_under(
            umask,
            &[
                "index",
                "create",
                &reference(&layout, &format!("release-{kept:o}")),
                "image",
                "--output",
                output.to_str().unwrap(),
            ],
        );
        assert_eq!(mode(&index_json), kept, "index.json under umask {umask}");
        assert_eq!(mode(&output), kept, "--output under umask {umask}");
    }
}

// Item 11: temporary files a killed write left are ocx's by name and cleaned later.

#[test]
fn stale_temporary_files_are_removed_by_the_next_write_and_fresh_ones_kept() {
    let (_dir, layout) = sample_layout();
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let stale = [
        layout.join(".ocx-tmp-stale-index"),
        layout.join("blobs/sha256/.ocx-tmp-stale-blob"),
    ];
    for path in &stale {
        let file = std::fs::File::create(path).unwrap();
        file.set_modified(an_hour_ago).unwrap();
    }
    let fresh = layout.join(".ocx-tmp-another-writer");
    std::fs::write(&fresh, b"").unwrap();
    let not_ours = layout.join(".tmp-someone-else");
    std::fs::File::create(&not_ours)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();

    succeeds_under(
        "022",
        &["index", "create", &reference(&layout, "release"), "image"],
    );
    for path in &stale {
        assert!(!path.exists(), "{} left behind", path.display());
    }
    assert!(fresh.exists(), "a live temporary file was removed");
    assert!(not_ours.exists(), "a file that is not ocx's was removed");
}
