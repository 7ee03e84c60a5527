//! Every input the fuzzers (tests/fuzz) found to crash or hang ocx, kept in
//! `tests/fuzz/regressions/<target>/` and run through the same check as its fuzz target
//! (`tests/fuzz/checks.rs`), so that the normal test suite guards each fix.

#[path = "fuzz/checks.rs"]
mod checks;

use std::path::Path;
use std::time::{Duration, Instant};

/// A regression input that once hung or blew up must now finish well within this.
const PER_INPUT: Duration = Duration::from_secs(5);

#[test]
fn every_kept_input_passes_its_targets_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/regressions");
    let mut ran = 0;
    let mut failed = Vec::new();
    for (target, check) in checks::TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            let start = Instant::now();
            let outcome = std::panic::catch_unwind(|| check(&data));
            let took = start.elapsed();
            if outcome.is_err() {
                failed.push(format!("{}: panicked (above)", path.display()));
            } else if took > PER_INPUT {
                failed.push(format!("{}: took {took:?}", path.display()));
            }
            ran += 1;
        }
    }
    // Directories under regressions/ are named after targets; a typo would skip inputs.
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name();
        let name = name.to_string_lossy();
        assert!(
            name == "README.md" || checks::TARGETS.iter().any(|(t, _)| *t == name),
            "tests/fuzz/regressions/{name} is not a fuzz target"
        );
    }
    assert!(failed.is_empty(), "of {ran} inputs:\n{}", failed.join("\n"));
}
