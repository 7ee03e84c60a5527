//! syft's own JSON format: `artifacts[]` with their purls.

use std::borrow::Cow;

use anyhow::Result;
use serde::de::{MapAccess, SeqAccess};

use super::json::{element_object, required, typed_pass, Array, Elements, Fields, Object, Text};
use super::{Body, Packages, Probe};
use crate::model::SbomFormat;

pub(super) fn is_syft(doc: &Probe, hint: Option<&str>) -> bool {
    let has = &doc.has;
    doc.syft_descriptor
        || (has.artifacts
            && (has.source || has.schema || hint.is_some_and(|mt| mt.contains("syft"))))
}

pub(super) fn parse_syft(bytes: &[u8]) -> Result<Body> {
    let mut doc = Syft::default();
    let _ = typed_pass(bytes, Object(&mut doc))?;
    Ok(Body {
        format: SbomFormat::Syft,
        spec_version: doc.schema_version,
        packages: doc.packages,
    })
}

#[derive(Default)]
struct Syft {
    schema_version: Option<String>,
    packages: Packages,
}

impl<'de> Fields<'de> for Syft {
    const KEYS: &'static [&'static str] = &["schema", "artifacts"];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        const AT: &str = "syft document";
        if key == 0 {
            let mut schema = Schema::default();
            required(
                map.next_value_seed(Object(&mut schema))?,
                AT,
                "schema",
                "an object",
            )?;
            self.schema_version = schema.version;
            return Ok(());
        }
        let mut artifacts = Artifacts(&mut self.packages);
        required(
            map.next_value_seed(Array(&mut artifacts))?,
            AT,
            "artifacts",
            "an array",
        )
    }
}

#[derive(Default)]
struct Schema {
    version: Option<String>,
}

impl<'de> Fields<'de> for Schema {
    const KEYS: &'static [&'static str] = &["version"];

    fn field<A: MapAccess<'de>>(&mut self, _: usize, map: &mut A) -> Result<(), A::Error> {
        let version: Text = map.next_value()?;
        self.version = version
            .string("syft schema", "version")?
            .map(Cow::into_owned);
        Ok(())
    }
}

struct Artifacts<'a>(&'a mut Packages);

impl<'de> Elements<'de> for Artifacts<'_> {
    fn element<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let mut artifact = Artifact {
            index,
            purl: None,
            name: None,
            version: None,
        };
        let Some(found) = seq.next_element_seed(Object(&mut artifact))? else {
            return Ok(false);
        };
        element_object(found, format_args!("syft artifacts[{index}]"))?;
        self.0.package(
            artifact.purl.as_deref(),
            artifact.name.as_deref(),
            artifact.version.as_deref(),
        );
        Ok(true)
    }
}

struct Artifact<'de> {
    index: usize,
    purl: Option<Cow<'de, str>>,
    name: Option<Cow<'de, str>>,
    version: Option<Cow<'de, str>>,
}

impl<'de> Fields<'de> for Artifact<'de> {
    const KEYS: &'static [&'static str] = &["purl", "name", "version"];

    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        let text: Text<'de> = map.next_value()?;
        match key {
            0 => self.purl = text.string(format_args!("syft artifacts[{}]", self.index), "purl")?,
            1 => self.name = text.lenient(),
            _ => self.version = text.lenient(),
        }
        Ok(())
    }
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
        assert_eq!(parsed.named_without_purl, ["unknown"]);

        // artifacts + source, no descriptor or schema
        let doc = json!({"artifacts": [{"purl": "pkg:gem/x@1"}], "source": {}});
        let parsed = parse(&doc);
        assert_eq!(parsed.format, SbomFormat::Syft);
        assert_eq!(parsed.spec_version, None);
        assert_eq!(raw(&parsed), ["pkg:gem/x@1"]);
    }
}
