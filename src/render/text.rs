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

/// A long column is not made narrower than this (or its longest value, if shorter).
const MIN_LONG_COLUMN: usize = 16;

/// Finishes a table whose `long` columns (media types, purls) may be wrapped at their
/// separators, while digests, keys and the words of every other column stay whole. On a
/// terminal too narrow for the table at its natural width, the long columns give up
/// width first (down to [`MIN_LONG_COLUMN`]), then the other columns wrap between words;
/// when even that is too wide, each row becomes a list item with each column on a line
/// of its own. A table that fits, or any table printed without styling, is printed as
/// it is.
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
    let width = usize::from(width);
    // Each column is padded by a space each side and followed by a border.
    let content_width = width.saturating_sub(3 * headers.len() + 1);
    let columns: Vec<Column> = (0..headers.len())
        .map(|i| Column::measure(&headers, &rows, i, long.contains(&i)))
        .collect();
    if columns.iter().map(|c| c.natural).sum::<usize>() <= content_width {
        return finish(table);
    }
    let Some(widths) = fit(&columns, content_width) else {
        return records(&headers, &rows, long, width);
    };
    let wrap = |i: usize, text: &str| {
        if display_width(text) <= widths[i] {
            text.to_string()
        } else if columns[i].long {
            wrap_at_separators(text, widths[i]).join("\n")
        } else {
            wrap_words(text, widths[i]).join("\n")
        }
    };
    // Only styled tables are arranged to the terminal (see new_table).
    let mut fitted = new_table(true, &[]);
    fitted.set_header(
        headers
            .iter()
            .enumerate()
            .map(|(i, h)| Cell::new(wrap(i, h)).add_attribute(Attribute::Bold)),
    );
    // The cells are wrapped to fit already; nothing else may be.
    fitted.set_content_arrangement(ContentArrangement::Disabled);
    for row in &rows {
        fitted.add_row(row.iter().enumerate().map(|(i, cell)| wrap(i, cell)));
    }
    finish(fitted)
}

/// What a column needs: its natural width and the narrowest it may be wrapped to.
struct Column {
    natural: usize,
    minimum: usize,
    long: bool,
}

impl Column {
    fn measure(headers: &[String], rows: &[Vec<String>], i: usize, long: bool) -> Column {
        let values: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get(i))
            .map(String::as_str)
            .collect();
        let header = headers.get(i).map_or("", String::as_str);
        let widest =
            |texts: &mut dyn Iterator<Item = &str>| texts.map(display_width).max().unwrap_or(0);
        let natural = widest(&mut values.iter().copied().chain([header]));
        let unbreakable = |text: &str| {
            let pieces = if long {
                separated_pieces(text)
            } else {
                words(text)
            };
            pieces
                .iter()
                .map(|p| p.trim_end().chars().count())
                .max()
                .unwrap_or(0)
        };
        let mut minimum = values
            .iter()
            .copied()
            .chain([header])
            .map(unbreakable)
            .max()
            .unwrap_or(0);
        if long {
            minimum = minimum.max(widest(&mut values.iter().copied()).min(MIN_LONG_COLUMN));
        }
        Column {
            natural,
            minimum,
            long,
        }
    }
}

/// Column widths that add up to at most `available`: long columns give up width first,
/// then the others, the widest first, none below its minimum; `None` if that is too wide.
fn fit(columns: &[Column], available: usize) -> Option<Vec<usize>> {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.natural).collect();
    while widths.iter().sum::<usize>() > available {
        let shrinkable = |long: bool| {
            (0..columns.len())
                .filter(|&i| columns[i].long == long && widths[i] > columns[i].minimum)
                .max_by_key(|&i| widths[i])
        };
        let i = shrinkable(true).or_else(|| shrinkable(false))?;
        widths[i] -= 1;
    }
    Some(widths)
}

/// Each row as a block, a list item of `Header  value` lines; long values wrapped at
/// their separators to the width left, the others whole. A value that does not fit
/// beside its header goes on lines of its own below it. A first column indented (the
/// children of a nested index) indents its whole item.
fn records(headers: &[String], rows: &[Vec<String>], long: &[usize], width: usize) -> String {
    let names: Vec<String> = headers.iter().map(|h| sentence_case(h)).collect();
    let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for row in rows {
        let label = row.first().map_or("", String::as_str);
        let indent = " ".repeat(label.len() - label.trim_start().len());
        let item_width = width.saturating_sub(4 + indent.len());
        let value_width = item_width.saturating_sub(name_width + 2);
        for (column, (name, value)) in names.iter().zip(row).enumerate() {
            let value = if column == 0 {
                value.trim_start()
            } else {
                value
            };
            let wrap = |width: usize| {
                if long.contains(&column) {
                    wrap_at_separators(value, width)
                } else if display_width(value) <= width {
                    vec![value.to_string()]
                } else {
                    wrap_words(value, width)
                }
            };
            let beside = wrap(value_width);
            let bullet = if column == 0 { "- " } else { "  " };
            if beside.iter().all(|l| l.chars().count() <= value_width) {
                for (i, line) in beside.iter().enumerate() {
                    let bullet = if i == 0 { bullet } else { "  " };
                    let name = if i == 0 { name.as_str() } else { "" };
                    let _ = writeln!(out, "  {indent}{bullet}{name:<name_width$}  {line}");
                }
            } else {
                let _ = writeln!(out, "  {indent}{bullet}{name}");
                for line in wrap(item_width.saturating_sub(2)) {
                    let _ = writeln!(out, "  {indent}    {line}");
                }
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
/// piece between separators is itself longer than a line. A digest (`sha256:` and its
/// hex) is never broken: its line is longer instead.
pub fn wrap_at_separators(text: &str, width: usize) -> Vec<String> {
    fill(separated_pieces(text), width, |piece| {
        !is_digest_piece(piece)
    })
}

/// `text` in lines of at most `width` characters, broken between words only: a word
/// longer than a line has a line of its own.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    fill(words(text), width, |_| false)
}

/// Pieces ending in a separator; a digest's algorithm and hex stay one piece.
fn separated_pieces(text: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for piece in split_after(text, |c| {
        matches!(
            c,
            '/' | '.' | '+' | '-' | '_' | ':' | '@' | ' ' | ',' | '=' | '?' | '&'
        )
    }) {
        match pieces.last_mut() {
            Some(previous) if is_algorithm(previous) && starts_with_hex(&piece) => {
                previous.push_str(&piece)
            }
            _ => pieces.push(piece),
        }
    }
    pieces
}

/// Words with the space after them; leading spaces (indentation) stay with the first, a
/// number with the word after it (`13.5 kB`, `3 packages`).
fn words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in split_after(text, |c| c == ' ') {
        match words.last_mut() {
            Some(previous) if is_number(previous.trim()) => previous.push_str(&word),
            _ => words.push(word),
        }
    }
    words
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn split_after(text: &str, separator: impl Fn(char) -> bool) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if separator(c) && piece.chars().any(|c| c != ' ') {
            pieces.push(std::mem::take(&mut piece));
        }
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

/// `sha256:` or `sha256-` (as in cosign's tags).
fn is_algorithm(piece: &str) -> bool {
    piece
        .strip_suffix([':', '-'])
        .is_some_and(|alg| alg.len() >= 3 && alg.chars().all(|c| c.is_ascii_alphanumeric()))
        && piece.starts_with(|c: char| c.is_ascii_alphabetic())
}

fn starts_with_hex(piece: &str) -> bool {
    piece.chars().take_while(char::is_ascii_hexdigit).count() >= 32
}

fn is_digest_piece(piece: &str) -> bool {
    piece
        .split_once([':', '-'])
        .is_some_and(|(alg, rest)| is_algorithm(&format!("{alg}:")) && starts_with_hex(rest))
}

/// Pieces joined into lines of at most `width`; a piece longer than a line is cut where
/// `may_cut` allows, else has its line to itself.
fn fill(pieces: Vec<String>, width: usize, may_cut: impl Fn(&str) -> bool) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in pieces {
        if !line.trim().is_empty()
            && line.chars().count() + piece.trim_end().chars().count() > width
        {
            lines.push(std::mem::take(&mut line).trim_end().to_string());
        }
        if may_cut(&piece) {
            line.push_str(&piece);
            while line.trim_end().chars().count() > width {
                let head: String = line.chars().take(width).collect();
                line = line.chars().skip(width).collect();
                lines.push(head);
            }
        } else {
            line.push_str(&piece);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// What [`finish`] makes of an unstyled table (see [`new_table`]) whose cells are all
/// printable ASCII, written directly: the same bytes, without comfy_table's allocations
/// for each cell, for tables of thousands of rows (an SBOM's packages). None when a cell
/// is anything else, whose width comfy_table measures.
pub fn plain_table<const N: usize>(headers: [&str; N], rows: &[[&str; N]]) -> Option<String> {
    let printable = |cell: &&str| cell.bytes().all(|b| (b' '..=b'~').contains(&b));
    // comfy_table gives an empty column one column of width.
    let mut widths = [1; N];
    for row in std::iter::once(&headers).chain(rows) {
        if !row.iter().all(printable) {
            return None;
        }
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line_length = 2 + widths.iter().map(|w| w + 2).sum::<usize>();
    let mut out = String::with_capacity(line_length * (rows.len() + 1));
    for row in std::iter::once(&headers).chain(rows) {
        out.push_str("  ");
        let start = out.len();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(cell);
            out.extend(std::iter::repeat_n(' ', width - cell.len()));
        }
        out.truncate(start + out[start..].trim_end().len());
        out.push('\n');
    }
    Some(out)
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

/// `text` with each digest in it shortened as [`short`] does (`repo@sha256:0123456789ab`).
pub fn short_digests_in(text: &str) -> String {
    separated_pieces(text)
        .iter()
        .map(|piece| {
            if !is_digest_piece(piece) {
                return piece.clone();
            }
            let (alg, rest) = piece.split_at(piece.find([':', '-']).map_or(0, |i| i + 1));
            let hex = rest.chars().take_while(char::is_ascii_hexdigit).count();
            format!("{alg}{}{}", &rest[..12], &rest[hex..])
        })
        .collect()
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
    /// The lines of an unstyled comfy_table, byte for byte, for every mix of short, long,
    /// empty and space-padded cells; None for a cell comfy_table has to measure.
    #[test]
    fn plain_table_is_comfy_tables() {
        let cells = [
            "",
            " ",
            "-",
            "x",
            " lead",
            "trail ",
            "a b",
            "pkg:npm/%40s/x@1?a=b",
            "~!",
        ];
        let headers = ["TYPE", "", "NAME"];
        let mut rows = Vec::new();
        for a in cells {
            for b in cells {
                for c in cells {
                    rows.push([a, b, c]);
                }
            }
        }
        for rows in [&rows[..], &rows[..1], &rows[5..9], &[]] {
            let mut table = new_table(false, &headers);
            for row in rows {
                table.add_row(row.to_vec());
            }
            assert_eq!(
                plain_table(headers, rows).as_deref(),
                Some(finish(table).as_str())
            );
        }
        for cell in ["é", "\t", "\n", "\u{7f}", "全"] {
            assert_eq!(plain_table(headers, &[["a", cell, "b"]]), None, "{cell:?}");
        }
        assert_eq!(plain_table(["É", "b", "c"], &[]), None);
    }

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
    fn digests_stay_whole_when_wrapped() {
        let hex = "416fe8c478d4342e869a4d040d934474cbcfd4d8aee42f771f618b47f05cc502";
        let purl = format!("pkg:oci/hello@sha256:{hex}?arch=arm64&os=linux");
        assert_eq!(
            wrap_at_separators(&purl, 40),
            [
                "pkg:oci/hello@".to_string(),
                format!("sha256:{hex}?"),
                "arch=arm64&os=linux".to_string()
            ]
        );
        let tag = format!("reg/app:sha256-{hex}.sbom");
        assert!(wrap_at_separators(&tag, 20).contains(&format!("sha256-{hex}.")));
        assert_eq!(wrap_words("  nested key", 20), ["  nested key"]);
        assert_eq!(wrap_words("cosign .att tag", 8), ["cosign", ".att tag"]);
        assert_eq!(wrap_words("13.5 kB", 4), ["13.5 kB"]);
        assert_eq!(wrap_words("index of 3", 4), ["index", "of 3"]);
    }

    #[test]
    fn digests_in_text_are_shortened() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            short_digests_in(&format!("reg.io/app@{digest}")),
            "reg.io/app@sha256:abababababab"
        );
        assert_eq!(short_digests_in("reg.io/app:1.0"), "reg.io/app:1.0");
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
