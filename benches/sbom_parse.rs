//! Parse throughput of SBOM documents per format, in MB/s of document bytes.
//!
//! Builds one document per format in memory (SPDX 2.3, SPDX 3 JSON-LD, CycloneDX 1.6,
//! syft, a CycloneDX in-toto statement in a DSSE envelope, and a CycloneDX BOM of empty
//! components), then times `parse_document` on each: the best of a few runs.
//!
//! `cargo bench --bench sbom_parse [-- --quick]`; see benches/README.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ocx::sbom::parse::parse_document;

fn purl(i: usize) -> String {
    format!("pkg:npm/%40scope/pkg{i}@1.{}.0", i % 97)
}

/// Joins `count` items made by `item` into `head[...]tail`.
fn document(head: &str, count: usize, tail: &str, item: impl Fn(usize) -> String) -> String {
    let items: Vec<String> = (0..count).map(item).collect();
    format!("{head}{}{tail}", items.join(","))
}

fn spdx23(n: usize) -> String {
    document(
        r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"bench","packages":["#,
        n,
        "]}",
        |i| {
            format!(
                r#"{{"SPDXID":"SPDXRef-Package-{i}","name":"pkg{i}","versionInfo":"1.{}.0","downloadLocation":"NOASSERTION","licenseConcluded":"MIT","externalRefs":[{{"referenceCategory":"SECURITY","referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a:pkg{i}:pkg{i}:1:*:*:*:*:*:*:*"}},{{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"{}"}}]}}"#,
                i % 97,
                purl(i)
            )
        },
    )
}

fn spdx3(n: usize) -> String {
    document(
        r#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"CreationInfo","@id":"_:ci","specVersion":"3.0.1","created":"2024-05-01T00:00:00Z"},"#,
        n,
        "]}",
        |i| {
            format!(
                r#"{{"type":"software_Package","spdxId":"urn:p{i}","creationInfo":"_:ci","name":"pkg{i}","software_packageVersion":"1.{}.0","software_packageUrl":"{}","externalIdentifier":[{{"type":"ExternalIdentifier","externalIdentifierType":"cpe23","identifier":"cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"}}]}}"#,
                i % 97,
                purl(i)
            )
        },
    )
}

fn cyclonedx(n: usize) -> String {
    document(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","version":1,"metadata":{"component":{"type":"container","name":"app"}},"components":["#,
        n,
        "]}",
        |i| {
            format!(
                r#"{{"type":"library","bom-ref":"{p}","name":"pkg{i}","version":"1.{}.0","licenses":[{{"license":{{"id":"MIT"}}}}],"purl":"{p}","properties":[{{"name":"syft:package:foundBy","value":"javascript-package-cataloger"}}]}}"#,
                i % 97,
                p = purl(i)
            )
        },
    )
}

fn syft(n: usize) -> String {
    document(r#"{"artifacts":["#, n, "],", |i| {
        format!(
            r#"{{"id":"{i:016x}","name":"pkg{i}","version":"1.{}.0","type":"npm","foundBy":"javascript-package-cataloger","locations":[{{"path":"/app/node_modules/pkg{i}/package.json"}}],"licenses":[],"language":"javascript","cpes":[],"purl":"{}"}}"#,
            i % 97,
            purl(i)
        )
    }) + r#""source":{"type":"image","target":{}},"descriptor":{"name":"syft","version":"1.4.1"},"schema":{"version":"16.0.9","url":"https://example.com"}}"#
}

fn dsse_cyclonedx(n: usize) -> String {
    let statement = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"00"}}}}],"predicateType":"https://cyclonedx.org/bom/v1.6","predicate":{}}}"#,
        cyclonedx(n)
    );
    format!(
        r#"{{"payloadType":"application/vnd.in-toto+json","payload":"{}","signatures":[{{"keyid":"","sig":"MEUCIQ=="}}]}}"#,
        STANDARD.encode(statement)
    )
}

fn empty_components(n: usize) -> String {
    document(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":["#,
        n,
        "]}",
        |_| "{}".to_string(),
    )
}

/// A format's name, its document maker, and how many packages to make.
type Format = (&'static str, fn(usize) -> String, usize);

/// The best time of `runs` parses, and the packages found.
fn best_of(bytes: &[u8], runs: usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut packages = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let parsed = parse_document(black_box(bytes), None).expect("the bench documents parse");
        best = best.min(start.elapsed());
        packages = parsed.packages.len() + parsed.packages_without_purl;
    }
    (best, packages)
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (n, runs) = if quick { (20_000, 3) } else { (100_000, 5) };
    let formats: [Format; 6] = [
        ("SPDX 2.3", spdx23, n),
        ("SPDX 3 JSON-LD", spdx3, n),
        ("CycloneDX 1.6", cyclonedx, n),
        ("syft", syft, n),
        ("DSSE > in-toto > CycloneDX", dsse_cyclonedx, n),
        ("CycloneDX, empty components", empty_components, n * 100),
    ];
    println!(
        "{:<30} {:>9} {:>10} {:>10} {:>9}",
        "format", "MB", "packages", "best ms", "MB/s"
    );
    for (name, make, count) in formats {
        let text = make(count);
        let (best, packages) = best_of(text.as_bytes(), runs);
        let mb = text.len() as f64 / 1e6;
        println!(
            "{name:<30} {mb:>9.1} {packages:>10} {:>10.1} {:>9.0}",
            best.as_secs_f64() * 1e3,
            mb / best.as_secs_f64()
        );
    }
}
