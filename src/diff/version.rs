//! Version ordering per package ecosystem, to tell an upgrade from a downgrade.
//!
//! [`compare`] takes a purl type and two version strings and says how the old one orders
//! against the new one, or `None` when ocx knows no ordering for that type or a version
//! does not parse (the caller then reports a change without a direction). `Some(Equal)`
//! can hold for two different strings — PEP 440 `1.0` and `1.0.0`, Debian `1.0` and
//! `0:1.0`, semver `1.0.0+a` and `1.0.0+b` — and the caller decides what that means.
//!
//! | purl type      | rules                                                         | by          |
//! |----------------|---------------------------------------------------------------|-------------|
//! | `deb`          | Debian policy 5.6.12 (dpkg): epoch, upstream, revision        | hand        |
//! | `rpm`          | rpmvercmp on epoch, version, release, with `~` and `^`        | hand        |
//! | `apk`          | apk-tools: digits, letter, `_suffix`, `-rN` (not `~hash`)     | hand        |
//! | `npm`, `cargo` | semver 2.0 precedence, build metadata ignored                 | `semver`    |
//! | `golang`       | semver after `v` (`go` for the stdlib): pseudo-versions, `+incompatible` | `semver` |
//! | `pypi`         | PEP 440                                                       | `pep440_rs` |
//! | `maven`        | Maven 3.8 `ComparableVersion` (see `compare_maven`)           | hand        |
//! | anything else  | semver precedence when both parse as semver, else `None`      | `semver`    |
//!
//! Identical strings are `Some(Equal)` for every type. For types ocx has no rules for,
//! semver is the one reading that cannot mislead: a string that parses as strict semver
//! (`1.2.3`, `v1.2.3-rc.1`) has one documented order, whereas date stamps, hashes or
//! distro tags would be ordered by guesswork — those stay `None`.
//!
//! Crates: `semver` (dtolnay) is the standard implementation and was already in the
//! dependency tree. `pep440_rs` is the PEP 440 implementation uv and maturin build on,
//! and its dependencies are small (serde and unicode-width were already here). dpkg,
//! rpmvercmp, apk and Maven's `ComparableVersion` are written here from their documented
//! algorithms: each is a page of code, while crates for them cost more build than that
//! (`debversion` pulls in regex, chrono and num-bigint) or are not widely used.

use std::cmp::Ordering;
use std::str::FromStr;

/// How `old` orders against `new` under the rules of the purl type (`deb`, `rpm`, `apk`,
/// `npm`, `cargo`, `golang`, `pypi`, `maven`; see the module doc for the rest). For rpm,
/// fold the purl's `epoch` qualifier in first with [`rpm_version_with_epoch`].
pub fn compare(purl_type: &str, old: &str, new: &str) -> Option<Ordering> {
    if old == new {
        return Some(Ordering::Equal);
    }
    match purl_type.to_ascii_lowercase().as_str() {
        "deb" => compare_deb(old, new),
        "rpm" => compare_rpm(old, new),
        "apk" => compare_apk(old, new),
        "npm" | "cargo" | "golang" => compare_semver(old, new),
        "pypi" => compare_pep440(old, new),
        "maven" => compare_maven(old, new),
        _ => compare_semver(old, new),
    }
}

/// The purl of an rpm carries the epoch as a qualifier (`?epoch=1`) and the version as
/// `version-release`; rpm orders `epoch:version-release`. A version that already names an
/// epoch keeps its own.
pub fn rpm_version_with_epoch(version: &str, epoch: Option<&str>) -> String {
    match epoch.map(str::trim).filter(|e| !e.is_empty()) {
        Some(epoch) if !version.contains(':') => format!("{epoch}:{version}"),
        _ => version.to_string(),
    }
}

/// Two runs of ASCII digits compared as numbers of any length.
fn compare_digit_runs(a: &[u8], b: &[u8]) -> Ordering {
    let a = trim_leading_zeros(a);
    let b = trim_leading_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn trim_leading_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    &digits[zeros..]
}

/// Splits an optional numeric `epoch:` prefix off; no prefix is epoch 0.
fn split_epoch(version: &str) -> Option<(u64, &str)> {
    match version.split_once(':') {
        Some((epoch, rest)) => Some((epoch.parse().ok()?, rest)),
        None => Some((0, version)),
    }
}

// ---- deb ----

fn compare_deb(old: &str, new: &str) -> Option<Ordering> {
    let (old_epoch, old_upstream, old_revision) = split_deb(old)?;
    let (new_epoch, new_upstream, new_revision) = split_deb(new)?;
    Some(
        old_epoch
            .cmp(&new_epoch)
            .then_with(|| dpkg_verrevcmp(old_upstream, new_upstream))
            .then_with(|| dpkg_verrevcmp(old_revision, new_revision)),
    )
}

/// `[epoch:]upstream[-revision]`; the revision follows the last hyphen.
fn split_deb(version: &str) -> Option<(u64, &str, &str)> {
    let (epoch, rest) = split_epoch(version.trim())?;
    let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
    (!upstream.is_empty()).then_some((epoch, upstream, revision))
}

/// dpkg's weight of a non-digit character: `~` before the end of the string, the end
/// before letters, letters before every other character.
fn dpkg_order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// Alternating non-digit and digit runs: the first compared by [`dpkg_order`], the
/// second as numbers.
fn dpkg_verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let is_digit_at = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !is_digit_at(a, i)) || (j < b.len() && !is_digit_at(b, j)) {
            let (ac, bc) = (dpkg_order(a.get(i).copied()), dpkg_order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let a_digits = digit_run(a, i);
        let b_digits = digit_run(b, j);
        let order = compare_digit_runs(a_digits, b_digits);
        if order != Ordering::Equal {
            return order;
        }
        i += a_digits.len();
        j += b_digits.len();
    }
    Ordering::Equal
}

fn digit_run(s: &[u8], from: usize) -> &[u8] {
    let from = from.min(s.len());
    let len = s[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    &s[from..from + len]
}

// ---- rpm ----

/// `[epoch:]version[-release]`; a missing release is an empty one, which sorts before any
/// other, as rpm's own EVR comparison (`rpm.ver` in rpm 4.18) has it.
fn compare_rpm(old: &str, new: &str) -> Option<Ordering> {
    let (old_epoch, old_version, old_release) = split_rpm(old)?;
    let (new_epoch, new_version, new_release) = split_rpm(new)?;
    Some(
        old_epoch
            .cmp(&new_epoch)
            .then_with(|| rpmvercmp(old_version, new_version))
            .then_with(|| rpmvercmp(old_release, new_release)),
    )
}

fn split_rpm(evr: &str) -> Option<(u64, &str, &str)> {
    let (epoch, rest) = split_epoch(evr.trim())?;
    let (version, release) = rest.rsplit_once('-').unwrap_or((rest, ""));
    (!version.is_empty()).then_some((epoch, version, release))
}

/// rpm's segment comparison: separators are skipped, `~` sorts before anything (even the
/// end), `^` after the end but before anything else, digit runs beat letter runs.
fn rpmvercmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        i += a[i..].iter().take_while(|&&c| is_rpm_separator(c)).count();
        j += b[j..].iter().take_while(|&&c| is_rpm_separator(c)).count();
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
        } else if x == Some(b'^') || y == Some(b'^') {
            match (x, y) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
        } else {
            let (Some(x), Some(_)) = (x, y) else {
                break;
            };
            let numeric = x.is_ascii_digit();
            let run = |s: &[u8], k: usize| -> usize {
                s[k..]
                    .iter()
                    .take_while(|c| {
                        if numeric {
                            c.is_ascii_digit()
                        } else {
                            c.is_ascii_alphabetic()
                        }
                    })
                    .count()
            };
            let (a_len, b_len) = (run(a, i), run(b, j));
            if b_len == 0 {
                // One side has digits where the other has letters: digits are newer.
                return if numeric {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            let (a_seg, b_seg) = (&a[i..i + a_len], &b[j..j + b_len]);
            let order = if numeric {
                compare_digit_runs(a_seg, b_seg)
            } else {
                a_seg.cmp(b_seg)
            };
            if order != Ordering::Equal {
                return order;
            }
            i += a_len;
            j += b_len;
            continue;
        }
        i += 1;
        j += 1;
    }
    (i < a.len()).cmp(&(j < b.len()))
}

fn is_rpm_separator(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && c != b'~' && c != b'^'
}

// ---- apk ----

/// apk-tools token kinds, in the order the comparison uses: when two versions agree up to
/// a point and then continue with different kinds, the kind later in this list (closer to
/// the end) is the older version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ApkKind {
    /// A component after a dot: leading zeros make it a fraction (`1.05` < `1.5`).
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    Revision,
    End,
}

#[derive(Debug, Clone, Copy)]
struct ApkToken {
    kind: ApkKind,
    value: i64,
}

const APK_PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const APK_POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

fn compare_apk(old: &str, new: &str) -> Option<Ordering> {
    let old = apk_tokens(old.trim())?;
    let new = apk_tokens(new.trim())?;
    for (a, b) in old.iter().zip(&new) {
        if a.kind == b.kind {
            if a.kind == ApkKind::End {
                return Some(Ordering::Equal);
            }
            if a.value != b.value {
                return Some(a.value.cmp(&b.value));
            }
            continue;
        }
        // Equal so far; the longer version is newer unless it goes on with a pre-release.
        if a.kind == ApkKind::Suffix && a.value < 0 {
            return Some(Ordering::Less);
        }
        if b.kind == ApkKind::Suffix && b.value < 0 {
            return Some(Ordering::Greater);
        }
        return Some(b.kind.cmp(&a.kind));
    }
    Some(Ordering::Equal)
}

/// `1.2.3a_rc1_p2-r4` into tokens ending with `End`; `None` when apk would call it invalid.
fn apk_tokens(version: &str) -> Option<Vec<ApkToken>> {
    let s = version.as_bytes();
    if !s.first()?.is_ascii_digit() {
        return None;
    }
    let mut tokens = Vec::new();
    let (mut kind, mut pos) = (ApkKind::Digit, 0);
    loop {
        let (value, end, forced_next) = apk_token_value(kind, s, pos)?;
        tokens.push(ApkToken { kind, value });
        pos = end;
        if pos >= s.len() {
            tokens.push(ApkToken {
                kind: ApkKind::End,
                value: 0,
            });
            return Some(tokens);
        }
        kind = match forced_next {
            Some(next) => next,
            None => apk_next_kind(kind, s, &mut pos)?,
        };
    }
}

/// The value of the token of `kind` at `pos`, where it ends, and the kind that must
/// follow (after a run of leading zeros, the rest of the number).
fn apk_token_value(kind: ApkKind, s: &[u8], pos: usize) -> Option<(i64, usize, Option<ApkKind>)> {
    let first = *s.get(pos)?;
    match kind {
        ApkKind::DigitOrZero if first == b'0' => {
            let zeros = s[pos..].iter().take_while(|&&c| c == b'0').count();
            let end = pos + zeros;
            let next = s
                .get(end)
                .filter(|c| c.is_ascii_digit())
                .map(|_| ApkKind::Digit);
            Some((-(zeros as i64), end, next))
        }
        ApkKind::Letter => Some((i64::from(first), pos + 1, None)),
        ApkKind::Suffix => {
            let rest = &s[pos..];
            let (value, name) = APK_PRE_SUFFIXES
                .iter()
                .enumerate()
                .map(|(i, name)| (i as i64 - APK_PRE_SUFFIXES.len() as i64, name))
                .chain(
                    APK_POST_SUFFIXES
                        .iter()
                        .enumerate()
                        .map(|(i, name)| (i as i64 + 1, name)),
                )
                .find(|(_, name)| rest.starts_with(name.as_bytes()))?;
            Some((value, pos + name.len(), None))
        }
        _ => {
            let digits = digit_run(s, pos);
            let value = std::str::from_utf8(digits).ok()?.parse().ok()?;
            Some((value, pos + digits.len(), None))
        }
    }
}

/// The kind of the token that starts at `pos` after a token of kind `prev`, moving `pos`
/// past its separator; `None` for what apk rejects (a letter after a suffix, say).
fn apk_next_kind(prev: ApkKind, s: &[u8], pos: &mut usize) -> Option<ApkKind> {
    let c = s[*pos];
    let next = match prev {
        ApkKind::Digit | ApkKind::DigitOrZero if c.is_ascii_lowercase() => ApkKind::Letter,
        ApkKind::Letter if c.is_ascii_digit() => ApkKind::Digit,
        ApkKind::Suffix if c.is_ascii_digit() => ApkKind::SuffixNumber,
        _ => {
            let (kind, width) = match (c, s.get(*pos + 1)) {
                (b'.', _) => (ApkKind::DigitOrZero, 1),
                (b'_', _) => (ApkKind::Suffix, 1),
                (b'-', Some(b'r')) => (ApkKind::Revision, 2),
                _ => return None,
            };
            *pos += width;
            kind
        }
    };
    let allowed_backwards = matches!(
        (prev, next),
        (ApkKind::Digit, ApkKind::DigitOrZero)
            | (ApkKind::SuffixNumber, ApkKind::Suffix)
            | (ApkKind::Letter, ApkKind::Digit)
    );
    (next >= prev || allowed_backwards).then_some(next)
}

// ---- semver, golang ----

/// Semver 2.0 precedence; build metadata (Go's `+incompatible`) does not count. Go
/// pseudo-versions are semver pre-releases whose timestamp orders them.
fn compare_semver(old: &str, new: &str) -> Option<Ordering> {
    Some(parse_semver(old)?.cmp_precedence(&parse_semver(new)?))
}

/// Strict semver after an optional `v` (Go, npm's loose form) or `go` (Go's stdlib).
fn parse_semver(version: &str) -> Option<semver::Version> {
    let version = version.trim();
    let bare = version
        .strip_prefix("go")
        .or_else(|| version.strip_prefix('v'))
        .unwrap_or(version);
    semver::Version::parse(bare).ok()
}

// ---- pypi ----

fn compare_pep440(old: &str, new: &str) -> Option<Ordering> {
    let old = pep440_rs::Version::from_str(old.trim()).ok()?;
    let new = pep440_rs::Version::from_str(new.trim()).ok()?;
    Some(old.cmp(&new))
}

// ---- maven ----

/// One parsed piece of a Maven version.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MavenItem {
    /// Digits without leading zeros; empty is zero.
    Number(String),
    /// A qualifier, lowercased and with its aliases resolved.
    Qualifier(String),
    /// What follows a `-` or a switch between digits and letters.
    List(Vec<MavenItem>),
}

/// Known qualifiers in order; the empty one is the release. Unknown qualifiers sort
/// after all of these, among themselves by their text.
const MAVEN_QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// Maven's `ComparableVersion` as Maven 3.8 has it: items split at `.`, `-` and
/// digit/letter switches; a `-`, a switch, a trailing `.qualifier` and a qualifier joined
/// to a number (`1.x1`) open a nested list; zeros and release qualifiers (`ga`, `final`,
/// `release`) are dropped from the end of each list; numbers beat lists beat qualifiers;
/// `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < release < `sp` < other
/// qualifiers by name; `a1`, `b1`, `m1` are `alpha-1`, `beta-1`, `milestone-1`. Checked
/// against maven-artifact 3.8.7 on random versions; Maven 3.9 reads a qualifier joined to
/// a number as one item, which may order some such versions differently.
fn compare_maven(old: &str, new: &str) -> Option<Ordering> {
    let old = parse_maven(old.trim());
    let new = parse_maven(new.trim());
    Some(compare_maven_items(Some(&old), Some(&new)))
}

fn parse_maven(version: &str) -> MavenItem {
    let version = version.to_lowercase();
    // Each new list is the last item of the one before it, so the nesting is a chain.
    let mut lists: Vec<Vec<MavenItem>> = vec![Vec::new()];
    let mut start = 0;
    let mut in_digits = false;
    for (i, c) in version.char_indices() {
        let current = lists.last_mut().expect("at least one list");
        match c {
            '.' | '-' => {
                current.push(maven_item(in_digits, &version[start..i], false));
                start = i + 1;
                if c == '-' {
                    lists.push(Vec::new());
                }
            }
            _ if c.is_ascii_digit() => {
                if !in_digits && i > start {
                    // `1.x1` reads like `1-x-1`: the qualifier opens a list of its own.
                    if !current.is_empty() {
                        lists.push(Vec::new());
                    }
                    let current = lists.last_mut().expect("at least one list");
                    current.push(maven_item(false, &version[start..i], true));
                    start = i;
                    lists.push(Vec::new());
                }
                in_digits = true;
            }
            _ => {
                if in_digits && i > start {
                    current.push(maven_item(true, &version[start..i], false));
                    start = i;
                    lists.push(Vec::new());
                }
                in_digits = false;
            }
        }
    }
    if version.len() > start {
        // A trailing `.qualifier` reads like `-qualifier`: `1.foo` = `1-foo`.
        if !in_digits && lists.last().is_some_and(|list| !list.is_empty()) {
            lists.push(Vec::new());
        }
        let current = lists.last_mut().expect("at least one list");
        current.push(maven_item(in_digits, &version[start..], false));
    }
    let mut inner = None;
    while let Some(mut list) = lists.pop() {
        list.extend(inner.take());
        normalize_maven_list(&mut list);
        inner = Some(MavenItem::List(list));
    }
    inner.expect("at least one list")
}

/// An empty piece (`1..2`, `1-`) is a zero, as in Maven.
fn maven_item(is_number: bool, text: &str, followed_by_digit: bool) -> MavenItem {
    if is_number || text.is_empty() {
        let digits = text.trim_start_matches('0');
        return MavenItem::Number(digits.to_string());
    }
    let expanded = match text {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    MavenItem::Qualifier(expanded.to_string())
}

/// Drops null items (zeros, release qualifiers, empty lists) from the end, looking past
/// nested lists but stopping at the first other item that is not null.
fn normalize_maven_list(list: &mut Vec<MavenItem>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if is_null_maven_item(&list[i]) {
            list.remove(i);
        } else if !matches!(list[i], MavenItem::List(_)) {
            break;
        }
    }
}

fn is_null_maven_item(item: &MavenItem) -> bool {
    match item {
        MavenItem::Number(digits) => digits.is_empty(),
        MavenItem::Qualifier(name) => name.is_empty(),
        MavenItem::List(items) => items.is_empty(),
    }
}

/// The position of a qualifier as a sortable text, as Maven does: known ones by index,
/// unknown ones after them by name.
fn maven_qualifier_rank(name: &str) -> String {
    match MAVEN_QUALIFIERS.iter().position(|q| *q == name) {
        Some(index) => index.to_string(),
        None => format!("{}-{name}", MAVEN_QUALIFIERS.len()),
    }
}

/// `None` stands for a missing item (one list is shorter than the other).
fn compare_maven_items(a: Option<&MavenItem>, b: Option<&MavenItem>) -> Ordering {
    use MavenItem::{List, Number, Qualifier};
    let release_rank = maven_qualifier_rank("");
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => compare_maven_items(b, a).reverse(),
        (Some(Number(n)), None) if n.is_empty() => Ordering::Equal,
        (Some(Number(_)), None) => Ordering::Greater,
        (Some(Qualifier(q)), None) => maven_qualifier_rank(q).cmp(&release_rank),
        (Some(List(items)), None) => items
            .iter()
            .map(|item| compare_maven_items(Some(item), None))
            .find(|order| order.is_ne())
            .unwrap_or(Ordering::Equal),
        (Some(Number(x)), Some(Number(y))) => compare_digit_runs(x.as_bytes(), y.as_bytes()),
        (Some(Qualifier(x)), Some(Qualifier(y))) => {
            maven_qualifier_rank(x).cmp(&maven_qualifier_rank(y))
        }
        (Some(List(x)), Some(List(y))) => (0..x.len().max(y.len()))
            .map(|i| compare_maven_items(x.get(i), y.get(i)))
            .find(|order| order.is_ne())
            .unwrap_or(Ordering::Equal),
        (Some(a), Some(b)) => maven_kind_rank(a).cmp(&maven_kind_rank(b)),
    }
}

/// Across kinds: a number is newer than a list, a list newer than a qualifier.
fn maven_kind_rank(item: &MavenItem) -> u8 {
    match item {
        MavenItem::Qualifier(_) => 0,
        MavenItem::List(_) => 1,
        MavenItem::Number(_) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    /// Each case both ways round, so every table also checks antisymmetry.
    fn check_cases(purl_type: &str, cases: &[(&str, Ordering, &str)]) {
        for &(old, expected, new) in cases {
            assert_eq!(
                compare(purl_type, old, new),
                Some(expected),
                "{purl_type}: {old} vs {new}"
            );
            assert_eq!(
                compare(purl_type, new, old),
                Some(expected.reverse()),
                "{purl_type}: {new} vs {old}"
            );
        }
    }

    /// Every earlier version is older than every later one.
    fn check_ascending(purl_type: &str, versions: &[&str]) {
        for (i, old) in versions.iter().enumerate() {
            for new in &versions[i + 1..] {
                check_cases(purl_type, &[(old, Less, new)]);
            }
        }
    }

    #[test]
    fn deb_follows_debian_policy_and_dpkg() {
        // Policy 5.6.12's own example of `~` and letters around the end of a part.
        check_ascending("deb", &["1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a"]);
        check_cases(
            "deb",
            &[
                ("1:1.2.13.dfsg-1", Less, "1:1.3.dfsg-3"),
                ("1.0~rc1", Less, "1.0"),
                ("2:2.36-9+deb12u4", Greater, "2:2.36-9+deb12u3"),
                ("1:0.1", Greater, "9.9"),
                ("0:1.0", Equal, "1.0"),
                ("1.0", Equal, "1.0-0"),
                ("0", Equal, "00"),
                ("1.002", Equal, "1.2"),
                ("0.9", Less, "0.10"),
                ("1.0a", Less, "1.0.1"),
                ("1.2.3-1", Less, "1.2.3-1.1"),
                ("1.18.36", Less, "1.18.36+b1"),
                // From dpkg's version test list.
                ("0-pre", Less, "0-pree"),
                ("1.1.6r2-2", Greater, "1.1.6r-1"),
                ("2.6b2-1", Greater, "2.6b-2"),
                ("98.1p5-1", Less, "98.1-pre2-b6-2"),
                ("0.4a6-2", Greater, "0.4-1"),
                ("1:3.0.5-2", Less, "1:3.0.5.1"),
                ("1.4+OOo3.0.0~", Less, "1.4+OOo3.0.0-4"),
                ("2.4.7-1", Less, "2.4.7-z"),
            ],
        );
        assert_eq!(compare("deb", "x:1.0", "1.0"), None);
        assert_eq!(compare("deb", "-1", "1.0"), None);
    }

    #[test]
    fn rpm_follows_rpmvercmp() {
        // rpm's rpmvercmp test list.
        check_cases(
            "rpm",
            &[
                ("1.0", Less, "2.0"),
                ("2.0.1", Greater, "2.0"),
                ("2.0.1a", Greater, "2.0.1"),
                ("5.5p1", Less, "5.5p2"),
                ("5.5p10", Greater, "5.5p1"),
                ("10xyz", Less, "10.1xyz"),
                ("xyz10", Less, "xyz10.1"),
                ("xyz.4", Less, "8"),
                ("xyz.4", Less, "2"),
                ("5.5p2", Less, "5.6p1"),
                ("5.6p1", Less, "6.5p1"),
                ("6.0.rc1", Greater, "6.0"),
                ("10b2", Greater, "10a1"),
                ("10a2", Less, "10b2"),
                ("1.0aa", Greater, "1.0a"),
                ("10.0001", Equal, "10.1"),
                ("10.0001", Greater, "10.0.1"),
                ("10.0001", Less, "10.0039"),
                ("4.999.9", Less, "5.0"),
                ("2.0", Equal, "2_0"),
                ("a+", Equal, "a_"),
                ("+_", Equal, "_+"),
                ("1.0~rc1", Less, "1.0"),
                ("1.0~rc1", Less, "1.0~rc2"),
                ("1.0~rc1~git123", Less, "1.0~rc1"),
                ("1.0^", Greater, "1.0"),
                ("1.0^git1", Greater, "1.0"),
                ("1.0^git1", Less, "1.01"),
                ("1.0^git1", Less, "1.0.1"),
                ("1.0^20160101", Less, "1.0.1"),
                ("1.0^20160101^git1", Greater, "1.0^20160101"),
                ("1.0~rc1^git1", Greater, "1.0~rc1"),
                ("1.0~rc1^git1", Less, "1.0"),
                ("1.0^git1~pre", Less, "1.0^git1"),
            ],
        );
    }

    #[test]
    fn rpm_compares_epoch_then_version_then_release() {
        check_cases(
            "rpm",
            &[
                ("1:1.0-1", Greater, "2.0-1"),
                ("0:1.0-1", Equal, "1.0-1"),
                ("1.0-2.el9", Greater, "1.0-1.el9"),
                ("1.0-1.el9", Less, "1.0-1.el9_1"),
                ("1.0", Less, "1.0-5"),
                ("3.0.7-24.el9", Less, "1:3.0.7-24.el9"),
            ],
        );
        assert_eq!(rpm_version_with_epoch("1.2-3", Some("1")), "1:1.2-3");
        assert_eq!(rpm_version_with_epoch("2:1.2-3", Some("1")), "2:1.2-3");
        assert_eq!(rpm_version_with_epoch("1.2-3", Some("")), "1.2-3");
        assert_eq!(rpm_version_with_epoch("1.2-3", None), "1.2-3");
    }

    #[test]
    fn apk_follows_apk_tools() {
        check_ascending(
            "apk",
            &[
                "1.0_alpha",
                "1.0_alpha2",
                "1.0_beta",
                "1.0_pre1",
                "1.0_rc1",
                "1.0",
                "1.0-r1",
                "1.0_cvs",
                "1.0_svn",
                "1.0_git",
                "1.0_hg",
                "1.0_p1",
                "1.0a",
                "1.0.1",
            ],
        );
        check_cases(
            "apk",
            &[
                ("2.34", Greater, "0.1.0_alpha"),
                ("0.1.0_alpha", Less, "0.1.3_alpha"),
                ("0.1.0_alpha2", Greater, "0.1.0_alpha"),
                ("1.2.3", Less, "1.2.10"),
                ("1.2.3a", Less, "1.2.3b"),
                ("1.005", Less, "1.05"),
                ("1.05", Less, "1.5"),
                ("1.0-r10", Greater, "1.0-r9"),
                ("3.1.4-r5", Less, "3.1.4-r15"),
                ("1.2.3_rc1", Less, "1.2.3.1"),
                ("0.3_git20240101-r0", Less, "0.3_git20240201-r0"),
                ("1.2.4-r2", Less, "1.2.5-r0"),
            ],
        );
        assert_eq!(compare("apk", "1.0", "abc"), None);
        assert_eq!(compare("apk", "1.0_foo", "1.0"), None);
        assert_eq!(compare("apk", "1.", "1.0"), None);
        assert_eq!(compare("apk", "1.0_", "1.0"), None);
        assert_eq!(compare("apk", "1.0-r", "1.0"), None);
    }

    #[test]
    fn npm_and_cargo_follow_semver_precedence() {
        // semver.org, item 11.
        let precedence = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for purl_type in ["npm", "cargo"] {
            check_ascending(purl_type, &precedence);
            check_cases(purl_type, &[("1.0.0+build.1", Equal, "1.0.0+build.2")]);
            assert_eq!(compare(purl_type, "1.0", "1.0.0"), None);
        }
    }

    #[test]
    fn golang_reads_v_prefix_pseudo_versions_and_incompatible() {
        check_ascending(
            "golang",
            &[
                "v0.0.0-20210101000000-abcdef123456",
                "v0.0.0-20220101000000-123456abcdef",
                "v0.1.0",
                "v1.2.3",
                "v1.2.4-0.20230101000000-abcdefabcdef",
                "v1.2.4",
                "v2.0.0+incompatible",
                "v2.1.0+incompatible",
            ],
        );
        check_cases(
            "golang",
            &[
                ("v2.0.0+incompatible", Equal, "v2.0.0"),
                ("go1.21.5", Less, "1.22.0"),
            ],
        );
    }

    #[test]
    fn pypi_follows_pep_440() {
        // PEP 440's own example of the ordering of every kind of release.
        check_ascending(
            "pypi",
            &[
                "1.dev0",
                "1.0.dev456",
                "1.0a1",
                "1.0a2.dev456",
                "1.0a12.dev456",
                "1.0a12",
                "1.0b1.dev456",
                "1.0b2",
                "1.0b2.post345.dev456",
                "1.0b2.post345",
                "1.0rc1.dev456",
                "1.0rc1",
                "1.0",
                "1.0+abc.5",
                "1.0+abc.7",
                "1.0+5",
                "1.0.post456.dev34",
                "1.0.post456",
                "1.0.15",
                "1.1.dev1",
            ],
        );
        check_cases(
            "pypi",
            &[
                ("1.0", Equal, "1.0.0"),
                ("1.0a1", Equal, "1.0.0a1"),
                ("1.0alpha1", Equal, "1.0a1"),
                ("1.0c1", Equal, "1.0rc1"),
                ("1.0-1", Equal, "1.0.post1"),
                ("v1.0", Equal, "1.0"),
                ("1!1.0", Greater, "2.0"),
            ],
        );
        assert_eq!(compare("pypi", "1.0", "not a version"), None);
    }

    /// Maven's `ComparableVersion` is not transitive, and ocx orders as Maven does rather
    /// than inventing an order of its own: a qualifier sorts before a list (`foo` <
    /// `0-alpha`, which normalizes to `[[alpha]]`), alpha before the release (`0-alpha` <
    /// ``), and an unknown qualifier after it (`foo` > ``). Found by the version_compare
    /// fuzz target; pairs are all the diff compares, so nothing sorts by this order.
    #[test]
    fn maven_is_not_transitive() {
        check_cases("maven", &[("foo", Less, "0-alpha"), ("0-alpha", Less, "")]);
        check_cases("maven", &[("foo", Greater, "")]);
    }

    #[test]
    fn maven_follows_comparable_version() {
        // Maven's ComparableVersion tests: qualifiers, then numbers.
        check_ascending(
            "maven",
            &[
                "1-alpha2snapshot",
                "1-alpha2",
                "1-alpha-123",
                "1-beta-2",
                "1-beta123",
                "1-m2",
                "1-m11",
                "1-rc",
                "1-cr2",
                "1-rc123",
                "1-SNAPSHOT",
                "1",
                "1-sp",
                "1-sp2",
                "1-sp123",
                "1-abc",
                "1-def",
                "1-pom-1",
                "1-1-snapshot",
                "1-1",
                "1-2",
                "1-123",
            ],
        );
        check_ascending(
            "maven",
            &[
                "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c",
                "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2",
                "11.m11", "11", "11.a", "11b", "11c", "11m",
            ],
        );
        check_cases(
            "maven",
            &[
                ("1", Equal, "1.0"),
                ("1", Equal, "1.0.0"),
                ("1", Equal, "1-0"),
                ("1", Equal, "1-ga"),
                ("1", Equal, "1.GA"),
                ("1", Equal, "1-final"),
                ("1", Equal, "1.0-release"),
                ("1a1", Equal, "1-alpha-1"),
                ("1alpha1", Equal, "1-a1"),
                ("1.0-cr1", Equal, "1.0-RC1"),
                ("1.0-SNAPSHOT", Less, "1.0"),
                ("1.0-milestone-1", Less, "1.0-rc-1"),
                ("1-foo2", Less, "1-foo10"),
                ("2.0.a", Equal, "2.0.0.a"),
                ("2.0.a", Equal, "2-a"),
            ],
        );
        // Corners where readings of the algorithm part, as maven-artifact 3.8.7 orders them.
        check_cases(
            "maven",
            &[
                ("1.x1", Equal, "1-x-1"),
                ("1.x", Equal, "1.x0"),
                ("1-ga-1", Less, "1-1"),
                ("1-Final.11.0m1", Greater, "1-Final"),
                ("10", Less, "10-0.mb10.release"),
                ("2.0.a", Greater, "2.0.a0"),
                ("5.6.15.Final", Equal, "5.6.15"),
                ("2.0.0.M1", Less, "2.0.0"),
            ],
        );
        // The POM reference's "Version Order Specification" examples.
        check_cases(
            "maven",
            &[
                ("1-foo2", Less, "1-foo10"),
                ("1.foo", Equal, "1-foo"),
                ("1-foo", Less, "1-1"),
                ("1-1", Less, "1.1"),
                ("1.ga", Equal, "1-ga"),
                ("1-ga", Equal, "1-0"),
                ("1-0", Equal, "1.0"),
                ("1.0", Equal, "1"),
                ("1-sp", Greater, "1-ga"),
                ("1-sp.1", Greater, "1-ga.1"),
                ("1-sp-1", Less, "1-ga-1"),
                ("1-a1", Equal, "1-alpha-1"),
                ("1.0-alpha1", Equal, "1.0-ALPHA1"),
                ("1.7", Greater, "1.K"),
                ("5.zebra", Greater, "5.aardvark"),
                ("1.\u{3b1}", Greater, "1.b"),
            ],
        );
    }

    #[test]
    fn other_types_order_only_semver() {
        check_cases(
            "generic",
            &[("1.2.3", Less, "1.3.0"), ("v2.0.0-rc.1", Less, "2.0.0")],
        );
        assert_eq!(compare("generic", "2024-01", "2024-02"), None);
        assert_eq!(compare("oci", "sha256:aa", "sha256:bb"), None);
        assert_eq!(compare("generic", "anything", "anything"), Some(Equal));
    }
}
