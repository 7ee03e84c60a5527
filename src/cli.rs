//! The command line: clap definitions only. Completions and man pages are generated from
//! these by `ocx generate`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::platform::PlatformFilter;

const REFERENCE_HELP: &str = "\
A registry reference (alpine, ghcr.io/org/app:1.2, localhost:5000/app@sha256:…; with both a tag \
and a digest the digest wins) or an OCI image layout as oci:PATH[:TAG|@DIGEST]";

#[derive(Debug, Parser)]
#[command(
    name = "ocx",
    version,
    about = "Inspect OCI images, indexes and artifacts",
    long_about = "Inspect OCI images, indexes and artifacts.\n\n\
        ocx resolves a reference, walks the index and every platform manifest, and prints one \
        rich, documented output schema (see `ocx schema describe`).",
    after_help = "Exit status: 0 on success, 2 on any error.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use plain HTTP for registries that are not on loopback (loopback always uses it)
    #[arg(long, global = true)]
    pub plain_http: bool,

    /// Accept any TLS certificate from registries
    #[arg(long, global = true)]
    pub insecure: bool,

    /// When to use colour and box drawing in human output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe an image, index or artifact: every platform, config, layer and build fact
    #[command(after_help = "Examples:\n  \
        ocx describe ghcr.io/org/app:1.2\n  \
        ocx describe ghcr.io/org/app:1.2 --json | jq '.manifests | keys'\n  \
        ocx describe oci:examples/layout:multi-platform --platform linux/arm64\n  \
        ocx describe localhost:5000/app:1 --raw > manifest.json")]
    Describe(DescribeArgs),

    /// List the packages of every SBOM attached to an image or index, by every convention
    #[command(
        after_help = "SBOMs are found through the OCI 1.1 referrers API (or its \
        sha256-<hex> tag fallback), cosign's sha256-<hex>.sbom and .att tags (COSIGN_REPOSITORY \
        is honoured) and BuildKit attestation manifests, for the index and every platform.\n\n\
        Examples:\n  \
        ocx sbom ghcr.io/org/app:1.2\n  \
        ocx sbom ghcr.io/org/app:1.2 --json | jq -r '.manifests[].sbom[].purl'\n  \
        ocx sbom ghcr.io/org/app:1.2 --platform linux/amd64 --raw > sbom.json"
    )]
    Sbom(SbomArgs),

    /// Print the JSON Schema of an output
    Schema(SchemaArgs),

    /// Write shell completions and man pages (for packagers and this repository)
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    #[arg(help = REFERENCE_HELP, value_name = "REF")]
    pub reference: String,

    /// Print the output schema as one JSON document
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,

    /// Print the manifest bytes exactly as stored
    #[arg(long)]
    pub raw: bool,

    /// Describe only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION]
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<PlatformFilter>,

    /// How many requests may be in flight at once
    #[arg(long, default_value_t = crate::walk::DEFAULT_CONCURRENCY as u16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Skip SBOM discovery: describe only the structure (`sbom` is then null)
    #[arg(long)]
    pub no_sbom: bool,

    /// Refuse SBOM blobs larger than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = crate::sbom::discover::DEFAULT_MAX_SBOM_BYTES)]
    pub max_sbom_size: u64,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    #[arg(help = REFERENCE_HELP, value_name = "REF")]
    pub reference: String,

    /// Print the packages as one JSON document
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,

    /// Print the SBOM documents of the manifest exactly as stored
    #[arg(long)]
    pub raw: bool,

    /// Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION]
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<PlatformFilter>,

    /// How many requests may be in flight at once
    #[arg(long, default_value_t = crate::walk::DEFAULT_CONCURRENCY as u16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Refuse SBOM blobs larger than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = crate::sbom::discover::DEFAULT_MAX_SBOM_BYTES)]
    pub max_sbom_size: u64,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    #[arg(value_enum)]
    pub output: SchemaName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaName {
    /// The output of `ocx describe --json`
    Describe,
    /// The output of `ocx sbom --json`
    Sbom,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory that receives completions/ and man/
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}
