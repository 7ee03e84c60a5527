//! Addresses of differences and the `--ignore` patterns that match them.
//!
//! An address is a path of segments: names joined by `.`, map keys as `["key"]` (the key
//! as a JSON string, so quotes and backslashes are escaped) and list positions as `[3]`:
//! `platforms["linux/amd64"].config.env["PATH"]`. A pattern is an address in which `*`
//! stands for any run of characters; it matches an address when it matches the whole
//! address or one of its parents (a prefix that ends before a `.` or `[`), so that
//! `platforms["linux/s390x"]` ignores everything under that platform.

/// `parent.name`, or `name` at the top.
pub fn field(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// `parent["key"]`.
pub fn keyed(parent: &str, key: &str) -> String {
    let quoted = serde_json::Value::String(key.to_string()).to_string();
    format!("{parent}[{quoted}]")
}

/// `parent[index]`.
pub fn indexed(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The patterns `--ignore-timestamps` stands for.
const TIMESTAMP_PATTERNS: [&str; 10] = [
    r#"annotations["org.opencontainers.image.created"]"#,
    r#"*.annotations["org.opencontainers.image.created"]"#,
    r#"config.labels["org.opencontainers.image.created"]"#,
    r#"*.config.labels["org.opencontainers.image.created"]"#,
    "config.created",
    "*.config.created",
    "config.history[*].created",
    "*.config.history[*].created",
    "build.created",
    "*.build.created",
];

/// What `--ignore` and `--ignore-timestamps` leave out.
#[derive(Debug, Clone, Default)]
pub struct Ignores {
    patterns: Vec<String>,
}

impl Ignores {
    pub fn new(patterns: &[String], timestamps: bool) -> Ignores {
        let mut all = patterns.to_vec();
        if timestamps {
            all.extend(TIMESTAMP_PATTERNS.iter().map(|p| p.to_string()));
        }
        Ignores { patterns: all }
    }

    pub fn is_ignored(&self, address: &str) -> bool {
        !self.patterns.is_empty()
            && self_and_parents(address)
                .any(|candidate| self.patterns.iter().any(|p| glob_matches(p, candidate)))
    }
}

/// The address and each prefix of it that ends before a `.` or `[`.
fn self_and_parents(address: &str) -> impl Iterator<Item = &str> {
    address
        .char_indices()
        .filter(|&(i, c)| i > 0 && (c == '.' || c == '['))
        .map(|(i, _)| &address[..i])
        .chain(std::iter::once(address))
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (none too).
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // The last `*` seen and the text position it was tried at, to backtrack to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_quote_keys_as_json_strings() {
        let platform = keyed("platforms", "linux/amd64");
        let env = keyed(&field(&field(&platform, "config"), "env"), "PATH");
        assert_eq!(env, r#"platforms["linux/amd64"].config.env["PATH"]"#);
        assert_eq!(keyed("labels", "a\"b"), r#"labels["a\"b"]"#);
        assert_eq!(indexed(&field("", "layers"), 2), "layers[2]");
    }

    #[test]
    fn globs() {
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*c", "abbbc"));
        assert!(glob_matches(
            "*.config.created",
            "platforms[\"x\"].config.created"
        ));
        assert!(!glob_matches("*.config.created", "config.created"));
        assert!(glob_matches("a*b*c", "a-b-b-c"));
        assert!(!glob_matches("a*b", "a-b-c"));
    }

    #[test]
    fn a_pattern_ignores_what_is_under_it() {
        let ignores = Ignores::new(&[r#"platforms["linux/s390x"]"#.to_string()], false);
        assert!(ignores.is_ignored(r#"platforms["linux/s390x"].config.env["A"]"#));
        assert!(ignores.is_ignored(r#"platforms["linux/s390x"]"#));
        assert!(!ignores.is_ignored(r#"platforms["linux/s390x/v2"]"#));
        assert!(!ignores.is_ignored(r#"platforms["linux/amd64"]"#));
    }

    #[test]
    fn timestamps() {
        let ignores = Ignores::new(&[], true);
        for address in [
            r#"annotations["org.opencontainers.image.created"]"#,
            r#"platforms["linux/amd64"].config.created"#,
            r#"platforms["linux/amd64"].config.history[3].created"#,
            "build.created",
        ] {
            assert!(ignores.is_ignored(address), "{address}");
        }
        assert!(!ignores.is_ignored(r#"platforms["linux/amd64"].config.history[3].created_by"#));
        assert!(!Ignores::new(&[], false).is_ignored("config.created"));
    }
}
