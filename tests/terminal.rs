//! Output on a real terminal (a pty of a given width): tables that fit 60, 80, 100 and
//! 120 columns without splitting a digest, a key or a word of a long value; TERM=dumb and
//! --color never plain, clap's own messages included; and the small things a user meets
//! first (help, stdout errors, what `generate` wrote).

mod common;

use common::pty::ocx_on_terminal;
use common::*;
use serde_json::Value;

const WIDTHS: [u16; 4] = [60, 80, 100, 120];

fn example(tag: &str) -> String {
    format!(
        "oci:{}:{tag}",
        repo_root().join("examples/layout").display()
    )
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The short digests a describe shows: each child's and each layer's.
fn short_digests(value: &Value, out: &mut Vec<String>) {
    for child in value["manifests"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        out.push(short(child["descriptor"]["digest"].as_str().unwrap()));
    }
    for layer in value["layers"].as_array().into_iter().flatten() {
        out.push(short(layer["digest"].as_str().unwrap()));
    }
}

/// The long values a describe's tables show: artifact types and layer media types.
fn long_values(value: &Value) -> Vec<String> {
    let children = value["manifests"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values());
    let artifact_types = children.filter_map(|c| c["artifact_type"].as_str());
    let layers = value["layers"].as_array().into_iter().flatten();
    let media_types = layers.filter_map(|l| l["media_type"].as_str());
    artifact_types
        .chain(media_types)
        .map(String::from)
        .collect()
}

fn short(digest: &str) -> String {
    digest[..19].to_string()
}

/// `application/vnd.oci.image.layer.v1.tar` → `application/`, `vnd.`, `oci.`, … : the
/// pieces a long value may be broken between, never inside.
fn pieces(value: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    for c in value.chars() {
        pieces.last_mut().unwrap().push(c);
        if "/.+-_:@".contains(c) {
            pieces.push(String::new());
        }
    }
    pieces.into_iter().filter(|p| !p.is_empty()).collect()
}

#[test]
fn tables_fit_60_80_and_120_columns_without_splitting_digests_or_words() {
    for tag in ["provider", "image", "multi-platform"] {
        let reference = example(tag);
        let described = describe_json(&[&reference]);
        let mut digests = Vec::new();
        short_digests(&described, &mut digests);
        let long = long_values(&described);
        assert!(!digests.is_empty(), "{tag}: nothing to check");
        for columns in WIDTHS {
            let screen = ocx_on_terminal(columns, &["describe", &reference, "--no-sbom"], &[]);
            assert_eq!(screen.status, Some(0), "{}", screen.text);
            let text = strip_ansi(&screen.text);
            let context = format!("{tag} at {columns} columns:\n{text}");
            for digest in &digests {
                assert!(text.contains(digest.as_str()), "{digest} whole, {context}");
            }
            for value in &long {
                for piece in pieces(value) {
                    assert!(
                        text.contains(&piece),
                        "{piece:?} of {value} whole, {context}"
                    );
                }
            }
            for line in text.lines().filter(|l| l.contains('│') || l.contains('┆')) {
                assert!(
                    line.chars().count() <= usize::from(columns),
                    "a table line wider than the terminal, {context}"
                );
            }
        }
    }
}

/// Every `sha256:` digest of 64 hex characters in `text`.
fn full_digests(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices("sha256:") {
        let hex: String = text[start + 7..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        if hex.len() == 64 {
            found.push(format!("sha256:{hex}"));
        }
    }
    found
}

/// The lines of a table or list item: boxed rows and `  - Name  value` blocks.
fn listing_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|l| l.contains('│') || l.starts_with("  - ") || l.starts_with("    "))
}

#[test]
fn sbom_listings_keep_digests_whole_and_within_the_terminal() {
    let reference = example("multi-platform");
    let json = ocx_ok(&["sbom", &reference, "--json"]);
    let report: Value = serde_json::from_str(&json).unwrap();
    let mut purls = Vec::new();
    collect_purls(&report, &mut purls);
    let digests: Vec<String> = purls.iter().flat_map(|p| full_digests(p)).collect();
    assert!(!digests.is_empty(), "no purl with a digest in {json}");
    for columns in WIDTHS {
        let screen = ocx_on_terminal(columns, &["sbom", &reference], &[]);
        assert_eq!(screen.status, Some(0), "{}", screen.text);
        let text = strip_ansi(&screen.text);
        let context = format!("at {columns} columns:\n{text}");
        for digest in &digests {
            assert!(text.contains(digest.as_str()), "{digest} whole, {context}");
        }
        for line in listing_lines(&text) {
            // A digest is never broken: only a line of it alone may be wider.
            let lone_digest = !line.trim().contains(' ') && !full_digests(line).is_empty();
            assert!(
                line.chars().count() <= usize::from(columns) || lone_digest,
                "{line:?} wider than the terminal, {context}"
            );
        }
    }
}

fn collect_purls(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.starts_with("pkg:") => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_purls(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_purls(v, out)),
        _ => {}
    }
}

/// The `Platforms` section of a describe.
fn platforms_section(text: &str) -> String {
    text.split("\n\n")
        .find(|s| s.starts_with("Platforms"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_nested_index_shows_its_children_inside_it_at_every_width() {
    let reference = example("nested");
    let nested_index = "sha256:7a7b741fd3b8";
    let its_child = "sha256:416fe8c478d4";
    for columns in WIDTHS {
        let screen = ocx_on_terminal(columns, &["describe", &reference], &[]);
        assert_eq!(screen.status, Some(0), "{}", screen.text);
        let section = platforms_section(&strip_ansi(&screen.text));
        let context = format!("at {columns} columns:\n{section}");
        let line_of = |digest: &str| {
            section
                .lines()
                .find(|l| l.contains(digest))
                .unwrap_or_else(|| panic!("no {digest}, {context}"))
        };
        let indent = |line: &str| line.len() - line.trim_start().len();
        if columns >= 120 {
            assert!(section.contains('│'), "a table, {context}");
        }
        if section.contains('│') {
            assert!(line_of(nested_index).contains("│ index "), "{context}");
            assert!(
                line_of(its_child).contains("│   linux/arm64/v8 "),
                "{context}"
            );
        } else {
            assert!(
                indent(line_of(its_child)) > indent(line_of(nested_index)),
                "the child's item indented under the index's, {context}"
            );
        }
        for line in listing_lines(&section) {
            assert!(line.chars().count() <= usize::from(columns), "{context}");
        }
    }
}

/// The platform table of the main example is 95 columns piped: it stays a table at 100,
/// its artifact type header wrapped, sizes and counts whole.
#[test]
fn a_table_wraps_before_it_becomes_a_list() {
    let screen = ocx_on_terminal(100, &["describe", &example("multi-platform")], &[]);
    let section = platforms_section(&strip_ansi(&screen.text));
    assert!(section.contains('│'), "a table at 100 columns:\n{section}");
    assert!(
        section.contains("┆ 2 packages ") && section.contains("┆ 3.5 kB "),
        "{section}"
    );
    for line in section.lines() {
        assert!(line.chars().count() <= 100, "{section}");
    }
}

#[test]
fn referrers_never_show_the_empty_type_as_an_artifact_type() {
    let reference = example("multi-platform");
    for columns in WIDTHS {
        let screen = ocx_on_terminal(columns, &["describe", &reference], &[]);
        let text = strip_ansi(&screen.text);
        let referrers = text
            .split("\n\n")
            .find(|s| s.starts_with("Referrers"))
            .unwrap_or_else(|| panic!("no referrers at {columns} columns:\n{text}"));
        assert!(
            !referrers.contains("vnd.oci.empty.v1+json"),
            "at {columns} columns:\n{referrers}"
        );
    }
}

#[test]
fn a_wide_terminal_keeps_the_table() {
    let screen = ocx_on_terminal(120, &["describe", &example("provider")], &[]);
    let text = strip_ansi(&screen.text);
    assert!(
        text.contains("application/vnd.opentofu.provider-target ┆"),
        "{text}"
    );
}

#[test]
fn term_dumb_and_color_never_are_plain_on_a_terminal() {
    let reference = example("multi-platform");
    let dumb = ocx_on_terminal(120, &["describe", &reference], &[("TERM", "dumb")]);
    let never = ocx_on_terminal(120, &["--color", "never", "describe", &reference], &[]);
    for (what, screen) in [("TERM=dumb", dumb), ("--color never", never)] {
        assert_eq!(screen.status, Some(0), "{what}: {}", screen.text);
        assert!(
            !screen.text.contains('\u{1b}'),
            "{what}: ANSI in {}",
            screen.text
        );
        assert!(
            !screen.text.contains('│') && !screen.text.contains('┌'),
            "{what}: box drawing in {}",
            screen.text
        );
    }
    let styled = ocx_on_terminal(120, &["describe", &reference], &[]);
    assert!(styled.text.contains('\u{1b}') && styled.text.contains('│'));
}

#[test]
fn clap_usage_errors_follow_color_never_and_term_dumb() {
    let args_never = ["--color", "never", "describe", "--bogus"];
    let args_eq = ["describe", "--bogus", "--color=never"];
    for (args, env) in [
        (&args_never[..], &[][..]),
        (&args_eq[..], &[][..]),
        (&["describe", "--bogus"][..], &[("TERM", "dumb")][..]),
    ] {
        let screen = ocx_on_terminal(80, args, env);
        assert_eq!(screen.status, Some(2), "{args:?}: {}", screen.text);
        assert!(screen.text.contains("--bogus"), "{}", screen.text);
        assert!(
            !screen.text.contains('\u{1b}'),
            "{args:?} {env:?}: {}",
            screen.text
        );
    }
    let coloured = ocx_on_terminal(80, &["describe", "--bogus"], &[]);
    assert!(coloured.text.contains('\u{1b}'), "{}", coloured.text);
}

#[test]
fn schema_help_lists_no_registry_options() {
    let help = ocx_ok(&["schema", "--help"]);
    for option in ["--plain-http", "--insecure", "--timeout", "--verbose"] {
        assert!(!help.contains(option), "{option} in schema's help:\n{help}");
    }
    assert!(help.contains("--color"), "{help}");
    let describe_help = ocx_ok(&["describe", "--help"]);
    for option in ["--plain-http", "--insecure", "--timeout", "--verbose"] {
        assert!(
            describe_help.contains(option),
            "{option} in describe's help"
        );
    }
    assert!(ocx_ok(&["--timeout", "5", "schema", "tags"]).contains("\"$schema\""));
}

#[test]
fn a_failed_write_to_stdout_names_stdout() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for args in [
        &["schema", "describe"][..],
        &["describe", &example("image"), "--no-sbom"][..],
        &["describe", &example("image"), "--json"][..],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ocx"))
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("writing the output to stdout"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn generate_says_what_it_wrote_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let output = ocx(&["generate", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("wrote completions/, man/ and examples/layout")
            && err.contains(dir.path().to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn an_empty_index_says_none_instead_of_an_empty_table() {
    let dir = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}:empty", dir.path().join("layout").display());
    runtime().block_on(async {
        let source = ocx::source::Session::new(Default::default())
            .unwrap()
            .open_or_create_layout(&dir.path().join("layout"))
            .unwrap();
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        source
            .manifest_put(
                &ocx::reference::ManifestRef::Tag("empty".into()),
                ocx::manifest::OCI_INDEX,
                bytes::Bytes::from_static(index),
            )
            .await
            .unwrap();
    });
    let out = ocx_ok(&["describe", &layout, "--no-sbom"]);
    assert!(out.contains("Platforms (0)\n  none\n"), "{out}");
}

#[test]
fn the_origin_column_abbreviates_digests_on_a_terminal() {
    let (_dir, path) = sample_layout();
    let child = "sha256:e85d848de8eff151ec58e88b1f91caef7dacd91a89b8b9d4ad5b19e2f66d965c";
    let size = std::fs::metadata(path.join("blobs/sha256").join(&child[7..]))
        .unwrap()
        .len();
    let origin = format!("registry.example/app@{child}");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": ocx::manifest::OCI_INDEX,
        "manifests": [{
            "mediaType": ocx::manifest::OCI_MANIFEST, "digest": child, "size": size,
            "platform": {"os": "linux", "architecture": "amd64"},
            "annotations": {ocx::manifest::annotations::OCX_ORIGIN: origin},
        }],
    });
    runtime().block_on(async {
        let source = ocx::source::Session::new(Default::default())
            .unwrap()
            .open_or_create_layout(&path)
            .unwrap();
        source
            .manifest_put(
                &ocx::reference::ManifestRef::Tag("gathered".into()),
                ocx::manifest::OCI_INDEX,
                bytes::Bytes::from(serde_json::to_vec(&index).unwrap()),
            )
            .await
            .unwrap();
    });
    let reference = format!("oci:{}:gathered", path.display());
    for columns in WIDTHS {
        let screen = ocx_on_terminal(columns, &["describe", &reference, "--no-sbom"], &[]);
        let section = platforms_section(&strip_ansi(&screen.text));
        assert!(
            section.contains("registry.example/app@sha256:e85d848de8ef")
                && !section.contains(&origin),
            "at {columns} columns:\n{section}"
        );
    }
    let piped = ocx_ok(&["describe", &reference, "--no-sbom"]);
    assert!(piped.contains(&origin), "{piped}");
}
