//! `ocx index create` and `ocx index update`: check the flags, resolve the children
//! through [`crate::index::Workspace`], build the index, publish it, print the result.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::cli::{GlobalArgs, IndexCreateArgs, IndexOptions, IndexUpdateArgs};
use crate::digest::Digest;
use crate::index::{self, PublishOptions, ResolvedChild, Workspace};
use crate::manifest::{Annotations, Descriptor, ImageIndex, Platform, DOCKER_MANIFEST_LIST};
use crate::reference::{is_valid_tag, ManifestRef, Target};
use crate::render;

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
    let workspace = workspace(global, target, options.concurrency)?;
    let (children, subject) = workspace
        .resolve_all(&args.sources, options.subject.as_deref())
        .await?;
    index::check_distinct(&named_by_source(&children).collect::<Vec<_>>())?;
    let manifests = entries(&children, options);
    let named = children
        .iter()
        .map(|r| format!("source {:?}", r.child.source))
        .zip(&manifests);
    warn_repeated_platforms(named);
    let index = index::new_index(
        options.artifact_type.clone(),
        manifests,
        subject
            .as_ref()
            .map(|s| index::subject_descriptor(&s.child.fetched)),
        annotations(Annotations::new(), options),
    );
    let imports = children.into_iter().chain(subject).collect();
    publish(&workspace, index, imports, &tags, options).await
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
    let index_name = target.to_string();
    let workspace = workspace(global, target, options.concurrency)?;
    let mut index = workspace.current_index().await?;
    index::remove_entries(&mut index.manifests, &args.remove)?;
    if !args.remove.is_empty() && args.add.is_empty() && index.manifests.is_empty() {
        bail!(
            "{index_name}: --remove would leave the index with no entries; an empty index \
             lists nothing, so add an entry with --add or delete the tag instead"
        );
    }
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
    let added_children: Vec<&index::Child> = added.iter().map(|r| &r.child).collect();
    index::check_fits_docker_list(&index, &added_children)?;
    let kept = index.manifests.len();
    index.manifests.extend(entries(&added, options));
    let names = (0..kept)
        .map(|i| format!("manifests[{i}]"))
        .chain(added.iter().map(|r| format!("source {:?}", r.child.source)));
    warn_repeated_platforms(names.zip(&index.manifests));
    if let Some(artifact_type) = &options.artifact_type {
        index.artifact_type = Some(artifact_type.clone());
    }
    if let Some(subject) = &subject {
        index.subject = Some(index::subject_descriptor(&subject.child.fetched));
    }
    let kept = index.annotations.take().unwrap_or_default();
    let merged = annotations(kept, options);
    index.annotations = (!merged.is_empty()).then_some(merged);
    check_docker_list(&index, options)?;
    let imports = added.into_iter().chain(subject).collect();
    publish(&workspace, index, imports, &tags, options).await
}

fn warn_repeated_platforms<'a>(named: impl Iterator<Item = (String, &'a Descriptor)>) {
    let named: Vec<(String, &Descriptor)> = named.collect();
    for warning in index::repeated_platforms(&named) {
        render::warning(&warning);
    }
}

/// Each child with the name a duplicate error gives it.
fn named_by_source(children: &[ResolvedChild]) -> impl Iterator<Item = (String, &Digest)> {
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

/// A Docker manifest list has no artifactType, subject or annotations; an OCI index is
/// needed for those.
fn check_docker_list(index: &ImageIndex, options: &IndexOptions) -> Result<()> {
    if index.media_type.as_deref() != Some(DOCKER_MANIFEST_LIST) {
        return Ok(());
    }
    let oci_only = [
        ("artifactType", index.artifact_type.is_some()),
        ("subject", index.subject.is_some()),
        ("annotations", !options.annotations.is_empty()),
    ];
    if let Some((field, _)) = oci_only.iter().find(|(_, set)| *set) {
        bail!(
            "the index is a Docker manifest list, which has no {field} field (artifactType, \
             subject and annotations are OCI index fields): build an OCI index with \
             `ocx index create` instead"
        );
    }
    Ok(())
}

/// The index entries for resolved children, in source order.
fn entries(children: &[ResolvedChild], options: &IndexOptions) -> Vec<Descriptor> {
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

fn workspace(global: &GlobalArgs, target: Target, concurrency: u16) -> Result<Workspace> {
    let session = super::session(global, concurrency)?;
    Workspace::open(session, target, usize::from(concurrency))
}

async fn publish(
    workspace: &Workspace,
    index: ImageIndex,
    imports: Vec<ResolvedChild>,
    tags: &[String],
    options: &IndexOptions,
) -> Result<ExitCode> {
    let publish = PublishOptions {
        dry_run: options.dry_run,
        output: options.output.as_deref(),
        status: render::status,
    };
    let published = workspace.publish(index, imports, tags, &publish).await?;
    render::index::published(&published, options.json)?;
    Ok(ExitCode::SUCCESS)
}
