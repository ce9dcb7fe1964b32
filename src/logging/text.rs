//! The text log format: the layout of `tracing_subscriber`'s default formatter without colour
//! (`2026-11-29T10:00:00.123456Z  INFO kmsd::server: request request_id=… op=Encrypt …`),
//! written straight into the line buffer. The default formatter styles every field name and
//! separator through `nu_ansi_term` even with colour off, and formats the date from scratch
//! for every line; with one line per request that was some 8 % of server CPU under load.
//! Here the date is a few integer divisions into a fixed buffer (no thread-local cache: the
//! request path keeps no per-thread state), and fields are written with one `write!` each.
//!
//! On a terminal kmsd keeps the default formatter, for its colours.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::calendar;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter for `--log-format text` when stderr is not a terminal.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PlainText;

impl<S, N> FormatEvent<S, N> for PlainText
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        write_timestamp(&mut writer, now.as_secs(), now.subsec_micros())?;
        let meta = event.metadata();
        writer.write_str(level_label(meta.level()))?;
        writer.write_char(' ')?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.metadata().name())?;
                if let Some(fields) = span.extensions().get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                writer.write_char(':')?;
            }
            writer.write_char(' ')?;
        }
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        let mut fields = Fields {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// The level, right-aligned to five characters as the default formatter writes it.
fn level_label(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => " INFO",
        Level::WARN => " WARN",
        Level::ERROR => "ERROR",
    }
}

/// Writes `YYYY-MM-DDTHH:MM:SS.ffffffZ ` (UTC, microseconds, then a space).
pub(super) fn write_timestamp(writer: &mut impl fmt::Write, secs: u64, micros: u32) -> fmt::Result {
    let text = date_time(secs);
    // The bytes are ASCII digits and separators by construction.
    writer.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)?;
    write!(writer, ".{micros:06}Z ")
}

/// `YYYY-MM-DDTHH:MM:SS` for `secs` seconds after the Unix epoch, in UTC (years 1970–9999).
fn date_time(secs: u64) -> [u8; 19] {
    let days = secs / 86_400;
    let in_day = secs % 86_400;
    let (year, month, day) = calendar::civil_from_days(days as i64);
    let (year, month, day) = (year as u64, month as u64, day as u64);
    let mut text = *b"0000-00-00T00:00:00";
    let mut put = |at: usize, value: u64, digits: usize| {
        let mut value = value;
        for i in (0..digits).rev() {
            text[at + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, in_day / 3600, 2);
    put(14, in_day / 60 % 60, 2);
    put(17, in_day % 60, 2);
    text
}

/// Writes an event's fields as the default formatter does: the message as it is, every other
/// field as `name=value` with `value` in its `Debug` form (so strings are quoted and escaped,
/// and `%`-fields show their `Display`), separated by single spaces.
struct Fields<'a, 'w> {
    writer: &'a mut Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    fn separate(&mut self) -> fmt::Result {
        if self.first {
            self.first = false;
            Ok(())
        } else {
            self.writer.write_char(' ')
        }
    }

    fn field(&mut self, field: &Field, value: &dyn fmt::Debug) -> fmt::Result {
        self.separate()?;
        let name = field.name();
        let name = name.strip_prefix("r#").unwrap_or(name);
        write!(self.writer, "{name}={value:?}")
    }

    /// The message, with control characters escaped so that a line cannot carry terminal
    /// escape sequences or break in two.
    fn message(&mut self, message: fmt::Arguments<'_>) -> fmt::Result {
        self.separate()?;
        let mut clean = Sanitized(&mut *self.writer);
        clean.write_fmt(message)
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_ok() {
            self.result = if field.name() == "message" {
                self.message(format_args!("{value}"))
            } else {
                self.field(field, &value)
            };
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_ok() {
            self.result = if field.name() == "message" {
                self.message(format_args!("{value:?}"))
            } else {
                self.field(field, value)
            };
        }
    }
}

/// Passes text through with control characters other than tab written as `\u{..}` escapes.
struct Sanitized<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Sanitized<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if !s.chars().any(|c| c.is_control() && c != '\t') {
            return self.0.write_str(s);
        }
        for c in s.chars() {
            if c.is_control() && c != '\t' {
                write!(self.0, "{}", c.escape_unicode())?;
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
