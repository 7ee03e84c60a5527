//! Parsing SBOM documents to package URLs.
//!
//! [`parse_document`] takes the bytes of a layer or blob and returns the purls the SBOM
//! lists. It reads SPDX 2.2/2.3 JSON, SPDX 3.0 JSON-LD, CycloneDX 1.2-1.6 JSON and syft
//! JSON, and unwraps the envelopes SBOMs travel in: Sigstore bundles (v0.1-v0.3), DSSE
//! envelopes, in-toto statements (v0.1 and v1, as BuildKit and `cosign attest` write them),
//! including cosign's `attestation/v1` predicate whose `Data` string holds the document.
//!
//! Detection works from the content alone; a media type hint only decides what a document
//! that carries no marker of its own is (a CycloneDX BOM without `bomFormat`, say) and
//! names a non-JSON encoding in the error. Every purl is kept: one the `packageurl` crate
//! rejects is split by hand and carries the crate's complaint in [`Purl::warning`].

mod cyclonedx;
mod envelope;
mod json;
mod probe;
mod purl;
mod spdx;
mod syft;
mod unwrap;

use anyhow::{anyhow, bail, Result};

use crate::model::{Package, SbomFormat};
use cyclonedx::{is_cyclonedx, parse_cyclonedx};
use envelope::{
    is_dsse, is_in_toto, is_sigstore_bundle, unwrap_dsse, unwrap_in_toto, unwrap_sigstore_bundle,
    Unwrapped,
};
pub use envelope::{
    is_sbom_predicate_type, ENVELOPE_DSSE, ENVELOPE_IN_TOTO, ENVELOPE_SIGSTORE_BUNDLE,
    PREDICATE_COSIGN, PREDICATE_CYCLONEDX, PREDICATE_SPDX,
};
use probe::{Probe, Top};
pub use purl::parse_purl;
#[cfg(test)]
use serde_json::Value;
use spdx::{is_spdx3, parse_spdx2, parse_spdx3};
use syft::{is_syft, parse_syft};
pub use unwrap::unwrap_document;

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSbom {
    pub format: SbomFormat,
    /// "SPDX-2.3", "3.0", "1.6", the syft schema version...
    pub spec_version: Option<String>,
    /// In document order, exact duplicates removed; their `sources` are left empty for
    /// the caller, who knows where the document was found. Packages rather than purls,
    /// so that the many purls of a large SBOM are not moved again into packages.
    pub packages: Vec<Package>,
    /// Packages/components the document lists with no purl.
    pub packages_without_purl: usize,
    /// `name@version` (or `name`) of each of those that has a name, so that the same
    /// package listed by several documents is counted once.
    pub named_without_purl: Vec<String>,
    /// How the document was wrapped, outermost first, e.g. ["sigstore-bundle", "dsse", "in-toto"].
    pub envelopes: Vec<String>,
    /// For in-toto statements.
    pub predicate_type: Option<String>,
}

/// An in-toto statement whose predicate is not an SBOM (provenance, say): what ocx does
/// not read, rather than a broken document.
#[derive(Debug, thiserror::Error)]
#[error(
    "in-toto statement predicate type {predicate_type} is not an SBOM{}",
    inside(envelopes)
)]
pub struct NotAnSbom {
    pub predicate_type: String,
    /// The envelopes around the statement, outermost first.
    pub envelopes: Vec<String>,
}

fn inside(envelopes: &[String]) -> String {
    if envelopes.is_empty() {
        String::new()
    } else {
        format!(" (inside {})", envelopes.join(" > "))
    }
}

/// Parses an SBOM document, unwrapping envelopes. `media_type` is a hint (layer or
/// artifact media type) and may be None; detection also works from content alone.
pub fn parse_document(bytes: &[u8], media_type: Option<&str>) -> Result<ParsedSbom> {
    let mut unwrapped = Unwrapped::default();
    match parse_bytes(bytes, media_type, &mut unwrapped, 0) {
        Ok(body) => Ok(ParsedSbom {
            format: body.format,
            spec_version: body.spec_version,
            packages: without_duplicates(body.packages.list),
            packages_without_purl: body.packages.without_purl,
            named_without_purl: body.packages.named_without_purl,
            envelopes: unwrapped.envelopes,
            predicate_type: unwrapped.predicate_type,
        }),
        Err(err) => match err.downcast::<NotAnSbom>() {
            Ok(not_an_sbom) => Err(NotAnSbom {
                envelopes: unwrapped.envelopes,
                ..not_an_sbom
            }
            .into()),
            Err(err) if unwrapped.envelopes.is_empty() => Err(err),
            Err(err) => Err(anyhow!("{err:#}{}", inside(&unwrapped.envelopes))),
        },
    }
}

/// An SBOM document's own content, before the envelopes are attached.
struct Body {
    format: SbomFormat,
    spec_version: Option<String>,
    packages: Packages,
}

/// Purls in document order, and the packages without one.
#[derive(Default)]
struct Packages {
    list: Vec<Package>,
    without_purl: usize,
    named_without_purl: Vec<String>,
}

impl Packages {
    /// Records one package and its purls (a blank string is no purl); its name and
    /// version tell it apart when it has no purl.
    fn package<'a>(
        &mut self,
        purls: impl IntoIterator<Item = &'a str>,
        name: Option<&str>,
        version: Option<&str>,
    ) {
        let mut any = false;
        for raw in purls {
            if raw.trim().is_empty() {
                continue;
            }
            any = true;
            self.list.push(Package {
                purl: parse_purl(raw),
                sources: Vec::new(),
            });
        }
        if !any {
            self.without_purl += 1;
            if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
                self.named_without_purl
                    .push(match version.filter(|v| !v.is_empty()) {
                        Some(version) => format!("{name}@{version}"),
                        None => name.to_string(),
                    });
            }
        }
    }

    /// Adds the packages of a later part of the same document.
    fn append(&mut self, later: Packages) {
        self.without_purl += later.without_purl;
        let named = std::mem::take(&mut self.named_without_purl);
        self.named_without_purl = joined(named, later.named_without_purl);
        self.list = joined(std::mem::take(&mut self.list), later.list);
    }
}

/// `first` then `later`, in the larger one's allocation: a CycloneDX BOM's thousands of
/// components are not copied after its one metadata component.
fn joined<T>(mut first: Vec<T>, mut later: Vec<T>) -> Vec<T> {
    if later.len() > first.len() {
        later.splice(0..0, first);
        later
    } else {
        first.append(&mut later);
        first
    }
}

/// The purls in document order, each exact duplicate of an earlier one removed. Found by
/// sorting positions rather than with a set of every string seen: no allocation or hash
/// per purl.
fn without_duplicates(mut list: Vec<Package>) -> Vec<Package> {
    let mut order: Vec<usize> = (0..list.len()).collect();
    // Stable: of equal purls, the earliest comes first and is kept.
    order.sort_by(|&a, &b| list[a].purl.purl.cmp(&list[b].purl.purl));
    let mut keep = vec![true; list.len()];
    for pair in order.windows(2) {
        if list[pair[0]].purl.purl == list[pair[1]].purl.purl {
            keep[pair[1]] = false;
        }
    }
    if keep.iter().all(|&k| k) {
        return list;
    }
    let mut position = 0;
    list.retain(|_| {
        position += 1;
        keep[position - 1]
    });
    list
}

fn parse_bytes(
    bytes: &[u8],
    media_type: Option<&str>,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    let hint = media_type.map(essence).filter(|mt| !mt.is_empty());
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = first else {
        bail!("empty document: no SBOM content");
    };
    if !matches!(bytes[first], b'{' | b'[') {
        if let Some(encoding) = non_json_encoding(hint.as_deref(), &bytes[first..]) {
            bail!("unsupported SBOM encoding {encoding}: only JSON SBOMs are parsed");
        }
    }
    // A first pass reads the markers that say what the document is and checks the JSON;
    // the parser of that format then reads the same bytes again for what it needs.
    let probe: Top = serde_json::from_slice(bytes).map_err(json_error)?;
    match probe {
        Top::Object(doc) => parse_object(bytes, &doc, hint.as_deref(), unwrapped, depth),
        Top::Other(kind) => {
            bail!("not an SBOM: the document is a JSON {kind}, expected an object")
        }
    }
}

fn parse_object(
    bytes: &[u8],
    doc: &Probe,
    hint: Option<&str>,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    if is_sigstore_bundle(doc, hint) {
        return unwrap_sigstore_bundle(doc, unwrapped, depth);
    }
    if is_dsse(doc, hint) {
        return unwrap_dsse(doc, unwrapped, depth);
    }
    if is_in_toto(doc, hint) {
        return unwrap_in_toto(doc, unwrapped, depth);
    }
    if doc.has.spdx_version {
        return parse_spdx2(bytes);
    }
    if is_spdx3(doc, hint) {
        return parse_spdx3(bytes);
    }
    if let Some(bom_format) = doc.bom_format.as_str() {
        if !bom_format.eq_ignore_ascii_case("CycloneDX") {
            bail!("not an SBOM: bomFormat is {bom_format:?}, expected \"CycloneDX\"");
        }
    }
    if is_cyclonedx(doc, hint) {
        return parse_cyclonedx(bytes);
    }
    if is_syft(doc, hint) {
        return parse_syft(bytes);
    }
    let keys = doc.keys_for_message();
    match hint.filter(|mt| is_sbom_json_type(mt)) {
        Some(mt) => bail!(
            "not an SBOM: JSON with none of spdxVersion, bomFormat, artifacts \
             (media type {mt}, top-level keys: {keys})"
        ),
        None => bail!(
            "not an SBOM: JSON with none of spdxVersion, bomFormat, artifacts \
             (top-level keys: {keys})"
        ),
    }
}

// ---- media types and JSON helpers ----

/// The media type without parameters, lowercased.
fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_sbom_json_type(media_type: &str) -> bool {
    media_type.ends_with("json")
        && ["spdx", "cyclonedx", "syft"]
            .iter()
            .any(|name| media_type.contains(name))
}

/// Names the encoding of a document that does not start like JSON, when it is a known
/// non-JSON SBOM encoding (by media type hint, or by its first bytes).
fn non_json_encoding(hint: Option<&str>, content: &[u8]) -> Option<String> {
    if let Some(mt) = hint {
        let sbom_type = ["spdx", "cyclonedx", "syft"]
            .iter()
            .any(|name| mt.contains(name));
        let xml = mt.ends_with("+xml") || mt == "text/xml" || mt == "application/xml";
        if !mt.ends_with("json") && (sbom_type || xml) {
            return Some(mt.to_string());
        }
    }
    if content.starts_with(b"<") {
        return Some("XML".to_string());
    }
    // Some tools push compressed documents; their bytes are not the SBOM's.
    if content.starts_with(&[0x1f, 0x8b]) {
        return Some("gzip-compressed".to_string());
    }
    if content.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Some("zstd-compressed".to_string());
    }
    let head = String::from_utf8_lossy(&content[..content.len().min(8192)]).into_owned();
    if head
        .lines()
        .any(|line| line.trim_start().starts_with("SPDXVersion:"))
    {
        return Some("text/spdx (tag-value)".to_string());
    }
    None
}

fn json_error(err: serde_json::Error) -> anyhow::Error {
    let message = err.to_string();
    let what = message.split(" at line ").next().unwrap_or(&message);
    anyhow!(
        "truncated or invalid JSON at line {} column {}: {what}",
        err.line(),
        err.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde_json::json;

    // Fixtures and helpers, shared with the tests of the other files.

    pub(super) fn parse(doc: &Value) -> ParsedSbom {
        parse_document(doc.to_string().as_bytes(), None).unwrap()
    }

    pub(super) fn parse_err(doc: &Value, media_type: Option<&str>) -> String {
        format!(
            "{:#}",
            parse_document(doc.to_string().as_bytes(), media_type).unwrap_err()
        )
    }

    pub(super) fn raw(parsed: &ParsedSbom) -> Vec<&str> {
        parsed
            .packages
            .iter()
            .map(|p| p.purl.purl.as_str())
            .collect()
    }

    pub(super) fn spdx23() -> Value {
        json!({
            "spdxVersion": "SPDX-2.3",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "sbom",
            "packages": [
                {"name": "musl", "externalRefs": [
                    {"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                     "referenceLocator": "cpe:2.3:a:musl:musl:1.2.4:*:*:*:*:*:*:*"},
                    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                     "referenceLocator": "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"}]},
                {"name": "no-refs"},
                {"name": "cpe-only", "externalRefs": [
                    {"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                     "referenceLocator": "cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"}]},
                {"name": "net", "externalRefs": [
                    {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
                     "referenceLocator": "pkg:golang/golang.org/x/net@v0.24.0"},
                    {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
                     "referenceLocator": "pkg:github/golang/net@v0.24.0"}]}
            ]
        })
    }

    pub(super) fn cyclonedx() -> Value {
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [
                {"type": "library", "name": "a", "purl": "pkg:npm/a@1.0.0",
                 "components": [
                     {"type": "library", "name": "a-child", "purl": "pkg:npm/%40scope/a-child@2.0.0",
                      "components": [{"type": "file", "name": "deep"}]}
                 ]},
                {"type": "library", "name": "b", "purl": "pkg:pypi/b@3"},
                {"type": "library", "name": "no-purl"}
            ],
            "metadata": {
                "component": {"type": "container", "name": "app", "purl": "pkg:oci/app@sha256%3Aabcd",
                              "components": [{"type": "library", "name": "meta-child",
                                              "purl": "pkg:cargo/serde@1.0.200"}]}
            }
        })
    }

    pub(super) fn syft() -> Value {
        json!({
            "artifacts": [
                {"name": "zlib", "version": "1.3", "type": "apk", "purl": "pkg:apk/alpine/zlib@1.3?arch=aarch64"},
                {"name": "unknown", "version": "", "type": "binary", "purl": ""},
                {"name": "jq", "version": "1.7", "type": "apk", "purl": "pkg:apk/alpine/jq@1.7?arch=aarch64"}
            ],
            "source": {"type": "image", "target": {}},
            "descriptor": {"name": "syft", "version": "1.4.1"},
            "schema": {"version": "16.0.9", "url": "https://raw.githubusercontent.com/anchore/syft/main/schema/json/schema-16.0.9.json"}
        })
    }

    pub(super) fn statement(predicate_type: &str, predicate: Value) -> Value {
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "example.com/app", "digest": {"sha256": "00"}}],
            "predicateType": predicate_type,
            "predicate": predicate
        })
    }

    pub(super) fn dsse(inner: &Value) -> Value {
        json!({
            "payloadType": "application/vnd.in-toto+json",
            "payload": STANDARD.encode(inner.to_string()),
            "signatures": [{"keyid": "", "sig": "MEUCIQ=="}]
        })
    }

    #[test]
    fn duplicate_purls_removed() {
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"name": "a", "purl": "pkg:npm/a@1"},
            {"name": "b", "purl": "pkg:npm/b@1"},
            {"name": "a again", "purl": "pkg:npm/a@1"},
            {"name": "A", "purl": "pkg:npm/A@1"}]});
        let parsed = parse(&doc);
        assert_eq!(raw(&parsed), ["pkg:npm/a@1", "pkg:npm/b@1", "pkg:npm/A@1"]);
        assert_eq!(parsed.packages_without_purl, 0);
    }

    #[test]
    fn duplicates_removed_across_parts_keeping_the_first() {
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [
                {"name": "c", "purl": "pkg:npm/c@1"},
                {"name": "app again", "purl": "pkg:oci/app@1"},
                {"name": "b", "purl": "pkg:npm/b@1", "components": [
                    {"name": "c again", "purl": "pkg:npm/c@1"}]},
                {"name": "c a third time", "purl": "pkg:npm/c@1"}],
            "metadata": {"component": {"name": "app", "purl": "pkg:oci/app@1"}}});
        let parsed = parse(&doc);
        assert_eq!(
            raw(&parsed),
            ["pkg:oci/app@1", "pkg:npm/c@1", "pkg:npm/b@1"]
        );
    }

    #[test]
    fn truncated_json_is_a_clear_error() {
        let text = spdx23().to_string();
        let err = parse_document(&text.as_bytes()[..40], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated or invalid JSON at line 1 column 40: EOF while parsing a string"
        );
        let err = parse_document(b"{\"spdxVersion\": \"SPDX-2.3\",\n  \"packages\": [}", None)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("truncated or invalid JSON at line 2 column 16"),
            "{err}"
        );
        let err = parse_document(b"  \n", None).unwrap_err();
        assert_eq!(err.to_string(), "empty document: no SBOM content");
    }

    #[test]
    fn non_sbom_json_is_a_clear_error() {
        assert_eq!(
            parse_err(&json!({"name": "x", "version": 1}), None),
            "not an SBOM: JSON with none of spdxVersion, bomFormat, artifacts \
             (top-level keys: name, version)"
        );
        assert_eq!(
            parse_err(&json!([1, 2]), None),
            "not an SBOM: the document is a JSON array, expected an object"
        );
        assert_eq!(
            parse_err(&json!({"bomFormat": "SPDX"}), None),
            "not an SBOM: bomFormat is \"SPDX\", expected \"CycloneDX\""
        );
    }

    #[test]
    fn non_json_encodings_are_refused() {
        let err = parse_document(
            b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n",
            Some("text/spdx"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported SBOM encoding text/spdx: only JSON SBOMs are parsed"
        );
        let err = parse_document(
            b"<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>",
            Some("application/vnd.cyclonedx+xml"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported SBOM encoding application/vnd.cyclonedx+xml: only JSON SBOMs are parsed"
        );
        let err = parse_document(b"<bom/>", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported SBOM encoding XML: only JSON SBOMs are parsed"
        );
        let err =
            parse_document(&[0x1f, 0x8b, 8, 0, 0, 0], Some("application/spdx+json")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported SBOM encoding gzip-compressed: only JSON SBOMs are parsed"
        );
        let err = parse_document(b"## comment\nSPDXVersion: SPDX-2.2\n", None).unwrap_err();
        assert!(err.to_string().contains("text/spdx (tag-value)"), "{err}");
        // A mislabelled JSON document still parses.
        let parsed = parse_document(spdx23().to_string().as_bytes(), Some("text/spdx")).unwrap();
        assert_eq!(parsed.packages.len(), 3);
    }

    #[test]
    fn wrong_field_types_are_errors() {
        assert_eq!(
            parse_err(
                &json!({"spdxVersion": "SPDX-2.3", "packages": "musl"}),
                None
            ),
            "SPDX document: packages is a string, expected an array"
        );
        assert_eq!(
            parse_err(&json!({"spdxVersion": 2.3}), None),
            "SPDX document: spdxVersion is a number, expected a string"
        );
        assert_eq!(
            parse_err(
                &json!({"bomFormat": "CycloneDX", "components": [{"components": [{"purl": 7}]}]}),
                None
            ),
            "CycloneDX components[0].components[0]: purl is a number, expected a string"
        );
        assert_eq!(
            parse_err(&json!({"artifacts": [3], "source": {}}), None),
            "syft artifacts[0] is a number, expected an object"
        );
        // null counts as absent
        let parsed = parse(&json!({"bomFormat": "CycloneDX", "components": [
            {"name": "x", "purl": null, "components": null}], "metadata": null}));
        assert_eq!(parsed.packages_without_purl, 1);
    }

    /// Every value at every position replaced by every JSON kind, and every prefix of the
    /// bytes: parse_document returns, never panics.
    #[test]
    fn fuzz_never_panics() {
        fn mutations(value: &Value) -> Vec<Value> {
            let replacements = [
                json!(null),
                json!(true),
                json!(-1.5),
                json!("e30="),
                json!([]),
                json!({}),
                json!([{}]),
            ];
            let mut out: Vec<Value> = replacements.to_vec();
            match value {
                Value::Object(map) => {
                    for (key, child) in map {
                        for mutated in mutations(child) {
                            let mut copy = map.clone();
                            copy.insert(key.clone(), mutated);
                            out.push(Value::Object(copy));
                        }
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        for mutated in mutations(child) {
                            let mut copy = items.clone();
                            copy[i] = mutated;
                            out.push(Value::Array(copy));
                        }
                    }
                }
                _ => {}
            }
            out
        }
        let docs = [
            spdx23(),
            cyclonedx(),
            syft(),
            json!({"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
                   "@graph": [{"type": "software_Package", "software_packageUrl": "pkg:npm/x@1",
                               "externalIdentifier": [{"externalIdentifierType": "packageUrl",
                                                       "identifier": "pkg:npm/y@1"}]}]}),
            statement(PREDICATE_COSIGN, json!({"Data": syft().to_string()})),
            json!({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                   "dsseEnvelope": dsse(&statement(PREDICATE_SPDX, json!({"spdxVersion": "SPDX-2.3",
                       "packages": [{"externalRefs": [{"referenceType": "purl",
                                                       "referenceLocator": "pkg:a/b"}]}]})))}),
        ];
        let mut runs = 0;
        for doc in &docs {
            for mutated in mutations(doc) {
                let _ = parse_document(mutated.to_string().as_bytes(), None);
                runs += 1;
            }
            let text = doc.to_string();
            for end in 0..text.len() {
                let result = parse_document(&text.as_bytes()[..end], Some("application/json"));
                assert!(result.is_err(), "prefix {end} of {text} parsed");
                runs += 1;
            }
        }
        assert!(runs > 1000, "{runs}");
    }
}
