//! Content a session already fetched, by where it lives and its digest, so that what
//! both sides of a diff share is fetched once. Only digest-addressed content is kept
//! (a tag can move, a digest names the same bytes forever), and one thing reached
//! otherwise: the repository's tag list as discovery reads it, asked once per run so
//! that both sides of a diff see one list. Concurrent asks for one key wait for the one
//! fetch; a failed fetch is not kept, so the next ask tries again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use bytes::Bytes;
use tokio::sync::OnceCell;

use super::FetchedManifest;
use crate::digest::Digest;

/// The location (`registry/repository` or `oci:PATH`) and the digest.
type Key = (String, Digest);

/// A tag list of at most so many pages of at most so many bytes; `None` when longer.
pub type SmallTagList = Option<Vec<String>>;

/// The location, and the pages and bytes per page a small tag list may take.
type TagListKey = (String, usize, u64);

#[derive(Default)]
pub struct Memo {
    manifests: Mutex<HashMap<Key, Arc<OnceCell<FetchedManifest>>>>,
    blobs: Mutex<HashMap<Key, Arc<OnceCell<Bytes>>>>,
    /// By location and the limits it was read under.
    tag_lists: Mutex<HashMap<TagListKey, Arc<OnceCell<SmallTagList>>>>,
}

impl Memo {
    pub async fn manifest<F>(&self, key: Key, fetch: F) -> Result<FetchedManifest>
    where
        F: Future<Output = Result<FetchedManifest>>,
    {
        let cell = cell(&self.manifests, key);
        cell.get_or_try_init(|| fetch).await.cloned()
    }

    pub async fn blob<F>(&self, key: Key, fetch: F) -> Result<Bytes>
    where
        F: Future<Output = Result<Bytes>>,
    {
        let cell = cell(&self.blobs, key);
        cell.get_or_try_init(|| fetch).await.cloned()
    }

    pub async fn small_tag_list<F>(&self, key: TagListKey, fetch: F) -> Result<SmallTagList>
    where
        F: Future<Output = Result<SmallTagList>>,
    {
        let cell = cell(&self.tag_lists, key);
        cell.get_or_try_init(|| fetch).await.cloned()
    }
}

fn cell<K: std::hash::Hash + Eq, T>(
    map: &Mutex<HashMap<K, Arc<OnceCell<T>>>>,
    key: K,
) -> Arc<OnceCell<T>> {
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    Arc::clone(map.entry(key).or_default())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn one_digest_is_fetched_once_and_a_failure_is_not_kept() {
        let memo = Memo::default();
        let fetches = AtomicUsize::new(0);
        let key = || ("reg.example/app".to_string(), Digest::sha256_of(b"x"));
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(Bytes::from_static(b"x"))
        };
        let (a, b) = tokio::join!(memo.blob(key(), fetch()), memo.blob(key(), fetch()));
        assert_eq!(
            (a.unwrap(), b.unwrap()),
            (Bytes::from_static(b"x"), Bytes::from_static(b"x"))
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        let other = ("reg.example/other".to_string(), Digest::sha256_of(b"x"));
        let failed = memo
            .blob(other.clone(), async { anyhow::bail!("offline") })
            .await;
        assert!(failed.is_err());
        memo.blob(other, fetch()).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }
}
