//! Real registries for tests: CNCF distribution 2.8 (`docker-registry serve`) on a free
//! loopback port with filesystem storage in a temp dir, stopped on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Registry {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
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
        // bcrypt's lowest cost keeps each authenticated request fast.
        let hash = bcrypt::hash(password, 4).unwrap();
        Self::start_with_auth(Some(format!("{user}:{hash}\n")))
    }

    /// Starts ferro-oci-server (OCI distribution 1.1, with the referrers API).
    pub fn start_ferro() -> Registry {
        Self::start_server(
            "ferro-oci-server",
            "cargo install --locked ferro-oci-server",
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

    pub fn start_kind(kind: Kind) -> Registry {
        match kind {
            Kind::Distribution => Self::start(),
            Kind::Ferro => Self::start_ferro(),
        }
    }

    fn start_with_auth(htpasswd: Option<String>) -> Registry {
        Self::start_server(
            "docker-registry",
            "apt-get install docker-registry",
            |binary, dir, addr| {
                let mut yaml = config_yaml(&dir.join("data"), addr);
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
        let binary = which(name)
            .unwrap_or_else(|| panic!("{name} is not installed: run .ci/test, or {install}"));
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let addr = format!("127.0.0.1:{}", free_port());
            let child = command(&binary, dir.path(), &addr)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {name}: {e}"));
            let mut registry = Registry {
                child,
                addr,
                _dir: dir,
            };
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
            if matches!(http_status(&self.addr, "/v2/"), Some(200 | 401)) {
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
        self._dir.path()
    }

    /// `127.0.0.1:PORT/NAME:TAG`.
    pub fn reference(&self, name_and_tag: &str) -> String {
        format!("{}/{name_and_tag}", self.addr)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
