//! Publishing an index: resolve every child (and the subject) concurrently, then bring
//! manifests from elsewhere into the target, push the index by digest and point its tags
//! at it. Everything is read and checked before anything is written.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use futures_util::future::{join_all, try_join_all};

use super::build::{check_media_type, config_may_record_platform, to_bytes, validate, Child};
use crate::copy::{Copier, CopyStats};
use crate::digest::Digest;
use crate::manifest::{Descriptor, ImageIndex, Manifest, OCI_INDEX};
use crate::read::config::read_config;
use crate::reference::{bare_manifest_ref, ManifestRef, Target};
use crate::source::layout::LayoutSource;
use crate::source::{Session, Source};

/// A manifest named on the command line, fetched and verified, and where to read it.
pub struct ResolvedChild {
    pub source: Arc<dyn Source>,
    pub child: Child,
}

/// What `--dry-run` and `--output` ask of a publish, and where its status lines go.
pub struct PublishOptions<'a> {
    pub dry_run: bool,
    pub output: Option<&'a Path>,
    pub status: fn(&str),
}

/// A pushed (or, in a dry run, built) index.
pub struct Published {
    pub descriptor: Descriptor,
    /// `location:tag@digest` with the first tag, `location@digest` without one.
    pub reference: String,
    /// The index bytes, when `--output -` asked for them on stdout.
    pub for_stdout: Option<Bytes>,
}

/// Where the index goes, and how everything it lists is read.
pub struct Workspace {
    session: Session,
    target: Target,
    /// The target, to read from; `None` for a layout that does not exist yet.
    existing: Option<Arc<dyn Source>>,
    concurrency: usize,
}

impl Workspace {
    pub fn open(session: Session, target: Target, concurrency: usize) -> Result<Workspace> {
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
            concurrency,
        })
    }

    /// The index `update` changes.
    pub async fn current_index(&self) -> Result<ImageIndex> {
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
    pub async fn resolve_all(
        &self,
        sources: &[String],
        subject: Option<&str>,
    ) -> Result<(Vec<ResolvedChild>, Option<ResolvedChild>)> {
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
            return Err(crate::error::Failures {
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
    async fn resolve(&self, written: &str, read_platform: bool) -> Result<ResolvedChild> {
        let (source, reference, elsewhere) = self.open_source(written)?;
        let fetched = source.manifest_get(&reference).await?;
        if let Some(artifact_type) = fetched.manifest.artifact_type() {
            check_media_type(artifact_type).context("the manifest's artifactType")?;
        }
        let config_platform = match &fetched.manifest {
            Manifest::Image(image)
                if read_platform && config_may_record_platform(&image.config) =>
            {
                let config = read_config(source.as_ref(), &image.config).await?;
                config.parsed.and_then(|c| c.platform())
            }
            _ => None,
        };
        let origin = match &elsewhere {
            Some(registry @ Target::Registry { .. }) => {
                Some(registry.canonical(&fetched.descriptor.digest))
            }
            _ => None,
        };
        Ok(ResolvedChild {
            source,
            child: Child {
                source: written.to_string(),
                fetched,
                config_platform,
                imported: elsewhere.is_some(),
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

    /// Validates and serializes the index, writes `--output`, and pushes it unless this
    /// is a dry run; `status` hears what was done along the way.
    pub async fn publish(
        &self,
        index: ImageIndex,
        imports: Vec<ResolvedChild>,
        tags: &[String],
        options: &PublishOptions<'_>,
    ) -> Result<Published> {
        let status = options.status;
        validate(&index)?;
        let bytes = Bytes::from(to_bytes(&index)?);
        let mut descriptor = Descriptor::new(
            index
                .media_type
                .clone()
                .unwrap_or_else(|| OCI_INDEX.to_string()),
            Digest::sha256_of(&bytes),
            bytes.len() as u64,
        );
        descriptor.artifact_type = index.artifact_type.clone();
        let imports: Vec<ResolvedChild> =
            imports.into_iter().filter(|r| r.child.imported).collect();
        // The output file is written before anything is pushed (and put in place after),
        // so that a bad --output path leaves the registry untouched.
        let output_file = prepare_output(options.output, &bytes)?;
        if options.dry_run {
            status("dry run: nothing was copied or pushed");
        } else {
            self.push(
                &descriptor,
                &bytes,
                &imports,
                tags,
                index.subject.is_some(),
                status,
            )
            .await?;
        }
        finish_output(options.output, output_file)?;
        let for_stdout = (options.output == Some(Path::new("-"))).then_some(bytes);
        Ok(Published {
            reference: self.pushed_reference(tags, &descriptor.digest),
            descriptor,
            for_stdout,
        })
    }

    /// Brings manifests from elsewhere into the target, then pushes the index by digest
    /// and points the tags at it.
    async fn push(
        &self,
        descriptor: &Descriptor,
        bytes: &Bytes,
        imports: &[ResolvedChild],
        tags: &[String],
        has_subject: bool,
        status: fn(&str),
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
            status(&copy_summary(
                imports.len(),
                &writer.location(),
                copier.stats(),
            ));
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

/// Puts `--output FILE` in place.
fn finish_output(output: Option<&Path>, file: Option<tempfile::NamedTempFile>) -> Result<()> {
    if let (Some(path), Some(file)) = (output, file) {
        crate::atomic_file::persist(file, path)
            .with_context(|| format!("writing the index to {}", path.display()))?;
    }
    Ok(())
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
