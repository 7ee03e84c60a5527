//! One layer's bytes to its [`LayerIndex`]: decompressed (gzip, zstd or none, told by
//! the first bytes rather than the media type), read as tar, every regular file hashed as
//! it passes. Nothing is written anywhere; a file's bytes are kept only when they are a
//! small text file and the caller asked for them.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest as _, Sha256};

use super::{FileMeta, FileType, LayerIndex, Op, TextStore, Xattrs};

/// What a layer may decompress to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// At most this many times its compressed size...
    pub max_ratio: u64,
    /// ...once past this many bytes (small layers of empty files compress very well)...
    pub ratio_floor: u64,
    /// ...and never more than this.
    pub max_uncompressed: u64,
    /// Keep the bytes of text files up to this size (for `--content`); 0: none.
    pub keep_text_up_to: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_ratio: 1000,
            ratio_floor: 64 << 20,
            max_uncompressed: 64 << 30,
            keep_text_up_to: 0,
        }
    }
}

impl Limits {
    /// The most a layer of `compressed` bytes may decompress to.
    pub fn bound(&self, compressed: u64) -> u64 {
        compressed
            .saturating_mul(self.max_ratio)
            .max(self.ratio_floor)
            .min(self.max_uncompressed)
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// Reads the layer `reader` delivers (`compressed` bytes long), within `limits`.
pub fn read_layer(
    reader: impl Read,
    compressed: u64,
    limits: &Limits,
    texts: Option<&TextStore>,
) -> Result<LayerIndex> {
    let mut buffered = BufReader::with_capacity(256 << 10, reader);
    let head = buffered.fill_buf().context("reading the layer")?;
    let decompressed: Box<dyn Read> = if head.starts_with(GZIP_MAGIC) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else if head.starts_with(ZSTD_MAGIC) {
        Box::new(ZstdFrames::Between(buffered))
    } else {
        Box::new(buffered)
    };
    let bounded = Bounded {
        inner: decompressed,
        read: 0,
        bound: limits.bound(compressed),
        compressed,
    };
    read_tar(BufReader::with_capacity(256 << 10, bounded), limits, texts)
}

fn read_tar(reader: impl Read, limits: &Limits, texts: Option<&TextStore>) -> Result<LayerIndex> {
    let mut archive = tar::Archive::new(reader);
    let mut index = LayerIndex::default();
    let mut buffer = vec![0u8; 128 << 10];
    for entry in archive.entries().context("reading the tar stream")? {
        let mut entry = entry.context("reading a tar header")?;
        let raw_path = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw_path).into_owned();
        let Some(path) = normalize(&raw_path).with_context(|| format!("entry {shown:?}"))? else {
            continue; // the root directory itself
        };
        if let Some(op) = whiteout(&path) {
            index.ops.push(op);
            continue;
        }
        let op = entry_op(&mut entry, &mut buffer, limits, texts)
            .with_context(|| format!("entry {shown:?}"))?;
        if let Some(op) = op {
            index.ops.push((Arc::from(path.as_str()), op));
        }
    }
    Ok(index)
}

/// `/a/b` for `a/b`, `./a/b/`, `a//b`; None for the root; an error for an absolute path
/// or one with `..`, which would reach outside the image's root.
pub fn normalize(raw: &[u8]) -> Result<Option<String>> {
    let text = String::from_utf8_lossy(raw);
    if text.starts_with('/') {
        bail!("absolute path in a layer: refused");
    }
    let mut path = String::with_capacity(text.len() + 1);
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => bail!("path with `..` in a layer: refused"),
            name => {
                path.push('/');
                path.push_str(name);
            }
        }
    }
    Ok((!path.is_empty()).then_some(path))
}

/// The whiteout or opaque marker a path stands for; other `.wh..wh.` names (aufs
/// bookkeeping) are dropped as nothing.
fn whiteout(path: &str) -> Option<(Arc<str>, Op)> {
    let (parent, name) = path.rsplit_once('/')?;
    let hidden = name.strip_prefix(WHITEOUT)?;
    let parent = if parent.is_empty() { "/" } else { parent };
    if name == OPAQUE {
        return Some((Arc::from(parent), Op::Opaque));
    }
    if hidden.starts_with(WHITEOUT) || hidden.is_empty() {
        return Some((Arc::from(path), Op::Ignored));
    }
    let hidden_path = format!("{}/{hidden}", parent.trim_end_matches('/'));
    Some((Arc::from(hidden_path.as_str()), Op::Whiteout))
}

fn entry_op<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    buffer: &mut [u8],
    limits: &Limits,
    texts: Option<&TextStore>,
) -> Result<Option<Op>> {
    let header = entry.header();
    let kind = match header.entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            FileType::File
        }
        tar::EntryType::Directory => FileType::Directory,
        tar::EntryType::Symlink => FileType::Symlink,
        tar::EntryType::Char => FileType::Char,
        tar::EntryType::Block => FileType::Block,
        tar::EntryType::Fifo => FileType::Fifo,
        tar::EntryType::Link => {
            let target = entry
                .link_name_bytes()
                .ok_or_else(|| anyhow!("hard link without a target"))?;
            let target = normalize(&target)
                .context("hard link target")?
                .ok_or_else(|| anyhow!("hard link to the root directory"))?;
            return Ok(Some(Op::Link(Arc::from(target.as_str()))));
        }
        // Headers of their own (long names, pax) are folded into the next entry by tar.
        _ => return Ok(None),
    };
    let device = matches!(kind, FileType::Char | FileType::Block)
        .then(|| Ok::<_, io::Error>((header.device_major()?, header.device_minor()?)))
        .transpose()?
        .map(|(major, minor)| (major.unwrap_or(0), minor.unwrap_or(0)));
    let target = match kind {
        FileType::Symlink => entry
            .link_name_bytes()
            .map(|t| Box::from(String::from_utf8_lossy(&t).as_ref())),
        _ => None,
    };
    let mut meta = FileMeta {
        kind,
        mode: header.mode()? & 0o7777,
        uid: header.uid()?,
        gid: header.gid()?,
        size: 0,
        mtime: header.mtime()?,
        sha256: None,
        target,
        hardlink: None,
        device,
        xattrs: xattrs(entry)?,
    };
    if kind == FileType::File {
        let declared = entry.size();
        let (digest, size) = hash_contents(entry, buffer, declared, limits, texts)?;
        meta.sha256 = Some(digest);
        meta.size = size;
    }
    Ok(Some(Op::Set(Arc::new(meta))))
}

/// `SCHILY.xattr.NAME` pax records, sorted by name.
fn xattrs<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Xattrs> {
    let Some(extensions) = entry.pax_extensions()? else {
        return Ok(Box::default());
    };
    let mut found = Vec::new();
    for extension in extensions {
        let extension = extension?;
        if let Some(name) = extension.key_bytes().strip_prefix(b"SCHILY.xattr.") {
            let name = String::from_utf8_lossy(name);
            found.push((Box::from(name.as_ref()), Box::from(extension.value_bytes())));
        }
    }
    found.sort();
    Ok(found.into_boxed_slice())
}

fn hash_contents(
    reader: &mut impl Read,
    buffer: &mut [u8],
    declared: u64,
    limits: &Limits,
    texts: Option<&TextStore>,
) -> Result<([u8; 32], u64)> {
    let mut hasher = Sha256::new();
    let keep = texts.is_some() && declared <= limits.keep_text_up_to;
    let mut kept = Vec::new();
    let mut size = 0u64;
    loop {
        let n = match reader.read(buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading the file's contents"),
        };
        hasher.update(&buffer[..n]);
        if keep {
            kept.extend_from_slice(&buffer[..n]);
        }
        size += n as u64;
    }
    if size != declared {
        bail!("the stream ends inside the file ({size} of {declared} bytes): truncated layer");
    }
    let digest: [u8; 32] = hasher.finalize().into();
    if let Some(texts) = texts.filter(|_| keep && is_text(&kept)) {
        texts.keep(digest, kept);
    }
    Ok((digest, size))
}

/// UTF-8 without NUL: what a unified diff can show.
pub fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// A zstd stream of any number of frames, skippable frames (as zstd:chunked writes)
/// skipped: what `zstd -d` accepts.
enum ZstdFrames<R: BufRead> {
    Between(R),
    In(Box<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>),
    Done,
}

/// Magic numbers 0x184D2A50 to 0x184D2A5F, little-endian.
fn is_skippable(head: &[u8]) -> bool {
    head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18]
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match std::mem::replace(self, ZstdFrames::Done) {
                ZstdFrames::In(mut frame) => {
                    let n = frame.read(buf)?;
                    if n > 0 || buf.is_empty() {
                        *self = ZstdFrames::In(frame);
                        return Ok(n);
                    }
                    *self = ZstdFrames::Between(frame.into_inner());
                }
                ZstdFrames::Between(mut source) => {
                    let head = source.fill_buf()?;
                    if head.is_empty() {
                        return Ok(0);
                    }
                    if is_skippable(head) {
                        let mut header = [0u8; 8];
                        source.read_exact(&mut header)?;
                        let length =
                            u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
                        io::copy(&mut (&mut source).take(length.into()), &mut io::sink())?;
                        *self = ZstdFrames::Between(source);
                        continue;
                    }
                    let frame = ruzstd::decoding::StreamingDecoder::new(source)
                        .map_err(|e| io::Error::other(format!("zstd frame header: {e}")))?;
                    *self = ZstdFrames::In(Box::new(frame));
                }
                ZstdFrames::Done => return Ok(0),
            }
        }
    }
}

/// The decompressed stream, refused once it passes its bound.
struct Bounded<R> {
    inner: R,
    read: u64,
    bound: u64,
    compressed: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.bound {
            return Err(io::Error::other(format!(
                "decompresses to more than {} bytes from {} compressed: refused as a \
                 decompression bomb",
                self.bound, self.compressed
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_rooted_and_never_escape() {
        let ok = |raw: &str| normalize(raw.as_bytes()).unwrap();
        assert_eq!(ok("./etc//passwd"), Some("/etc/passwd".into()));
        assert_eq!(ok("usr/bin/"), Some("/usr/bin".into()));
        assert_eq!(ok("./"), None);
        for bad in ["/etc/passwd", "../x", "a/../../x", "a/.."] {
            assert!(normalize(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn whiteouts_name_what_they_hide() {
        let op = |p: &str| whiteout(p).map(|(path, op)| (path.to_string(), op));
        assert_eq!(
            op("/etc/.wh.motd"),
            Some(("/etc/motd".into(), Op::Whiteout))
        );
        assert_eq!(op("/.wh.opt"), Some(("/opt".into(), Op::Whiteout)));
        assert_eq!(op("/var/.wh..wh..opq"), Some(("/var".into(), Op::Opaque)));
        assert_eq!(op("/.wh..wh..opq"), Some(("/".into(), Op::Opaque)));
        assert_eq!(
            op("/x/.wh..wh.plnk"),
            Some(("/x/.wh..wh.plnk".into(), Op::Ignored))
        );
        assert_eq!(op("/etc/motd"), None);
    }

    #[test]
    fn devices_and_xattrs_are_read_from_their_headers() {
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append_pax_extensions([("SCHILY.xattr.user.note", &b"v\x00"[..])])
            .unwrap();
        let mut header = tar::Header::new_ustar();
        header.set_path("dev/tty9").unwrap();
        header.set_entry_type(tar::EntryType::Char);
        header.set_device_major(4).unwrap();
        header.set_device_minor(9).unwrap();
        header.set_mode(0o620);
        header.set_uid(0);
        header.set_gid(5);
        header.set_mtime(1);
        header.set_size(0);
        header.set_cksum();
        builder.append(&header, &b""[..]).unwrap();
        let bytes = builder.into_inner().unwrap();
        let index = read_layer(&bytes[..], bytes.len() as u64, &Limits::default(), None).unwrap();
        let [(path, Op::Set(meta))] = &index.ops[..] else {
            panic!("{:?}", index.ops);
        };
        assert_eq!(&**path, "/dev/tty9");
        assert_eq!(
            (meta.kind, meta.device, meta.mode, meta.gid),
            (FileType::Char, Some((4, 9)), 0o620, 5)
        );
        assert_eq!(&*meta.xattrs[0].0, "user.note");
        assert_eq!(&*meta.xattrs[0].1, b"v\x00");
    }

    #[test]
    fn the_bound_has_a_floor_a_ratio_and_a_ceiling() {
        let limits = Limits::default();
        assert_eq!(limits.bound(10), 64 << 20);
        assert_eq!(limits.bound(1 << 20), 1000 << 20);
        assert_eq!(limits.bound(1 << 40), 64 << 30);
    }
}
