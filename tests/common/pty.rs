//! Runs ocx on a pseudo-terminal of a given width, as a user's terminal would: the pty is
//! stdin, stdout and stderr and the controlling terminal (so /dev/tty is it too).

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// What ocx wrote to the terminal (stdout and stderr together, `\r\n` made `\n`) and its
/// exit status.
pub struct Screen {
    pub text: String,
    pub status: Option<i32>,
}

/// Runs ocx with `args` on a terminal `columns` wide, with `env` on top of the usual
/// test environment (an empty docker config; NO_COLOR is removed so that the terminal
/// decides).
pub fn ocx_on_terminal(columns: u16, args: &[&str], env: &[(&str, &str)]) -> Screen {
    let (controller, terminal) = open_pty(columns);
    let mut command = Command::new(env!("CARGO_BIN_EXE_ocx"));
    command
        .args(args)
        .env("DOCKER_CONFIG", super::empty_docker_config())
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .envs(env.iter().copied())
        .stdin(Stdio::from(terminal.try_clone().unwrap()))
        .stdout(Stdio::from(terminal.try_clone().unwrap()))
        .stderr(Stdio::from(terminal));
    // SAFETY: setsid and ioctl are async-signal-safe and touch nothing of the parent's.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("running ocx on a pty");
    // The child holds the terminal side now: reading ends (EIO) once it has exited.
    drop(command);
    let mut raw = Vec::new();
    let mut reader = std::fs::File::from(controller);
    let mut buffer = [0u8; 8192];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
        }
    }
    let status = child.wait().unwrap().code();
    Screen {
        text: String::from_utf8_lossy(&raw).replace("\r\n", "\n"),
        status,
    }
}

/// A pty pair, the terminal side `columns` wide and 50 rows high.
fn open_pty(columns: u16) -> (OwnedFd, OwnedFd) {
    let (mut controller, mut terminal) = (-1, -1);
    let size = libc::winsize {
        ws_row: 50,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors, which are owned from here on.
    let opened = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let pair = unsafe {
        (
            OwnedFd::from_raw_fd(controller),
            OwnedFd::from_raw_fd(terminal),
        )
    };
    assert!(pair.0.as_raw_fd() >= 0 && pair.1.as_raw_fd() >= 0);
    pair
}
