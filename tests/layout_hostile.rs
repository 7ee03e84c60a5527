//! OCI layouts written by ocx: file modes and the temporary files a killed write leaves
//! behind.
//!
//! Every ocx here runs under a deadline and a memory cap, so a regression that hangs on
//! a FIFO or reads /dev/zero fails the test instead of hanging CI or eating the machine.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::*;

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

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn reference(layout: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", layout.display())
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
