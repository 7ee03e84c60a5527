//! serde_json's pretty layout (two spaces a level), with each line break and its
//! indentation written at once: `PrettyFormatter` writes the indentation two bytes at a
//! time, a write per level on each of the millions of lines of a large SBOM report.

use std::io::{self, Write};

use serde_json::ser::Formatter;

/// A comma, a line break and the indentation of the deepest lines most outputs have;
/// deeper lines take it more than once.
const BREAK: &[u8] = b",\n                                                                ";

/// The layout of `serde_json::ser::PrettyFormatter::new()`, byte for byte.
#[derive(Default)]
pub(super) struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// A line break (after a comma unless `first`) and the indentation of `self.depth`.
    fn line<W: ?Sized + Write>(&self, writer: &mut W, first: bool) -> io::Result<()> {
        let start = usize::from(first);
        let mut spaces = 2 * self.depth;
        let now = spaces.min(BREAK.len() - 2);
        writer.write_all(&BREAK[start..2 + now])?;
        spaces -= now;
        while spaces > 0 {
            let now = spaces.min(BREAK.len() - 2);
            writer.write_all(&BREAK[2..2 + now])?;
            spaces -= now;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(writer, true)?;
        }
        writer.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Pretty JSON of `value` to `writer`, laid out as `serde_json::to_writer_pretty` does.
pub(super) fn to_writer_pretty<W: Write, T: ?Sized + serde::Serialize>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, Pretty::default());
    value.serialize(&mut serializer)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// The same bytes as serde_json's own pretty printer, deep nesting included.
    #[test]
    fn pretty_is_serde_jsons() {
        let mut deep = json!({"leaf": [1, {"a": null}], "empty": {}, "none": []});
        for level in 0..40 {
            deep = json!({"level": level, "list": [deep, "x", [], {}], "s": "a\"b\n"});
        }
        for value in [
            json!(null),
            json!([]),
            json!({}),
            json!([[]]),
            json!("\u{7}"),
            deep,
        ] {
            let mut ours = Vec::new();
            super::to_writer_pretty(&mut ours, &value).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string_pretty(&value).unwrap()
            );
        }
    }
}
