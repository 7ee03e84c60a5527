//! Text for terminals and pipes: escaping what came from outside, shortening digests,
//! sizes, sections and tables.

use std::collections::BTreeMap;
use std::fmt::Write;

use comfy_table::{presets, Attribute, Cell, ColumnConstraint, ContentArrangement, Table, Width};

use crate::model::Package;

const INDENT: u16 = 2;

const MIN_TABLE_WIDTH: u16 = 40;

pub fn new_table(styled: bool, headers: &[&str]) -> Table {
    let mut table = Table::new();
    if styled {
        // Tables are indented by two columns; a terminal that reports no usable width
        // (some CI ptys say 0) gets the table at its natural width.
        let arrangement = match table.width() {
            Some(width) if width >= MIN_TABLE_WIDTH => {
                table.set_width(width - INDENT);
                ContentArrangement::Dynamic
            }
            _ => ContentArrangement::Disabled,
        };
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(arrangement)
            .set_header(
                headers
                    .iter()
                    .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
            );
    } else {
        table
            .load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(headers.iter().map(Cell::new));
        // NOTHING pads cells with one space each side; trim the left edge below.
    }
    table
}

/// `sha256:` and 12 hex digits, and the padding on each side.
pub const SHORT_DIGEST_WIDTH: u16 = 21;

/// Gives columns a minimum width, so that digests and keys wrap only when nothing else
/// can.
pub fn keep_at_least(table: &mut Table, columns: &[(usize, u16)]) {
    for &(index, width) in columns {
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
        }
    }
}

pub fn finish(table: Table) -> String {
    let mut out = String::new();
    for line in table.lines() {
        let line = line.strip_prefix(' ').unwrap_or(&line).trim_end();
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

pub fn section(out: &mut String, title: &str, styled: bool) {
    out.push('\n');
    if styled {
        let _ = writeln!(out, "\x1b[1m{title}\x1b[0m");
    } else {
        let _ = writeln!(out, "{title}");
    }
}

pub fn write_pairs(out: &mut String, pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        let _ = writeln!(out, "{k:<width$}  {}", clean(v));
    }
}

pub fn write_indented_pairs(out: &mut String, pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        let _ = writeln!(out, "  {k:<width$}  {}", clean(v));
    }
}

pub fn write_map(out: &mut String, map: &BTreeMap<String, String>) {
    let width = map.keys().map(|k| clean(k).len()).max().unwrap_or(0);
    for (k, v) in map {
        let _ = writeln!(out, "  {:<width$}  {}", clean(k), clean(v));
    }
}

/// Content from registries is shown, never obeyed: control characters (terminal escape
/// sequences, newlines) and bidirectional overrides (which reorder what a line shows)
/// are printed escaped. Everything ocx prints that came from outside goes through here,
/// on stdout and on stderr.
pub fn clean(text: &str) -> String {
    if !text.chars().any(is_unsafe) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if is_unsafe(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

pub fn cleaned(cells: Vec<String>) -> Vec<String> {
    cells.iter().map(|c| clean(c)).collect()
}

pub fn or_dash(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("-").to_string()
}

/// `sha256:0123456789ab`: enough to tell digests apart in a table. Cut by characters,
/// never by bytes, as a digest string from a registry may hold anything.
pub fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, hex)) => format!("{alg}:{}", hex.chars().take(12).collect::<String>()),
        None => digest.to_string(),
    }
}

/// A `manifests` key: digest keys (entries without a platform) are abbreviated.
pub fn short_key(key: &str) -> String {
    match key.split_once('#') {
        Some((base, n)) if base.contains(':') && !base.contains('/') => {
            format!("{}#{n}", short(base))
        }
        None if key.contains(':') && !key.contains('/') => short(key),
        _ => key.to_string(),
    }
}

/// `1 part`, `2 parts`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Sizes in powers of 1000, as registries and docker show them.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn sbom_summary(packages: Option<&[Package]>) -> String {
    match packages {
        None => "-".into(),
        Some([]) => "none".into(),
        Some([_]) => "1 package".into(),
        Some(p) => format!("{} packages", p.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_500), "1.5 kB");
        assert_eq!(human_size(12_300_000), "12.3 MB");
    }

    #[test]
    fn short_keys() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(short_key(&digest), "sha256:aaaaaaaaaaaa");
        assert_eq!(short_key(&format!("{digest}#2")), "sha256:aaaaaaaaaaaa#2");
        assert_eq!(short_key("windows/amd64:10.0.1"), "windows/amd64:10.0.1");
    }

    #[test]
    fn short_digests() {
        assert_eq!(short("sha256:0123456789abcdef"), "sha256:0123456789ab");
        assert_eq!(short("sha256:ééééééééééééé"), "sha256:éééééééééééé");
    }

    #[test]
    fn clean_escapes_terminal_controls_and_bidi_overrides() {
        assert_eq!(clean("plain text"), "plain text");
        assert_eq!(
            clean("a\u{1b}]0;title\u{7}b\rc\nerror: d\u{202e}"),
            "a\\u{1b}]0;title\\u{7}b\\u{d}c\\u{a}error: d\\u{202e}"
        );
    }
}
