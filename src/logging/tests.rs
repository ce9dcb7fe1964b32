use std::io::Write;
use std::sync::{Arc, Mutex};

use super::*;

/// A sink the test can read back, counting the writes it receives.
#[derive(Clone, Default)]
struct Sink {
    bytes: Arc<Mutex<Vec<u8>>>,
    writes: Arc<Mutex<usize>>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.lock().unwrap().extend_from_slice(buf);
        *self.writes.lock().unwrap() += 1;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn every_line_from_every_thread_arrives_in_order_and_flush_waits_for_them() {
    const THREADS: usize = 4;
    const LINES: usize = 2000;
    let sink = Sink::default();
    let log = BufferedLog::start(sink.clone());
    let loggers: Vec<_> = (0..THREADS)
        .map(|t| {
            let mut writer = log.clone();
            std::thread::spawn(move || {
                for n in 0..LINES {
                    writer
                        .write_all(format!("thread {t} line {n}\n").as_bytes())
                        .unwrap();
                }
            })
        })
        .collect();
    for logger in loggers {
        logger.join().unwrap();
    }
    let guard = LogGuard { writer: log };
    guard.flush();
    let text = String::from_utf8(sink.bytes.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), THREADS * LINES, "every line is written once");
    for t in 0..THREADS {
        let prefix = format!("thread {t} line ");
        let numbers: Vec<usize> = lines
            .iter()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(
            numbers,
            (0..LINES).collect::<Vec<_>>(),
            "thread {t} in order"
        );
    }
    // Lines are written in batches, not one system call each.
    let writes = *sink.writes.lock().unwrap();
    assert!(
        writes < THREADS * LINES,
        "{writes} writes for {} lines",
        THREADS * LINES
    );
}

#[test]
fn a_line_logged_while_the_writer_sleeps_wakes_it() {
    let sink = Sink::default();
    let mut log = BufferedLog::start(sink.clone());
    let guard = LogGuard {
        writer: log.clone(),
    };
    for n in 0..3 {
        // Each flush leaves the writer idle; the next line must wake it.
        log.write_all(format!("line {n}\n").as_bytes()).unwrap();
        guard.flush();
        let text = String::from_utf8(sink.bytes.lock().unwrap().clone()).unwrap();
        assert!(text.ends_with(&format!("line {n}\n")), "{text:?}");
    }
}
