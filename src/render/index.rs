//! `ocx index create` and `update`: the pushed reference (or the index's descriptor as
//! JSON) on stdout, or on stderr when `--output -` put the index itself on stdout.

use anyhow::Result;

use crate::index::Published;

pub fn published(published: &Published, json: bool) -> Result<()> {
    let result = if json {
        super::to_json(&published.descriptor)?
    } else {
        format!("{}\n", published.reference).into_bytes()
    };
    match &published.for_stdout {
        Some(index) => {
            super::write_stdout(index)?;
            eprint!("{}", String::from_utf8_lossy(&result));
            Ok(())
        }
        None => super::write_stdout(&result),
    }
}
