//! Real registries for tests: CNCF distribution 2.8 (`docker-registry serve`) on a free
//! loopback port with filesystem storage in a temp dir, stopped on drop, or one
//! [`shared`] by every test of a test binary.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Runs the server given as arguments, and on SIGTERM or its own exit stops the server
/// and removes the storage directory `$1` (the [`shared`] registry is never dropped).
const SUPERVISOR: &str = r#"dir=$1; shift
"$@" & server=$!
trap 'kill -KILL $server 2>/dev/null; wait $server; rm -rf "$dir"' EXIT
trap 'exit 143' TERM
wait $server"#;

static SHARED: OnceLock<Registry> = OnceLock::new();

/// One distribution registry for every test of this test binary that reads only what
/// it pushed under repository names of its own. It is stopped, and its storage removed,
/// when the test binary exits.
pub fn shared() -> &'static Registry {
    SHARED.get_or_init(|| {
        // The kernel signals the supervisor when the thread that started it ends (see
        // `supervised`), so a thread that lives as long as the process starts it: a
        // test binary killed by a signal leaves nothing behind either.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            sender.send(Registry::start()).unwrap();
            loop {
                std::thread::park();
            }
        });
        let registry = receiver.recv().expect("starting the shared registry");
        // SAFETY: registering a plain function; it runs once, at exit.
        unsafe { libc::atexit(stop_shared) };
        registry
    })
}

/// Stops the shared registry before the test binary exits, so that the binary ends only
/// once the registry is gone and its storage removed.
extern "C" fn stop_shared() {
    if let Some(registry) = SHARED.get() {
        stop(registry.child.id());
    }
}

/// SIGTERM, not SIGKILL: the supervisor stops the server and removes the storage, and
/// has done both when it has exited.
fn stop(supervisor: u32) {
    let pid = supervisor as libc::pid_t;
    // SAFETY: `pid` is a child of this process that has not been reaped.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}

pub struct Registry {
    child: Child,
    pub addr: String,
    dir: tempfile::TempDir,
}

/// Which server a [`Registry`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// CNCF distribution 2.8: no referrers API (exercises the tag fallback).
    Distribution,
    /// ferro-oci-server: the OCI 1.1 referrers API.
    Ferro,
}

impl Registry {
    /// Starts distribution; panics with what went wrong when it cannot (a missing
    /// `docker-registry` binary fails the test: run .ci/test to install it).
    pub fn start() -> Registry {
        Self::start_with_auth(None)
    }

    /// Starts distribution with htpasswd (HTTP Basic) authentication for one user.
    pub fn start_with_htpasswd(user: &str, password: &str) -> Registry {
        Self::start_with_auth(Some(htpasswd_entry(user, password)))
    }

    /// Starts distribution serving HTTPS (and HTTP/2) with a self-signed certificate for
    /// localhost and 127.0.0.1, made now with openssl; see [`Registry::certificate`].
    pub fn start_tls() -> Registry {
        Self::start_distribution(None, Tls::SelfSigned)
    }

    /// [`Registry::start_tls`] with htpasswd (HTTP Basic) authentication for one user.
    pub fn start_tls_with_htpasswd(user: &str, password: &str) -> Registry {
        Self::start_distribution(Some(htpasswd_entry(user, password)), Tls::SelfSigned)
    }

    /// The certificate of a [`Registry::start_tls`] registry.
    pub fn certificate(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// Starts ferro-oci-server (OCI distribution 1.1, with the referrers API).
    pub fn start_ferro() -> Registry {
        Self::start_server(
            "ferro-oci-server",
            "cargo install --locked --root target/tools ferro-oci-server@1.0.0",
            |binary, dir, addr| {
                let mut command = Command::new(binary);
                command
                    .env("FERRO_OCI_LISTEN", addr)
                    .env("FERRO_OCI_STORAGE_DIR", dir)
                    .env("RUST_LOG", "error");
                command
            },
        )
    }

    fn start_with_auth(htpasswd: Option<String>) -> Registry {
        Self::start_distribution(htpasswd, Tls::None)
    }

    fn start_distribution(htpasswd: Option<String>, tls: Tls) -> Registry {
        Self::start_server(
            "docker-registry",
            "apt-get install docker-registry",
            |binary, dir, addr| {
                let mut yaml = config_yaml(&dir.join("data"), addr);
                if tls == Tls::SelfSigned {
                    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
                    self_signed_certificate(&cert, &key);
                    yaml.push_str(&format!(
                        "  tls:\n    certificate: {}\n    key: {}\n",
                        cert.display(),
                        key.display()
                    ));
                }
                if let Some(entries) = &htpasswd {
                    let file = dir.join("htpasswd");
                    std::fs::write(&file, entries).unwrap();
                    yaml.push_str(&format!(
                        "auth:\n  htpasswd:\n    realm: ocx-test\n    path: {}\n",
                        file.display()
                    ));
                }
                let config = dir.join("config.yml");
                std::fs::write(&config, yaml).unwrap();
                let mut command = Command::new(binary);
                command.arg("serve").arg(&config);
                command
            },
        )
    }

    /// Runs a server on a free loopback port with its storage in a temp dir, trying
    /// again on another port when it does not come up (the port may have been taken).
    fn start_server(
        name: &str,
        install: &str,
        command: impl Fn(&Path, &Path, &str) -> Command,
    ) -> Registry {
        let binary = tool(name)
            .unwrap_or_else(|| panic!("{name} is not installed: run .ci/test, or {install}"));
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let addr = format!("127.0.0.1:{}", free_port());
            let child = supervised(&command(&binary, dir.path(), &addr), dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {name}: {e}"));
            let mut registry = Registry { child, addr, dir };
            if registry.wait_ready() {
                return registry;
            }
        }
        panic!("{name} did not start on a loopback port in 5 tries");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            // A TLS registry answers plain HTTP with 400 ("Client sent an HTTP request to
            // an HTTPS server").
            if matches!(http_status(&self.addr, "/v2/"), Some(200 | 401 | 400)) {
                // Another test's server may hold the port ours failed to bind: ours
                // would have exited by now.
                std::thread::sleep(Duration::from_millis(150));
                return matches!(self.child.try_wait(), Ok(None));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Where the server keeps its files (distribution: `data/docker/registry/v2/...`).
    pub fn storage(&self) -> &Path {
        self.dir.path()
    }

    /// `127.0.0.1:PORT/NAME:TAG`.
    pub fn reference(&self, name_and_tag: &str) -> String {
        format!("{}/{name_and_tag}", self.addr)
    }
}

/// `server` under [`SUPERVISOR`], which the kernel sends SIGTERM when the thread that
/// spawned it ends, the test binary's exit included.
fn supervised(server: &Command, storage: &Path) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(SUPERVISOR)
        .arg("registry-supervisor")
        .arg(storage)
        .arg(server.get_program())
        .args(server.get_args())
        .envs(
            server
                .get_envs()
                .filter_map(|(key, value)| Some((key, value?))),
        );
    // SAFETY: prctl is async-signal-safe and touches nothing of the parent's.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            stop(self.child.id());
        }
    }
}

fn config_yaml(data: &Path, addr: &str) -> String {
    format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
        data.display()
    )
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding a free loopback port")
}

/// A server binary: from target/tools/bin, where .ci/test installs what crates.io
/// provides, else from PATH.
pub fn tool(binary: &str) -> Option<PathBuf> {
    let installed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/tools/bin")
        .join(binary);
    installed
        .is_file()
        .then_some(installed)
        .or_else(|| which(binary))
}

pub fn which(binary: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(binary))
            .find(|p| p.is_file())
    })
}

/// The status of a plain HTTP GET, or None when nothing answers.
pub fn http_status(addr: &str, path: &str) -> Option<u16> {
    let mut stream =
        TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.split_whitespace().nth(1)?.parse().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    None,
    SelfSigned,
}

fn htpasswd_entry(user: &str, password: &str) -> String {
    // bcrypt's lowest cost keeps each authenticated request fast.
    let hash = bcrypt::hash(password, 4).unwrap();
    format!("{user}:{hash}\n")
}

/// A self-signed certificate for localhost and 127.0.0.1, as a user would make one.
fn self_signed_certificate(cert: &Path, key: &Path) {
    let output = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is needed to make a test certificate");
    assert!(
        output.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
