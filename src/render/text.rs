//! Text for terminals and pipes: escaping what came from outside, shortening digests,
//! sizes, sections and tables.

use std::collections::BTreeMap;
use std::fmt::Write;

use comfy_table::{presets, Attribute, Cell, ContentArrangement, Table};

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

/// Narrower than this, a long value is shown on lines of its own instead of in a column.
const MIN_LONG_COLUMN: usize = 16;

/// Finishes a table whose `long` columns (media types, purls) may be wrapped while every
/// other column (digests, keys, sizes) keeps its values whole. On a terminal too narrow
/// for the table at its natural width, long values are wrapped at their separators
/// (`/ . + - _ : @`) to the width that remains; when even that is too narrow, each row
/// becomes a list item with each column on a line of its own. A table
/// that fits, or any table printed without styling, is printed as it is.
pub fn finish_fitted(table: Table, long: &[usize]) -> String {
    let (Some(width), ContentArrangement::Dynamic) = (table.width(), table.content_arrangement())
    else {
        return finish(table);
    };
    let headers: Vec<String> = table
        .header()
        .map(|h| h.cell_iter().map(|c| c.content()).collect())
        .unwrap_or_default();
    let rows: Vec<Vec<String>> = table
        .row_iter()
        .map(|r| r.cell_iter().map(|c| c.content()).collect())
        .collect();
    let natural: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .chain(headers.get(i))
                .map(|cell| display_width(cell))
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Each column is padded by a space each side and followed by a border.
    let framed = |widths: &mut dyn Iterator<Item = usize>| widths.map(|w| w + 3).sum::<usize>() + 1;
    let width = usize::from(width);
    if framed(&mut natural.iter().copied()) <= width {
        return finish(table);
    }
    let fixed = framed(
        &mut (0..natural.len())
            .filter(|i| !long.contains(i))
            .map(|i| natural[i]),
    );
    let for_long = width.saturating_sub(fixed) / long.len().max(1);
    let share = for_long.saturating_sub(3);
    if share < MIN_LONG_COLUMN {
        return records(&headers, &rows, long, width);
    }
    // Only styled tables are arranged to the terminal (see new_table).
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut fitted = new_table(true, &header_refs);
    // The long values are wrapped to fit already; nothing else may be.
    fitted.set_content_arrangement(ContentArrangement::Disabled);
    for row in &rows {
        let cells = row.iter().enumerate().map(|(i, cell)| {
            if long.contains(&i) {
                wrap_at_separators(cell, share).join("\n")
            } else {
                cell.clone()
            }
        });
        fitted.add_row(cells.collect::<Vec<_>>());
    }
    finish(fitted)
}

/// Each row as a block, a list item of `Header  value` lines; long values wrapped at
/// their separators to the width left, the others whole.
fn records(headers: &[String], rows: &[Vec<String>], long: &[usize], width: usize) -> String {
    let names: Vec<String> = headers.iter().map(|h| sentence_case(h)).collect();
    let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let value_width = width
        .saturating_sub(4 + name_width + 2)
        .max(MIN_LONG_COLUMN);
    let mut out = String::new();
    for row in rows {
        for (column, (name, value)) in names.iter().zip(row).enumerate() {
            let lines = if long.contains(&column) {
                wrap_at_separators(value, value_width)
            } else {
                vec![value.clone()]
            };
            for (i, line) in lines.iter().enumerate() {
                let bullet = if column == 0 && i == 0 { "- " } else { "  " };
                let name = if i == 0 { name.as_str() } else { "" };
                let _ = writeln!(out, "  {bullet}{name:<name_width$}  {line}");
            }
        }
    }
    out
}

/// `ARTIFACT TYPE` → `Artifact type`; `SBOM` and `PURL` stay as they are.
fn sentence_case(header: &str) -> String {
    if matches!(header, "SBOM" | "PURL") {
        return header.to_string();
    }
    let lower = header.to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn display_width(cell: &str) -> usize {
    cell.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// `text` in lines of at most `width` characters, broken after a separator where it
/// can be (`application/vnd.oci.image.` | `layer.v1.tar+gzip`), mid-word only where a
/// piece between separators is itself longer than a line.
pub fn wrap_at_separators(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if matches!(
            c,
            '/' | '.' | '+' | '-' | '_' | ':' | '@' | ' ' | ',' | '=' | '?' | '&'
        ) {
            pieces.push(std::mem::take(&mut piece));
        }
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in pieces {
        if !line.is_empty() && line.chars().count() + piece.chars().count() > width {
            lines.push(std::mem::take(&mut line).trim_end().to_string());
        }
        line.push_str(&piece);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            line = line.chars().skip(width).collect();
            lines.push(head);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
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
    fn long_values_wrap_at_their_separators() {
        assert_eq!(
            wrap_at_separators("application/vnd.opentofu.provider-target", 16),
            ["application/vnd.", "opentofu.", "provider-target"]
        );
        assert_eq!(wrap_at_separators("short", 16), ["short"]);
        assert_eq!(wrap_at_separators("", 16), [""]);
        assert_eq!(wrap_at_separators("abcdefghij", 4), ["abcd", "efgh", "ij"]);
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
