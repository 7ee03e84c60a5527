//! How many requests may be in flight to one registry at once. Over HTTP/2 every request
//! is a stream of one connection and the server's stream limit (SETTINGS_MAX_CONCURRENT_
//! STREAMS, commonly 100 to 250) is the bound, which the HTTP client honours by queueing;
//! over HTTP/1.1 each request in flight holds a connection of its own, so they are
//! bounded here, per registry, to [`MAX_HTTP1_CONNECTIONS`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::{Response, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections to one registry over HTTP/1.1 at the most: enough for the children (then
/// the configs) of a 64-platform index at once.
pub const MAX_HTTP1_CONNECTIONS: usize = 64;

#[derive(Default)]
pub struct Connections {
    registries: Mutex<HashMap<String, Registry>>,
}

#[derive(Clone)]
struct Registry {
    http1_slots: Arc<Semaphore>,
    /// Set once a response came over HTTP/2: its requests then take no slot.
    multiplexed: bool,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            http1_slots: Arc::new(Semaphore::new(MAX_HTTP1_CONNECTIONS)),
            multiplexed: false,
        }
    }
}

/// A connection slot, held by the response until its body is read or it is dropped.
#[derive(Clone)]
pub struct Slot(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

impl Connections {
    fn registry(&self, name: &str) -> Registry {
        self.registries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(name.to_string())
            .or_default()
            .clone()
    }

    /// A slot for a request to `registry`, once one is free; none is needed over HTTP/2.
    pub async fn slot(&self, registry: &str) -> Option<Slot> {
        let state = self.registry(registry);
        if state.multiplexed {
            return None;
        }
        let permit = state.http1_slots.acquire_owned().await;
        Some(Slot(Arc::new(
            permit.expect("the semaphore is never closed"),
        )))
    }

    /// Learns the protocol from a response; over HTTP/1.1 the response keeps `slot`
    /// until its body is read or it is dropped.
    pub fn hold(&self, registry: &str, response: &mut Response, slot: Option<Slot>) {
        if response.version() == Version::HTTP_2 {
            self.registries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(registry.to_string())
                .or_default()
                .multiplexed = true;
        } else if let Some(slot) = slot {
            response.extensions_mut().insert(slot);
        }
    }
}
