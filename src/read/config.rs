//! Reading a config blob: the one reader for the walk, `--platform` and index building.

use anyhow::{Context, Result};

use crate::manifest::{is_image_config_media_type, is_json_media_type, Descriptor, ImageConfig};
use crate::source::{Source, MAX_CONFIG_BYTES};

/// A config descriptor and, when it is JSON, its parsed content.
#[derive(Debug, Clone)]
pub struct Config {
    pub descriptor: Descriptor,
    pub parsed: Option<ImageConfig>,
}

/// Reads a config: image configs must parse, any other JSON config is read for what it
/// offers, and other media types (and the empty config) are not fetched.
pub async fn read_config(source: &dyn Source, descriptor: &Descriptor) -> Result<Config> {
    let parsed = if descriptor.is_empty_json() {
        Some(ImageConfig::default())
    } else if is_image_config_media_type(&descriptor.media_type)
        || is_json_media_type(&descriptor.media_type)
    {
        let bytes = source.blob_get(descriptor, MAX_CONFIG_BYTES).await?;
        parse_config(descriptor, &bytes)?
    } else {
        None
    };
    Ok(Config {
        descriptor: descriptor.clone(),
        parsed,
    })
}

fn parse_config(descriptor: &Descriptor, bytes: &[u8]) -> Result<Option<ImageConfig>> {
    let parsed = serde_json::from_slice::<ImageConfig>(bytes);
    if is_image_config_media_type(&descriptor.media_type) {
        return parsed.map(Some).with_context(|| {
            format!(
                "config blob {} is not a valid image config",
                descriptor.digest
            )
        });
    }
    Ok(parsed.ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::manifest::OCI_CONFIG;

    fn platform_of(bytes: &[u8]) -> Result<Option<crate::manifest::Platform>> {
        let config = Descriptor::new(OCI_CONFIG, Digest::sha256_of(b"c"), 1);
        Ok(parse_config(&config, bytes)?.and_then(|c| c.platform()))
    }

    #[test]
    fn config_platforms_need_os_and_architecture() {
        let oras = br#"{"architecture":"arm64","os":"linux","variant":"v8","os.version":"","os.features":["x"]}"#;
        let p = platform_of(oras).unwrap().unwrap();
        assert_eq!(
            (p.variant.as_deref(), p.os_version.as_deref()),
            (Some("v8"), None)
        );
        assert_eq!(p.os_features, Some(vec!["x".to_string()]));
        assert_eq!(platform_of(br#"{"os":"linux"}"#).unwrap(), None);
        assert!(platform_of(b"[]").is_err());
    }
}
