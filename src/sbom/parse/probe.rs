//! The first pass over a document: the top-level keys and the few values that say which
//! format or envelope it is, everything else skipped. Envelope contents are kept as raw
//! JSON slices of the document, read when the envelope is opened.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::json::{Fields, Kind, Object, Text};

/// A document's top level: an object, or the kind of JSON value it is instead.
pub(super) enum Top<'de> {
    Object(Box<Probe<'de>>),
    Other(Kind),
}

/// Which marker keys a document has, whatever their values.
#[derive(Default)]
pub(super) struct Has {
    pub(super) message_signature: bool,
    pub(super) verification_material: bool,
    pub(super) signatures: bool,
    pub(super) subject: bool,
    pub(super) spdx_version: bool,
    pub(super) graph: bool,
    pub(super) components: bool,
    pub(super) metadata: bool,
    pub(super) spec_version: bool,
    pub(super) artifacts: bool,
    pub(super) source: bool,
    pub(super) schema: bool,
}

/// What detection and the envelopes read from a document's top level.
pub(super) struct Probe<'de> {
    pub(super) has: Has,
    pub(super) media_type: Text<'de>,
    pub(super) dsse_envelope: Option<&'de RawValue>,
    pub(super) payload: Option<Text<'de>>,
    pub(super) payload_type: Option<Text<'de>>,
    pub(super) statement_type: Text<'de>,
    pub(super) predicate_type: Option<Text<'de>>,
    pub(super) predicate: Option<&'de RawValue>,
    /// `@context` names SPDX 3 (`spdx.org/rdf/3`), as a string or in an array.
    pub(super) context_names_spdx3: bool,
    pub(super) bom_format: Text<'de>,
    pub(super) schema_url: Text<'de>,
    /// `descriptor.name` is "syft".
    pub(super) syft_descriptor: bool,
    /// The first top-level keys, without repeats, for messages; one more than shown.
    keys: Vec<String>,
}

/// How many top-level keys a message names.
const KEYS_SHOWN: usize = 10;

impl<'de> Probe<'de> {
    fn new() -> Self {
        Probe {
            has: Has::default(),
            media_type: Text::Null,
            dsse_envelope: None,
            payload: None,
            payload_type: None,
            statement_type: Text::Null,
            predicate_type: None,
            predicate: None,
            context_names_spdx3: false,
            bom_format: Text::Null,
            schema_url: Text::Null,
            syft_descriptor: false,
            keys: Vec::new(),
        }
    }

    /// "a, b, c", with "..." when there are more than shown, or "none".
    pub(super) fn keys_for_message(&self) -> String {
        let mut keys: Vec<&str> = self
            .keys
            .iter()
            .take(KEYS_SHOWN)
            .map(String::as_str)
            .collect();
        if self.keys.len() > KEYS_SHOWN {
            keys.push("...");
        }
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    }

    fn remember_key(&mut self, key: &str) {
        if self.keys.len() <= KEYS_SHOWN && !self.keys.iter().any(|k| k == key) {
            self.keys.push(key.to_string());
        }
    }

    /// Reads the value of `key`, or skips it; a repeated key's last value wins.
    fn read<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        let has = &mut self.has;
        let present = match key {
            "mediaType" => return map.next_value().map(|v| self.media_type = v),
            "dsseEnvelope" => return map.next_value().map(|v| self.dsse_envelope = Some(v)),
            "payload" => return map.next_value().map(|v| self.payload = Some(v)),
            "payloadType" => return map.next_value().map(|v| self.payload_type = Some(v)),
            "_type" => return map.next_value().map(|v| self.statement_type = v),
            "predicateType" => return map.next_value().map(|v| self.predicate_type = Some(v)),
            "predicate" => return map.next_value().map(|v| self.predicate = Some(v)),
            "bomFormat" => return map.next_value().map(|v| self.bom_format = v),
            "$schema" => return map.next_value().map(|v| self.schema_url = v),
            "@context" => {
                return map
                    .next_value::<Spdx3Context>()
                    .map(|v| self.context_names_spdx3 = v.0)
            }
            "descriptor" => {
                let mut descriptor = Descriptor::default();
                let found = map.next_value_seed(Object(&mut descriptor))?;
                self.syft_descriptor = found.is_ok() && descriptor.named_syft;
                return Ok(());
            }
            "messageSignature" => &mut has.message_signature,
            "verificationMaterial" => &mut has.verification_material,
            "signatures" => &mut has.signatures,
            "subject" => &mut has.subject,
            "spdxVersion" => &mut has.spdx_version,
            "@graph" => &mut has.graph,
            "components" => &mut has.components,
            "metadata" => &mut has.metadata,
            "specVersion" => &mut has.spec_version,
            "artifacts" => &mut has.artifacts,
            "source" => &mut has.source,
            "schema" => &mut has.schema,
            _ => {
                map.next_value::<IgnoredAny>()?;
                return Ok(());
            }
        };
        *present = true;
        map.next_value::<IgnoredAny>()?;
        Ok(())
    }
}

impl<'de> de::Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
        let mut probe = Probe::new();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            probe.remember_key(&key);
            probe.read(&key, &mut map)?;
        }
        Ok(Top::Object(Box::new(probe)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Top::Other("array"))
    }
    fn visit_unit<E>(self) -> Result<Top<'de>, E> {
        Ok(Top::Other("null"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Top<'de>, E> {
        Ok(Top::Other("boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Top<'de>, E> {
        Ok(Top::Other("number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Top<'de>, E> {
        Ok(Top::Other("number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Top<'de>, E> {
        Ok(Top::Other("number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Top<'de>, E> {
        Ok(Top::Other("string"))
    }
}

/// An object key, borrowed unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Text::deserialize(deserializer)? {
            Text::Str(key) => Ok(Key(key)),
            _ => Err(de::Error::custom("object key is not a string")),
        }
    }
}

/// Whether `@context` names SPDX 3 (`spdx.org/rdf/3`), as a string or in an array.
struct Spdx3Context(bool);

impl<'de> de::Deserialize<'de> for Spdx3Context {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Spdx3ContextVisitor)
    }
}

struct Spdx3ContextVisitor;

fn names_spdx3(text: &str) -> bool {
    text.contains("spdx.org/rdf/3")
}

impl<'de> Visitor<'de> for Spdx3ContextVisitor {
    type Value = Spdx3Context;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON-LD context")
    }
    fn visit_str<E>(self, v: &str) -> Result<Spdx3Context, E> {
        Ok(Spdx3Context(names_spdx3(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Spdx3Context, A::Error> {
        let mut names = false;
        while let Some(item) = seq.next_element::<Text>()? {
            names |= item.as_str().is_some_and(names_spdx3);
        }
        Ok(Spdx3Context(names))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spdx3Context, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Spdx3Context(false))
    }
    fn visit_unit<E>(self) -> Result<Spdx3Context, E> {
        Ok(Spdx3Context(false))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Spdx3Context, E> {
        Ok(Spdx3Context(false))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Spdx3Context, E> {
        Ok(Spdx3Context(false))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Spdx3Context, E> {
        Ok(Spdx3Context(false))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Spdx3Context, E> {
        Ok(Spdx3Context(false))
    }
}

/// syft's `descriptor`: whether its `name` is "syft".
#[derive(Default)]
struct Descriptor {
    named_syft: bool,
}

impl<'de> Fields<'de> for Descriptor {
    const KEYS: &'static [&'static str] = &["name"];

    fn field<A: MapAccess<'de>>(&mut self, _: usize, map: &mut A) -> Result<(), A::Error> {
        let name: Text = map.next_value()?;
        self.named_syft = name.as_str() == Some("syft");
        Ok(())
    }
}
