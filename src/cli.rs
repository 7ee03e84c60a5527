//! The command line: clap definitions only. Completions and man pages are generated from
//! these by `ocx generate`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::manifest::Platform;
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
    after_help = "Exit status: 0 on success, 2 on any error; `ocx diff` follows diff(1): 0 equal, 1 different, 2 error.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The command line as clap parses it: [`Cli`] with clap's own messages (usage errors,
/// help) coloured as `color` says, and the registry options left out of the help of
/// `ocx schema`, which reaches no registry.
pub fn command(color: clap::ColorChoice) -> clap::Command {
    use clap::CommandFactory;
    let command = Cli::command().color(color);
    // A subcommand's own argument shadows a global one of the same id.
    let hidden: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| {
            [
                "plain_http",
                "insecure",
                "timeout",
                "verbose",
                "no_cache",
                "cache_size",
            ]
            .contains(&arg.get_id().as_str())
        })
        .map(|arg| arg.clone().global(false).hide(true))
        .collect();
    command.mut_subcommand("schema", |schema| schema.args(hidden))
}

/// The `--color` choice among raw arguments, for clap's own messages, which are printed
/// before the arguments are parsed: the last `--color WHEN` or `--color=WHEN` before a
/// `--`, else auto.
pub fn color_in_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> clap::ColorChoice {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|a| a != "--")
        .collect();
    let mut choice = clap::ColorChoice::Auto;
    for (i, arg) in args.iter().enumerate() {
        let value = match arg.strip_prefix("--color") {
            Some("") => args.get(i + 1).map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        choice = match value {
            Some("never") => clap::ColorChoice::Never,
            Some("always") => clap::ColorChoice::Always,
            Some("auto") => clap::ColorChoice::Auto,
            _ => choice,
        };
    }
    choice
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)
    #[arg(long, global = true, help_heading = "Global options")]
    pub plain_http: bool,

    /// Accept any TLS certificate from registries
    #[arg(long, global = true, help_heading = "Global options")]
    pub insecure: bool,

    /// Seconds a registry may go silent before a request fails (1-3600); a request's total deadline is this plus 1 s per MiB it carries
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = crate::source::registry::DEFAULT_TIMEOUT.as_secs() as u16, value_parser = clap::value_parser!(u16).range(1..=3600), help_heading = "Global options")]
    pub timeout: u16,

    /// When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, help_heading = "Global options")]
    pub color: ColorChoice,

    /// Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_cache: bool,

    /// How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)
    #[arg(long, global = true, value_name = "SIZE", env = "OCX_CACHE_SIZE", default_value = "256M", value_parser = parse_size, help_heading = "Global options")]
    pub cache_size: u64,

    /// Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)
    #[arg(short = 'v', long, global = true, help_heading = "Global options")]
    pub verbose: bool,
}

/// A size in bytes, optionally with a K, M or G (KiB, MiB, GiB) suffix.
fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let upper = trimmed.to_ascii_uppercase();
    let number = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, shift) = match number.as_bytes().last() {
        Some(b'K') => (&number[..number.len() - 1], 10),
        Some(b'M') => (&number[..number.len() - 1], 20),
        Some(b'G') => (&number[..number.len() - 1], 30),
        _ => (number, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| {
            format!(
                "invalid size {text:?} (from --cache-size or the OCX_CACHE_SIZE environment \
                 variable): expected bytes, or a number with K, M or G (e.g. 256M)"
            )
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe an image, index or artifact: every platform, config, layer and build fact
    #[command(after_help = "Examples:\n  \
        ocx describe ghcr.io/org/app:1.2\n  \
        ocx describe ghcr.io/org/app:1.2 --json | jq '.manifests | keys_unsorted'\n  \
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
        ocx sbom ghcr.io/org/app:1.2 --json | jq -r '.. | .sbom? // empty | .[].purl'\n  \
        ocx sbom ghcr.io/org/app:1.2 --platform linux/amd64 --raw > sbom.json"
    )]
    Sbom(SbomArgs),

    /// Compare two images or indexes like a plan: platforms, config, layers, annotations, build facts and SBOM packages
    #[command(
        long_about = "Compare two images or indexes like a plan: platforms, config, layers, \
            annotations, build facts and SBOM packages.\n\n\
            Index entries are matched by platform (linux/arm64 = linux/arm64/v8), never by \
            position; layers by digest in order, so a shared base shows as unchanged; packages \
            by purl without version, with upgrades and downgrades ordered by each ecosystem's \
            rules. Every difference has an address (platforms[\"linux/amd64\"].config.env[\"PATH\"]) \
            that --ignore matches.",
        after_help = "Exit status (as diff(1)): 0 the two are equal (after --ignore), 1 they differ, \
            2 an error.\n\n\
            Examples:\n  \
            ocx diff registry.example/app:1.4 registry.example/app:1.5\n  \
            ocx diff oci:./before:app registry.example/app:1.5 --platform linux/amd64\n  \
            ocx diff app:1.4 app:1.5 --json | jq '.changes[] | select(.kind == \"package\")'\n  \
            ocx diff app:1.4 app:1.5 --ignore-timestamps --ignore 'platforms[*].config.labels[*]' --quiet\n  \
            ocx diff app:1.4 app:1.5 --files --ignore '/var/log/**' --ignore-timestamps --content"
    )]
    Diff(DiffArgs),

    /// Build an image index over manifests and push it, or change an index
    #[command(subcommand)]
    Index(IndexCommand),

    /// List the tags of a repository (every page of the registry's tag list) or of an OCI layout
    #[command(after_help = "Examples:\n  \
        ocx tags ghcr.io/org/app\n  \
        ocx tags ghcr.io/org/app --json | jq -r '.tags[]'\n  \
        ocx tags oci:examples/layout")]
    Tags(TagsArgs),

    /// Print the JSON Schema of an output
    Schema(SchemaArgs),

    /// Write shell completions, man pages and the example layout (for packagers and this repository)
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

    /// Skip SBOM discovery: describe only the structure (`sbom` is then null)
    #[arg(long)]
    pub no_sbom: bool,

    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct TagsArgs {
    /// A repository (ghcr.io/org/app, localhost:5000/app) or an OCI image layout as oci:PATH
    #[arg(value_name = "REPOSITORY")]
    pub repository: String,

    /// Print the tags as one JSON document (schema: `ocx schema tags`)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    #[arg(help = REFERENCE_HELP, value_name = "REF")]
    pub reference: String,

    /// Print the packages as one JSON document
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,

    /// Print the manifest's SBOM document exactly as stored (with several, choose one with
    /// --document)
    #[arg(long)]
    pub raw: bool,

    /// With --raw: the document to print, by its digest (or its manifest's) or its number
    /// in the list an ambiguous --raw prints
    #[arg(long, value_name = "DIGEST|N", requires = "raw")]
    pub document: Option<String>,

    /// With --raw: the SPDX, CycloneDX or syft document itself, taken out of its
    /// sigstore bundle, DSSE envelope and in-toto statement
    #[arg(long, requires = "raw")]
    pub unwrap: bool,

    #[command(flatten)]
    pub read: ReadArgs,
}

/// How the commands that read a manifest tree read it.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION], or a key
    /// describe shows (linux/amd64#2)
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<PlatformFilter>,

    #[command(flatten)]
    pub limits: ReadLimits,
}

/// How much a read may ask of registries at once, and how large an SBOM it accepts.
#[derive(Debug, Args)]
pub struct ReadLimits {
    /// How many requests may be in flight at once, for the walk and again for SBOM
    /// discovery (1-256)
    #[arg(long, default_value_t = crate::source::DEFAULT_CONCURRENCY as u16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Refuse SBOM blobs larger than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = crate::sbom::discover::DEFAULT_MAX_SBOM_BYTES)]
    pub max_sbom_size: u64,

    /// Fail (exit 2, nothing printed) when any part could not be read, instead of
    /// printing the rest with a warning for each
    #[arg(long)]
    pub strict: bool,
}

impl ReadArgs {
    /// What a read needs; `discover_sboms` false skips SBOM discovery.
    pub fn options(&self, discover_sboms: bool) -> crate::read::ReadOptions {
        crate::read::ReadOptions {
            platform: self.platform.clone(),
            max_sbom_bytes: discover_sboms.then_some(self.limits.max_sbom_size),
            keep_sbom_bytes: false,
        }
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: a reference as for describe (registry or oci:PATH[:TAG|@DIGEST])
    #[arg(value_name = "OLD")]
    pub old: String,

    /// The new side, of any kind ocx reads
    #[arg(value_name = "NEW")]
    pub new: String,

    /// Print the change set as one JSON document (schema: `ocx schema diff`)
    #[arg(long, conflicts_with_all = ["quiet", "unified"])]
    pub json: bool,

    /// Print nothing: only the exit status says whether the two differ
    #[arg(long, short = 'q', conflicts_with = "unified")]
    pub quiet: bool,

    /// Compare only the platforms matching this one: OS/ARCH[/VARIANT][:OS_VERSION], or
    /// a key describe shows (linux/amd64#2); repeatable (default: every platform)
    #[arg(long = "platform", value_name = "PLATFORM")]
    pub platforms: Vec<PlatformFilter>,

    /// Skip SBOM discovery: compare only the structure, no packages
    #[arg(long)]
    pub no_sbom: bool,

    /// Leave out differences at this address, or under it; `*` matches any run of
    /// characters; repeatable (e.g. 'platforms[*].config.labels["build-id"]'). With
    /// --files, a pattern starting with `/` is a path glob ('/var/log/**'): the paths it
    /// matches, and what is below them, are left out
    #[arg(long = "ignore", value_name = "ADDRESS|/PATH", value_parser = parse_ignore)]
    pub ignore: Vec<String>,

    /// Leave out the created annotation and label, config `created`, history timestamps
    /// and build `created`
    #[arg(long)]
    pub ignore_timestamps: bool,

    /// Print a unified diff of the manifest and config JSON of each platform instead
    #[arg(long)]
    pub unified: bool,

    /// Lines of context around each change with --unified
    #[arg(long, value_name = "N", default_value_t = 3, requires = "unified")]
    pub context: usize,

    /// Also list what is equal: map entries, layers and packages (marked `=`)
    #[arg(long)]
    pub show_unchanged: bool,

    /// Also compare the files: each platform's final filesystem (layers applied in order,
    /// whiteouts included), path by path; layers are streamed, never stored, and layers
    /// both sides share are read only when needed
    #[arg(long, conflicts_with = "unified")]
    pub files: bool,

    /// With --files: a unified diff of each changed text file up to 64 KiB
    #[arg(long, requires = "files")]
    pub content: bool,

    #[command(flatten)]
    pub limits: ReadLimits,
}

fn parse_ignore(pattern: &str) -> Result<String, String> {
    if pattern.trim().is_empty() {
        return Err(
            "an empty address would ignore nothing; give an address such as \
            'config.created' or 'platforms[*].annotations[\"org.opencontainers.image.created\"]'"
                .into(),
        );
    }
    if pattern.starts_with('/') {
        crate::diff::files::path_globs(&[pattern.to_string()]).map_err(|e| format!("{e:#}"))?;
    } else if !brackets_balance(pattern) {
        return Err(format!(
            "the address {pattern:?} has an unclosed or unopened bracket; give an address such \
             as 'layers[2]' or 'platforms[*].config.labels[\"a\"]'"
        ));
    }
    Ok(pattern.to_string())
}

/// Whether every `[` of an address is closed by a `]`, outside the quoted keys.
fn brackets_balance(address: &str) -> bool {
    let (mut open, mut quoted, mut escaped) = (0usize, false, false);
    for c in address.chars() {
        match (quoted, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, _, '"') => quoted = !quoted,
            (false, _, '[') => open += 1,
            (false, _, ']') if open == 0 => return false,
            (false, _, ']') => open -= 1,
            _ => {}
        }
    }
    open == 0 && !quoted
}

const SOURCE_HELP: &str = "\
A manifest to list: a tag or digest in TARGET's repository or layout (1.0.0-linux-amd64, \
sha256:…), or a full reference anywhere ocx can read: another repository or registry, or \
oci:PATH[:TAG|@DIGEST]. Manifests from elsewhere are copied into TARGET's repository first, \
with everything they reference, and their entry records where they came from in the \
dev.ocx.origin annotation";

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Build an image index whose entries carry each child's artifactType and platform, and push it
    #[command(
        long_about = "Build an image index whose entries carry each child's artifactType and platform, and push it.\n\n\
            Each entry is built from the child manifest itself, fetched and verified: mediaType, digest \
            and size; artifactType from the manifest's artifactType; platform from its config when the \
            config is an image config recording os and architecture (as `oras push --artifact-platform` \
            writes), unless --child-platform sets it. Entries keep the order of the sources. Every \
            source, the subject and every media type are checked before anything is written, and the \
            same inputs always give the same bytes and digest.",
        after_help = "Examples:\n  \
            ocx index create reg.example/tofu/provider:1.0.0 \\\n      \
            1.0.0-linux-amd64 1.0.0-linux-arm64 \\\n      \
            --artifact-type application/vnd.opentofu.provider \\\n      \
            --annotation org.opencontainers.image.version=1.0.0\n  \
            ocx index create reg.example/app:all \\\n      \
            reg.example/app/ko-build/api:1 reg.example/app/ko-build/worker:1\n  \
            ocx index create oci:./dist:1.0.0 linux-amd64 linux-arm64 \\\n      \
            --dry-run --output -"
    )]
    Create(IndexCreateArgs),

    /// Add entries to an existing index or remove them, with the rules of `index create`
    #[command(after_help = "Examples:\n  \
        ocx index update reg.example/app:1 \\\n      \
            --add reg.example/app/ko-build/api:2 --remove linux/s390x\n  \
        ocx index update oci:./dist:1.0.0 --remove sha256:… --tag latest")]
    Update(IndexUpdateArgs),
}

#[derive(Debug, Args)]
pub struct IndexCreateArgs {
    /// Where the index goes: a registry reference with a tag, or oci:PATH:TAG (a layout is created when missing)
    #[arg(value_name = "TARGET")]
    pub target: String,

    #[arg(help = SOURCE_HELP, value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,

    #[command(flatten)]
    pub options: IndexOptions,
}

#[derive(Debug, Args)]
pub struct IndexUpdateArgs {
    /// The index to change; its tag (if given) moves to the new index
    #[arg(value_name = "TARGET")]
    pub target: String,

    /// Append a manifest, named as a SOURCE of `index create`; repeatable
    #[arg(long = "add", value_name = "SOURCE")]
    pub add: Vec<String>,

    /// Drop the entry with this digest, or the one whose platform key (as `ocx describe` shows it, e.g. linux/amd64) this is; repeatable
    #[arg(long = "remove", value_name = "DIGEST|KEY")]
    pub remove: Vec<String>,

    #[command(flatten)]
    pub options: IndexOptions,
}

#[derive(Debug, Args)]
pub struct IndexOptions {
    /// The index's artifactType: an RFC 6838 media type without parameters
    #[arg(long, value_name = "MEDIA_TYPE")]
    pub artifact_type: Option<String>,

    /// Set an annotation of the index; repeatable (the last value of a key wins)
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<Annotation>,

    /// Copy each child manifest's annotations into its entry
    #[arg(long)]
    pub copy_annotations: bool,

    /// Give the entry for SOURCE (written as among the sources) this platform, whatever its config records; repeatable
    #[arg(
        long = "child-platform",
        value_name = "SOURCE=OS/ARCH[/VARIANT][:OS_VERSION]"
    )]
    pub child_platforms: Vec<ChildPlatform>,

    /// Set the index's subject: a manifest named like a SOURCE
    #[arg(long, value_name = "REF")]
    pub subject: Option<String>,

    /// Also point this tag at the index; repeatable
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,

    /// Resolve, verify and build everything, but copy and push nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Write the index JSON (exactly the bytes pushed) to FILE, or to stdout with -
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print the index's descriptor as JSON instead of REF@DIGEST
    #[arg(long)]
    pub json: bool,

    /// How many requests may be in flight at once (1-256)
    #[arg(long, default_value_t = crate::source::DEFAULT_COPY_CONCURRENCY as u16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
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
    /// The output of `ocx diff --json`
    Diff,
    /// The output of `ocx tags --json`
    Tags,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory that receives completions/, man/ and examples/layout
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Write only the example samples, into this layout (oci:DIR) or registry repository
    #[arg(long, value_name = "REF", conflicts_with = "dir")]
    pub samples: Option<String>,
}

/// `--child-platform SOURCE=OS/ARCH[/VARIANT][:OS_VERSION]`: the platform an index entry
/// gets, whatever its config records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildPlatform {
    /// The source exactly as written among the command's sources.
    pub source: String,
    pub platform: Platform,
}

impl FromStr for ChildPlatform {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        // A platform never contains '=', a layout path might: split at the last one.
        let (source, platform) = s
            .rsplit_once('=')
            .filter(|(source, _)| !source.is_empty())
            .ok_or_else(|| anyhow!("invalid --child-platform {s:?}: expected SOURCE=OS/ARCH[/VARIANT][:OS_VERSION]"))?;
        let filter: PlatformFilter = platform.parse()?;
        if filter.occurrence.is_some() {
            bail!("invalid --child-platform {s:?}: a platform has no '#N'");
        }
        Ok(ChildPlatform {
            source: source.to_string(),
            platform: Platform {
                architecture: filter.architecture,
                os: filter.os,
                os_version: filter.os_version,
                variant: filter.variant,
                ..Platform::default()
            },
        })
    }
}

/// `--annotation KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub key: String,
    pub value: String,
}

impl FromStr for Annotation {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok(Annotation {
                key: key.to_string(),
                value: value.to_string(),
            }),
            _ => bail!("invalid annotation {s:?}: expected KEY=VALUE with a non-empty KEY"),
        }
    }
}

impl fmt::Display for Annotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        let cases = [
            ("0", 0),
            ("4096", 4096),
            ("4K", 4096),
            ("256M", 256 << 20),
            ("256MiB", 256 << 20),
            ("1g", 1 << 30),
            ("2GB", 2 << 30),
        ];
        for (text, bytes) in cases {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
        for bad in ["", "M", "-1", "1.5G", "1T", "99999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ignore_patterns_are_checked() {
        for good in [
            "config.created",
            "platforms[*].config.labels[*]",
            r#"platforms["linux/amd64"].config.env["A]\"["]"#,
            "/var/log/**",
            "/etc/{a,b}",
        ] {
            assert_eq!(parse_ignore(good).as_deref(), Ok(good), "{good}");
        }
        for (bad, named) in [
            ("bogus[", "the address \"bogus[\""),
            ("a]", "the address \"a]\""),
            (r#"labels["a]"#, "the address"),
            ("/bogus[", "the path glob \"/bogus[\""),
        ] {
            let err = parse_ignore(bad).unwrap_err();
            assert!(err.contains(named), "{bad}: {err}");
        }
    }

    #[test]
    fn child_platform_and_annotation_flags_parse() {
        let c: ChildPlatform = "oci:./dist=x:1.0=linux/arm64/v8".parse().unwrap();
        assert_eq!(c.source, "oci:./dist=x:1.0");
        assert_eq!(crate::platform::key(&c.platform), "linux/arm64/v8");
        let w: ChildPlatform = "sha256:abc=windows/amd64:10.0.1".parse().unwrap();
        assert_eq!(w.platform.os_version.as_deref(), Some("10.0.1"));
        for bad in ["linux/amd64", "=linux/amd64", "src=linux", "src="] {
            assert!(bad.parse::<ChildPlatform>().is_err(), "{bad}");
        }
        let a: Annotation = "org.opencontainers.image.version=1.0=rc".parse().unwrap();
        assert_eq!(
            (a.key.as_str(), a.value.as_str()),
            ("org.opencontainers.image.version", "1.0=rc")
        );
        assert_eq!("k=".parse::<Annotation>().unwrap().value, "");
        assert!("=v".parse::<Annotation>().is_err() && "k".parse::<Annotation>().is_err());
    }
}
