//! Running the `kmsd` binary itself: start it, wait (on its log, never a timer) until it
//! listens or says something, signal it, stop it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const KMSD: &str = env!("CARGO_BIN_EXE_kmsd");

/// A running `kmsd` process and the lines it writes to stderr.
pub struct Running {
    child: Child,
    /// The address it listens on.
    pub addr: String,
    lines: mpsc::Receiver<String>,
}

impl Running {
    /// Starts `kmsd` with `args` in `cwd` and waits until it reports its address.
    pub fn start(cwd: &Path, args: &[&str]) -> Running {
        Running::start_logging(cwd, args, "info")
    }

    /// [`Running::start`] with `RUST_LOG` set to `filter`.
    pub fn start_logging(cwd: &Path, args: &[&str], filter: &str) -> Running {
        Running::spawn(cwd, args, filter, &[])
    }

    /// [`Running::start`] with extra environment variables.
    pub fn start_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Running {
        Running::spawn(cwd, args, "info", env)
    }

    /// [`Running::try_spawn`], panicking with its stderr when kmsd ends before it listens.
    fn spawn(cwd: &Path, args: &[&str], filter: &str, env: &[(&str, &str)]) -> Running {
        Running::try_spawn(cwd, args, filter, env).unwrap_or_else(|exit| {
            panic!(
                "kmsd ended ({}) before it listened:\n{}",
                exit.status,
                exit.stderr.join("\n")
            )
        })
    }

    /// Starts `kmsd` with `args` in `cwd` and waits until it reports its address, or until it
    /// exits without having listened (e.g. the data dir cannot be opened): then returns how it
    /// ended and everything it wrote to stderr.
    pub fn try_start(cwd: &Path, args: &[&str]) -> Result<Running, EarlyExit> {
        Running::try_spawn(cwd, args, "info", &[])
    }

    /// Starts `kmsd` and waits for the line that reports its address (see [`Running::try_start`]).
    fn try_spawn(
        cwd: &Path,
        args: &[&str],
        filter: &str,
        env: &[(&str, &str)],
    ) -> Result<Running, EarlyExit> {
        let mut child = Command::new(KMSD)
            .args(args)
            .current_dir(cwd)
            .env_remove("KMS_PORT")
            .env_remove("PORT")
            .env_remove("KMS_DATA_PATH")
            .env_remove("KMS_NO_ADMIN")
            .env("RUST_LOG", filter)
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running {
            child,
            addr: String::new(),
            lines,
        };
        // Text logs say address=127.0.0.1:1234, JSON logs "address":"127.0.0.1:1234".
        let mut stderr = Vec::new();
        let line = loop {
            match running.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) if line.contains("address") => break line,
                Ok(line) => stderr.push(line),
                // Its stderr closed: it has ended (or is ending) without listening.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = running.child.wait().unwrap();
                    return Err(EarlyExit { status, stderr });
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("kmsd neither listened nor exited:\n{}", stderr.join("\n"))
                }
            }
        };
        running.addr = line
            .split("address")
            .nth(1)
            .and_then(|rest| {
                rest.split([' ', '"', ',', '=', ':'])
                    .find(|s| !s.is_empty())
            })
            .map(|host| {
                let rest = line.split(host).nth(1).unwrap_or_default();
                let port: String = rest
                    .trim_start_matches(':')
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                format!("{host}:{port}")
            })
            .unwrap();
        Ok(running)
    }

    /// Waits for (and returns) the next stderr line containing `needle`; every line before it
    /// is kept in `seen`.
    pub fn wait_for(&mut self, needle: &str) -> String {
        loop {
            let Ok(line) = self.lines.recv_timeout(Duration::from_secs(30)) else {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("kmsd never logged a line containing {needle:?}");
            };
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Every stderr line up to and including the next one containing `needle`.
    pub fn lines_until(&mut self, needle: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let Ok(line) = self.lines.recv_timeout(Duration::from_secs(30)) else {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("kmsd never logged a line containing {needle:?}");
            };
            let found = line.contains(needle);
            lines.push(line);
            if found {
                return lines;
            }
        }
    }

    /// The `http://` endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to end and returns how it ended.
    pub fn wait(mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }

    /// Kills the process.
    pub fn kill(self) {
        drop(self);
    }

    /// Sends SIGKILL, as a crash or an out-of-memory kill would: no shutdown code runs. Returns
    /// once the process is gone (reaped), so its files, and the data dir's lock, are released.
    pub fn kill_hard(mut self) -> ExitStatus {
        self.child.kill().unwrap();
        self.child.wait().unwrap()
    }
}

/// How a `kmsd` that never listened ended, from [`Running::try_start`].
#[derive(Debug)]
pub struct EarlyExit {
    pub status: ExitStatus,
    /// Every line it wrote to stderr.
    pub stderr: Vec<String>,
}

impl Drop for Running {
    /// A failed test must not leave a server behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `kmsd` with `args` to completion; returns its exit code and stderr.
pub fn run_to_exit(cwd: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(KMSD)
        .args(args)
        .current_dir(cwd)
        .env_remove("KMS_PORT")
        .env_remove("PORT")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
