//! Parse throughput of SBOM documents per format, in bytes of document per second.
//!
//! One divan benchmark per format: SPDX 2.3, SPDX 3 JSON-LD, CycloneDX 1.6, syft, a
//! CycloneDX in-toto statement in a DSSE envelope, and a CycloneDX BOM of empty
//! components; each times `parse_document` on one document built in memory.
//!
//! `cargo bench --bench sbom_parse [-- --sample-count 10]`; see benches/README.md.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use divan::counter::BytesCount;
use divan::Bencher;
use ocx::sbom::parse::parse_document;

/// Packages per document: about 5 MB of JSON in each format.
const PACKAGES: usize = 20_000;

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

fn main() {
    divan::main();
}

/// Times the parse of `document`, counting its bytes; checks it found `packages`.
fn parse(bencher: Bencher, document: String, packages: usize) {
    let parsed = parse_document(document.as_bytes(), None).expect("the bench documents parse");
    assert_eq!(
        parsed.packages.len() + parsed.packages_without_purl,
        packages
    );
    bencher
        .counter(BytesCount::new(document.len()))
        .bench_local(|| parse_document(divan::black_box(document.as_bytes()), None));
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn spdx_2_3(bencher: Bencher) {
    parse(bencher, spdx23(PACKAGES), PACKAGES);
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn spdx_3_json_ld(bencher: Bencher) {
    parse(bencher, spdx3(PACKAGES), PACKAGES);
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn cyclonedx_1_6(bencher: Bencher) {
    // The metadata component is a package too.
    parse(bencher, cyclonedx(PACKAGES), PACKAGES + 1);
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn syft_json(bencher: Bencher) {
    parse(bencher, syft(PACKAGES), PACKAGES);
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn dsse_in_toto_cyclonedx(bencher: Bencher) {
    parse(bencher, dsse_cyclonedx(PACKAGES), PACKAGES + 1);
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn cyclonedx_empty_components(bencher: Bencher) {
    parse(bencher, empty_components(PACKAGES * 100), PACKAGES * 100);
}
