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

use std::collections::HashSet;
use std::str::FromStr;

use anyhow::{anyhow, bail, Result};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use packageurl::PackageUrl;
use serde_json::{Map, Value};

use crate::model::{Purl, SbomFormat};

/// in-toto predicate types that hold an SBOM, matched as prefixes.
pub const PREDICATE_SPDX: &str = "https://spdx.dev/Document";
pub const PREDICATE_CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// cosign's generic predicate: `{"Data": "<document as a string>", "Timestamp": ...}`.
pub const PREDICATE_COSIGN: &str = "https://cosign.sigstore.dev/attestation/v1";

/// The names [`ParsedSbom::envelopes`] uses.
pub const ENVELOPE_SIGSTORE_BUNDLE: &str = "sigstore-bundle";
pub const ENVELOPE_DSSE: &str = "dsse";
pub const ENVELOPE_IN_TOTO: &str = "in-toto";

/// How many envelopes may wrap one another before ocx gives up.
const MAX_NESTING: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSbom {
    pub format: SbomFormat,
    /// "SPDX-2.3", "3.0", "1.6", the syft schema version...
    pub spec_version: Option<String>,
    /// In document order, exact duplicates removed.
    pub packages: Vec<Purl>,
    /// Packages/components the document lists with no purl.
    pub packages_without_purl: usize,
    /// How the document was wrapped, outermost first, e.g. ["sigstore-bundle", "dsse", "in-toto"].
    pub envelopes: Vec<String>,
    /// For in-toto statements.
    pub predicate_type: Option<String>,
}

/// Splits a package URL into its parts with the `packageurl` crate, or by hand when the
/// crate rejects it (the crate's error then goes to `warning`). Never fails.
pub fn parse_purl(raw: &str) -> Purl {
    let text = raw.trim();
    match PackageUrl::from_str(text) {
        Ok(parsed) => Purl {
            purl: raw.to_string(),
            scheme: Some("pkg".to_string()),
            purl_type: non_empty(Some(parsed.ty())),
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

/// Whether an in-toto predicate type names an SBOM: SPDX (`https://spdx.dev/Document`,
/// `/v2.3`...), CycloneDX (`https://cyclonedx.org/bom`, `/v1.5`...) or cosign's generic
/// `https://cosign.sigstore.dev/attestation/v1` (which `syft attest` fills with syft JSON).
pub fn is_sbom_predicate_type(predicate_type: &str) -> bool {
    [PREDICATE_SPDX, PREDICATE_CYCLONEDX, PREDICATE_COSIGN]
        .iter()
        .any(|prefix| predicate_type.starts_with(prefix))
}

/// Parses an SBOM document, unwrapping envelopes. `media_type` is a hint (layer or
/// artifact media type) and may be None; detection also works from content alone.
pub fn parse_document(bytes: &[u8], media_type: Option<&str>) -> Result<ParsedSbom> {
    let mut unwrapped = Unwrapped::default();
    match parse_bytes(bytes, media_type, &mut unwrapped, 0) {
        Ok(body) => Ok(ParsedSbom {
            format: body.format,
            spec_version: body.spec_version,
            packages: body.packages.list,
            packages_without_purl: body.packages.without_purl,
            envelopes: unwrapped.envelopes,
            predicate_type: unwrapped.predicate_type,
        }),
        Err(err) if unwrapped.envelopes.is_empty() => Err(err),
        Err(err) => Err(anyhow!(
            "{err:#} (inside {})",
            unwrapped.envelopes.join(" > ")
        )),
    }
}

/// The envelopes opened so far, outermost first.
#[derive(Default)]
struct Unwrapped {
    envelopes: Vec<String>,
    predicate_type: Option<String>,
}

impl Unwrapped {
    fn open(&mut self, envelope: &str, depth: usize) -> Result<()> {
        if depth >= MAX_NESTING {
            bail!("envelopes nested more than {MAX_NESTING} deep");
        }
        self.envelopes.push(envelope.to_string());
        Ok(())
    }
}

/// An SBOM document's own content, before the envelopes are attached.
struct Body {
    format: SbomFormat,
    spec_version: Option<String>,
    packages: Packages,
}

/// Purls in document order without exact duplicates, and the count of packages without one.
#[derive(Default)]
struct Packages {
    list: Vec<Purl>,
    seen: HashSet<String>,
    without_purl: usize,
}

impl Packages {
    /// Records one package and its purls (a blank string is no purl).
    fn package<'a>(&mut self, purls: impl IntoIterator<Item = &'a str>) {
        let mut any = false;
        for raw in purls {
            if raw.trim().is_empty() {
                continue;
            }
            any = true;
            if self.seen.insert(raw.to_string()) {
                self.list.push(parse_purl(raw));
            }
        }
        if !any {
            self.without_purl += 1;
        }
    }
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
    let value: Value = serde_json::from_slice(bytes).map_err(json_error)?;
    parse_value(&value, hint.as_deref(), unwrapped, depth)
}

fn parse_value(
    value: &Value,
    hint: Option<&str>,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    let Value::Object(doc) = value else {
        bail!(
            "not an SBOM: the document is a JSON {}, expected an object",
            json_kind(value)
        );
    };
    if is_sigstore_bundle(doc, hint) {
        return unwrap_sigstore_bundle(doc, unwrapped, depth);
    }
    if is_dsse(doc, hint) {
        return unwrap_dsse(doc, unwrapped, depth);
    }
    if is_in_toto(doc, hint) {
        return unwrap_in_toto(doc, unwrapped, depth);
    }
    if doc.contains_key("spdxVersion") {
        return parse_spdx2(doc);
    }
    if is_spdx3(doc, hint) {
        return parse_spdx3(doc);
    }
    if let Some(Value::String(bom_format)) = doc.get("bomFormat") {
        if !bom_format.eq_ignore_ascii_case("CycloneDX") {
            bail!("not an SBOM: bomFormat is {bom_format:?}, expected \"CycloneDX\"");
        }
    }
    if is_cyclonedx(doc, hint) {
        return parse_cyclonedx(doc);
    }
    if is_syft(doc, hint) {
        return parse_syft(doc);
    }
    let mut keys: Vec<&str> = doc.keys().take(10).map(String::as_str).collect();
    if doc.len() > keys.len() {
        keys.push("...");
    }
    let keys = if keys.is_empty() {
        "none".to_string()
    } else {
        keys.join(", ")
    };
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

// ---- envelopes ----

fn is_sigstore_bundle(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
    let bundle_type = |mt: &str| mt.starts_with("application/vnd.dev.sigstore.bundle");
    if let Some(Value::String(mt)) = doc.get("mediaType") {
        if bundle_type(&mt.to_ascii_lowercase()) {
            return true;
        }
    }
    doc.contains_key("dsseEnvelope")
        || (doc.contains_key("messageSignature") && doc.contains_key("verificationMaterial"))
        || (hint.is_some_and(bundle_type) && doc.contains_key("messageSignature"))
}

fn unwrap_sigstore_bundle(
    bundle: &Map<String, Value>,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    match bundle.get("dsseEnvelope") {
        Some(Value::Object(envelope)) => {
            unwrapped.open(ENVELOPE_SIGSTORE_BUNDLE, depth)?;
            unwrap_dsse(envelope, unwrapped, depth + 1)
        }
        None | Some(Value::Null) if bundle.contains_key("messageSignature") => bail!(
            "Sigstore bundle holds a message signature, not an attestation: it contains no SBOM"
        ),
        None | Some(Value::Null) => {
            bail!("Sigstore bundle has neither a dsseEnvelope nor a messageSignature")
        }
        Some(other) => bail!(
            "Sigstore bundle dsseEnvelope is a {}, expected an object",
            json_kind(other)
        ),
    }
}

fn is_dsse(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
    doc.contains_key("payload")
        && (doc.contains_key("payloadType")
            || doc.contains_key("signatures")
            || hint.is_some_and(|mt| mt.contains("dsse")))
}

fn unwrap_dsse(
    envelope: &Map<String, Value>,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    let payload = match envelope.get("payload") {
        Some(Value::String(payload)) => payload,
        None | Some(Value::Null) => bail!("DSSE envelope has no payload"),
        Some(other) => bail!(
            "DSSE envelope payload is a {}, expected a base64 string",
            json_kind(other)
        ),
    };
    let payload_type = opt_str(envelope, "payloadType", "DSSE envelope")?;
    let bytes = decode_base64(payload)
        .map_err(|err| anyhow!("DSSE envelope payload is not valid base64: {err}"))?;
    if bytes.is_empty() {
        bail!("DSSE envelope payload is empty");
    }
    unwrapped.open(ENVELOPE_DSSE, depth)?;
    parse_bytes(&bytes, payload_type, unwrapped, depth + 1)
}

fn is_in_toto(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
    if let Some(Value::String(ty)) = doc.get("_type") {
        if ty.starts_with("https://in-toto.io/Statement") {
            return true;
        }
    }
    doc.contains_key("predicateType")
        && (doc.contains_key("subject")
            || doc.contains_key("predicate")
            || hint.is_some_and(|mt| mt.contains("in-toto")))
}

fn unwrap_in_toto(
    statement: &Map<String, Value>,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    let predicate_type = match opt_str(statement, "predicateType", "in-toto statement")? {
        Some(pt) if !pt.trim().is_empty() => pt,
        _ => bail!("in-toto statement has no predicateType"),
    };
    if !is_sbom_predicate_type(predicate_type) {
        bail!("in-toto statement predicate type {predicate_type} is not an SBOM");
    }
    unwrapped.open(ENVELOPE_IN_TOTO, depth)?;
    unwrapped.predicate_type = Some(predicate_type.to_string());
    let depth = depth + 1;

    let mut predicate = match statement.get("predicate") {
        None | Some(Value::Null) => {
            bail!("in-toto statement with predicate type {predicate_type} has no predicate")
        }
        Some(predicate) => predicate,
    };
    let mut hint = None;
    if predicate_type.starts_with(PREDICATE_SPDX) {
        hint = Some("application/spdx+json");
    } else if predicate_type.starts_with(PREDICATE_CYCLONEDX) {
        hint = Some("application/vnd.cyclonedx+json");
    } else if let Value::Object(cosign) = predicate {
        // cosign's generic predicate carries the document in Data, as a string.
        match cosign.get("Data") {
            None | Some(Value::Null) => {}
            Some(data @ (Value::String(_) | Value::Object(_))) => predicate = data,
            Some(other) => bail!(
                "cosign attestation predicate Data is a {}, expected a string",
                json_kind(other)
            ),
        }
    }
    match predicate {
        Value::String(text) => parse_bytes(text.as_bytes(), hint, unwrapped, depth),
        Value::Object(_) => parse_value(predicate, hint, unwrapped, depth),
        other => bail!(
            "in-toto statement predicate is a {}, expected an SBOM object",
            json_kind(other)
        ),
    }
}

// ---- SBOM formats ----

fn parse_spdx2(doc: &Map<String, Value>) -> Result<Body> {
    let spec_version = opt_str(doc, "spdxVersion", "SPDX document")?.map(str::to_string);
    let mut packages = Packages::default();
    for (i, package) in opt_array(doc, "packages", "SPDX document")?
        .iter()
        .enumerate()
    {
        let at = format!("SPDX packages[{i}]");
        let package = as_object(package, &at)?;
        let mut purls = Vec::new();
        for (j, reference) in opt_array(package, "externalRefs", &at)?.iter().enumerate() {
            let at = format!("{at}.externalRefs[{j}]");
            let reference = as_object(reference, &at)?;
            let is_purl = opt_str(reference, "referenceType", &at)?
                .is_some_and(|ty| ty.trim().eq_ignore_ascii_case("purl"));
            if is_purl {
                if let Some(locator) = opt_str(reference, "referenceLocator", &at)? {
                    purls.push(locator);
                }
            }
        }
        packages.package(purls);
    }
    Ok(Body {
        format: SbomFormat::Spdx,
        spec_version,
        packages,
    })
}

fn is_spdx3(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
    let names_spdx3 = |v: &Value| matches!(v, Value::String(s) if s.contains("spdx.org/rdf/3"));
    let context = match doc.get("@context") {
        Some(Value::Array(items)) => items.iter().any(names_spdx3),
        Some(other) => names_spdx3(other),
        None => false,
    };
    context || (doc.contains_key("@graph") && hint.is_some_and(|mt| mt.contains("spdx")))
}

fn parse_spdx3(doc: &Map<String, Value>) -> Result<Body> {
    let mut packages = Packages::default();
    let mut spec_version = None;
    for (i, element) in opt_array(doc, "@graph", "SPDX 3 document")?
        .iter()
        .enumerate()
    {
        let at = format!("SPDX 3 @graph[{i}]");
        let element = as_object(element, &at)?;
        let types = match element.get("type").or_else(|| element.get("@type")) {
            Some(Value::String(ty)) => vec![ty.as_str()],
            Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let is = |suffix: &str, short: &str| {
            types
                .iter()
                .any(|ty| *ty == short || ty.ends_with(&format!("/{suffix}")))
        };
        if spec_version.is_none() {
            if is("Core/CreationInfo", "CreationInfo") {
                spec_version = opt_str(element, "specVersion", &at)?.map(str::to_string);
            } else if let Some(Value::Object(info)) = element.get("creationInfo") {
                spec_version = opt_str(info, "specVersion", &at)?.map(str::to_string);
            }
        }
        if !is("Software/Package", "software_Package") {
            continue;
        }
        let mut purls = Vec::new();
        for key in ["software_packageUrl", "packageUrl"] {
            if let Some(purl) = opt_str(element, key, &at)? {
                purls.push(purl);
            }
        }
        for (j, id) in opt_array(element, "externalIdentifier", &at)?
            .iter()
            .enumerate()
        {
            let at = format!("{at}.externalIdentifier[{j}]");
            let id = as_object(id, &at)?;
            if opt_str(id, "externalIdentifierType", &at)? == Some("packageUrl") {
                if let Some(purl) = opt_str(id, "identifier", &at)? {
                    purls.push(purl);
                }
            }
        }
        packages.package(purls);
    }
    Ok(Body {
        format: SbomFormat::Spdx,
        spec_version: Some(spec_version.unwrap_or_else(|| "3.0".to_string())),
        packages,
    })
}

fn is_cyclonedx(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
    let marked = match (doc.get("bomFormat"), doc.get("$schema")) {
        (Some(Value::String(format)), _) => format.eq_ignore_ascii_case("CycloneDX"),
        (_, Some(Value::String(schema))) => schema.contains("cyclonedx.org"),
        _ => false,
    };
    marked
        || (hint.is_some_and(|mt| mt.contains("cyclonedx"))
            && ["components", "metadata", "specVersion"]
                .iter()
                .any(|key| doc.contains_key(*key)))
}

fn parse_cyclonedx(doc: &Map<String, Value>) -> Result<Body> {
    let spec_version = opt_str(doc, "specVersion", "CycloneDX BOM")?.map(str::to_string);
    let mut packages = Packages::default();
    if let Some(metadata) = opt_object(doc, "metadata", "CycloneDX BOM")? {
        if let Some(component) = opt_object(metadata, "component", "CycloneDX metadata")? {
            cyclonedx_component(component, "CycloneDX metadata.component", &mut packages)?;
        }
    }
    cyclonedx_components(doc, "CycloneDX BOM", "", &mut packages)?;
    Ok(Body {
        format: SbomFormat::CycloneDx,
        spec_version,
        packages,
    })
}

/// Walks `components[]` of a BOM or component; `at` names the owner in errors and
/// `prefix` is the path of the owner for the children's names.
fn cyclonedx_components(
    owner: &Map<String, Value>,
    at: &str,
    prefix: &str,
    packages: &mut Packages,
) -> Result<()> {
    for (i, component) in opt_array(owner, "components", at)?.iter().enumerate() {
        let at = format!("CycloneDX {prefix}components[{i}]");
        cyclonedx_component(as_object(component, &at)?, &at, packages)?;
    }
    Ok(())
}

fn cyclonedx_component(
    component: &Map<String, Value>,
    at: &str,
    packages: &mut Packages,
) -> Result<()> {
    packages.package(opt_str(component, "purl", at)?);
    let prefix = format!("{}.", at.trim_start_matches("CycloneDX "));
    cyclonedx_components(component, at, &prefix, packages)
}

fn is_syft(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
    let descriptor = matches!(
        doc.get("descriptor"),
        Some(Value::Object(d)) if d.get("name").and_then(Value::as_str) == Some("syft")
    );
    descriptor
        || (doc.contains_key("artifacts")
            && (doc.contains_key("source")
                || doc.contains_key("schema")
                || hint.is_some_and(|mt| mt.contains("syft"))))
}

fn parse_syft(doc: &Map<String, Value>) -> Result<Body> {
    let spec_version = match opt_object(doc, "schema", "syft document")? {
        Some(schema) => opt_str(schema, "version", "syft schema")?.map(str::to_string),
        None => None,
    };
    let mut packages = Packages::default();
    for (i, artifact) in opt_array(doc, "artifacts", "syft document")?
        .iter()
        .enumerate()
    {
        let at = format!("syft artifacts[{i}]");
        packages.package(opt_str(as_object(artifact, &at)?, "purl", &at)?);
    }
    Ok(Body {
        format: SbomFormat::Syft,
        spec_version,
        packages,
    })
}

// ---- purl splitting by hand ----

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
    purl.scheme = Some("pkg".to_string());
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
    purl.purl_type = Some(ty.to_ascii_lowercase());

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
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|s| !s.is_empty()).map(str::to_string)
}

// ---- bytes, media types and JSON helpers ----

const LENIENT_BASE64: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT_BASE64);
const BASE64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT_BASE64);

/// Standard or URL-safe base64, padded or not, line breaks ignored.
fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.contains(['-', '_']) {
        BASE64_URL_SAFE.decode(compact)
    } else {
        BASE64_STANDARD.decode(compact)
    }
}

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

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str, at: &str) -> Result<Option<&'a str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => bail!("{at}: {key} is a {}, expected a string", json_kind(other)),
    }
}

fn opt_array<'a>(obj: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a [Value]> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => bail!("{at}: {key} is a {}, expected an array", json_kind(other)),
    }
}

fn opt_object<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a Map<String, Value>>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => bail!("{at}: {key} is a {}, expected an object", json_kind(other)),
    }
}

fn as_object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => bail!("{at} is a {}, expected an object", json_kind(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use serde_json::json;

    fn parse(doc: &Value) -> ParsedSbom {
        parse_document(doc.to_string().as_bytes(), None).unwrap()
    }

    fn parse_err(doc: &Value, media_type: Option<&str>) -> String {
        format!(
            "{:#}",
            parse_document(doc.to_string().as_bytes(), media_type).unwrap_err()
        )
    }

    fn raw(parsed: &ParsedSbom) -> Vec<&str> {
        parsed.packages.iter().map(|p| p.purl.as_str()).collect()
    }

    fn spdx23() -> Value {
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

    fn cyclonedx() -> Value {
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

    fn syft() -> Value {
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

    fn statement(predicate_type: &str, predicate: Value) -> Value {
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "example.com/app", "digest": {"sha256": "00"}}],
            "predicateType": predicate_type,
            "predicate": predicate
        })
    }

    fn dsse(inner: &Value) -> Value {
        json!({
            "payloadType": "application/vnd.in-toto+json",
            "payload": STANDARD.encode(inner.to_string()),
            "signatures": [{"keyid": "", "sig": "MEUCIQ=="}]
        })
    }

    #[test]
    fn spdx23_purls_and_packages_without_purl() {
        let parsed = parse(&spdx23());
        assert_eq!(parsed.format, SbomFormat::Spdx);
        assert_eq!(parsed.spec_version.as_deref(), Some("SPDX-2.3"));
        assert_eq!(
            raw(&parsed),
            [
                "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1",
                "pkg:golang/golang.org/x/net@v0.24.0",
                "pkg:github/golang/net@v0.24.0",
            ]
        );
        assert_eq!(parsed.packages_without_purl, 2);
        assert!(parsed.envelopes.is_empty());
        assert_eq!(parsed.predicate_type, None);
        let musl = &parsed.packages[0];
        assert_eq!(musl.purl_type.as_deref(), Some("apk"));
        assert_eq!(musl.namespace.as_deref(), Some("alpine"));
        assert_eq!(musl.name.as_deref(), Some("musl"));
        assert_eq!(musl.version.as_deref(), Some("1.2.4-r2"));
        assert_eq!(
            musl.qualifiers.iter().collect::<Vec<_>>(),
            [
                (&"arch".to_string(), &"x86_64".to_string()),
                (&"distro".to_string(), &"alpine-3.19.1".to_string())
            ]
        );
        assert_eq!(musl.warning, None);
    }

    #[test]
    fn spdx22_with_media_type_hint() {
        let doc = json!({"spdxVersion": "SPDX-2.2", "packages": [
            {"name": "x", "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER",
             "referenceType": "purl", "referenceLocator": "pkg:deb/debian/libc6@2.36-9?arch=amd64"}]}]});
        let parsed = parse_document(
            doc.to_string().as_bytes(),
            Some("text/spdx+json; charset=utf-8"),
        )
        .unwrap();
        assert_eq!(parsed.spec_version.as_deref(), Some("SPDX-2.2"));
        assert_eq!(raw(&parsed), ["pkg:deb/debian/libc6@2.36-9?arch=amd64"]);
        assert_eq!(parsed.packages_without_purl, 0);
    }

    #[test]
    fn spdx3_graph() {
        let doc = json!({
            "@context": ["https://spdx.org/rdf/3.0.1/spdx-context.jsonld"],
            "@graph": [
                {"type": "CreationInfo", "@id": "_:creationinfo", "specVersion": "3.0.1",
                 "created": "2024-05-01T00:00:00Z"},
                {"type": "SpdxDocument", "spdxId": "urn:doc"},
                {"type": "software_Package", "spdxId": "urn:p1", "name": "openssl",
                 "software_packageUrl": "pkg:rpm/redhat/openssl@3.0.7?arch=x86_64"},
                {"@type": "software_Package", "spdxId": "urn:p2", "name": "early",
                 "packageUrl": "pkg:npm/early@0.1.0"},
                {"type": "software_Package", "spdxId": "urn:p3", "name": "bare"},
                {"type": "software_Package", "spdxId": "urn:p4", "name": "ext",
                 "externalIdentifier": [{"type": "ExternalIdentifier",
                    "externalIdentifierType": "packageUrl", "identifier": "pkg:gem/rails@7.1.0"}]},
                {"type": "software_File", "spdxId": "urn:f1", "name": "/etc/passwd"}
            ]
        });
        let parsed = parse(&doc);
        assert_eq!(parsed.format, SbomFormat::Spdx);
        assert_eq!(parsed.spec_version.as_deref(), Some("3.0.1"));
        assert_eq!(
            raw(&parsed),
            [
                "pkg:rpm/redhat/openssl@3.0.7?arch=x86_64",
                "pkg:npm/early@0.1.0",
                "pkg:gem/rails@7.1.0"
            ]
        );
        assert_eq!(parsed.packages_without_purl, 1);

        let doc = json!({"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld",
            "@graph": [{"type": "software_Package", "software_packageUrl": "pkg:npm/x@1"}]});
        let parsed = parse(&doc);
        assert_eq!(parsed.spec_version.as_deref(), Some("3.0"));
        assert_eq!(raw(&parsed), ["pkg:npm/x@1"]);
    }

    #[test]
    fn cyclonedx_nested_components_and_metadata_component() {
        let parsed = parse(&cyclonedx());
        assert_eq!(parsed.format, SbomFormat::CycloneDx);
        assert_eq!(parsed.spec_version.as_deref(), Some("1.6"));
        assert_eq!(
            raw(&parsed),
            [
                "pkg:oci/app@sha256%3Aabcd",
                "pkg:cargo/serde@1.0.200",
                "pkg:npm/a@1.0.0",
                "pkg:npm/%40scope/a-child@2.0.0",
                "pkg:pypi/b@3",
            ]
        );
        assert_eq!(parsed.packages_without_purl, 2);
        let scoped = &parsed.packages[3];
        assert_eq!(scoped.namespace.as_deref(), Some("@scope"));
        assert_eq!(scoped.name.as_deref(), Some("a-child"));
    }

    #[test]
    fn cyclonedx_without_bom_format_needs_the_media_type() {
        let doc =
            json!({"specVersion": "1.4", "components": [{"name": "x", "purl": "pkg:npm/x@1"}]});
        let parsed = parse_document(
            doc.to_string().as_bytes(),
            Some("application/vnd.cyclonedx+json"),
        )
        .unwrap();
        assert_eq!(parsed.format, SbomFormat::CycloneDx);
        assert_eq!(raw(&parsed), ["pkg:npm/x@1"]);
        assert!(parse_err(&doc, None).starts_with("not an SBOM"));
    }

    #[test]
    fn syft_json() {
        let parsed = parse(&syft());
        assert_eq!(parsed.format, SbomFormat::Syft);
        assert_eq!(parsed.spec_version.as_deref(), Some("16.0.9"));
        assert_eq!(
            raw(&parsed),
            [
                "pkg:apk/alpine/zlib@1.3?arch=aarch64",
                "pkg:apk/alpine/jq@1.7?arch=aarch64"
            ]
        );
        assert_eq!(parsed.packages_without_purl, 1);

        // artifacts + source, no descriptor or schema
        let doc = json!({"artifacts": [{"purl": "pkg:gem/x@1"}], "source": {}});
        let parsed = parse(&doc);
        assert_eq!(parsed.format, SbomFormat::Syft);
        assert_eq!(parsed.spec_version, None);
        assert_eq!(raw(&parsed), ["pkg:gem/x@1"]);
    }

    #[test]
    fn sigstore_bundle_dsse_in_toto_spdx() {
        let bundle = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"certificate": {"rawBytes": "MIIB"}},
            "dsseEnvelope": dsse(&statement("https://spdx.dev/Document/v2.3", spdx23()))
        });
        let parsed = parse_document(
            bundle.to_string().as_bytes(),
            Some("application/vnd.dev.sigstore.bundle.v0.3+json"),
        )
        .unwrap();
        assert_eq!(parsed.envelopes, ["sigstore-bundle", "dsse", "in-toto"]);
        assert_eq!(
            parsed.predicate_type.as_deref(),
            Some("https://spdx.dev/Document/v2.3")
        );
        assert_eq!(parsed.format, SbomFormat::Spdx);
        assert_eq!(parsed.packages.len(), 3);
        assert_eq!(parsed.packages_without_purl, 2);
    }

    #[test]
    fn dsse_in_toto_cyclonedx_with_url_safe_unpadded_base64() {
        let mut stmt = statement("https://cyclonedx.org/bom/v1.5", cyclonedx());
        stmt["_type"] = json!("https://in-toto.io/Statement/v0.1");
        // Bytes that encode to '-' and '_' in URL-safe base64.
        stmt["subject"][0]["name"] = json!("\u{ff}\u{fe}\u{fb}?>");
        let payload = URL_SAFE_NO_PAD.encode(stmt.to_string());
        assert!(payload.contains(['-', '_']) && !payload.ends_with('='));
        let envelope = json!({"payloadType": "application/vnd.in-toto+json", "payload": payload,
                              "signatures": []});
        let parsed = parse_document(
            envelope.to_string().as_bytes(),
            Some("application/vnd.dsse.envelope.v1+json"),
        )
        .unwrap();
        assert_eq!(parsed.envelopes, ["dsse", "in-toto"]);
        assert_eq!(
            parsed.predicate_type.as_deref(),
            Some("https://cyclonedx.org/bom/v1.5")
        );
        assert_eq!(parsed.format, SbomFormat::CycloneDx);
        assert_eq!(parsed.packages.len(), 5);
    }

    #[test]
    fn base64_variants() {
        let text = "{\"a\":1}??>";
        for encoded in [
            STANDARD.encode(text),
            STANDARD.encode(text).trim_end_matches('=').to_string(),
            URL_SAFE_NO_PAD.encode(text),
            format!(
                "{}\n{}",
                &STANDARD.encode(text)[..4],
                &STANDARD.encode(text)[4..]
            ),
        ] {
            assert_eq!(
                decode_base64(&encoded).unwrap(),
                text.as_bytes(),
                "{encoded}"
            );
        }
        assert!(decode_base64("not base64!").is_err());
    }

    #[test]
    fn in_toto_cosign_predicate_with_syft_data_string() {
        let stmt = statement(
            "https://cosign.sigstore.dev/attestation/v1",
            json!({"Data": syft().to_string(), "Timestamp": "2024-05-01T00:00:00Z"}),
        );
        let parsed = parse_document(
            stmt.to_string().as_bytes(),
            Some("application/vnd.in-toto+json"),
        )
        .unwrap();
        assert_eq!(parsed.envelopes, ["in-toto"]);
        assert_eq!(
            parsed.predicate_type.as_deref(),
            Some("https://cosign.sigstore.dev/attestation/v1")
        );
        assert_eq!(parsed.format, SbomFormat::Syft);
        assert_eq!(parsed.spec_version.as_deref(), Some("16.0.9"));
        assert_eq!(parsed.packages.len(), 2);
        assert_eq!(parsed.packages_without_purl, 1);

        // The same inside DSSE, as `cosign attest` stores it.
        let parsed = parse(&dsse(&stmt));
        assert_eq!(parsed.envelopes, ["dsse", "in-toto"]);
        assert_eq!(parsed.format, SbomFormat::Syft);
    }

    #[test]
    fn buildkit_plain_in_toto_statement_with_layer_media_type() {
        let mut stmt = statement("https://spdx.dev/Document", spdx23());
        stmt["_type"] = json!("https://in-toto.io/Statement/v0.1");
        let parsed = parse_document(
            stmt.to_string().as_bytes(),
            Some("application/vnd.oci.image.layer.v1.tar"),
        )
        .unwrap();
        assert_eq!(parsed.envelopes, ["in-toto"]);
        assert_eq!(
            parsed.predicate_type.as_deref(),
            Some("https://spdx.dev/Document")
        );
        assert_eq!(parsed.packages.len(), 3);
    }

    #[test]
    fn non_sbom_predicate_type_is_named() {
        let stmt = statement(
            "https://slsa.dev/provenance/v1",
            json!({"buildDefinition": {}}),
        );
        assert_eq!(
            parse_err(&stmt, None),
            "in-toto statement predicate type https://slsa.dev/provenance/v1 is not an SBOM"
        );
        assert_eq!(
            parse_err(&dsse(&stmt), None),
            "in-toto statement predicate type https://slsa.dev/provenance/v1 is not an SBOM \
             (inside dsse)"
        );
    }

    #[test]
    fn errors_inside_envelopes_name_the_path() {
        let stmt = statement(PREDICATE_SPDX, json!({"hello": "world"}));
        let err = parse_err(&dsse(&stmt), None);
        assert_eq!(
            err,
            "not an SBOM: JSON with none of spdxVersion, bomFormat, artifacts \
             (media type application/spdx+json, top-level keys: hello) (inside dsse > in-toto)"
        );
    }

    #[test]
    fn is_sbom_predicate_type_by_prefix() {
        for yes in [
            "https://spdx.dev/Document",
            "https://spdx.dev/Document/v2.3",
            "https://spdx.dev/Document/v3.0",
            "https://cyclonedx.org/bom",
            "https://cyclonedx.org/bom/v1.6",
            "https://cosign.sigstore.dev/attestation/v1",
        ] {
            assert!(is_sbom_predicate_type(yes), "{yes}");
        }
        for no in [
            "https://slsa.dev/provenance/v1",
            "https://cosign.sigstore.dev/attestation/vuln/v1",
            "https://in-toto.io/attestation/vulns/v0.1",
            "spdx",
            "",
        ] {
            assert!(!is_sbom_predicate_type(no), "{no}");
        }
    }

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
        assert!(parsed.packages.iter().all(|p| p.warning.is_some()));
        let cpe = &parsed.packages[1];
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
        let err = parse_document(b"## comment\nSPDXVersion: SPDX-2.2\n", None).unwrap_err();
        assert!(err.to_string().contains("text/spdx (tag-value)"), "{err}");
        // A mislabelled JSON document still parses.
        let parsed = parse_document(spdx23().to_string().as_bytes(), Some("text/spdx")).unwrap();
        assert_eq!(parsed.packages.len(), 3);
    }

    #[test]
    fn dsse_and_bundle_errors() {
        let envelope = json!({"payloadType": "application/vnd.in-toto+json",
                              "payload": "%%%not base64", "signatures": []});
        assert!(
            parse_err(&envelope, None).starts_with("DSSE envelope payload is not valid base64: ")
        );
        let envelope = json!({"payloadType": "application/vnd.in-toto+json", "payload": 12});
        assert_eq!(
            parse_err(&envelope, None),
            "DSSE envelope payload is a number, expected a base64 string"
        );
        let envelope = json!({"payloadType": "application/vnd.in-toto+json", "payload": ""});
        assert_eq!(parse_err(&envelope, None), "DSSE envelope payload is empty");

        let bundle = json!({"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
                            "verificationMaterial": {}, "messageSignature": {"signature": "MEU="}});
        assert_eq!(
            parse_err(&bundle, None),
            "Sigstore bundle holds a message signature, not an attestation: it contains no SBOM"
        );
        let bundle = json!({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                            "dsseEnvelope": {"payload": "e30", "payloadType": "application/json"}});
        assert_eq!(
            parse_err(&bundle, None),
            "not an SBOM: JSON with none of spdxVersion, bomFormat, artifacts \
             (top-level keys: none) (inside sigstore-bundle > dsse)"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let mut doc = statement(PREDICATE_SPDX, spdx23());
        for _ in 0..MAX_NESTING {
            doc = dsse(&doc);
        }
        let err = parse_err(&doc, None);
        assert!(
            err.starts_with("envelopes nested more than 8 deep"),
            "{err}"
        );
        // One level fewer is fine.
        let mut doc = statement(PREDICATE_SPDX, spdx23());
        for _ in 0..MAX_NESTING - 1 {
            doc = dsse(&doc);
        }
        assert_eq!(parse(&doc).envelopes.len(), MAX_NESTING);
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
