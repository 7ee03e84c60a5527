//! syft's own JSON format: `artifacts[]` with their purls.

use anyhow::Result;
use serde_json::{Map, Value};

use super::{as_object, opt_array, opt_object, opt_str, Body, Packages};
use crate::model::SbomFormat;

pub(super) fn is_syft(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
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

pub(super) fn parse_syft(doc: &Map<String, Value>) -> Result<Body> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::parse::tests::{parse, raw, syft};
    use serde_json::json;

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
}
