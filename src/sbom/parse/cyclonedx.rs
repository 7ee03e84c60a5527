//! CycloneDX JSON BOMs: the metadata component and `components[]`, nested to any depth.

use std::borrow::Cow;
use std::fmt;

use anyhow::Result;
use serde::de::{MapAccess, SeqAccess};

use super::json::{element_object, required, typed_pass, Array, Elements, Fields, Object, Text};
use super::{Body, Packages, Probe};
use crate::model::SbomFormat;

pub(super) fn is_cyclonedx(doc: &Probe, hint: Option<&str>) -> bool {
    let marked = match (&doc.bom_format, &doc.schema_url) {
        (Text::Str(format), _) => format.eq_ignore_ascii_case("CycloneDX"),
        (_, Text::Str(schema)) => schema.contains("cyclonedx.org"),
        _ => false,
    };
    marked
        || (hint.is_some_and(|mt| mt.contains("cyclonedx"))
            && (doc.has.components || doc.has.metadata || doc.has.spec_version))
}

pub(super) fn parse_cyclonedx(bytes: &[u8]) -> Result<Body> {
    let mut bom = Bom::default();
    let _ = typed_pass(bytes, Object(&mut bom))?;
    // The metadata component comes first, wherever the BOM puts it.
    let mut packages = bom.metadata;
    packages.append(bom.components);
    Ok(Body {
        format: SbomFormat::CycloneDx,
        spec_version: bom.spec_version,
        packages,
    })
}

#[derive(Default)]
struct Bom {
    spec_version: Option<String>,
    metadata: Packages,
    components: Packages,
}

impl<'de> Fields<'de> for Bom {
    const KEYS: &'static [&'static str] = &["specVersion", "metadata", "components"];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        const AT: &str = "CycloneDX BOM";
        match key {
            0 => {
                let text: Text = map.next_value()?;
                self.spec_version = text.string(AT, "specVersion")?.map(Cow::into_owned);
                Ok(())
            }
            1 => {
                let mut metadata = Metadata(&mut self.metadata);
                required(
                    map.next_value_seed(Object(&mut metadata))?,
                    AT,
                    "metadata",
                    "an object",
                )
            }
            _ => {
                let mut list = Components {
                    owner: None,
                    packages: &mut self.components,
                };
                required(
                    map.next_value_seed(Array(&mut list))?,
                    AT,
                    "components",
                    "an array",
                )
            }
        }
    }
}

struct Metadata<'a>(&'a mut Packages);

impl<'de> Fields<'de> for Metadata<'_> {
    const KEYS: &'static [&'static str] = &["component"];

    fn field<A: MapAccess<'de>>(&mut self, _: usize, map: &mut A) -> Result<(), A::Error> {
        let mut component = Component::new(Place::Metadata, self.0);
        let found = map.next_value_seed(Object(&mut component))?;
        required(found, "CycloneDX metadata", "component", "an object")?;
        component.finish();
        Ok(())
    }
}

/// Where a component sits, for messages: `metadata.component`, `components[0].components[2]`.
#[derive(Clone, Copy)]
enum Place<'p> {
    Metadata,
    Child {
        owner: Option<&'p Place<'p>>,
        index: usize,
    },
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Place::Metadata => f.write_str("metadata.component"),
            Place::Child { owner: None, index } => write!(f, "components[{index}]"),
            Place::Child {
                owner: Some(owner),
                index,
            } => write!(f, "{owner}.components[{index}]"),
        }
    }
}

/// The `components[]` of the BOM (no owner) or of a component.
struct Components<'p, 'a> {
    owner: Option<&'p Place<'p>>,
    packages: &'a mut Packages,
}

impl<'de> Elements<'de> for Components<'_, '_> {
    fn element<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let place = Place::Child {
            owner: self.owner,
            index,
        };
        let mut component = Component::new(place, self.packages);
        let Some(found) = seq.next_element_seed(Object(&mut component))? else {
            return Ok(false);
        };
        element_object(found, format_args!("CycloneDX {place}"))?;
        component.finish();
        Ok(true)
    }
}

/// One component: its purl is recorded before its children, as soon as they start.
struct Component<'p, 'a, 'de> {
    place: Place<'p>,
    packages: &'a mut Packages,
    purl: Option<Cow<'de, str>>,
    name: Option<Cow<'de, str>>,
    version: Option<Cow<'de, str>>,
    recorded: bool,
}

impl<'p, 'a, 'de> Component<'p, 'a, 'de> {
    fn new(place: Place<'p>, packages: &'a mut Packages) -> Self {
        Component {
            place,
            packages,
            purl: None,
            name: None,
            version: None,
            recorded: false,
        }
    }

    fn finish(&mut self) {
        if !self.recorded {
            self.recorded = true;
            self.packages.package(
                self.purl.as_deref(),
                self.name.as_deref(),
                self.version.as_deref(),
            );
        }
    }
}

impl<'de> Fields<'de> for Component<'_, '_, 'de> {
    const KEYS: &'static [&'static str] = &["purl", "components", "name", "version"];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        let place = self.place;
        match key {
            0 => {
                let text: Text<'de> = map.next_value()?;
                self.purl = text.string(format_args!("CycloneDX {place}"), "purl")?;
                return Ok(());
            }
            2 => {
                self.name = map.next_value::<Text<'de>>()?.lenient();
                return Ok(());
            }
            3 => {
                self.version = map.next_value::<Text<'de>>()?.lenient();
                return Ok(());
            }
            _ => {}
        }
        // A purl known by now goes before the children's; a component without one is
        // recorded at its end, with the name and version that may follow.
        if self.purl.is_some() {
            self.finish();
        }
        let mut children = Components {
            owner: Some(&place),
            packages: self.packages,
        };
        let found = map.next_value_seed(Array(&mut children))?;
        required(
            found,
            format_args!("CycloneDX {place}"),
            "components",
            "an array",
        )
    }
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
        assert_eq!(parsed.named_without_purl, ["deep", "no-purl"]);
        let scoped = &parsed.packages[3].purl;
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

#[cfg(test)]
mod depth_tests {
    use crate::sbom::parse::parse_document;

    #[test]
    fn deeply_nested_components_are_refused_not_overflowed() {
        let depth = 100_000;
        let mut text = String::from(r#"{"bomFormat":"CycloneDX","components":["#);
        text.push_str(&r#"{"components":["#.repeat(depth));
        text.push_str(&"]}".repeat(depth));
        text.push_str("]}");
        let err = parse_document(text.as_bytes(), None).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
    }
}
