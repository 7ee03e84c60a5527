//! The envelopes SBOMs travel in: Sigstore bundles, DSSE envelopes and in-toto statements,
//! including cosign's `attestation/v1` predicate.

use anyhow::{anyhow, bail, Result};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::de::MapAccess;
use serde_json::value::RawValue;

use super::json::{raw_kind, typed_pass, Fields, Object, Text};
use super::{parse_bytes, Body, NotAnSbom, Probe, Top};

/// in-toto predicate types that hold an SBOM, matched as prefixes.
pub const PREDICATE_SPDX: &str = "https://spdx.dev/Document";
pub const PREDICATE_CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// cosign's generic predicate: `{"Data": "<document as a string>", "Timestamp": ...}`.
pub const PREDICATE_COSIGN: &str = "https://cosign.sigstore.dev/attestation/v1";

/// The names [`ParsedSbom::envelopes`](super::ParsedSbom::envelopes) uses.
pub const ENVELOPE_SIGSTORE_BUNDLE: &str = "sigstore-bundle";
pub const ENVELOPE_DSSE: &str = "dsse";
pub const ENVELOPE_IN_TOTO: &str = "in-toto";

/// How many envelopes may wrap one another before ocx gives up.
const MAX_NESTING: usize = 8;

/// Whether an in-toto predicate type names an SBOM: SPDX (`https://spdx.dev/Document`,
/// `/v2.3`...), CycloneDX (`https://cyclonedx.org/bom`, `/v1.5`...) or cosign's generic
/// `https://cosign.sigstore.dev/attestation/v1` (which `syft attest` fills with syft JSON).
pub fn is_sbom_predicate_type(predicate_type: &str) -> bool {
    [PREDICATE_SPDX, PREDICATE_CYCLONEDX, PREDICATE_COSIGN]
        .iter()
        .any(|prefix| predicate_type.starts_with(prefix))
}

/// The envelopes opened so far, outermost first.
#[derive(Default)]
pub(super) struct Unwrapped {
    pub(super) envelopes: Vec<String>,
    pub(super) predicate_type: Option<String>,
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

pub(super) fn is_sigstore_bundle(doc: &Probe, hint: Option<&str>) -> bool {
    let bundle_type = |mt: &str| mt.starts_with("application/vnd.dev.sigstore.bundle");
    if let Some(mt) = doc.media_type.as_str() {
        if bundle_type(&mt.to_ascii_lowercase()) {
            return true;
        }
    }
    let has = &doc.has;
    doc.dsse_envelope.is_some()
        || (has.message_signature && has.verification_material)
        || (hint.is_some_and(bundle_type) && has.message_signature)
}

pub(super) fn unwrap_sigstore_bundle(
    bundle: &Probe,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    let envelope = bundle.dsse_envelope.filter(|raw| raw_kind(raw) != "null");
    match envelope {
        Some(raw) if raw_kind(raw) == "object" => {
            let Top::Object(envelope) = serde_json::from_str(raw.get())? else {
                bail!("Sigstore bundle dsseEnvelope is not an object")
            };
            unwrapped.open(ENVELOPE_SIGSTORE_BUNDLE, depth)?;
            unwrap_dsse(&envelope, unwrapped, depth + 1)
        }
        None if bundle.has.message_signature => bail!(
            "Sigstore bundle holds a message signature, not an attestation: it contains no SBOM"
        ),
        None => {
            bail!("Sigstore bundle has neither a dsseEnvelope nor a messageSignature")
        }
        Some(other) => bail!(
            "Sigstore bundle dsseEnvelope is a {}, expected an object",
            raw_kind(other)
        ),
    }
}

pub(super) fn is_dsse(doc: &Probe, hint: Option<&str>) -> bool {
    doc.payload.is_some()
        && (doc.payload_type.is_some()
            || doc.has.signatures
            || hint.is_some_and(|mt| mt.contains("dsse")))
}

pub(super) fn unwrap_dsse(
    envelope: &Probe,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    let payload = match &envelope.payload {
        Some(Text::Str(payload)) => payload,
        None | Some(Text::Null) => bail!("DSSE envelope has no payload"),
        Some(Text::Wrong(kind)) => {
            bail!("DSSE envelope payload is a {kind}, expected a base64 string")
        }
    };
    let payload_type = match &envelope.payload_type {
        Some(Text::Str(payload_type)) => Some(payload_type.as_ref()),
        Some(Text::Wrong(kind)) => {
            bail!("DSSE envelope: payloadType is a {kind}, expected a string")
        }
        None | Some(Text::Null) => None,
    };
    let bytes = decode_base64(payload)
        .map_err(|err| anyhow!("DSSE envelope payload is not valid base64: {err}"))?;
    if bytes.is_empty() {
        bail!("DSSE envelope payload is empty");
    }
    unwrapped.open(ENVELOPE_DSSE, depth)?;
    parse_bytes(&bytes, payload_type, unwrapped, depth + 1)
}

pub(super) fn is_in_toto(doc: &Probe, hint: Option<&str>) -> bool {
    if let Some(ty) = doc.statement_type.as_str() {
        if ty.starts_with("https://in-toto.io/Statement") {
            return true;
        }
    }
    doc.predicate_type.is_some()
        && (doc.has.subject
            || doc.predicate.is_some()
            || hint.is_some_and(|mt| mt.contains("in-toto")))
}

pub(super) fn unwrap_in_toto(
    statement: &Probe,
    unwrapped: &mut Unwrapped,
    depth: usize,
) -> Result<Body> {
    let predicate_type = match &statement.predicate_type {
        Some(Text::Str(pt)) if !pt.trim().is_empty() => pt,
        Some(Text::Wrong(kind)) => {
            bail!("in-toto statement: predicateType is a {kind}, expected a string")
        }
        _ => bail!("in-toto statement has no predicateType"),
    };
    if !is_sbom_predicate_type(predicate_type) {
        return Err(NotAnSbom {
            predicate_type: predicate_type.to_string(),
            envelopes: vec![],
        }
        .into());
    }
    unwrapped.open(ENVELOPE_IN_TOTO, depth)?;
    unwrapped.predicate_type = Some(predicate_type.to_string());
    let depth = depth + 1;

    let mut predicate = match statement.predicate {
        Some(predicate) if raw_kind(predicate) != "null" => predicate,
        _ => bail!("in-toto statement with predicate type {predicate_type} has no predicate"),
    };
    let mut hint = None;
    if predicate_type.starts_with(PREDICATE_SPDX) {
        hint = Some("application/spdx+json");
    } else if predicate_type.starts_with(PREDICATE_CYCLONEDX) {
        hint = Some("application/vnd.cyclonedx+json");
    } else if raw_kind(predicate) == "object" {
        // cosign's generic predicate carries the document in Data, as a string.
        let mut cosign = CosignPredicate::default();
        let _ = typed_pass(predicate.get().as_bytes(), Object(&mut cosign))?;
        match cosign.data.map(|data| (data, raw_kind(data))) {
            None | Some((_, "null")) => {}
            Some((data, "string" | "object")) => predicate = data,
            Some((_, kind)) => {
                bail!("cosign attestation predicate Data is a {kind}, expected a string")
            }
        }
    }
    match raw_kind(predicate) {
        "string" => {
            let text: Text = serde_json::from_str(predicate.get())?;
            let text = text.as_str().unwrap_or_default();
            parse_bytes(text.as_bytes(), hint, unwrapped, depth)
        }
        "object" => parse_bytes(predicate.get().as_bytes(), hint, unwrapped, depth),
        kind => bail!("in-toto statement predicate is a {kind}, expected an SBOM object"),
    }
}

/// cosign's `attestation/v1` predicate: `Data` kept raw, a string or an object.
#[derive(Default)]
struct CosignPredicate<'de> {
    data: Option<&'de RawValue>,
}

impl<'de> Fields<'de> for CosignPredicate<'de> {
    const KEYS: &'static [&'static str] = &["Data"];

    fn field<A: MapAccess<'de>>(&mut self, _: usize, map: &mut A) -> Result<(), A::Error> {
        self.data = Some(map.next_value()?);
        Ok(())
    }
}

const LENIENT_BASE64: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT_BASE64);
const BASE64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT_BASE64);

/// Standard or URL-safe base64, padded or not, line breaks ignored.
pub(super) fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.contains(['-', '_']) {
        BASE64_URL_SAFE.decode(compact)
    } else {
        BASE64_STANDARD.decode(compact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SbomFormat;
    use crate::sbom::parse::parse_document;
    use crate::sbom::parse::tests::{cyclonedx, dsse, parse, parse_err, spdx23, statement, syft};
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use serde_json::json;

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
}
