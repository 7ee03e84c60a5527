//! Streaming JSON: visitors that keep only what the parsers use, skip the rest with
//! [`IgnoredAny`], and report a value of the wrong kind the way the module words it.

use std::borrow::Cow;
use std::fmt;

use anyhow::anyhow;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// What a value was, when it was not what a visitor looked for ("null", "number"...).
pub(super) type Kind = &'static str;

/// A value that should be a string: the string (borrowed unless it has escapes), null, or
/// the kind it was instead.
#[derive(Default)]
pub(super) enum Text<'de> {
    #[default]
    Null,
    Str(Cow<'de, str>),
    Wrong(Kind),
}

impl<'de> Text<'de> {
    /// The string, None for null; a wrong kind is the error `{at}: {key} is a ...`.
    pub(super) fn string<E: de::Error>(
        self,
        at: impl fmt::Display,
        key: &str,
    ) -> Result<Option<Cow<'de, str>>, E> {
        match self {
            Text::Null => Ok(None),
            Text::Str(text) => Ok(Some(text)),
            Text::Wrong(kind) => Err(E::custom(format!(
                "{at}: {key} is a {kind}, expected a string"
            ))),
        }
    }

    /// The string, None for null or any other kind: for what only helps, such as a name.
    pub(super) fn lenient(self) -> Option<Cow<'de, str>> {
        match self {
            Text::Str(text) => Some(text),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(text) => Some(text),
            _ => None,
        }
    }
}

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Text<'de>, E> {
        Ok(Text::Null)
    }
    fn visit_none<E>(self) -> Result<Text<'de>, E> {
        Ok(Text::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Text<'de>, E> {
        Ok(Text::Wrong("boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Text<'de>, E> {
        Ok(Text::Wrong("number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Text<'de>, E> {
        Ok(Text::Wrong("number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Text<'de>, E> {
        Ok(Text::Wrong("number"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'de>, A::Error> {
        skip_seq(seq)?;
        Ok(Text::Wrong("array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'de>, A::Error> {
        skip_map(map)?;
        Ok(Text::Wrong("object"))
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The kind of a value kept raw.
pub(super) fn raw_kind(raw: &RawValue) -> Kind {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "boolean",
        _ => "number",
    }
}

/// The fields of an object a parser reads; every other key is skipped unread.
pub(super) trait Fields<'de> {
    const KEYS: &'static [&'static str];

    /// Reads the value of `Self::KEYS[key]` with `map.next_value...`.
    fn field<A: MapAccess<'de>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error>;
}

/// The elements of an array a parser reads.
pub(super) trait Elements<'de> {
    /// Reads element `index` with `seq.next_element...`; false at the end of the array.
    fn element<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error>;
}

/// Visits an object with its [`Fields`]; yields the kind of anything else (drained).
pub(super) struct Object<'a, F>(pub(super) &'a mut F);

/// Visits an array with its [`Elements`]; yields the kind of anything else (drained).
pub(super) struct Array<'a, E>(pub(super) &'a mut E);

impl<'de, F: Fields<'de>> DeserializeSeed<'de> for Object<'_, F> {
    type Value = Result<(), Kind>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(Shaped(Container::<F, NoFields>::Object(self.0)))
    }
}

impl<'de, E: Elements<'de>> DeserializeSeed<'de> for Array<'_, E> {
    type Value = Result<(), Kind>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(Shaped(Container::<NoFields, E>::Array(self.0)))
    }
}

enum Container<'a, F, E> {
    Object(&'a mut F),
    Array(&'a mut E),
}

/// Stands in for the unused half of a [`Container`].
struct NoFields;

impl<'de> Fields<'de> for NoFields {
    const KEYS: &'static [&'static str] = &[];
    fn field<A: MapAccess<'de>>(&mut self, _: usize, _: &mut A) -> Result<(), A::Error> {
        Ok(())
    }
}

impl<'de> Elements<'de> for NoFields {
    fn element<A: SeqAccess<'de>>(&mut self, _: usize, _: &mut A) -> Result<bool, A::Error> {
        Ok(false)
    }
}

struct Shaped<'a, F, E>(Container<'a, F, E>);

impl<'de, F: Fields<'de>, E: Elements<'de>> Visitor<'de> for Shaped<'_, F, E> {
    type Value = Result<(), Kind>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or an array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Container::Object(fields) = self.0 else {
            skip_map(map)?;
            return Ok(Err("object"));
        };
        while let Some(key) = map.next_key_seed(KeyOf(F::KEYS))? {
            match key {
                Some(key) => fields.field(key, &mut map)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Ok(()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Container::Array(elements) = self.0 else {
            skip_seq(seq)?;
            return Ok(Err("array"));
        };
        let mut index = 0;
        while elements.element(index, &mut seq)? {
            index += 1;
        }
        Ok(Ok(()))
    }
    fn visit_unit<Er>(self) -> Result<Self::Value, Er> {
        Ok(Err("null"))
    }
    fn visit_bool<Er>(self, _: bool) -> Result<Self::Value, Er> {
        Ok(Err("boolean"))
    }
    fn visit_i64<Er>(self, _: i64) -> Result<Self::Value, Er> {
        Ok(Err("number"))
    }
    fn visit_u64<Er>(self, _: u64) -> Result<Self::Value, Er> {
        Ok(Err("number"))
    }
    fn visit_f64<Er>(self, _: f64) -> Result<Self::Value, Er> {
        Ok(Err("number"))
    }
    fn visit_str<Er>(self, _: &str) -> Result<Self::Value, Er> {
        Ok(Err("string"))
    }
}

/// A key's position in a list of wanted keys, None for any other key; nothing allocated.
struct KeyOf(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyOf {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyOf {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|wanted| *wanted == key))
    }
}

/// A required object or array: null or another kind is the error `{at}: {key} is a ...`.
pub(super) fn required<E: de::Error>(
    found: Result<(), Kind>,
    at: impl fmt::Display,
    key: &str,
    expected: &str,
) -> Result<(), E> {
    match found {
        Ok(()) | Err("null") => Ok(()),
        Err(kind) => Err(E::custom(format!(
            "{at}: {key} is a {kind}, expected {expected}"
        ))),
    }
}

/// An element that must be an object: `{at} is a ...` otherwise, null included.
pub(super) fn element_object<E: de::Error>(
    found: Result<(), Kind>,
    at: impl fmt::Display,
) -> Result<(), E> {
    match found {
        Ok(()) => Ok(()),
        Err(kind) => Err(E::custom(format!("{at} is a {kind}, expected an object"))),
    }
}

/// Runs a second, typed pass over bytes the probe already found to be valid JSON; the
/// position serde_json appends to a message is dropped, the message names the place.
pub(super) fn typed_pass<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    seed: S,
) -> anyhow::Result<S::Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    seed.deserialize(&mut deserializer).map_err(|err| {
        let message = err.to_string();
        let position = format!(" at line {} column {}", err.line(), err.column());
        anyhow!("{}", message.strip_suffix(&position).unwrap_or(&message))
    })
}
