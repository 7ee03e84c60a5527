//! SPDX documents: SPDX 2.x JSON (`packages[].externalRefs`) and SPDX 3 JSON-LD (`@graph`).

use anyhow::Result;
use serde_json::{Map, Value};

use super::{as_object, opt_array, opt_str, Body, Packages};
use crate::model::SbomFormat;

pub(super) fn parse_spdx2(doc: &Map<String, Value>) -> Result<Body> {
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

pub(super) fn is_spdx3(doc: &Map<String, Value>, hint: Option<&str>) -> bool {
    let names_spdx3 = |v: &Value| matches!(v, Value::String(s) if s.contains("spdx.org/rdf/3"));
    let context = match doc.get("@context") {
        Some(Value::Array(items)) => items.iter().any(names_spdx3),
        Some(other) => names_spdx3(other),
        None => false,
    };
    context || (doc.contains_key("@graph") && hint.is_some_and(|mt| mt.contains("spdx")))
}

pub(super) fn parse_spdx3(doc: &Map<String, Value>) -> Result<Body> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::parse::parse_document;
    use crate::sbom::parse::tests::{parse, raw, spdx23};
    use serde_json::json;

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
}
