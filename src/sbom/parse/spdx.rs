//! SPDX documents: SPDX 2.x JSON (`packages[].externalRefs`) and SPDX 3 JSON-LD (`@graph`).

use std::borrow::Cow;
use std::fmt;

use anyhow::Result;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json::{
    element_object, required, typed_pass, Array, Elements, Fields, Kind, Object, Text,
};
use super::{Body, Packages, Probe};
use crate::model::SbomFormat;

pub(super) fn parse_spdx2(bytes: &[u8]) -> Result<Body> {
    let mut doc = Spdx2::default();
    let _ = typed_pass(bytes, Object(&mut doc))?;
    Ok(Body {
        format: SbomFormat::Spdx,
        spec_version: doc.spec_version,
        packages: doc.packages,
    })
}

#[derive(Default)]
struct Spdx2 {
    spec_version: Option<String>,
    packages: Packages,
}

impl<'de> Fields<'de> for Spdx2 {
    const KEYS: &'static [&'static str] = &["spdxVersion", "packages"];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        const AT: &str = "SPDX document";
        if key == 0 {
            let version: Text = map.next_value()?;
            self.spec_version = version.string(AT, "spdxVersion")?.map(Cow::into_owned);
            return Ok(());
        }
        let mut packages = Spdx2Packages(&mut self.packages);
        required(
            map.next_value_seed(Array(&mut packages))?,
            AT,
            "packages",
            "an array",
        )
    }
}

struct Spdx2Packages<'a>(&'a mut Packages);

impl<'de> Elements<'de> for Spdx2Packages<'_> {
    fn element<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let mut package = Spdx2Package {
            index,
            purls: Vec::new(),
            name: None,
            version: None,
        };
        let Some(found) = seq.next_element_seed(Object(&mut package))? else {
            return Ok(false);
        };
        element_object(found, format_args!("SPDX packages[{index}]"))?;
        self.0.package(
            package.purls.iter().map(|purl| &**purl),
            package.name.as_deref(),
            package.version.as_deref(),
        );
        Ok(true)
    }
}

struct Spdx2Package<'de> {
    index: usize,
    purls: Vec<Cow<'de, str>>,
    name: Option<Cow<'de, str>>,
    version: Option<Cow<'de, str>>,
}

impl<'de> Fields<'de> for Spdx2Package<'de> {
    const KEYS: &'static [&'static str] = &["externalRefs", "name", "versionInfo"];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        match key {
            1 => {
                self.name = map.next_value::<Text<'de>>()?.lenient();
                return Ok(());
            }
            2 => {
                self.version = map.next_value::<Text<'de>>()?.lenient();
                return Ok(());
            }
            _ => {}
        }
        let package = self.index;
        let mut refs = ExternalRefs {
            package,
            purls: &mut self.purls,
        };
        let found = map.next_value_seed(Array(&mut refs))?;
        required(
            found,
            format_args!("SPDX packages[{package}]"),
            "externalRefs",
            "an array",
        )
    }
}

struct ExternalRefs<'a, 'de> {
    package: usize,
    purls: &'a mut Vec<Cow<'de, str>>,
}

impl<'de> Elements<'de> for ExternalRefs<'_, 'de> {
    fn element<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let mut reference = ExternalRef::default();
        let Some(found) = seq.next_element_seed(Object(&mut reference))? else {
            return Ok(false);
        };
        let package = self.package;
        let at = Place { package, index };
        element_object(found, at)?;
        let is_purl = reference
            .reference_type
            .string(at, "referenceType")?
            .is_some_and(|ty| ty.trim().eq_ignore_ascii_case("purl"));
        if is_purl {
            self.purls
                .extend(reference.locator.string(at, "referenceLocator")?);
        }
        Ok(true)
    }
}

/// `SPDX packages[i].externalRefs[j]`, for messages.
#[derive(Clone, Copy)]
struct Place {
    package: usize,
    index: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let Place { package, index } = self;
        write!(f, "SPDX packages[{package}].externalRefs[{index}]")
    }
}

#[derive(Default)]
struct ExternalRef<'de> {
    reference_type: Text<'de>,
    locator: Text<'de>,
}

impl<'de> Fields<'de> for ExternalRef<'de> {
    const KEYS: &'static [&'static str] = &["referenceType", "referenceLocator"];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        let text = map.next_value()?;
        match key {
            0 => self.reference_type = text,
            _ => self.locator = text,
        }
        Ok(())
    }
}

pub(super) fn is_spdx3(doc: &Probe, hint: Option<&str>) -> bool {
    doc.context_names_spdx3 || (doc.has.graph && hint.is_some_and(|mt| mt.contains("spdx")))
}

pub(super) fn parse_spdx3(bytes: &[u8]) -> Result<Body> {
    let mut doc = Spdx3::default();
    let _ = typed_pass(bytes, Object(&mut doc))?;
    Ok(Body {
        format: SbomFormat::Spdx,
        spec_version: Some(doc.spec_version.unwrap_or_else(|| "3.0".to_string())),
        packages: doc.packages,
    })
}

#[derive(Default)]
struct Spdx3 {
    spec_version: Option<String>,
    packages: Packages,
}

impl<'de> Fields<'de> for Spdx3 {
    const KEYS: &'static [&'static str] = &["@graph"];

    fn field<A: MapAccess<'de>>(&mut self, _: usize, map: &mut A) -> Result<(), A::Error> {
        let found = map.next_value_seed(Array(self))?;
        required(found, "SPDX 3 document", "@graph", "an array")
    }
}

impl<'de> Elements<'de> for Spdx3 {
    fn element<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let mut element = Element::default();
        let Some(found) = seq.next_element_seed(Object(&mut element))? else {
            return Ok(false);
        };
        let at = format!("SPDX 3 @graph[{index}]");
        element_object(found, &at)?;
        self.take(element, &at)?;
        Ok(true)
    }
}

impl Spdx3 {
    /// Takes the spec version (from the first element that has one) and the purls of a
    /// package, in the order the DOM parse read them: the properties, then the identifiers.
    fn take<E: de::Error>(&mut self, element: Element, at: &str) -> Result<(), E> {
        let types = element.type_.or(element.at_type).unwrap_or_default();
        let is = |suffix: &str, short: &str| {
            types
                .iter()
                .any(|ty| ty == short || ty.ends_with(&format!("/{suffix}")))
        };
        if self.spec_version.is_none() {
            if is("Core/CreationInfo", "CreationInfo") {
                let version = element.spec_version.string(at, "specVersion")?;
                self.spec_version = version.map(Cow::into_owned);
            } else if let Some(info) = element.creation_info {
                let version = info.spec_version.string(at, "specVersion")?;
                self.spec_version = version.map(Cow::into_owned);
            }
        }
        if !is("Software/Package", "software_Package") {
            return Ok(());
        }
        let mut purls = Vec::new();
        purls.extend(
            element
                .software_package_url
                .string(at, "software_packageUrl")?,
        );
        purls.extend(element.package_url.string(at, "packageUrl")?);
        if let Some(kind) = element.identifiers.not_an_array {
            return Err(E::custom(format!(
                "{at}: externalIdentifier is a {kind}, expected an array"
            )));
        }
        if let Some(message) = element.identifiers.error {
            return Err(E::custom(format!("{at}.{message}")));
        }
        purls.extend(element.identifiers.purls);
        self.packages.package(
            purls.iter().map(|purl| &**purl),
            element.name.as_deref(),
            element.version.as_deref(),
        );
        Ok(())
    }
}

/// One `@graph` element: what a package or a creation info needs. Whether it is either
/// is known only once its type is read, so the errors of its identifiers wait until then.
#[derive(Default)]
struct Element<'de> {
    type_: Option<Types<'de>>,
    at_type: Option<Types<'de>>,
    spec_version: Text<'de>,
    creation_info: Option<CreationInfo<'de>>,
    software_package_url: Text<'de>,
    package_url: Text<'de>,
    identifiers: Identifiers<'de>,
    name: Option<Cow<'de, str>>,
    version: Option<Cow<'de, str>>,
}

impl<'de> Fields<'de> for Element<'de> {
    const KEYS: &'static [&'static str] = &[
        "type",
        "@type",
        "specVersion",
        "creationInfo",
        "software_packageUrl",
        "packageUrl",
        "externalIdentifier",
        "name",
        "software_packageVersion",
    ];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        match key {
            0 => self.type_ = Some(map.next_value()?),
            1 => self.at_type = Some(map.next_value()?),
            2 => self.spec_version = map.next_value()?,
            3 => {
                let mut info = CreationInfo::default();
                let found = map.next_value_seed(Object(&mut info))?;
                self.creation_info = found.is_ok().then_some(info);
            }
            4 => self.software_package_url = map.next_value()?,
            5 => self.package_url = map.next_value()?,
            7 => self.name = map.next_value::<Text<'de>>()?.lenient(),
            8 => self.version = map.next_value::<Text<'de>>()?.lenient(),
            _ => {
                self.identifiers = Identifiers::default();
                let found = map.next_value_seed(Array(&mut self.identifiers))?;
                self.identifiers.not_an_array = found.err().filter(|kind| *kind != "null");
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct CreationInfo<'de> {
    spec_version: Text<'de>,
}

impl<'de> Fields<'de> for CreationInfo<'de> {
    const KEYS: &'static [&'static str] = &["specVersion"];

    fn field<A: MapAccess<'de>>(&mut self, _: usize, map: &mut A) -> Result<(), A::Error> {
        self.spec_version = map.next_value()?;
        Ok(())
    }
}

/// `externalIdentifier[]`: the purls, and the first error (its place relative to the
/// element), kept for when the element turns out to be a package.
#[derive(Default)]
struct Identifiers<'de> {
    purls: Vec<Cow<'de, str>>,
    error: Option<String>,
    not_an_array: Option<Kind>,
}

impl<'de> Elements<'de> for Identifiers<'de> {
    fn element<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let mut id = Identifier::default();
        let Some(found) = seq.next_element_seed(Object(&mut id))? else {
            return Ok(false);
        };
        if self.error.is_none() {
            if let Err(err) = self.take(found, id, index) {
                self.error = Some(err.to_string());
            }
        }
        Ok(true)
    }
}

impl<'de> Identifiers<'de> {
    fn take(
        &mut self,
        found: Result<(), Kind>,
        id: Identifier<'de>,
        index: usize,
    ) -> Result<(), de::value::Error> {
        let at = format!("externalIdentifier[{index}]");
        element_object(found, &at)?;
        if id.kind.string(&at, "externalIdentifierType")?.as_deref() == Some("packageUrl") {
            self.purls.extend(id.identifier.string(&at, "identifier")?);
        }
        Ok(())
    }
}

#[derive(Default)]
struct Identifier<'de> {
    kind: Text<'de>,
    identifier: Text<'de>,
}

impl<'de> Fields<'de> for Identifier<'de> {
    const KEYS: &'static [&'static str] = &["externalIdentifierType", "identifier"];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        let text = map.next_value()?;
        match key {
            0 => self.kind = text,
            _ => self.identifier = text,
        }
        Ok(())
    }
}

/// `type` or `@type`: a string, or the strings of an array; anything else, no type.
#[derive(Default)]
struct Types<'de>(Vec<Cow<'de, str>>);

impl Types<'_> {
    fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|ty| &**ty)
    }
}

impl<'de> de::Deserialize<'de> for Types<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TypesVisitor)
    }
}

struct TypesVisitor;

impl<'de> Visitor<'de> for TypesVisitor {
    type Value = Types<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a type or an array of types")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Types<'de>, E> {
        Ok(Types(vec![Cow::Borrowed(v)]))
    }
    fn visit_str<E>(self, v: &str) -> Result<Types<'de>, E> {
        Ok(Types(vec![Cow::Owned(v.to_string())]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Types<'de>, A::Error> {
        let mut types = Vec::new();
        while let Some(item) = seq.next_element::<Text>()? {
            if let Text::Str(ty) = item {
                types.push(ty);
            }
        }
        Ok(Types(types))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Types<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Types::default())
    }
    fn visit_unit<E>(self) -> Result<Types<'de>, E> {
        Ok(Types::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Types<'de>, E> {
        Ok(Types::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Types<'de>, E> {
        Ok(Types::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Types<'de>, E> {
        Ok(Types::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Types<'de>, E> {
        Ok(Types::default())
    }
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
        let musl = &parsed.packages[0].purl;
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
        assert_eq!(parsed.named_without_purl, ["bare"]);

        let doc = json!({"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld",
            "@graph": [{"type": "software_Package", "software_packageUrl": "pkg:npm/x@1"}]});
        let parsed = parse(&doc);
        assert_eq!(parsed.spec_version.as_deref(), Some("3.0"));
        assert_eq!(raw(&parsed), ["pkg:npm/x@1"]);
    }
}
