//! The one log line per request, made cheap: the request path copies the line's values into
//! the log buffer as a compact record (a timestamp, a few integers and length-prefixed
//! strings), and the writer thread formats it, in the same layout `tracing`'s text formatter
//! gives the same event. Without that writer (the JSON format, a terminal, a library user's
//! own subscriber) the line is an ordinary `tracing` event.

use std::time::{SystemTime, UNIX_EPOCH};

use super::text;

/// The target the line is logged under: `RUST_LOG=kmsd::server::call=warn` turns it off.
pub(crate) const TARGET: &str = "kmsd::server::call";

/// One request's log line: what the call was, where it acted, how it ended and how long it
/// took. Secrets never get here: only names, ids and codes.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'a> {
    /// The call's `x-amzn-RequestId`.
    pub request_id: &'a str,
    /// The operation as the target header named it (visible ASCII: a header value).
    pub operation: &'a str,
    /// The account the call acted in.
    pub account: &'a str,
    /// The region the call acted in.
    pub region: &'a str,
    /// The key the request named, or the key it used when it named none.
    pub key_id: Option<&'a str>,
    /// The HTTP status (0: the connection was dropped by a fault rule).
    pub status: u16,
    /// The wire error name of a failed call.
    pub error: Option<&'a str>,
    /// The fault a rule injected, as the rule spells it (JSON).
    pub fault: Option<&'a str>,
    /// How long the call took, in microseconds.
    pub micros: u64,
}

impl RequestLine<'_> {
    /// Logs the line at `info`, unless `RUST_LOG` turns that off for `TARGET`.
    pub fn log(&self) {
        if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
            return;
        }
        if let Some(writer) = super::FAST_WRITER.get() {
            writer.append_record(|buffer| self.encode(buffer));
            return;
        }
        self.log_event();
    }

    /// The line as a `tracing` event, for every other subscriber.
    fn log_event(&self) {
        tracing::info!(
            target: TARGET,
            request_id = %self.request_id,
            op = %self.operation,
            account = self.account,
            region = self.region,
            key_id = self.key_id,
            status = self.status,
            error = self.error,
            fault = self.fault.map(tracing::field::display),
            // Whole microseconds, so the line shows 0.467 rather than 0.46731300000000003.
            ms = self.micros as f64 / 1000.0,
            "request"
        );
    }

    /// Appends the record: the time now, then the values (see [`Record::decode`]).
    fn encode(&self, buffer: &mut Vec<u8>) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let micros_since_epoch = u64::try_from(now.as_micros()).unwrap_or(u64::MAX);
        buffer.extend_from_slice(&micros_since_epoch.to_le_bytes());
        buffer.extend_from_slice(&self.micros.to_le_bytes());
        buffer.extend_from_slice(&self.status.to_le_bytes());
        for text in [
            Some(self.request_id),
            Some(self.operation),
            Some(self.account),
            Some(self.region),
            self.key_id,
            self.error,
            self.fault,
        ] {
            put_text(buffer, text);
        }
    }
}

/// A string as its length (4 bytes; `u32::MAX` for none) and its bytes.
fn put_text(buffer: &mut Vec<u8>, text: Option<&str>) {
    match text {
        // A value beyond 4 GiB cannot reach here: request bodies are at most 1 MiB.
        Some(text) => {
            let len = u32::try_from(text.len()).unwrap_or(u32::MAX - 1);
            buffer.extend_from_slice(&len.to_le_bytes());
            buffer.extend_from_slice(&text.as_bytes()[..len as usize]);
        }
        None => buffer.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

/// A [`RequestLine`] read back from the buffer by the writer thread. Its strings stay bytes
/// (they were `str`s when written): most are copied to the output as they are.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Record<'a> {
    /// When the line was logged, in microseconds since the Unix epoch.
    pub(super) logged_at: u64,
    pub(super) micros: u64,
    pub(super) status: u16,
    pub(super) request_id: &'a [u8],
    pub(super) operation: &'a [u8],
    pub(super) account: &'a [u8],
    pub(super) region: &'a [u8],
    pub(super) key_id: Option<&'a [u8]>,
    pub(super) error: Option<&'a [u8]>,
    pub(super) fault: Option<&'a [u8]>,
}

impl<'a> Record<'a> {
    /// Reads one record from the start of `bytes`; returns it and the bytes after it, or
    /// `None` when `bytes` does not start with a whole record (which the buffer's framing
    /// rules out).
    pub(super) fn decode(bytes: &'a [u8]) -> Option<(Record<'a>, &'a [u8])> {
        let (logged_at, rest) = take_u64(bytes)?;
        let (micros, rest) = take_u64(rest)?;
        let (status, rest) = rest.split_first_chunk::<2>()?;
        let (request_id, rest) = take_text(rest)?;
        let (operation, rest) = take_text(rest)?;
        let (account, rest) = take_text(rest)?;
        let (region, rest) = take_text(rest)?;
        let (key_id, rest) = take_text(rest)?;
        let (error, rest) = take_text(rest)?;
        let (fault, rest) = take_text(rest)?;
        let record = Record {
            logged_at,
            micros,
            status: u16::from_le_bytes(*status),
            request_id: request_id?,
            operation: operation?,
            account: account?,
            region: region?,
            key_id,
            error,
            fault,
        };
        Some((record, rest))
    }

    /// Writes the line as the text formatter (`text::PlainText`) writes the `tracing` event
    /// of [`RequestLine::log_event`]: `<time>  INFO kmsd::server::call: request request_id=…
    /// op=… account="…" region="…" key_id="…" status=200 ms=0.467`, absent values left out,
    /// strings quoted as `Debug` quotes them.
    pub(super) fn write_text(&self, out: &mut Vec<u8>) {
        let mut time = String::with_capacity(28);
        // Writing to a `String` cannot fail.
        let _ = text::write_timestamp(
            &mut time,
            self.logged_at / 1_000_000,
            (self.logged_at % 1_000_000) as u32,
        );
        out.extend_from_slice(time.as_bytes());
        out.extend_from_slice(b" INFO ");
        out.extend_from_slice(TARGET.as_bytes());
        out.extend_from_slice(b": request request_id=");
        out.extend_from_slice(self.request_id);
        out.extend_from_slice(b" op=");
        out.extend_from_slice(self.operation);
        out.extend_from_slice(b" account=");
        write_quoted(out, self.account);
        out.extend_from_slice(b" region=");
        write_quoted(out, self.region);
        if let Some(key_id) = self.key_id {
            out.extend_from_slice(b" key_id=");
            write_quoted(out, key_id);
        }
        out.extend_from_slice(b" status=");
        write_integer(out, u64::from(self.status));
        if let Some(error) = self.error {
            out.extend_from_slice(b" error=");
            write_quoted(out, error);
        }
        if let Some(fault) = self.fault {
            out.extend_from_slice(b" fault=");
            out.extend_from_slice(fault);
        }
        out.extend_from_slice(b" ms=");
        write_millis(out, self.micros);
        out.push(b'\n');
    }
}

fn take_u64(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let (value, rest) = bytes.split_first_chunk::<8>()?;
    Some((u64::from_le_bytes(*value), rest))
}

/// A string written by [`put_text`]: `Some(None)` for an absent one.
fn take_text(bytes: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len);
    if len == u32::MAX {
        return Some((None, rest));
    }
    let (text, rest) = rest.split_at_checked(len as usize)?;
    Some((Some(text), rest))
}

/// `value` as `Debug` writes a `str`: quoted, with quotes, backslashes and anything not
/// printable escaped. Plain ASCII (ids, names, regions) is copied as it is.
fn write_quoted(out: &mut Vec<u8>, value: &[u8]) {
    let plain = value
        .iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(value);
        out.push(b'"');
    } else {
        // Every string was a `str` when it was written.
        let text = String::from_utf8_lossy(value);
        out.extend_from_slice(format!("{text:?}").as_bytes());
    }
}

fn write_integer(out: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Microseconds as milliseconds the way `Debug` writes the `f64` `micros / 1000.0`: the
/// shortest decimal that reads back as that number, which for a whole number of microseconds
/// is the exact quotient (`0.467`, `12.5`, `3.0`).
fn write_millis(out: &mut Vec<u8>, micros: u64) {
    write_integer(out, micros / 1000);
    out.push(b'.');
    let fraction = micros % 1000;
    if fraction == 0 {
        out.push(b'0');
        return;
    }
    let digits = [
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ];
    let len = if digits[2] != b'0' {
        3
    } else if digits[1] != b'0' {
        2
    } else {
        1
    };
    out.extend_from_slice(&digits[..len]);
}

#[cfg(test)]
mod tests;
