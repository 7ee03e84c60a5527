//! Content digests (`algorithm:hex`): validation, computation and verification.
//!
//! A digest is validated before it is used anywhere else, in particular before it
//! becomes part of a file path in an OCI layout, so that `sha256:../../etc` can never
//! name a file outside the layout.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256, Sha512};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A validated content digest such as `sha256:0123…`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    #[error("invalid digest {0:?}: expected ALGORITHM:HEX, e.g. sha256:<64 lowercase hex digits>")]
    Malformed(String),
    #[error("invalid digest {0:?}: unsupported algorithm (sha256 and sha512 are supported)")]
    UnsupportedAlgorithm(String),
    #[error("invalid digest {digest:?}: {algorithm} needs {expected} lowercase hex digits")]
    BadHex {
        digest: String,
        algorithm: &'static str,
        expected: usize,
    },
}

impl Digest {
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The sha256 digest of `data`.
    pub fn sha256_of(data: &[u8]) -> Digest {
        Digest {
            algorithm: Algorithm::Sha256,
            hex: to_hex(&Sha256::digest(data)),
        }
    }

    /// The digest of `data` computed with this digest's algorithm.
    pub fn recompute(&self, data: &[u8]) -> Digest {
        let hex = match self.algorithm {
            Algorithm::Sha256 => to_hex(&Sha256::digest(data)),
            Algorithm::Sha512 => to_hex(&Sha512::digest(data)),
        };
        Digest {
            algorithm: self.algorithm,
            hex,
        }
    }

    /// Whether `data` hashes to this digest.
    pub fn matches(&self, data: &[u8]) -> bool {
        self.recompute(data) == *self
    }

    /// A hasher for this digest's algorithm, for content that arrives in pieces.
    pub fn hasher(&self) -> Hasher {
        match self.algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }
}

/// Computes a digest over content fed to it piece by piece.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    pub fn finish(self) -> Digest {
        let (algorithm, hex) = match self {
            Hasher::Sha256(h) => (Algorithm::Sha256, to_hex(&h.finalize())),
            Hasher::Sha512(h) => (Algorithm::Sha512, to_hex(&h.finalize())),
        };
        Digest { algorithm, hex }
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::Malformed(s.to_string()))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ if alg.is_empty()
                || !alg.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c)
                }) =>
            {
                return Err(DigestError::Malformed(s.to_string()))
            }
            _ => return Err(DigestError::UnsupportedAlgorithm(s.to_string())),
        };
        let well_formed = hex.len() == algorithm.hex_len()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(DigestError::BadHex {
                digest: s.to_string(),
                algorithm: algorithm.name(),
                expected: algorithm.hex_len(),
            });
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str =
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn computes_sha256() {
        assert_eq!(Digest::sha256_of(b"").to_string(), EMPTY_SHA256);
        let d: Digest = EMPTY_SHA256.parse().unwrap();
        assert!(d.matches(b""));
        assert!(!d.matches(b"x"));
    }

    #[test]
    fn computes_sha512_when_asked() {
        let d: Digest = format!("sha512:{}", "0".repeat(128)).parse().unwrap();
        let real = d.recompute(b"abc");
        assert!(real.to_string().starts_with("sha512:ddaf35a1"));
    }

    #[test]
    fn hashing_in_pieces_gives_the_digest_of_the_whole() {
        for whole in [
            Digest::sha256_of(b"abcdef"),
            format!("sha512:{}", "0".repeat(128))
                .parse::<Digest>()
                .unwrap()
                .recompute(b"abcdef"),
        ] {
            let mut hasher = whole.hasher();
            hasher.update(b"abc");
            hasher.update(b"");
            hasher.update(b"def");
            assert_eq!(hasher.finish(), whole);
        }
    }

    #[test]
    fn rejects_path_escapes_and_bad_hex() {
        for bad in [
            "sha256:../../etc/passwd",
            "sha256:ABCDEF",
            &format!("sha256:{}", "A".repeat(64)),
            &format!("sha256:{}/x", "a".repeat(63)),
            "sha256",
            ":abc",
            "../x:abc",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad} should be rejected");
        }
        assert!(matches!(
            format!("md5:{}", "a".repeat(32)).parse::<Digest>(),
            Err(DigestError::UnsupportedAlgorithm(_))
        ));
    }
}
