//! Comparing the SBOM packages of two images: [`version`] orders two versions of one
//! package the way its ecosystem does (dpkg, rpm, apk, semver, Go modules, PEP 440,
//! Maven), and [`packages`] matches two package lists by a stable key and reports each
//! package as added, removed, upgraded, downgraded, changed or unchanged. Both are pure:
//! no I/O, no async, nothing but the inputs.

pub mod packages;
pub mod version;
