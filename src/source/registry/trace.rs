//! `--verbose`: a line on stderr for every HTTP request ocx makes (method, URL, status,
//! bytes, time, attempt), with nothing in it that could be a secret: headers are never
//! shown, and of a URL's query only the values of the distribution API's own parameters.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Query parameters whose values are shown; any other value (a token, a signature of a
/// pre-signed blob URL, whatever a token realm carries) is replaced.
const SHOWN_PARAMETERS: &[&str] = &[
    "n",
    "last",
    "service",
    "scope",
    "artifactType",
    "mount",
    "from",
    "digest",
];

pub const REDACTED: &str = "REDACTED";

/// Turns the trace on for the rest of the process.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// What became of one request.
pub enum Outcome<'a> {
    /// The response: its status, the body length it announced and, when a redirect was
    /// followed, the URL that answered.
    Answered(&'a reqwest::Response),
    /// No response: why, in a few words.
    Failed(&'static str),
    /// The HTTPS probe of a loopback registry found it does not speak TLS: not a fault,
    /// the requests that follow go over plain HTTP.
    NotTls,
}

/// One request: `method URL -> outcome (bytes, time)`, and `attempt N` from the second
/// try on.
pub fn request(
    method: &reqwest::Method,
    url: &url::Url,
    outcome: Outcome,
    elapsed: Duration,
    attempt: u32,
) {
    if enabled() {
        let line = format_request(method, url, outcome, elapsed, attempt);
        eprintln!("{}", crate::render::clean(&line));
    }
}

/// A request about to be sent again.
pub fn retry(wait: Duration, next_attempt: u32) {
    if enabled() {
        eprintln!(
            "trace: retrying in {:.1} s (attempt {next_attempt})",
            wait.as_secs_f64()
        );
    }
}

fn format_request(
    method: &reqwest::Method,
    url: &url::Url,
    outcome: Outcome,
    elapsed: Duration,
    attempt: u32,
) -> String {
    let time = format!("{} ms", elapsed.as_millis());
    let result = match outcome {
        Outcome::Answered(response) => {
            let bytes = response
                .content_length()
                .map_or_else(|| "? bytes".to_string(), |b| format!("{b} bytes"));
            let mut result = format!("{} ({bytes}, {time})", response.status());
            if response.url() != url {
                result.push_str(&format!(" from {}", redacted(response.url())));
            }
            result
        }
        Outcome::Failed(why) => format!("failed: {why} ({time})"),
        Outcome::NotTls => {
            format!("no TLS ({time}): HTTPS probe of a loopback registry, plain HTTP is used")
        }
    };
    let mut line = format!("trace: {method} {} -> {result}", redacted(url));
    if attempt > 1 {
        line.push_str(&format!(", attempt {attempt}"));
    }
    line
}

/// `url` without user info or fragment, and with the value of every query parameter
/// not in [`SHOWN_PARAMETERS`] replaced by [`REDACTED`].
pub fn redacted(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if SHOWN_PARAMETERS.contains(&name.as_ref()) {
                    value.into_owned()
                } else {
                    REDACTED.to_string()
                };
                (name.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// A few words on why a request got no response, never the error's own text (which
/// quotes the URL, query and all).
pub fn failure_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_redirect() {
        "bad redirect"
    } else {
        "transport error"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_urls_are_replaced() {
        let url = url::Url::parse(
            "https://user:pw@auth.example/token?service=reg&scope=repository:a:pull&token=s3cret&X-Amz-Signature=abc#frag",
        )
        .unwrap();
        let shown = redacted(&url);
        for secret in ["user", "pw", "s3cret", "abc", "frag"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("service=reg"), "{shown}");
        assert!(shown.contains("scope=repository%3Aa%3Apull"), "{shown}");
        assert!(shown.contains("token=REDACTED"), "{shown}");
        let plain = url::Url::parse("http://127.0.0.1:5000/v2/app/tags/list?n=100").unwrap();
        assert_eq!(redacted(&plain), plain.as_str());
    }

    #[test]
    fn a_failure_line_names_method_time_and_attempt() {
        let url = url::Url::parse("http://127.0.0.1:5000/v2/app/manifests/1?token=x").unwrap();
        let line = format_request(
            &reqwest::Method::GET,
            &url,
            Outcome::Failed("timed out"),
            Duration::from_millis(7),
            2,
        );
        assert_eq!(
            line,
            "trace: GET http://127.0.0.1:5000/v2/app/manifests/1?token=REDACTED -> failed: timed out (7 ms), attempt 2"
        );
    }

    #[test]
    fn a_probe_that_finds_no_tls_says_plain_http_is_used() {
        let url = url::Url::parse("https://127.0.0.1:5000/v2/").unwrap();
        let line = format_request(
            &reqwest::Method::HEAD,
            &url,
            Outcome::NotTls,
            Duration::from_millis(2),
            1,
        );
        assert_eq!(
            line,
            "trace: HEAD https://127.0.0.1:5000/v2/ -> no TLS (2 ms): HTTPS probe of a loopback \
             registry, plain HTTP is used"
        );
    }
}
