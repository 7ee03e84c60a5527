//! CycloneDX JSON BOMs: the metadata component and `components[]`, nested to any depth.

use anyhow::Result;
use serde_json::{Map, Value};

use super::{as_object, opt_array, opt_object, opt_str, Body, Packages};
use crate::model::SbomFormat;

pub(super) fn is_cyclonedx(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
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

pub(super) fn parse_cyclonedx(doc: &Map<String, Value>) -> Result<Body> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::parse::parse_document;
    use crate::sbom::parse::tests::{cyclonedx, parse, parse_err, raw};
    use serde_json::json;

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
}
