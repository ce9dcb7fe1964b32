//! Log output. Request handlers never write to stderr themselves: each log line is appended to
//! a shared buffer and one background thread writes whatever has accumulated with a single
//! `write`. Under load that is one system call for many lines, and a slow terminal or pipe
//! delays the log, not the requests. Every line still gets written: when the buffer is full,
//! loggers wait for the writer, and [`LogGuard`] writes the rest before the process exits.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::config::LogFormat;

/// Beyond this many buffered bytes, loggers wait until the writer has caught up.
const MAX_BUFFERED: usize = 1 << 20;

/// Sets up the global `tracing` subscriber: `RUST_LOG` (default `info`), `format`, stderr
/// through the background writer. Keep the guard until the end of `main`.
pub fn init(format: LogFormat) -> LogGuard {
    let writer = BufferedStderr::start();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer.clone());
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    LogGuard { writer }
}

/// Writes out every buffered line when dropped (or on [`LogGuard::flush`]).
#[derive(Debug)]
pub struct LogGuard {
    writer: BufferedStderr,
}

impl LogGuard {
    /// Waits until every line logged so far has been written to stderr.
    pub fn flush(&self) {
        self.writer.shared.wait_drained();
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.flush();
    }
}

/// A `MakeWriter` for `tracing_subscriber` that hands lines to the background writer.
#[derive(Debug, Clone)]
struct BufferedStderr {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<Buffer>,
    /// Signalled when lines arrive.
    filled: Condvar,
    /// Signalled when the writer has written out everything it took.
    drained: Condvar,
}

#[derive(Debug, Default)]
struct Buffer {
    pending: Vec<u8>,
    /// Whether the writer thread is between taking lines and having written them.
    writing: bool,
    /// There is no writer thread: loggers write to stderr themselves.
    inline: bool,
}

impl BufferedStderr {
    fn start() -> BufferedStderr {
        let shared = Arc::new(Shared::default());
        let writer = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("kmsd-log".into())
            .spawn(move || writer.run());
        if spawned.is_err() {
            // Without a thread, write in place: slower, but nothing is lost.
            shared.lock().inline = true;
        }
        BufferedStderr { shared }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The writer thread: take everything buffered, write it in one go, repeat.
    fn run(&self) {
        let mut spare = Vec::new();
        loop {
            {
                let mut state = self.lock();
                state.writing = false;
                self.drained.notify_all();
                while state.pending.is_empty() {
                    state = self
                        .filled
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                std::mem::swap(&mut state.pending, &mut spare);
                state.writing = true;
            }
            // Nothing sensible can be done when stderr itself fails; the lines are dropped.
            let _ = std::io::stderr().lock().write_all(&spare);
            spare.clear();
        }
    }

    fn append(&self, line: &[u8]) {
        let mut state = self.lock();
        if state.inline {
            let _ = std::io::stderr().lock().write_all(line);
            return;
        }
        while state.pending.len() > MAX_BUFFERED {
            state = self
                .drained
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let was_empty = state.pending.is_empty();
        state.pending.extend_from_slice(line);
        if was_empty {
            self.filled.notify_one();
        }
    }

    fn wait_drained(&self) {
        let mut state = self.lock();
        while !state.pending.is_empty() || state.writing {
            let (next, timeout) = self
                .drained
                .wait_timeout(state, std::time::Duration::from_secs(5))
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            if timeout.timed_out() {
                // The writer thread is stuck on a blocked stderr; do not hang the exit.
                return;
            }
        }
    }
}

impl std::io::Write for BufferedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.shared.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BufferedStderr {
    type Writer = BufferedStderr;

    fn make_writer(&'a self) -> BufferedStderr {
        self.clone()
    }
}
