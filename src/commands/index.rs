//! `ocx index create` and `ocx index update`.
//!
//! Everything is read and checked before anything is written: every source and the
//! subject are fetched and verified concurrently, and the index is built and validated.
//! Only then are manifests from elsewhere brought into the target (with everything they
//! reference), the index pushed by digest, and the tags pointed at it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::read::config::read_config;
use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::future::{join_all, try_join_all};

use crate::cli::{GlobalArgs, IndexCreateArgs, IndexOptions, IndexUpdateArgs};
use crate::copy::{Copier, CopyStats};
use crate::digest::Digest;
use crate::index::{self, Child};
use crate::manifest::{
    Annotations, Descriptor, ImageIndex, Manifest, Platform, DOCKER_MANIFEST_LIST, OCI_INDEX,
};
use crate::reference::{bare_manifest_ref, is_valid_tag, ManifestRef, Target};
use crate::source::layout::LayoutSource;
use crate::source::{Session, Source};

pub async fn create(global: &GlobalArgs, args: IndexCreateArgs) -> Result<ExitCode> {
    let options = &args.options;
    let target = without_implicit_tag(Target::parse(&args.target)?, &args.target);
    if let Some(ManifestRef::Digest(_)) = target.manifest_ref() {
        bail!(
            "{target}: the index's digest comes from its content, so name the target with a tag, not a digest"
        );
    }
    let tags = tags_to_push(&target, &options.tags)?;
    if tags.is_empty() {
        bail!(
            "{target} has no tag and no --tag was given: name a tag for the index (REGISTRY/REPO:TAG or oci:PATH:TAG)"
        );
    }
    check_options(options, &args.sources)?;
    let workspace = Workspace::open(global, target, options.concurrency)?;
    let (children, subject) = workspace
        .resolve_all(&args.sources, options.subject.as_deref())
        .await?;
    index::check_distinct(&named_by_source(&children).collect::<Vec<_>>())?;
    let index = index::new_index(
        options.artifact_type.clone(),
        entries(&children, options),
        subject
            .as_ref()
            .map(|s| index::subject_descriptor(&s.child.fetched)),
        annotations(Annotations::new(), options),
    );
    let imports = children.into_iter().chain(subject).collect();
    workspace.finish(index, imports, &tags, options).await
}

pub async fn update(global: &GlobalArgs, args: IndexUpdateArgs) -> Result<ExitCode> {
    let options = &args.options;
    let target = without_implicit_tag(Target::parse(&args.target)?, &args.target);
    if target.manifest_ref().is_none() {
        bail!("{target}: name the index to update with a tag or digest ({target}:TAG)");
    }
    let changes_nothing = args.add.is_empty()
        && args.remove.is_empty()
        && options.annotations.is_empty()
        && options.artifact_type.is_none()
        && options.subject.is_none()
        && options.tags.is_empty();
    if changes_nothing && options.output.is_none() {
        bail!(
            "nothing to change in {target}: give --add, --remove, --annotation, --artifact-type, \
             --subject or --tag"
        );
    }
    let tags = tags_to_push(&target, &options.tags)?;
    check_options(options, &args.add)?;
    let workspace = Workspace::open(global, target, options.concurrency)?;
    let mut index = workspace.current_index().await?;
    index::remove_entries(&mut index.manifests, &args.remove)?;
    let (added, subject) = workspace
        .resolve_all(&args.add, options.subject.as_deref())
        .await?;
    let mut named: Vec<(String, &Digest)> = index
        .manifests
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("entry manifests[{i}] of the index"), &d.digest))
        .collect();
    named.extend(named_by_source(&added));
    index::check_distinct(&named)?;
    index.manifests.extend(entries(&added, options));
    if let Some(artifact_type) = &options.artifact_type {
        index.artifact_type = Some(artifact_type.clone());
    }
    if let Some(subject) = &subject {
        index.subject = Some(index::subject_descriptor(&subject.child.fetched));
    }
    let kept = index.annotations.take().unwrap_or_default();
    let merged = annotations(kept, options);
    index.annotations = (!merged.is_empty()).then_some(merged);
    check_docker_list(&index)?;
    let imports = added.into_iter().chain(subject).collect();
    workspace.finish(index, imports, &tags, options).await
}

/// Each child with the name a duplicate error gives it.
fn named_by_source(children: &[Resolved]) -> impl Iterator<Item = (String, &Digest)> {
    children.iter().map(|r| {
        let name = format!("source {:?}", r.child.source);
        (name, &r.child.fetched.descriptor.digest)
    })
}

/// A registry reference without a tag means `latest` to docker; for a command that
/// pushes a tag, only a tag the user wrote counts.
fn without_implicit_tag(target: Target, written: &str) -> Target {
    match target {
        Target::Registry {
            repository, digest, ..
        } if !crate::reference::has_explicit_tag(written) => Target::Registry {
            repository,
            tag: None,
            digest,
        },
        other => other,
    }
}

/// The tags to point at the index: the target's own, then every `--tag`, each once.
fn tags_to_push(target: &Target, extra: &[String]) -> Result<Vec<String>> {
    let own = match target {
        Target::Registry { tag, .. } | Target::Layout { tag, .. } => tag.clone(),
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in own.into_iter().chain(extra.iter().cloned()) {
        if !is_valid_tag(&tag) {
            bail!("invalid tag {tag:?}: a tag is 1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -");
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// Checks what needs no network: the artifact type, that each `--child-platform` names
/// one of the sources (once), and that stdout gets one thing.
fn check_options(options: &IndexOptions, sources: &[String]) -> Result<()> {
    if let Some(artifact_type) = &options.artifact_type {
        index::check_media_type(artifact_type).context("--artifact-type")?;
    }
    for (i, child) in options.child_platforms.iter().enumerate() {
        if !sources.contains(&child.source) {
            bail!(
                "--child-platform names {:?}, which is not one of the sources ({})",
                child.source,
                sources.join(", ")
            );
        }
        if options.child_platforms[..i]
            .iter()
            .any(|c| c.source == child.source)
        {
            bail!("--child-platform is given twice for {:?}", child.source);
        }
    }
    if options.json && options.output.as_deref() == Some(Path::new("-")) {
        bail!("--json and --output - would both write to stdout: choose one");
    }
    Ok(())
}

/// A Docker manifest list has no artifactType or subject; an OCI index is needed for those.
fn check_docker_list(index: &ImageIndex) -> Result<()> {
    let is_docker_list = index.media_type.as_deref() == Some(DOCKER_MANIFEST_LIST);
    if is_docker_list && (index.artifact_type.is_some() || index.subject.is_some()) {
        bail!(
            "the index is a Docker manifest list, which has no artifactType or subject: \
             build an OCI index with `ocx index create` instead"
        );
    }
    Ok(())
}

/// The index entries for resolved children, in source order.
fn entries(children: &[Resolved], options: &IndexOptions) -> Vec<Descriptor> {
    children
        .iter()
        .map(|r| {
            let platform = platform_override(options, &r.child.source);
            index::child_descriptor(&r.child, platform, options.copy_annotations)
        })
        .collect()
}

fn platform_override<'a>(options: &'a IndexOptions, source: &str) -> Option<&'a Platform> {
    options
        .child_platforms
        .iter()
        .find(|c| c.source == source)
        .map(|c| &c.platform)
}

/// `kept`, then every `--annotation` (the last value of a key wins).
fn annotations(mut kept: Annotations, options: &IndexOptions) -> Annotations {
    for annotation in &options.annotations {
        kept.insert(annotation.key.clone(), annotation.value.clone());
    }
    kept
}

/// A manifest named on the command line, fetched and verified, and where to read it.
struct Resolved {
    source: Arc<dyn Source>,
    child: Child,
}

/// Where the index goes, and how everything it lists is read.
struct Workspace {
    session: Session,
    target: Target,
    /// The target, to read from; `None` for a layout that does not exist yet.
    existing: Option<Arc<dyn Source>>,
    concurrency: usize,
}

impl Workspace {
    fn open(global: &GlobalArgs, target: Target, concurrency: u16) -> Result<Workspace> {
        let session = super::session(global, concurrency)?;
        let existing: Option<Arc<dyn Source>> = match &target {
            Target::Registry { .. } => Some(Arc::new(session.open(&target)?.0)),
            Target::Layout { path, .. } if LayoutSource::exists(path) => {
                Some(session.open_or_create_layout(path)?)
            }
            Target::Layout { .. } => None,
        };
        Ok(Workspace {
            session,
            target,
            existing,
            concurrency: usize::from(concurrency),
        })
    }

    /// The index `update` changes.
    async fn current_index(&self) -> Result<ImageIndex> {
        let (source, reference) = self.session.open(&self.target)?;
        let fetched = source.manifest_get(&reference).await?;
        match fetched.manifest {
            Manifest::Index(index) => Ok(index),
            Manifest::Image(_) => bail!(
                "{} is an image manifest, not an index: build one over it with `ocx index create`",
                reference.qualify(&source.location())
            ),
        }
    }

    /// Resolves every source and the subject concurrently; when any fails, the error
    /// names each one that did.
    async fn resolve_all(
        &self,
        sources: &[String],
        subject: Option<&str>,
    ) -> Result<(Vec<Resolved>, Option<Resolved>)> {
        let children = join_all(sources.iter().map(|written| async move {
            self.resolve(written, true)
                .await
                .with_context(|| format!("source {written:?}"))
        }));
        let subject = async {
            match subject {
                Some(written) => self
                    .resolve(written, false)
                    .await
                    .with_context(|| format!("--subject {written:?}"))
                    .map(Some),
                None => Ok(None),
            }
        };
        let (children, subject) = tokio::join!(children, subject);
        let failures: Vec<String> = children
            .iter()
            .filter_map(|r| r.as_ref().err())
            .chain(subject.as_ref().err())
            .map(|e| format!("{e:#}"))
            .collect();
        if !failures.is_empty() {
            return Err(super::Failures {
                heading: "nothing was pushed, because".into(),
                items: failures,
            }
            .into());
        }
        let children = children.into_iter().collect::<Result<Vec<_>>>()?;
        Ok((children, subject?))
    }

    /// Fetches and verifies the manifest `written` names and, when `read_platform`, the
    /// config that may record its platform.
    async fn resolve(&self, written: &str, read_platform: bool) -> Result<Resolved> {
        let (source, reference, elsewhere) = self.open_source(written)?;
        let fetched = source.manifest_get(&reference).await?;
        if let Some(artifact_type) = fetched.manifest.artifact_type() {
            index::check_media_type(artifact_type).context("the manifest's artifactType")?;
        }
        let config_platform = match &fetched.manifest {
            Manifest::Image(image)
                if read_platform && index::config_may_record_platform(&image.config) =>
            {
                let config = read_config(source.as_ref(), &image.config).await?;
                config.parsed.and_then(|c| c.platform())
            }
            _ => None,
        };
        let origin = elsewhere.map(|t| t.canonical(&fetched.descriptor.digest));
        Ok(Resolved {
            source,
            child: Child {
                source: written.to_string(),
                fetched,
                config_platform,
                origin,
            },
        })
    }

    /// The source to read `written` from, the manifest it names there, and its location
    /// when that is not the target.
    fn open_source(&self, written: &str) -> Result<(Arc<dyn Source>, ManifestRef, Option<Target>)> {
        if let Some(reference) = bare_manifest_ref(written)? {
            let source = self.existing.clone().ok_or_else(|| {
                anyhow!(
                    "a tag or digest alone names a manifest in {}, which does not exist",
                    self.target.location()
                )
            })?;
            return Ok((source, reference, None));
        }
        let parsed = Target::parse(written)?;
        let (source, reference) = self.session.open(&parsed)?;
        let elsewhere = (!self.is_target_location(&parsed)).then_some(parsed);
        Ok((Arc::new(source), reference, elsewhere))
    }

    fn is_target_location(&self, other: &Target) -> bool {
        match (&self.target, other) {
            (Target::Registry { repository: a, .. }, Target::Registry { repository: b, .. }) => {
                a == b
            }
            (Target::Layout { path: a, .. }, Target::Layout { path: b, .. }) => {
                a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
            }
            _ => false,
        }
    }

    /// Validates and serializes the index, pushes it unless this is a dry run, and
    /// reports.
    async fn finish(
        &self,
        index: ImageIndex,
        imports: Vec<Resolved>,
        tags: &[String],
        options: &IndexOptions,
    ) -> Result<ExitCode> {
        index::validate(&index)?;
        let bytes = Bytes::from(index::to_bytes(&index)?);
        let mut descriptor = Descriptor::new(
            index
                .media_type
                .clone()
                .unwrap_or_else(|| OCI_INDEX.to_string()),
            Digest::sha256_of(&bytes),
            bytes.len() as u64,
        );
        descriptor.artifact_type = index.artifact_type.clone();
        let imports: Vec<Resolved> = imports
            .into_iter()
            .filter(|r| r.child.origin.is_some())
            .collect();
        // The output file is written before anything is pushed (and put in place after),
        // so that a bad --output path leaves the registry untouched.
        let output_file = prepare_output(options.output.as_deref(), &bytes)?;
        if options.dry_run {
            eprintln!("dry run: nothing was copied or pushed");
        } else {
            self.push(&descriptor, &bytes, &imports, tags, index.subject.is_some())
                .await?;
        }
        let stdout_taken = finish_output(options.output.as_deref(), output_file, &bytes)?;
        let result = if options.json {
            let mut json = serde_json::to_vec_pretty(&descriptor)?;
            json.push(b'\n');
            json
        } else {
            format!("{}\n", self.pushed_reference(tags, &descriptor.digest)).into_bytes()
        };
        if stdout_taken {
            eprint!("{}", String::from_utf8_lossy(&result));
        } else {
            crate::render::write_stdout(&result)?;
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Brings manifests from elsewhere into the target, then pushes the index by digest
    /// and points the tags at it.
    async fn push(
        &self,
        descriptor: &Descriptor,
        bytes: &Bytes,
        imports: &[Resolved],
        tags: &[String],
        has_subject: bool,
    ) -> Result<()> {
        let writer = self.writer()?;
        if !imports.is_empty() {
            let copier = Copier::new(Arc::clone(&writer), self.concurrency);
            try_join_all(
                imports
                    .iter()
                    .map(|r| copier.manifest(r.source.as_ref(), &r.child.fetched)),
            )
            .await?;
            eprintln!(
                "{}",
                copy_summary(imports.len(), &writer.location(), copier.stats())
            );
        }
        let media_type = &descriptor.media_type;
        // With a subject, the index is a referrer: where the registry has no referrers
        // API, referrer_put also lists it in the subject's referrers tag.
        if has_subject {
            writer
                .referrer_put(media_type, bytes.clone())
                .await
                .context("pushing the index")?;
        } else {
            let by_digest = ManifestRef::Digest(descriptor.digest.clone());
            writer
                .manifest_put(&by_digest, media_type, bytes.clone())
                .await
                .context("pushing the index")?;
        }
        for tag in tags {
            writer
                .manifest_put(&ManifestRef::Tag(tag.clone()), media_type, bytes.clone())
                .await
                .with_context(|| format!("tagging the index {tag}"))?;
        }
        Ok(())
    }

    /// The target to write to; a missing layout is created only now, after every check.
    fn writer(&self) -> Result<Arc<dyn Source>> {
        match (&self.existing, &self.target) {
            (None, Target::Layout { path, .. }) => self.session.open_or_create_layout(path),
            (existing, _) => existing
                .clone()
                .ok_or_else(|| anyhow!("{} cannot be opened for writing", self.target.location())),
        }
    }

    /// `location:tag@digest` with the first tag, `location@digest` without one.
    fn pushed_reference(&self, tags: &[String], digest: &Digest) -> String {
        match tags.first() {
            Some(tag) => format!("{}:{tag}@{digest}", self.target.location()),
            None => self.target.canonical(digest),
        }
    }
}

/// Writes the index bytes to a temporary file beside `--output FILE`.
fn prepare_output(output: Option<&Path>, bytes: &[u8]) -> Result<Option<tempfile::NamedTempFile>> {
    let Some(path) = output.filter(|p| *p != Path::new("-")) else {
        return Ok(None);
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write the index to {}: the directory {} does not exist",
            path.display(),
            dir.display()
        );
    }
    // The temporary file's own name would only confuse an error message.
    let mut file = crate::atomic_file::temp_file_beside(path).map_err(|e| {
        anyhow!(
            "cannot write the index to {}: {}",
            path.display(),
            std::io::Error::from(e.kind())
        )
    })?;
    std::io::Write::write_all(&mut file, bytes)
        .with_context(|| format!("writing the index to {}", path.display()))?;
    Ok(Some(file))
}

/// Puts `--output` in place (or prints to stdout for `-`); true when that took stdout.
fn finish_output(
    output: Option<&Path>,
    file: Option<tempfile::NamedTempFile>,
    bytes: &[u8],
) -> Result<bool> {
    match (output, file) {
        (Some(path), _) if path == Path::new("-") => {
            crate::render::write_stdout(bytes)?;
            Ok(true)
        }
        (Some(path), Some(file)) => {
            crate::atomic_file::persist(file, path)
                .with_context(|| format!("writing the index to {}", path.display()))?;
            Ok(false)
        }
        _ => Ok(false),
    }
}

fn copy_summary(imported: usize, location: &str, stats: CopyStats) -> String {
    format!(
        "brought {imported} manifest{} from elsewhere into {location}: {} manifest{} stored, \
         {} blobs mounted, {} copied, {} already there",
        if imported == 1 { "" } else { "s" },
        stats.manifests,
        if stats.manifests == 1 { "" } else { "s" },
        stats.blobs_mounted,
        stats.blobs_copied,
        stats.already_present
    )
}
