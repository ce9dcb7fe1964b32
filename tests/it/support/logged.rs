//! The `kmsd` binary with every line it logs kept, from its first: for startup lines that come
//! before or after it listens, and for runs under `sh` that set the open-files limit or the
//! umask first. Waits on its log, never on a timer.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::process::KMSD;

/// A running `kmsd` and what it has logged so far.
pub struct Logged {
    child: Child,
    /// The address it listens on.
    pub addr: String,
    incoming: mpsc::Receiver<String>,
    /// Every line so far, in order.
    pub lines: Vec<String>,
    /// Lines before this one have been looked at by [`Logged::until`].
    cursor: usize,
}

/// Starts `kmsd args` (in `cwd`, with `env`) and waits until it listens.
pub fn start(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Logged {
    spawn(Command::new(KMSD), cwd, args, env)
}

/// [`start`] through `sh -c '<prelude>; exec kmsd args'`: `ulimit -n 256`, `umask 022`.
pub fn start_after(prelude: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Logged {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("{prelude} && exec \"$0\" \"$@\""))
        .arg(KMSD);
    spawn(command, cwd, args, env)
}

fn spawn(mut command: Command, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Logged {
    let mut child = command
        .args(args)
        .current_dir(cwd)
        .env_remove("KMS_PORT")
        .env_remove("PORT")
        .env_remove("KMS_DATA_PATH")
        .env_remove("KMS_NO_ADMIN")
        .env_remove("KMS_ADMIN_TOKEN")
        .env_remove("KMS_ALLOWED_HOSTS")
        .env("RUST_LOG", "debug")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, incoming) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut logged = Logged {
        child,
        addr: String::new(),
        incoming,
        lines: Vec::new(),
        cursor: 0,
    };
    let listening = logged.until("kmsd listening");
    logged.addr = listening
        .split("address=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {listening}"))
        .to_owned();
    // Startup lines after this one are looked at by the test.
    logged.cursor = logged.lines.len();
    logged
}

impl Logged {
    /// Waits for the next line (after those already looked at) that contains `needle`.
    pub fn until(&mut self, needle: &str) -> String {
        self.until_without(needle, "\u{0}")
    }

    /// [`Logged::until`], asserting that no line on the way contains `forbidden`.
    pub fn until_without(&mut self, needle: &str, forbidden: &str) -> String {
        loop {
            while self.cursor < self.lines.len() {
                let line = &self.lines[self.cursor];
                self.cursor += 1;
                assert!(!line.contains(forbidden), "unexpected line: {line}");
                if line.contains(needle) {
                    return line.clone();
                }
            }
            match self.incoming.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => self.lines.push(line),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "kmsd never logged {needle:?}; it logged:\n{}",
                        self.lines.join("\n")
                    );
                }
            }
        }
    }

    /// Sends SIGTERM and waits for the process to end; returns how it ended and the lines
    /// it logged that the test has not looked at.
    pub fn stop(mut self) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        // Its stderr has closed: the reader thread sends what is left, then hangs up.
        while let Ok(line) = self.incoming.recv_timeout(Duration::from_secs(30)) {
            self.lines.push(line);
        }
        (status, self.lines.split_off(self.cursor))
    }

    /// Sends SIGKILL, as a crash would, and waits until the process is gone.
    pub fn kill_hard(mut self) -> ExitStatus {
        self.child.kill().unwrap();
        self.child.wait().unwrap()
    }

    /// The `http://` endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Logged {
    /// A failed test must not leave a server behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A blocking admin `POST path` with a JSON body and `Host: addr`; returns the status.
pub fn post_json(addr: &str, path: &str, body: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(&super::http::request(
            "POST",
            path,
            &[("Host", addr), ("Content-Type", "application/json")],
            body,
        ))
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    super::http::Answer::parse(&raw).status
}

/// A blocking KMS call with `Host: addr`; returns the status.
pub fn kms_call(addr: &str, operation: &str, body: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(&super::http::kms_request(addr, operation, body))
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    super::http::Answer::parse(&raw).status
}
