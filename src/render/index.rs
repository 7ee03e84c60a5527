//! `ocx index create` and `update`: the pushed reference (or the index's descriptor as
//! JSON), on stdout unless `--output -` took it.

use anyhow::Result;

use crate::index::Published;

pub fn published(published: &Published, json: bool) -> Result<()> {
    let result = if json {
        super::to_json(&published.descriptor)?
    } else {
        format!("{}\n", published.reference).into_bytes()
    };
    if published.stdout_taken {
        eprint!("{}", String::from_utf8_lossy(&result));
        Ok(())
    } else {
        super::write_stdout(&result)
    }
}
