//! Log output. Request handlers never write to stderr themselves: each log line is appended to
//! a shared buffer and one background thread writes whatever has accumulated with a single
//! `write`, then lets lines gather for `GATHER` before the next one. Under load that is one
//! system call for many lines and no wake-ups at all (loggers wake the writer only when it
//! sleeps for lack of lines), and a slow terminal or pipe delays the log, not the requests.
//! Every line still gets written: when the buffer is full, loggers wait for the writer, and
//! [`LogGuard`] writes the rest before the process exits.
//!
//! The buffer holds frames: lines `tracing` formatted, and the per-request line as a compact
//! record (`request.rs`) that the writer thread formats, so that the request path only copies
//! a few values.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

#[cfg(test)]
mod capture;
mod request;
mod text;

pub use request::RequestLine;

/// The writer that takes request lines as records: set by [`init`] for the plain text format,
/// whose layout the writer thread reproduces. Otherwise request lines are `tracing` events.
static FAST_WRITER: OnceLock<Arc<Shared>> = OnceLock::new();

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A frame of the buffer: a formatted line (`u32` length, then its bytes)...
const FRAME_TEXT: u8 = 0;
/// ... or a request line's record (`request.rs`).
const FRAME_REQUEST: u8 = 1;

/// Beyond this many buffered bytes, loggers wait until the writer has caught up.
const MAX_BUFFERED: usize = 1 << 20;

/// How long the writer lets lines gather after a write while lines keep coming: under load
/// that is a few hundred lines a write, and a couple of hundred wake-ups a second.
const GATHER: std::time::Duration = std::time::Duration::from_millis(4);

/// Sets up the global `tracing` subscriber: `RUST_LOG` (default `info`), `format`, stderr
/// through the background writer. Keep the guard until the end of `main`.
pub fn init(format: LogFormat) -> LogGuard {
    let writer = BufferedLog::start(std::io::stderr());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer.clone());
    match format {
        LogFormat::Json => builder.json().init(),
        // On a terminal, the default formatter and its colours; elsewhere the same layout,
        // written faster.
        LogFormat::Text if std::io::IsTerminal::is_terminal(&std::io::stderr()) => {
            builder.with_ansi(true).init()
        }
        LogFormat::Text => {
            builder
                .with_ansi(false)
                .event_format(text::PlainText)
                .init();
            let _ = FAST_WRITER.set(writer.shared.clone());
        }
    }
    LogGuard { writer }
}

/// Writes out every buffered line when dropped (or on [`LogGuard::flush`]).
#[derive(Debug)]
pub struct LogGuard {
    writer: BufferedLog,
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

/// A `MakeWriter` for `tracing_subscriber` that hands lines to the background writer, which
/// writes them to its sink (stderr).
#[derive(Debug, Clone)]
struct BufferedLog {
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
    /// Whether the writer thread waits for lines (and must be woken by the next one).
    idle: bool,
    /// There is no writer thread: loggers write to stderr themselves.
    inline: bool,
}

impl BufferedLog {
    fn start(mut sink: impl Write + Send + 'static) -> BufferedLog {
        let shared = Arc::new(Shared::default());
        let writer = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("kmsd-log".into())
            .spawn(move || writer.run(&mut sink));
        if spawned.is_err() {
            // Without a thread, write in place: slower, but nothing is lost.
            shared.lock().inline = true;
        }
        BufferedLog { shared }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The writer thread: take everything buffered, write it in one go, let more gather;
    /// sleep until woken when nothing came.
    fn run(&self, sink: &mut dyn Write) {
        let mut spare = Vec::new();
        let mut out = Vec::new();
        loop {
            {
                let mut state = self.lock();
                state.writing = false;
                self.drained.notify_all();
                while state.pending.is_empty() {
                    state.idle = true;
                    state = self
                        .filled
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                state.idle = false;
                std::mem::swap(&mut state.pending, &mut spare);
                state.writing = true;
            }
            format_frames(&spare, &mut out);
            // Nothing sensible can be done when stderr itself fails; the lines are dropped.
            let _ = sink.write_all(&out);
            spare.clear();
            out.clear();
            std::thread::sleep(GATHER);
        }
    }

    /// Appends a formatted line (or part of one).
    fn append(&self, line: &[u8]) {
        // A write beyond 4 GiB is split; no log line comes near.
        for part in line.chunks(u32::MAX as usize) {
            self.append_frame(FRAME_TEXT, |pending| {
                pending.extend_from_slice(&(part.len() as u32).to_le_bytes());
                pending.extend_from_slice(part);
            });
        }
    }

    /// Appends a request line's record, which `encode` writes.
    fn append_record(&self, encode: impl FnOnce(&mut Vec<u8>)) {
        self.append_frame(FRAME_REQUEST, encode);
    }

    fn append_frame(&self, kind: u8, encode: impl FnOnce(&mut Vec<u8>)) {
        let mut state = self.lock();
        if state.inline {
            let mut frame = vec![kind];
            encode(&mut frame);
            let mut out = Vec::new();
            format_frames(&frame, &mut out);
            let _ = std::io::stderr().lock().write_all(&out);
            return;
        }
        while state.pending.len() > MAX_BUFFERED {
            state = self
                .drained
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.pending.push(kind);
        encode(&mut state.pending);
        if state.idle {
            state.idle = false;
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

/// Turns the buffer's frames into the text to write: formatted lines as they are, request
/// records formatted now. Stops at a frame it cannot read (the framing rules that out).
fn format_frames(mut frames: &[u8], out: &mut Vec<u8>) {
    while let Some((&kind, rest)) = frames.split_first() {
        frames = match kind {
            FRAME_TEXT => {
                let Some((len, rest)) = rest.split_first_chunk::<4>() else {
                    return;
                };
                let Some((line, rest)) = rest.split_at_checked(u32::from_le_bytes(*len) as usize)
                else {
                    return;
                };
                out.extend_from_slice(line);
                rest
            }
            FRAME_REQUEST => {
                let Some((record, rest)) = request::Record::decode(rest) else {
                    return;
                };
                record.write_text(out);
                rest
            }
            _ => return,
        };
    }
}

impl std::io::Write for BufferedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.shared.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BufferedLog {
    type Writer = BufferedLog;

    fn make_writer(&'a self) -> BufferedLog {
        self.clone()
    }
}

#[cfg(test)]
mod tests;
