//! Cross-checks against content written by real tools: skopeo (copying the example
//! layout into distribution) and umoci (building an image in a layout).

mod common;

use std::process::Command;

use common::registry::Registry;
use common::*;

fn run(program: &str, args: &[&str]) {
    run_tool(Command::new(program).args(args));
}

#[test]
fn skopeo_copies_describe_like_the_layout() {
    let registry = Registry::start();
    let (_dir, layout) = sample_layout();
    // skopeo 1.9 copies neither nested indexes nor Docker lists out of a layout.
    for tag in ["multi-platform", "image"] {
        let destination = format!(
            "docker://{}",
            registry.reference(&format!("skopeo/{tag}:1"))
        );
        run(
            "skopeo",
            &[
                "copy",
                "--all",
                "--preserve-digests",
                "--dest-tls-verify=false",
                &format!("oci:{}:{tag}", layout.display()),
                &destination,
            ],
        );
        // skopeo copies the image, not the SBOMs attached beside it.
        let mut copied =
            describe_json(&[&registry.reference(&format!("skopeo/{tag}:1")), "--no-sbom"]);
        let mut original =
            describe_json(&[&format!("oci:{}:{tag}", layout.display()), "--no-sbom"]);
        for out in [&mut copied, &mut original] {
            let map = out.as_object_mut().unwrap();
            map.remove("reference");
            map.remove("resolved");
            map["descriptor"]["annotations"] = serde_json::json!({});
        }
        assert_json_eq(&copied, &original, tag);
    }
}

#[test]
fn umoci_images_describe_with_their_labels() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("umoci");
    let layout_str = layout.to_str().unwrap();
    let image = format!("{layout_str}:v1");
    run("umoci", &["init", "--layout", layout_str]);
    run("umoci", &["new", "--image", &image]);
    run(
        "umoci",
        &[
            "config",
            "--image",
            &image,
            "--config.label",
            "org.opencontainers.image.source=https://example.com/umoci",
            "--config.label",
            "org.opencontainers.image.revision=abc123",
            "--architecture",
            "arm64",
            "--os",
            "linux",
            "--author",
            "tester",
            "--config.cmd",
            "/bin/true",
            "--config.workingdir",
            "/srv",
        ],
    );
    let out = describe_json(&[&format!("oci:{image}")]);
    assert_eq!(out["config"]["architecture"], "arm64");
    assert_eq!(out["config"]["author"], "tester");
    assert_eq!(out["config"]["cmd"], serde_json::json!(["/bin/true"]));
    assert_eq!(out["config"]["working_dir"], "/srv");
    assert_eq!(out["build"]["source"]["value"], "https://example.com/umoci");
    assert_eq!(out["build"]["source"]["source"], "label");
    assert_eq!(out["build"]["revision"]["value"], "abc123");
    assert_eq!(out["build"]["created"]["source"], "config");
    assert_eq!(out["layers"].as_array().unwrap().len(), 0);
}
