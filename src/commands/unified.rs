//! `ocx diff --unified`: a unified text diff of the manifest and config JSON of each
//! compared scope, fetched again by digest and pretty-printed.

use anyhow::Result;
use serde_json::Value;
use similar::TextDiff;

use crate::digest::Digest;
use crate::manifest::Descriptor;
use crate::model::{Diff, ManifestInfo};
use crate::read::Read;
use crate::reference::ManifestRef;
use crate::render::clean;
use crate::source::{Source, MAX_CONFIG_BYTES};

/// The unified diffs of every scope both sides have (and of the two roots), in order.
pub async fn unified(old: &Read, new: &Read, diff: &Diff, context: usize) -> Result<String> {
    let old_description = old.describe("");
    let new_description = new.describe("");
    let mut pairs = Vec::new();
    // Two images are their own scope; an index's own manifest comes first.
    if diff.platforms.iter().all(|p| !p.address.is_empty()) {
        pairs.push((
            String::new(),
            &old_description.manifest,
            &new_description.manifest,
        ));
    }
    for platform in &diff.platforms {
        let (Some(o), Some(n)) = (&platform.old, &platform.new) else {
            continue;
        };
        let found = (
            old_description.manifest.find(&o.digest),
            new_description.manifest.find(&n.digest),
        );
        if let (Some(o), Some(n)) = found {
            pairs.push((platform.key.clone(), o, n));
        }
    }
    let mut out = String::new();
    for (label, o, n) in pairs {
        let manifests = (
            manifest_json(&old.resolved.source, o).await?,
            manifest_json(&new.resolved.source, n).await?,
        );
        out.push_str(&text_diff(
            &label,
            "manifest",
            &manifests.0,
            &manifests.1,
            context,
        ));
        if let (Some(oc), Some(nc)) = (&o.config, &n.config) {
            let configs = (
                config_json(&old.resolved.source, &oc.descriptor).await?,
                config_json(&new.resolved.source, &nc.descriptor).await?,
            );
            out.push_str(&text_diff(
                &label, "config", &configs.0, &configs.1, context,
            ));
        }
    }
    Ok(out)
}

async fn manifest_json(source: &dyn Source, manifest: &ManifestInfo) -> Result<String> {
    let digest: Digest = manifest.descriptor.digest.parse()?;
    let fetched = source.manifest_get(&ManifestRef::Digest(digest)).await?;
    Ok(pretty(&fetched.bytes))
}

async fn config_json(source: &dyn Source, config: &crate::model::DescriptorInfo) -> Result<String> {
    let descriptor = Descriptor::new(
        config.media_type.clone(),
        config.digest.parse()?,
        config.size,
    );
    if descriptor.is_empty_json() {
        return Ok("{}\n".to_string());
    }
    let bytes = source.blob_get(&descriptor, MAX_CONFIG_BYTES).await?;
    Ok(pretty(&bytes))
}

/// Pretty JSON with sorted keys, so that only content differences show; bytes that are
/// not JSON are shown as text.
fn pretty(bytes: &[u8]) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => {
            let mut text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
            text.push('\n');
            text
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn text_diff(label: &str, what: &str, old: &str, new: &str, context: usize) -> String {
    if old == new {
        return String::new();
    }
    let name = if label.is_empty() {
        what.to_string()
    } else {
        format!("{label} {what}")
    };
    let diff = TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(context)
        .header(&format!("old {name}"), &format!("new {name}"))
        .to_string();
    text.lines().map(|line| clean(line) + "\n").collect()
}
