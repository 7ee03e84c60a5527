//! `ocx sbom --raw --unwrap`: the SBOM document itself, taken out of the envelopes it
//! travels in. The predicate is cut from the statement as it is stored, not re-serialized.

use std::borrow::Cow;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::envelope::decode_base64;
use super::PREDICATE_COSIGN;

/// Envelopes opened at the most: a bundle, a DSSE envelope, a statement and cosign's
/// predicate need four.
const MAX_ENVELOPES: usize = 4;

/// The fields that tell each envelope; everything else of the layer is skipped unread.
#[derive(Deserialize)]
struct Envelope<'a> {
    /// Sigstore bundle.
    #[serde(rename = "dsseEnvelope", borrow, default)]
    dsse_envelope: Option<&'a RawValue>,
    /// DSSE envelope.
    #[serde(rename = "payloadType", default)]
    payload_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    payload: Option<Cow<'a, str>>,
    /// in-toto statement.
    #[serde(rename = "predicateType", default)]
    predicate_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    predicate: Option<&'a RawValue>,
}

/// cosign's `attestation/v1` predicate, whose `Data` string holds the document.
#[derive(Deserialize)]
struct CosignPredicate {
    #[serde(rename = "Data")]
    data: String,
}

/// The SBOM document inside `bytes`; a bare document comes back as it is.
pub fn unwrap_document(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut current: Cow<[u8]> = Cow::Borrowed(bytes);
    for _ in 0..MAX_ENVELOPES {
        let Ok(envelope) = serde_json::from_slice::<Envelope>(&current) else {
            return Ok(current.into_owned());
        };
        let inner: Vec<u8> = if let Some(dsse) = envelope.dsse_envelope {
            dsse.get().as_bytes().to_vec()
        } else if let (Some(_), Some(payload)) = (&envelope.payload_type, &envelope.payload) {
            decode_base64(payload).context("the DSSE payload is not base64")?
        } else if let (Some(kind), Some(predicate)) = (&envelope.predicate_type, envelope.predicate)
        {
            if kind.starts_with(PREDICATE_COSIGN) {
                let cosign: CosignPredicate = serde_json::from_str(predicate.get())
                    .context("cosign's attestation predicate has no Data string")?;
                return Ok(cosign.data.into_bytes());
            }
            return Ok(predicate.get().as_bytes().to_vec());
        } else {
            return Ok(current.into_owned());
        };
        current = Cow::Owned(inner);
    }
    bail!("envelopes nested more than {MAX_ENVELOPES} deep")
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use serde_json::json;

    const SPDX: &str = r#"{"spdxVersion":"SPDX-2.3","packages":[{"name":"a<b"}]}"#;

    fn statement(predicate_type: &str, predicate: &str) -> String {
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"{predicate_type}","predicate":{predicate}}}"#
        )
    }

    fn dsse(payload: &str) -> String {
        let encoded = base64::engine::general_purpose::STANDARD.encode(payload);
        json!({"payloadType": "application/vnd.in-toto+json", "payload": encoded, "signatures": []})
            .to_string()
    }

    #[test]
    fn every_envelope_is_opened_down_to_the_document_as_stored() {
        let in_toto = statement("https://spdx.dev/Document", SPDX);
        let bundle = format!(
            r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{{}},"dsseEnvelope":{}}}"#,
            dsse(&in_toto)
        );
        for wrapped in [SPDX.to_string(), in_toto.clone(), dsse(&in_toto), bundle] {
            assert_eq!(
                unwrap_document(wrapped.as_bytes()).unwrap(),
                SPDX.as_bytes()
            );
        }
    }

    #[test]
    fn cosigns_predicate_gives_its_data_string() {
        let predicate = json!({"Data": SPDX, "Timestamp": "2024"}).to_string();
        let wrapped = dsse(&statement(PREDICATE_COSIGN, &predicate));
        assert_eq!(
            unwrap_document(wrapped.as_bytes()).unwrap(),
            SPDX.as_bytes()
        );
    }

    #[test]
    fn a_payload_that_is_not_base64_is_an_error() {
        let bad = r#"{"payloadType":"application/vnd.in-toto+json","payload":"!!"}"#;
        let err = unwrap_document(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("not base64"), "{err}");
    }
}
