//! See `checks::sbom_in_toto` in tests/fuzz/checks.rs.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::sbom_in_toto(data));
