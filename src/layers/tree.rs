//! The filesystem layers build, applied the way an OCI unpacker applies them: per layer,
//! first its whiteouts and opaque markers (they hide what lower layers hold, never what
//! the same layer holds), then its entries in archive order, the last of one path
//! winning. A non-directory replaces whatever was below its path; a hard link is a copy
//! of its target's metadata as it is when the link is made.
//!
//! A tree can also be built on an unknown base (the layers two images share, not read):
//! it then remembers which parts of the base it hid ([`Tree::cleared`]) and which hard
//! links point into the base, so that [`needs_base`] can tell whether two such trees can
//! be compared without reading the base.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use anyhow::{bail, Result};

use super::{FileMeta, FileType, LayerIndex, Op};

/// What a tree hid of the base below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleared {
    /// Everything below the path (an opaque directory, a non-directory replacing it).
    Below,
    /// The path and everything below it (a whiteout).
    SelfAndBelow,
}

#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub files: BTreeMap<Arc<str>, Arc<FileMeta>>,
    /// Built on an unknown base: what it hid of that base.
    pub cleared: BTreeMap<Arc<str>, Cleared>,
    /// Built on an unknown base: hard links whose target may be in that base.
    pub links_into_base: Vec<Arc<str>>,
    base_unknown: bool,
}

impl Tree {
    /// An empty tree on an unknown base.
    pub fn on_unknown_base() -> Tree {
        Tree {
            base_unknown: true,
            ..Tree::default()
        }
    }

    pub fn apply(&mut self, layer: &LayerIndex) -> Result<()> {
        for (path, op) in &layer.ops {
            match op {
                Op::Opaque => self.clear(path, Cleared::Below),
                Op::Whiteout => self.clear(path, Cleared::SelfAndBelow),
                _ => {}
            }
        }
        for (path, op) in &layer.ops {
            match op {
                Op::Set(meta) => self.set(path, Arc::clone(meta)),
                Op::Link(target) => self.link(path, target)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn set(&mut self, path: &Arc<str>, meta: Arc<FileMeta>) {
        if meta.kind != FileType::Directory {
            self.clear(path, Cleared::Below);
        }
        self.files.insert(Arc::clone(path), meta);
    }

    fn link(&mut self, path: &Arc<str>, target: &Arc<str>) -> Result<()> {
        let Some(linked) = self.files.get(target) else {
            if self.base_unknown && !self.hides(target) {
                self.links_into_base.push(Arc::clone(path));
                return Ok(());
            }
            bail!("hard link {path} to {target}, which no earlier entry creates");
        };
        let mut meta = FileMeta::clone(linked);
        meta.hardlink = Some(Arc::clone(target));
        self.set(path, Arc::new(meta));
        Ok(())
    }

    /// Removes what `how` hides at `path` and remembers it when the base is unknown.
    fn clear(&mut self, path: &Arc<str>, how: Cleared) {
        if how == Cleared::SelfAndBelow {
            self.files.remove(path);
        }
        remove_below(&mut self.files, path);
        if self.base_unknown {
            remove_below(&mut self.cleared, path);
            let entry = self.cleared.entry(Arc::clone(path)).or_insert(how);
            if how == Cleared::SelfAndBelow {
                *entry = how;
            }
            self.links_into_base
                .retain(|link| !is_at_or_below(link, path));
        }
    }

    /// Whether the base's `path` is hidden by what this tree cleared.
    pub fn hides(&self, path: &str) -> bool {
        if self.cleared.get(path) == Some(&Cleared::SelfAndBelow) {
            return true;
        }
        ancestors(path).any(|a| self.cleared.contains_key(a))
    }

    /// Whether everything below `path` in the base is hidden.
    fn hides_below(&self, path: &str) -> bool {
        self.cleared.contains_key(path) || ancestors(path).any(|a| self.cleared.contains_key(a))
    }

    /// Whether this tree alone says what `path` is: it holds it, or hid it.
    fn decides(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.hides(path)
    }

    /// Whether this tree hides all that `how` hides at `path`.
    fn hides_as_much(&self, path: &str, how: Cleared) -> bool {
        let itself = how == Cleared::Below || self.decides(path);
        itself && self.hides_below(path)
    }
}

/// Why two trees built on one unknown base cannot be compared without it, if they
/// cannot: some path's state comes from the base on one side and not on the other.
pub fn needs_base(old: &Tree, new: &Tree) -> Option<String> {
    why_base(old, new, "old").or_else(|| why_base(new, old, "new"))
}

fn why_base(a: &Tree, b: &Tree, side: &str) -> Option<String> {
    if let Some(link) = a.links_into_base.first() {
        return Some(format!(
            "the hard link {link} in the {side} image's own layers points into the shared layers"
        ));
    }
    if let Some(path) = a.files.keys().find(|path| !b.decides(path)) {
        return Some(format!(
            "{path} is written by the {side} image's own layers only"
        ));
    }
    let (path, how) = a
        .cleared
        .iter()
        .find(|(path, how)| !b.hides_as_much(path, **how))?;
    let what = match how {
        Cleared::SelfAndBelow => "removed",
        Cleared::Below => "emptied (opaque directory or replaced)",
    };
    Some(format!(
        "{path} is {what} by the {side} image's own layers only"
    ))
}

/// The strict ancestors of a rooted path, nearest first: `/a/b/c` gives `/a/b`, `/a`, `/`.
pub(crate) fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = path;
    std::iter::from_fn(move || {
        if rest == "/" || rest.is_empty() {
            return None;
        }
        let (parent, _) = rest.rsplit_once('/')?;
        rest = if parent.is_empty() { "/" } else { parent };
        Some(rest)
    })
}

fn is_at_or_below(path: &str, root: &str) -> bool {
    path == root || root == "/" || path.strip_prefix(root).is_some_and(|r| r.starts_with('/'))
}

/// Removes the keys strictly below `path`, each on its own: `BTreeMap::append` would
/// rebuild the map, and this runs for every file a layer holds.
fn remove_below<V>(map: &mut BTreeMap<Arc<str>, V>, path: &str) {
    let low = if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    };
    // '0' follows '/' in byte order: [low, high) is exactly the paths starting with low.
    let high = format!("{}0", &low[..low.len() - 1]);
    let range = (
        Bound::Included(low.as_str()),
        Bound::Excluded(high.as_str()),
    );
    let below: Vec<Arc<str>> = map
        .range::<str, _>(range)
        .map(|(key, _)| Arc::clone(key))
        .filter(|key| &**key != "/")
        .collect();
    for key in below {
        map.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(kind: FileType, content: u8) -> Op {
        Op::Set(Arc::new(FileMeta {
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 1,
            mtime: 0,
            sha256: Some([content; 32]),
            target: None,
            hardlink: None,
            device: None,
            xattrs: Box::default(),
        }))
    }

    fn layer(ops: Vec<(&str, Op)>) -> LayerIndex {
        LayerIndex {
            ops: ops.into_iter().map(|(p, o)| (Arc::from(p), o)).collect(),
        }
    }

    fn paths(tree: &Tree) -> Vec<&str> {
        tree.files.keys().map(|k| &**k).collect()
    }

    #[test]
    fn whiteouts_and_opaque_directories_hide_only_lower_layers() {
        let mut tree = Tree::default();
        let dir = || meta(FileType::Directory, 0);
        let file = |c| meta(FileType::File, c);
        tree.apply(&layer(vec![
            ("/a", dir()),
            ("/a/x", file(1)),
            ("/a/y", file(1)),
            ("/b", dir()),
            ("/b/z", file(1)),
            ("/ab", file(1)),
        ]))
        .unwrap();
        tree.apply(&layer(vec![
            ("/a/w", file(2)),
            ("/a", Op::Opaque),
            ("/b", Op::Whiteout),
            ("/c", file(3)),
        ]))
        .unwrap();
        assert_eq!(paths(&tree), ["/a", "/a/w", "/ab", "/c"]);
        // A file replacing a directory takes its contents with it.
        tree.apply(&layer(vec![("/a", file(4))])).unwrap();
        assert_eq!(paths(&tree), ["/a", "/ab", "/c"]);
    }

    #[test]
    fn a_hard_link_is_its_target_as_it_was() {
        let mut tree = Tree::default();
        tree.apply(&layer(vec![
            ("/t", meta(FileType::File, 1)),
            ("/l", Op::Link(Arc::from("/t"))),
        ]))
        .unwrap();
        tree.apply(&layer(vec![("/t", meta(FileType::File, 2))]))
            .unwrap();
        let link = &tree.files["/l"];
        assert_eq!(
            (link.sha256, link.hardlink.as_deref()),
            (Some([1; 32]), Some("/t"))
        );
        let mut broken = Tree::default();
        let error = broken
            .apply(&layer(vec![("/l", Op::Link(Arc::from("/nowhere")))]))
            .unwrap_err();
        assert!(error.to_string().contains("/nowhere"), "{error}");
    }

    #[test]
    fn the_base_is_needed_only_where_one_side_leaves_a_path_to_it() {
        let build = |ops: Vec<(&str, Op)>| {
            let mut tree = Tree::on_unknown_base();
            tree.apply(&layer(ops)).unwrap();
            tree
        };
        let file = |c| meta(FileType::File, c);
        let needs =
            |old: Vec<(&str, Op)>, new: Vec<(&str, Op)>| needs_base(&build(old), &build(new));
        // The same paths rewritten: the base decides nothing.
        assert_eq!(
            needs(vec![("/app/bin", file(1))], vec![("/app/bin", file(2))]),
            None
        );
        // A path on one side only: added, or changed from the base?
        let why = needs(
            vec![("/app/bin", file(1))],
            vec![("/app/bin", file(2)), ("/app/new", file(2))],
        );
        assert_eq!(
            why.as_deref(),
            Some("/app/new is written by the new image's own layers only")
        );
        // A whiteout on one side: was there anything to remove?
        assert!(needs(
            vec![("/app/bin", file(1))],
            vec![("/app/bin", file(2)), ("/etc/motd", Op::Whiteout)]
        )
        .is_some());
        // Removed on one side, written on the other: decided without the base.
        assert_eq!(
            needs(
                vec![("/etc/motd", Op::Whiteout)],
                vec![("/etc/motd", file(2))]
            ),
            None
        );
        // An opaque directory on one side hides base files the other side keeps.
        let dir = || meta(FileType::Directory, 0);
        assert!(needs(vec![("/d", dir()), ("/d", Op::Opaque)], vec![("/d", dir())]).is_some());
        // A hard link into the base.
        assert!(needs(
            vec![("/l", Op::Link(Arc::from("/base")))],
            vec![("/l", file(1))]
        )
        .is_some());
    }

    #[test]
    fn ancestors_walk_up_to_the_root() {
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), ["/a/b", "/a", "/"]);
        assert_eq!(ancestors("/").count(), 0);
    }
}
