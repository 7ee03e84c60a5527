//! Comparing the fields of two manifests of one scope into [`Difference`]s: manifest
//! fields, config, layers, build facts and packages. Typed values are compared; only the
//! values reported are turned into JSON.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};

use super::address::{field, indexed, keyed, Ignores};
use super::packages::{diff_packages, PackageRef};
use crate::model::{
    Build, BuildValue, Change, ChangeKind, ChangeSummary, ConfigInfo, DescriptorInfo, DiffKind,
    Difference, Direction, HistoryEntry, LayerSummary, Package,
};

/// Collects the differences of one scope, leaving out what the ignores name.
pub struct Collector<'a> {
    ignores: &'a Ignores,
    show_unchanged: bool,
    prefix: String,
    platform: Option<String>,
    /// Differences kept, in order (with unchanged entries when they are shown).
    pub kept: Vec<Difference>,
    /// Differences found, ignored or not (unchanged entries not counted).
    pub found: usize,
    pub ignored: usize,
}

impl<'a> Collector<'a> {
    pub fn new(
        ignores: &'a Ignores,
        show_unchanged: bool,
        prefix: &str,
        platform: Option<&str>,
    ) -> Collector<'a> {
        Collector {
            ignores,
            show_unchanged,
            prefix: prefix.to_string(),
            platform: platform.map(str::to_string),
            kept: Vec::new(),
            found: 0,
            ignored: 0,
        }
    }

    /// Differences kept, not counting unchanged entries.
    pub fn kept_changes(&self) -> usize {
        self.found - self.ignored
    }

    pub fn at(&self, path: &str) -> String {
        field(&self.prefix, path)
    }

    /// Records a difference at `address`; returns whether it was kept.
    pub fn record(
        &mut self,
        address: String,
        kind: DiffKind,
        change: ChangeKind,
        before: Value,
        after: Value,
        direction: Option<Direction>,
    ) -> bool {
        if change == ChangeKind::Unchanged {
            if !self.show_unchanged || self.ignores.is_ignored(&address) {
                return false;
            }
        } else {
            self.found += 1;
            if self.ignores.is_ignored(&address) {
                self.ignored += 1;
                return false;
            }
        }
        self.kept.push(Difference {
            address,
            platform: self.platform.clone(),
            kind,
            change,
            before,
            after,
            direction,
            fields: None,
            content_diff: None,
        });
        true
    }

    /// Two values at one address: added when only new has one, removed when only old
    /// has one, changed when they differ.
    pub fn values(&mut self, address: String, kind: DiffKind, old: Value, new: Value) {
        let change = match (&old, &new) {
            _ if old == new => ChangeKind::Unchanged,
            (Value::Null, _) => ChangeKind::Added,
            (_, Value::Null) => ChangeKind::Removed,
            _ => ChangeKind::Changed,
        };
        if change != ChangeKind::Unchanged {
            self.record(address, kind, change, old, new, None);
        }
    }

    /// A field compared as a whole; equal values are never listed.
    pub fn compare<T: PartialEq + Serialize>(
        &mut self,
        path: &str,
        kind: DiffKind,
        old: &T,
        new: &T,
    ) {
        if old != new {
            self.values(self.at(path), kind, to_value(old), to_value(new));
        }
    }

    /// A map compared key by key at `path["key"]`.
    pub fn map(
        &mut self,
        path: &str,
        kind: DiffKind,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) {
        let parent = self.at(path);
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for key in keys {
            let address = keyed(&parent, key);
            let (before, after) = (old.get(key), new.get(key));
            if before == after {
                let value = to_value(&before);
                self.record(
                    address,
                    kind,
                    ChangeKind::Unchanged,
                    value.clone(),
                    value,
                    None,
                );
            } else {
                self.values(address, kind, to_value(&before), to_value(&after));
            }
        }
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A config's fields, env and labels by name, ports as a set, history entry by entry.
pub fn config(c: &mut Collector<'_>, old: &ConfigInfo, new: &ConfigInfo) {
    let kind = DiffKind::Config;
    c.compare("config.os", kind, &old.os, &new.os);
    c.compare(
        "config.architecture",
        kind,
        &old.architecture,
        &new.architecture,
    );
    c.compare("config.variant", kind, &old.variant, &new.variant);
    c.compare("config.os_version", kind, &old.os_version, &new.os_version);
    c.compare("config.created", kind, &old.created, &new.created);
    c.compare("config.author", kind, &old.author, &new.author);
    c.compare("config.user", kind, &old.user, &new.user);
    c.compare("config.entrypoint", kind, &old.entrypoint, &new.entrypoint);
    c.compare("config.cmd", kind, &old.cmd, &new.cmd);
    c.compare(
        "config.working_dir",
        kind,
        &old.working_dir,
        &new.working_dir,
    );
    c.map(
        "config.env",
        DiffKind::Env,
        &env_map(&old.env),
        &env_map(&new.env),
    );
    let empty = BTreeMap::new();
    let labels = |config: &ConfigInfo| config.labels.clone().unwrap_or_else(|| empty.clone());
    c.map("config.labels", DiffKind::Label, &labels(old), &labels(new));
    let ports = |config: &ConfigInfo| -> BTreeMap<String, String> {
        let ports = config.exposed_ports.iter().flatten();
        ports.map(|p| (p.clone(), p.clone())).collect()
    };
    c.map("config.exposed_ports", kind, &ports(old), &ports(new));
    let volumes = |config: &ConfigInfo| -> BTreeMap<String, String> {
        let volumes = config.volumes.iter().flatten();
        volumes.map(|v| (v.clone(), v.clone())).collect()
    };
    c.map("config.volumes", kind, &volumes(old), &volumes(new));
    c.compare(
        "config.stop_signal",
        kind,
        &old.stop_signal,
        &new.stop_signal,
    );
    history(
        c,
        old.history.as_deref().unwrap_or_default(),
        new.history.as_deref().unwrap_or_default(),
    );
}

/// `NAME=value` entries by name; a later entry of a name wins, as in a container.
fn env_map(env: &Option<Vec<String>>) -> BTreeMap<String, String> {
    env.iter()
        .flatten()
        .map(|entry| match entry.split_once('=') {
            Some((name, value)) => (name.to_string(), value.to_string()),
            None => (entry.clone(), String::new()),
        })
        .collect()
}

/// Entries at one position compared field by field; extra entries added or removed.
fn history(c: &mut Collector<'_>, old: &[HistoryEntry], new: &[HistoryEntry]) {
    let parent = c.at("config.history");
    let kind = DiffKind::History;
    for i in 0..old.len().max(new.len()) {
        let at = indexed(&parent, i);
        match (old.get(i), new.get(i)) {
            (Some(o), Some(n)) => {
                let fields = [
                    ("created", to_value(&o.created), to_value(&n.created)),
                    (
                        "created_by",
                        to_value(&o.created_by),
                        to_value(&n.created_by),
                    ),
                    ("author", to_value(&o.author), to_value(&n.author)),
                    ("comment", to_value(&o.comment), to_value(&n.comment)),
                    ("empty_layer", json!(o.empty_layer), json!(n.empty_layer)),
                ];
                for (name, before, after) in fields {
                    c.values(field(&at, name), kind, before, after);
                }
            }
            (o, n) => c.values(at, kind, to_value(&o), to_value(&n)),
        }
    }
}

fn layer_value(layer: &DescriptorInfo) -> Value {
    json!({"digest": layer.digest, "size": layer.size, "media_type": layer.media_type})
}

/// Layers matched by digest in order: the shared prefix is unchanged, then layers at one
/// position are replaced, and the longer side's extra layers added or removed.
pub fn layers(
    c: &mut Collector<'_>,
    old: &[DescriptorInfo],
    new: &[DescriptorInfo],
) -> LayerSummary {
    let parent = c.at("layers");
    let shared = old
        .iter()
        .zip(new)
        .take_while(|(o, n)| o.digest == n.digest)
        .count();
    let total = |layers: &[DescriptorInfo]| layers.iter().map(|l| l.size).sum::<u64>();
    let mut summary = LayerSummary {
        unchanged: shared,
        unchanged_size: total(&old[..shared]),
        size_delta: total(new) as i64 - total(old) as i64,
        ..LayerSummary::default()
    };
    for (i, layer) in old[..shared].iter().enumerate() {
        let value = layer_value(layer);
        let address = indexed(&parent, i);
        c.record(
            address,
            DiffKind::Layer,
            ChangeKind::Unchanged,
            value.clone(),
            value,
            None,
        );
    }
    for i in shared..old.len().max(new.len()) {
        let (o, n) = (old.get(i), new.get(i));
        match (o, n) {
            (Some(_), Some(_)) => summary.replaced += 1,
            (Some(_), None) => summary.removed += 1,
            _ => summary.added += 1,
        }
        let value = |layer: Option<&DescriptorInfo>| layer.map(layer_value).unwrap_or(Value::Null);
        c.values(indexed(&parent, i), DiffKind::Layer, value(o), value(n));
    }
    summary
}

/// The value of each build fact, by its name in the schema.
fn build_fields(build: &Build) -> [(&'static str, Option<&BuildValue>); 14] {
    [
        ("source", build.source.as_ref()),
        ("revision", build.revision.as_ref()),
        ("version", build.version.as_ref()),
        ("created", build.created.as_ref()),
        ("authors", build.authors.as_ref()),
        ("url", build.url.as_ref()),
        ("documentation", build.documentation.as_ref()),
        ("title", build.title.as_ref()),
        ("description", build.description.as_ref()),
        ("licenses", build.licenses.as_ref()),
        ("vendor", build.vendor.as_ref()),
        ("base_name", build.base_name.as_ref()),
        ("base_digest", build.base_digest.as_ref()),
        ("builder", build.builder.as_ref()),
    ]
}

/// Build facts compared by value (not by where they were read from).
pub fn build(c: &mut Collector<'_>, old: &Build, new: &Build) {
    for ((name, o), (_, n)) in build_fields(old).into_iter().zip(build_fields(new)) {
        let value = |v: Option<&BuildValue>| to_value(&v.map(|v| v.value.as_str()));
        c.values(
            c.at(&format!("build.{name}")),
            DiffKind::Build,
            value(o),
            value(n),
        );
    }
}

/// Packages matched by key (see [`super::packages`]); returns the counts of what was
/// kept.
pub fn packages(c: &mut Collector<'_>, old: &[Package], new: &[Package]) -> ChangeSummary {
    let changes = diff_packages(
        old.iter().map(PackageRef::from_package),
        new.iter().map(PackageRef::from_package),
    );
    let parent = c.at("packages");
    let mut kept = Vec::with_capacity(changes.len());
    for change in changes {
        let (kind, direction) = match change.change {
            Change::Added => (ChangeKind::Added, None),
            Change::Removed => (ChangeKind::Removed, None),
            Change::Upgraded => (ChangeKind::Changed, Some(Direction::Upgraded)),
            Change::Downgraded => (ChangeKind::Changed, Some(Direction::Downgraded)),
            Change::Changed => (ChangeKind::Changed, None),
            Change::Unchanged => (ChangeKind::Unchanged, None),
        };
        let address = keyed(&parent, &change.key);
        let before = to_value(&change.before);
        let after = to_value(&change.after);
        let recorded = c.record(address, DiffKind::Package, kind, before, after, direction);
        if recorded || kind == ChangeKind::Unchanged {
            kept.push(change);
        }
    }
    ChangeSummary::of(&kept)
}
