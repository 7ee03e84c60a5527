//! `ocx diff`: the two sides, a legend, top-level changes, one block per platform
//! (added and removed first), notes and a summary line.

use std::fmt::Write;

use serde_json::Value;

use super::text::*;
use crate::model::{
    ChangeKind, ChangeSummary, Diff, DiffKind, DiffSide, Difference, Direction, FileSummary,
    LayerSummary, PlatformDiff,
};

const LEGEND: &str = "Legend: + added  - removed  ~ changed  ↑ upgraded  ↓ downgraded  = unchanged";

pub fn diff(d: &Diff, styled: bool) -> String {
    let mut out = String::new();
    write_pairs(&mut out, &[("old", side(&d.old)), ("new", side(&d.new))]);
    let _ = writeln!(out, "\n{LEGEND}");
    let top: Vec<&Difference> = d.changes.iter().filter(|c| c.platform.is_none()).collect();
    if !top.is_empty() {
        section(&mut out, "Top level", styled);
        changes(&mut out, &top, styled);
    }
    for platform in &d.platforms {
        platform_block(&mut out, d, platform, styled);
    }
    if !d.notes.is_empty() {
        section(&mut out, "Notes", styled);
        for note in &d.notes {
            let _ = writeln!(out, "  {}", clean(note));
        }
    }
    let _ = writeln!(out, "\n{}", summary_line(d));
    out
}

fn side(side: &DiffSide) -> String {
    format!("{}  ({})", side.reference, side.resolved)
}

fn sign(change: ChangeKind, direction: Option<Direction>) -> &'static str {
    match (change, direction) {
        (ChangeKind::Added, _) => "+",
        (ChangeKind::Removed, _) => "-",
        (ChangeKind::Changed, Some(Direction::Upgraded)) => "↑",
        (ChangeKind::Changed, Some(Direction::Downgraded)) => "↓",
        (ChangeKind::Changed, None) => "~",
        (ChangeKind::Unchanged, _) => "=",
    }
}

fn painted(sign: &str, styled: bool) -> String {
    if !styled {
        return sign.to_string();
    }
    let colour = match sign {
        "+" | "↑" => "32",
        "-" | "↓" => "31",
        "~" => "33",
        _ => "2",
    };
    format!("\x1b[{colour}m{sign}\x1b[0m")
}

fn platform_block(out: &mut String, d: &Diff, platform: &PlatformDiff, styled: bool) {
    let label = if platform.address.matches("platforms[").count() > 1 {
        platform.address.clone()
    } else {
        platform.key.clone()
    };
    let digests = match (&platform.old, &platform.new) {
        (Some(o), Some(n)) if o.digest == n.digest => short(&o.digest),
        (Some(o), Some(n)) => format!("{} → {}", short(&o.digest), short(&n.digest)),
        (Some(only), None) | (None, Some(only)) => short(&only.digest),
        (None, None) => String::new(),
    };
    let title = format!(
        "{} {}  {digests}",
        sign(platform.change, None),
        clean(&label)
    );
    let own: Vec<&Difference> = d
        .changes
        .iter()
        .filter(|c| {
            c.platform.as_deref() == Some(platform.key.as_str())
                && c.address.starts_with(&platform.address)
                && !matches!(
                    c.kind,
                    DiffKind::Package | DiffKind::Layer | DiffKind::Platform | DiffKind::File
                )
        })
        .collect();
    let listed = d.changes.iter().any(|c| {
        c.platform.as_deref() == Some(platform.key.as_str())
            && c.address.starts_with(&platform.address)
    });
    if platform.change == ChangeKind::Unchanged && !listed {
        let _ = writeln!(out, "\n{title}");
        return;
    }
    section(out, &title, styled);
    changes(out, &own, styled);
    let of_kind = |kind: DiffKind| -> Vec<&Difference> {
        d.changes
            .iter()
            .filter(|c| {
                c.kind == kind
                    && c.platform.as_deref() == Some(platform.key.as_str())
                    && c.address.starts_with(&platform.address)
            })
            .collect()
    };
    if let Some(layers) = &platform.layers {
        let _ = writeln!(out, "  Layers: {}", layer_summary(layers));
        changes(out, &of_kind(DiffKind::Layer), styled);
    }
    if let Some(packages) = platform.packages.filter(|p| *p != ChangeSummary::default()) {
        let _ = writeln!(out, "  Packages: {packages}");
        package_changes(out, &of_kind(DiffKind::Package), styled);
    }
    if let Some(files) = &platform.files {
        let _ = writeln!(out, "  Files: {}", file_summary(files));
        file_changes(out, &of_kind(DiffKind::File), styled);
    }
}

/// `["2 added", "1 changed"]`: the counts that are not zero.
fn nonzero_counts(added: usize, removed: usize, changed: usize) -> Vec<String> {
    [(added, "added"), (removed, "removed"), (changed, "changed")]
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, label)| format!("{count} {label}"))
        .collect()
}

/// `2 added, 1 changed (read 2 layers; 8 shared layers not read)`.
fn file_summary(files: &FileSummary) -> String {
    if let Some(reason) = &files.not_compared {
        return format!("not compared: {}", clean(reason));
    }
    let counts = nonzero_counts(files.added, files.removed, files.changed);
    let counts = if counts.is_empty() {
        "no changes".to_string()
    } else {
        counts.join(", ")
    };
    let mut read = format!("read {}", count(files.layers_read, "layer", "layers"));
    if files.layers_skipped > 0 {
        let skipped = count(files.layers_skipped, "shared layer", "shared layers");
        let _ = write!(read, "; {skipped} not read");
    }
    if let Some(reason) = &files.base_read_because {
        let _ = write!(read, "; shared layers read: {}", clean(reason));
    }
    format!("{counts} ({read})")
}

/// `+ /etc/new  file 12 B`, `~ /etc/os-release  content, size`, then a text diff.
fn file_changes(out: &mut String, list: &[&Difference], styled: bool) {
    for change in list {
        let path = change
            .address
            .rsplit_once("files[")
            .map(|(_, rest)| rest.trim_end_matches(']'))
            .and_then(|quoted| serde_json::from_str::<String>(quoted).ok())
            .unwrap_or_else(|| change.address.clone());
        let detail = match (change.change, &change.fields) {
            (ChangeKind::Changed, Some(fields)) => fields.join(", "),
            (ChangeKind::Added, _) => file_label(&change.after),
            _ => file_label(&change.before),
        };
        let _ = writeln!(
            out,
            "    {} {}  {}",
            painted(sign(change.change, None), styled),
            clean(&path),
            clean(&detail)
        );
        if let Some(text) = &change.content_diff {
            for line in text.lines() {
                let _ = writeln!(out, "      {}", clean(line));
            }
        }
    }
}

/// `file 12 B`, `symlink → target`, `directory`.
fn file_label(value: &Value) -> String {
    let kind = value["type"].as_str().unwrap_or("?");
    match (value["size"].as_u64(), value["target"].as_str()) {
        (_, Some(target)) => format!("{kind} → {target}"),
        (Some(size), _) => format!("{kind} {}", human_size(size)),
        _ => kind.to_string(),
    }
}

fn layer_summary(layers: &LayerSummary) -> String {
    let mut parts = Vec::new();
    if layers.unchanged > 0 {
        parts.push(format!(
            "{} unchanged (shared base, {})",
            layers.unchanged,
            human_size(layers.unchanged_size)
        ));
    }
    for (count, label) in [
        (layers.added, "added"),
        (layers.removed, "removed"),
        (layers.replaced, "replaced"),
    ] {
        if count > 0 {
            parts.push(format!("{count} {label}"));
        }
    }
    if parts.is_empty() {
        parts.push("none".into());
    }
    let delta = layers.size_delta;
    let sign = if delta < 0 { "-" } else { "+" };
    format!(
        "{}; size {sign}{}",
        parts.join(", "),
        human_size(delta.unsigned_abs())
    )
}

fn changes(out: &mut String, list: &[&Difference], styled: bool) {
    for change in list {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            painted(sign(change.change, change.direction), styled),
            clean(&change.address),
            clean(&values(change))
        );
    }
}

/// Packages grouped by direction: upgrades, downgrades, other changes, additions,
/// removals, then unchanged.
fn package_changes(out: &mut String, list: &[&Difference], styled: bool) {
    let order = ["↑", "↓", "~", "+", "-", "="];
    for group in order {
        for change in list.iter().filter(|c| sign(c.change, c.direction) == group) {
            let key = change
                .address
                .rsplit_once("packages[")
                .map(|(_, rest)| rest.trim_end_matches(']'))
                .and_then(|quoted| serde_json::from_str::<String>(quoted).ok())
                .unwrap_or_else(|| change.address.clone());
            let _ = writeln!(
                out,
                "    {} {}  {}",
                painted(group, styled),
                clean(&key),
                clean(&values(change))
            );
        }
    }
}

fn values(change: &Difference) -> String {
    match change.change {
        ChangeKind::Added => value(&change.after),
        ChangeKind::Removed | ChangeKind::Unchanged => value(&change.before),
        ChangeKind::Changed => format!("{} → {}", value(&change.before), value(&change.after)),
    }
}

fn value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(map) if map.contains_key("digest") => {
            let digest = map["digest"].as_str().unwrap_or_default();
            match map.get("size").and_then(Value::as_u64) {
                Some(size) => format!("{} ({})", short(digest), human_size(size)),
                None => short(digest),
            }
        }
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// `Diff: 1 platform added, 2 changed; packages: 14 upgraded, 3 added, 2 removed.`
pub fn summary_line(d: &Diff) -> String {
    if d.equal {
        return "Diff: no differences.".into();
    }
    let counts = &d.summary.platforms;
    let platforms = nonzero_counts(counts.added, counts.removed, counts.changed);
    let mut line = String::from("Diff: ");
    if platforms.is_empty() {
        let count = d.summary.changes;
        let _ = write!(line, "{count} change{}", if count == 1 { "" } else { "s" });
    } else {
        let first = [counts.added, counts.removed, counts.changed]
            .into_iter()
            .find(|&count| count > 0);
        let noun = if first == Some(1) {
            "platform"
        } else {
            "platforms"
        };
        let mut text = platforms.join(", ");
        text.insert_str(text.find(' ').unwrap_or(0) + 1, &format!("{noun} "));
        line.push_str(&text);
    }
    let packages = &d.summary.packages;
    if packages.has_changes() {
        let _ = write!(line, "; packages: {packages}");
    }
    if let Some(files) = d.summary.files {
        let counts = nonzero_counts(files.added, files.removed, files.changed);
        if !counts.is_empty() {
            let _ = write!(line, "; files: {}", counts.join(", "));
        }
    }
    line.push('.');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DiffSummary, PlatformCounts};

    fn side() -> DiffSide {
        DiffSide {
            reference: "r".into(),
            resolved: "r@sha256:a".into(),
            digest: "sha256:a".into(),
            media_type: "m".into(),
            total_size: 0,
        }
    }

    fn with(changes: Vec<Difference>, platforms: PlatformCounts) -> Diff {
        Diff {
            schema_version: 1,
            old: side(),
            new: side(),
            equal: changes.is_empty(),
            summary: DiffSummary {
                changes: changes.len(),
                platforms,
                ..DiffSummary::default()
            },
            platforms: Vec::new(),
            changes,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_summary_line_names_platform_counts_and_packages() {
        let changed = Difference {
            address: "annotations[\"a\"]".into(),
            platform: None,
            kind: DiffKind::Annotation,
            change: ChangeKind::Changed,
            before: Value::from("x"),
            after: Value::from("y"),
            direction: None,
            fields: None,
            content_diff: None,
        };
        let counts = PlatformCounts {
            added: 1,
            changed: 2,
            ..PlatformCounts::default()
        };
        let mut d = with(vec![changed.clone()], counts);
        d.summary.packages.upgraded = 14;
        d.summary.packages.added = 3;
        assert_eq!(
            summary_line(&d),
            "Diff: 1 platform added, 2 changed; packages: 14 upgraded, 3 added."
        );
        let top = with(vec![changed], PlatformCounts::default());
        assert_eq!(summary_line(&top), "Diff: 1 change.");
        assert_eq!(
            summary_line(&with(Vec::new(), PlatformCounts::default())),
            "Diff: no differences."
        );
    }

    #[test]
    fn values_from_registries_are_escaped() {
        let hostile = Difference {
            address: "config.labels[\"x\"]".into(),
            platform: None,
            kind: DiffKind::Label,
            change: ChangeKind::Added,
            before: Value::Null,
            after: Value::from("\u{1b}[2Jgotcha\nerror: forged"),
            direction: None,
            fields: None,
            content_diff: None,
        };
        let out = diff(&with(vec![hostile], PlatformCounts::default()), false);
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(out.contains("\\u{1b}[2Jgotcha\\u{a}error: forged"), "{out}");
    }
}
