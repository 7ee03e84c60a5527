//! Package URLs: [`parse_purl`] with the `packageurl` crate, and the split by hand (with
//! percent decoding) for the purls the crate rejects. The common plain purl (ASCII, no
//! escapes, no subpath, a common type) is split here directly, as the crate would split
//! it: the crate's parse allocates every part twice and a map of qualifiers, a quarter of
//! `ocx sbom`'s CPU time on large SBOMs.

use std::borrow::Cow;
use std::str::FromStr;

use packageurl::PackageUrl;

use crate::model::{Purl, Qualifiers};

/// Splits a package URL into its parts with the `packageurl` crate, or by hand when the
/// crate rejects it (the crate's error then goes to `warning`). Never fails.
pub fn parse_purl(raw: &str) -> Purl {
    let text = raw.trim();
    match split_plain(text) {
        Some(mut purl) => {
            purl.purl = raw.to_string();
            purl
        }
        None => parse_with_crate(raw, text),
    }
}

/// `raw` (trimmed: `text`) split by the `packageurl` crate, or by hand when it rejects it.
fn parse_with_crate(raw: &str, text: &str) -> Purl {
    match PackageUrl::from_str(text) {
        Ok(parsed) => Purl {
            purl: raw.to_string(),
            scheme: Some(Cow::Borrowed("pkg")),
            purl_type: non_empty(Some(parsed.ty())).map(Cow::Owned),
            namespace: non_empty(parsed.namespace()),
            name: non_empty(Some(parsed.name())),
            version: non_empty(parsed.version()),
            qualifiers: parsed
                .qualifiers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            subpath: non_empty(parsed.subpath()),
            warning: None,
        },
        Err(err) => {
            let mut purl = split_purl(text);
            purl.purl = raw.to_string();
            purl.warning = Some(err.to_string());
            purl
        }
    }
}

/// What the `packageurl` crate does to a purl of a type, for the types [`split_plain`]
/// splits itself (its per-type rules, which the test `plain_split_is_the_crates` checks).
struct TypeRules {
    ty: &'static str,
    namespace: Namespace,
    lowercase_namespace: bool,
    lowercase_name: bool,
}

enum Namespace {
    Optional,
    Required,
    Prohibited,
}

/// The common types; any other type is left to the crate.
#[rustfmt::skip]
static PLAIN_TYPES: &[TypeRules] = {
    use Namespace::{Optional, Prohibited, Required};
    const fn rules(ty: &'static str, namespace: Namespace, lowercase_namespace: bool, lowercase_name: bool) -> TypeRules {
        TypeRules { ty, namespace, lowercase_namespace, lowercase_name }
    }
    &[
        rules("apk", Optional, true, false),
        rules("cargo", Prohibited, false, false),
        rules("composer", Required, true, true),
        rules("deb", Optional, true, true),
        rules("gem", Prohibited, false, false),
        rules("generic", Optional, false, false),
        rules("github", Optional, true, true),
        rules("golang", Optional, true, false),
        rules("maven", Optional, false, false),
        rules("npm", Optional, false, true),
        rules("nuget", Prohibited, false, false),
        rules("oci", Prohibited, false, false),
        rules("pypi", Prohibited, false, true),
        rules("rpm", Optional, true, false),
    ]
};

/// The rules of a type, in any case.
fn plain_type_rules(ty: &str) -> Option<&'static TypeRules> {
    PLAIN_TYPES
        .iter()
        .find(|rules| rules.ty.eq_ignore_ascii_case(ty))
}

/// A plain purl split as `PackageUrl::from_str` splits and canonicalizes it, without its
/// allocations; None for anything else (non-ASCII before or after percent decoding, a
/// subpath, a type without rules here, or what the crate would reject), which goes to
/// the crate. `purl` is left empty for the caller.
fn split_plain(text: &str) -> Option<Purl> {
    if !text.is_ascii() || text.contains('#') {
        return None;
    }
    let rest = text.strip_prefix("pkg:")?.trim_start_matches('/');
    let (rest, qualifiers) = match rest.rsplit_once('?') {
        Some((rest, query)) => (rest, plain_qualifiers(query)?),
        None => (rest, Qualifiers::default()),
    };
    // An '@' followed by a further '/' is an npm scope in the namespace, not a version.
    let (rest, version) = match rest.rsplit_once('@') {
        Some((rest, version)) if !version.contains('/') => (rest, Some(plain_decoded(version)?)),
        _ => (rest, None),
    };
    let (ty, path) = rest.split_once('/')?;
    let rules = plain_type_rules(ty)?;
    if path.ends_with('/') {
        return None;
    }
    let (namespace, name) = path
        .trim_matches('/')
        .rsplit_once('/')
        .unwrap_or(("", path.trim_matches('/')));
    if name.is_empty() {
        return None;
    }
    let namespace = match namespace {
        "" => None,
        namespace => Some(plain_namespace(namespace, rules)?),
    };
    match (&rules.namespace, &namespace) {
        (Namespace::Prohibited, Some(_)) | (Namespace::Required, None) => return None,
        _ => {}
    }
    let mut name = plain_decoded(name)?;
    if rules.lowercase_name {
        name.make_ascii_lowercase();
    }
    if rules.ty == "pypi" && name.contains('_') {
        name = name.replace('_', "-");
    }
    Some(Purl {
        purl: String::new(),
        scheme: Some(Cow::Borrowed("pkg")),
        purl_type: Some(Cow::Borrowed(rules.ty)),
        namespace: namespace.filter(|n| !n.is_empty()),
        name: Some(name),
        version: version.filter(|v| !v.is_empty()),
        qualifiers,
        subpath: None,
        warning: None,
    })
}

/// The qualifiers after the `?` of a plain purl: keys lowercased, pairs without a value
/// skipped, a key given twice keeping its last value; None for a key the crate rejects.
fn plain_qualifiers(query: &str) -> Option<Qualifiers> {
    let mut pairs = Vec::with_capacity(1 + query.bytes().filter(|&b| b == b'&').count());
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if value.is_empty() {
            continue;
        }
        if !qualifier_key_is_valid(key) {
            return None;
        }
        pairs.push((key.to_ascii_lowercase(), plain_decoded(value)?));
    }
    Some(Qualifiers::from(pairs))
}

/// The purl spec's qualifier key: ASCII letters, digits, `.`, `-` and `_`, not starting
/// with a digit.
fn qualifier_key_is_valid(key: &str) -> bool {
    key.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The namespace segments of a plain purl, without empty and dot segments, decoded and
/// joined with '/' (empty when none is left), lowercased when the type says so; None
/// when a decoded segment holds a '/' or is not plain.
fn plain_namespace(path: &str, rules: &TypeRules) -> Option<String> {
    let mut namespace = String::with_capacity(path.len());
    let segments = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..");
    for segment in segments {
        if !namespace.is_empty() {
            namespace.push('/');
        }
        let start = namespace.len();
        push_decoded(&mut namespace, segment)?;
        if namespace[start..].contains('/') {
            return None;
        }
    }
    if rules.lowercase_namespace {
        namespace.make_ascii_lowercase();
    }
    Some(namespace)
}

/// A part of a plain purl, percent-decoded as the crate decodes it; None when the result
/// is not ASCII (the crate lowercases by Unicode rules, or rejects what is not UTF-8).
fn plain_decoded(text: &str) -> Option<String> {
    let mut decoded = String::with_capacity(text.len());
    push_decoded(&mut decoded, text)?;
    Some(decoded)
}

/// Appends `text` decoded as [`plain_decoded`] decodes it; None as it.
fn push_decoded(out: &mut String, text: &str) -> Option<()> {
    if !text.contains('%') {
        out.push_str(text);
        return Some(());
    }
    let decoded = String::from_utf8(percent_decoded_bytes(text)).ok()?;
    if !decoded.is_ascii() {
        return None;
    }
    out.push_str(&decoded);
    Some(())
}

/// Splits a purl the way the purl spec describes, without validating it; parts that are
/// not there stay None. A string without the `pkg:` scheme is not split at all.
fn split_purl(text: &str) -> Purl {
    let mut purl = Purl::unsplit(text);
    let Some((scheme, rest)) = text.split_once(':') else {
        return purl;
    };
    if !scheme.eq_ignore_ascii_case("pkg") {
        return purl;
    }
    purl.scheme = Some(Cow::Borrowed("pkg"));
    let rest = rest.trim_start_matches('/');

    let (rest, subpath) = match rest.rsplit_once('#') {
        Some((rest, subpath)) => (rest, join_segments(subpath)),
        None => (rest, None),
    };
    purl.subpath = subpath;

    let rest = match rest.rsplit_once('?') {
        Some((rest, query)) => {
            for pair in query.split('&') {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                if !key.is_empty() && !value.is_empty() {
                    purl.qualifiers
                        .insert(key.to_ascii_lowercase(), percent_decode(value));
                }
            }
            rest
        }
        None => rest,
    };

    let (ty, rest) = rest.split_once('/').unwrap_or((rest, ""));
    if ty.is_empty() {
        return purl;
    }
    purl.purl_type = Some(Cow::Owned(ty.to_ascii_lowercase()));

    // An '@' followed by a further '/' is an npm scope in the namespace, not a version.
    let rest = match rest.rfind('@') {
        Some(i) if !rest[i + 1..].contains('/') => {
            purl.version = non_empty(Some(&percent_decode(&rest[i + 1..])));
            &rest[..i]
        }
        _ => rest,
    };

    let path = rest.trim_matches('/');
    let (namespace, name) = path.rsplit_once('/').unwrap_or(("", path));
    purl.name = non_empty(Some(&percent_decode(name)));
    purl.namespace = join_segments(namespace);
    purl
}

/// Percent-decodes the non-empty, non-dot segments of a path and joins them with '/'.
fn join_segments(path: &str) -> Option<String> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(percent_decode)
        .collect();
    non_empty(Some(&segments.join("/")))
}

/// Decodes %XX escapes; malformed escapes stay as written, and a result that is not
/// UTF-8 gives back the input unchanged.
fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    String::from_utf8(percent_decoded_bytes(text)).unwrap_or_else(|_| text.to_string())
}

/// The bytes of `text` with its valid %XX escapes decoded.
fn percent_decoded_bytes(text: &str) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|s| !s.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SbomFormat;
    use crate::sbom::parse::tests::{parse, raw};
    use serde_json::json;

    #[test]
    fn invalid_purl_is_kept_with_a_warning() {
        let p = parse_purl("pkg:oci/library/debian@sha256%3Aabc?repository_url=docker.io&tag=12");
        assert_eq!(
            p.purl,
            "pkg:oci/library/debian@sha256%3Aabc?repository_url=docker.io&tag=12"
        );
        assert_eq!(
            p.warning.as_deref(),
            Some("no namespace allowed for type \"oci\"")
        );
        assert_eq!(p.scheme.as_deref(), Some("pkg"));
        assert_eq!(p.purl_type.as_deref(), Some("oci"));
        assert_eq!(p.namespace.as_deref(), Some("library"));
        assert_eq!(p.name.as_deref(), Some("debian"));
        assert_eq!(p.version.as_deref(), Some("sha256:abc"));
        assert_eq!(p.qualifiers["repository_url"], "docker.io");
        assert_eq!(p.qualifiers["tag"], "12");

        // In a document: kept, not dropped.
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"name": "debian", "purl": "pkg:oci/library/debian"},
            {"name": "cpe", "purl": "cpe:2.3:a:x:y:1"}]});
        let parsed = parse(&doc);
        assert_eq!(raw(&parsed), ["pkg:oci/library/debian", "cpe:2.3:a:x:y:1"]);
        assert!(parsed.packages.iter().all(|p| p.purl.warning.is_some()));
        let cpe = &parsed.packages[1].purl;
        assert_eq!(cpe.warning.as_deref(), Some("invalid scheme: \"cpe\""));
        assert_eq!(
            (&cpe.scheme, &cpe.purl_type, &cpe.name),
            (&None, &None, &None)
        );
    }

    #[test]
    fn oci_purl_without_namespace_is_valid() {
        let p = parse_purl(
            "pkg:oci/debian@sha256%3A244fd47e07d10?repository_url=docker.io/library/debian&arch=amd64",
        );
        assert_eq!(p.warning, None);
        assert_eq!(p.purl_type.as_deref(), Some("oci"));
        assert_eq!(p.namespace, None);
        assert_eq!(p.name.as_deref(), Some("debian"));
        assert_eq!(p.version.as_deref(), Some("sha256:244fd47e07d10"));
        assert_eq!(
            p.qualifiers.keys().collect::<Vec<_>>(),
            ["arch", "repository_url"]
        );
        assert_eq!(p.qualifiers["repository_url"], "docker.io/library/debian");
    }

    #[test]
    fn purl_parts_from_the_crate() {
        let p = parse_purl("pkg:golang/github.com/foo/bar@v1.2.3#sub/pkg");
        assert_eq!(p.namespace.as_deref(), Some("github.com/foo"));
        assert_eq!(p.name.as_deref(), Some("bar"));
        assert_eq!(p.subpath.as_deref(), Some("sub/pkg"));
        let p = parse_purl("pkg:npm/@babel/core@7.0.0");
        assert_eq!(p.namespace.as_deref(), Some("@babel"));
        assert_eq!(p.version.as_deref(), Some("7.0.0"));
        assert_eq!(p.warning, None);
    }

    #[test]
    fn hand_split_of_rejected_purls() {
        let p = parse_purl("pkg:swift/Alamofire@5.9.1");
        assert_eq!(
            p.warning.as_deref(),
            Some("namespace required for type \"swift\"")
        );
        assert_eq!(p.name.as_deref(), Some("Alamofire"));
        assert_eq!(p.namespace, None);
        assert_eq!(p.version.as_deref(), Some("5.9.1"));

        let p = parse_purl("pkg:npm/@scope/pkg@1.0.0?1bad=x&good=y%2Fz#dir/./file");
        assert!(p.warning.as_deref().unwrap().contains("invalid key"));
        assert_eq!(p.namespace.as_deref(), Some("@scope"));
        assert_eq!(p.name.as_deref(), Some("pkg"));
        assert_eq!(p.qualifiers.len(), 2);
        assert_eq!(p.qualifiers["good"], "y/z");
        assert_eq!(p.subpath.as_deref(), Some("dir/file"));

        let p = parse_purl("pkg:npm/");
        assert_eq!(p.warning.as_deref(), Some("missing name"));
        assert_eq!(p.purl_type.as_deref(), Some("npm"));
        assert_eq!(p.name, None);

        let p = parse_purl("npm/foo@1");
        assert_eq!(p.warning.as_deref(), Some("missing scheme"));
        assert_eq!((p.scheme, p.purl_type, p.name), (None, None, None));
    }

    /// Every purl built from these parts that `split_plain` splits is split exactly as
    /// the crate splits it; the plain ones among them take that path.
    #[test]
    fn plain_split_is_the_crates() {
        let types = [
            "apk",
            "APK",
            "golang",
            "rpm",
            "deb",
            "Deb",
            "github",
            "npm",
            "NPM",
            "composer",
            "generic",
            "maven",
            "cargo",
            "gem",
            "nuget",
            "oci",
            "pypi",
            "PyPI",
            "swift",
            "cpan",
            "julia",
            "huggingface",
            "mlflow",
            "bitbucket",
            "hex",
            "conan",
            "1x",
            "",
            "a_b",
        ];
        let namespaces = [
            "",
            "ns/",
            "NS/Sub/",
            "./",
            "a/../b/",
            "//x//",
            "@Scope/",
            "%40Scope/",
            "a%2Fb/",
            "%2e/",
            "%C3%A9/",
        ];
        let names = [
            "name", "Na_Me", "", "x/", "a.b", "N%41me", "%FF", "x%", "%2F",
        ];
        let versions = [
            "", "@1.0-R1", "@", "@a/b", "@1@2", "@V", "@1%2B2", "@%", "@%4",
        ];
        let queries = [
            "",
            "?",
            "?a=B",
            "?K=x&k=y",
            "?1a=b",
            "?a=",
            "?=b",
            "?a=b&&c",
            "?a=b?c=d",
            "?a_b.c-d=V&z=1",
            "?a=%2Fx",
            "?a=%zz%",
            "?a=%E2%82",
        ];
        let mut plain = 0;
        for ty in types {
            for namespace in namespaces {
                for name in names {
                    for version in versions {
                        for query in queries {
                            let text = format!("pkg:{ty}/{namespace}{name}{version}{query}");
                            plain += usize::from(check_plain(&text));
                        }
                    }
                }
            }
        }
        for text in [
            "pkg://npm/x@1",
            "pkg:npm/a\tb@1\n",
            "pkg:npm/x@1?a=\u{1}",
            "pkg:maven/g/a@1?type=jar&classifier=sources",
            "pkg:/npm//a//b/",
            "pkg:npm",
            "pkg:npm/a#b",
            "pkg:npm/%61",
            "PKG:npm/a",
            "pkg:npm/ä",
            "pkg:npm/a b",
            "pkg:pypi/a_B",
            "pkg:maven/g/a@1?",
        ] {
            check_plain(text);
        }
        assert!(plain > 10_000, "{plain}");
        for text in [
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1",
            "pkg:npm/@babel/core@7.0.0",
            "pkg:npm/%40babel/core@7.0.0",
        ] {
            assert!(split_plain(text).is_some(), "{text}");
        }
    }

    /// Whether `text` is split by `split_plain`, after checking that it splits it as the
    /// crate does.
    fn check_plain(text: &str) -> bool {
        let Some(mut purl) = split_plain(text) else {
            return false;
        };
        purl.purl = text.to_string();
        assert_eq!(purl, parse_with_crate(text, text), "{text}");
        true
    }

    #[test]
    fn purl_fuzz_never_panics_and_keeps_the_raw_string() {
        for raw in [
            "",
            ":",
            "pkg:",
            "pkg:/",
            "pkg:%",
            "pkg:a/%",
            "pkg:a/%F",
            "pkg:a/b%FF@%",
            "pkg:ñ/é@ü?ä=ö#ß",
            "pkg:a/b?&&=&x",
            "pkg:a/@",
            "pkg:a/b@@@",
            "pkg:a/b#/",
            "pkg:a//b//c",
            "PKG:Npm/Foo",
            "pkg:npm/foo#..",
            "pkg:?a=b",
            "pkg:#",
            "  pkg:npm/x@1  ",
            "pkg:a/b?k=%e2%82",
        ] {
            let p = parse_purl(raw);
            assert_eq!(p.purl, raw);
            if p.scheme.is_some() {
                assert_eq!(p.scheme.as_deref(), Some("pkg"));
            }
        }
        let p = parse_purl("  pkg:npm/x@1  ");
        assert_eq!((p.name.as_deref(), p.warning), (Some("x"), None));
        let p = parse_purl("pkg:a/b%FF@1");
        assert_eq!(p.name.as_deref(), Some("b%FF"));
    }

    #[test]
    fn serialized_names() {
        let p = parse_purl("pkg:npm/x@1");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "npm");
        assert_eq!(v["scheme"], "pkg");
        assert_eq!(v["purl"], "pkg:npm/x@1");
        let back: Purl = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
        assert_eq!(serde_json::to_value(SbomFormat::Spdx).unwrap(), "spdx");
        assert_eq!(
            serde_json::to_value(SbomFormat::CycloneDx).unwrap(),
            "cyclonedx"
        );
        assert_eq!(serde_json::to_value(SbomFormat::Syft).unwrap(), "syft");
    }
}
