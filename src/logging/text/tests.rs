use super::*;
use crate::logging::capture::Capture;

/// Events of every shape kmsd logs: Display and Debug fields, strings that need escaping,
/// numbers, absent options, a formatted message, a raw identifier and a span.
fn log_sample_events() {
    let request_id = "5f0c8a52-0000-4000-8000-000000000001";
    tracing::info!(
        request_id = %request_id,
        op = %"Encrypt",
        account = "111122223333",
        key_id = Some("arn:aws:kms:us-east-1:111122223333:key/1"),
        error = None::<&str>,
        status = 200u16,
        ms = 0.467,
        quoted = "a \"b\" \\ c",
        negative = -3i64,
        flag = true,
        "request"
    );
    tracing::warn!("clock advanced by {} seconds", 86_400);
    tracing::error!(r#type = "x", list = ?vec![1, 2], "raw identifier");
    let span = tracing::info_span!("shutdown", signal = "SIGTERM");
    let _entered = span.enter();
    tracing::info!(pending = 2usize, "draining");
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ ` at the start of a line.
const TIMESTAMP_LEN: usize = 28;

#[test]
fn lines_match_the_default_formatter_apart_from_the_time() {
    let ours = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(ours.clone())
        .with_ansi(false)
        .event_format(PlainText)
        .finish();
    tracing::subscriber::with_default(subscriber, log_sample_events);

    let default = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(default.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, log_sample_events);

    let (ours, default) = (ours.lines(), default.lines());
    assert_eq!(ours.len(), 4, "{ours:#?}");
    assert_eq!(ours.len(), default.len());
    for (mine, theirs) in ours.iter().zip(&default) {
        assert_eq!(mine[TIMESTAMP_LEN..], theirs[TIMESTAMP_LEN..]);
        // Same shape of timestamp: digits where theirs has digits, the same separators.
        let shape = |s: &str| -> String {
            s[..TIMESTAMP_LEN]
                .chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect()
        };
        assert_eq!(shape(mine), shape(theirs));
    }
    assert!(
        ours[0].ends_with(
            "  INFO kmsd::logging::text::tests: request request_id=5f0c8a52-0000-4000-8000-000000000001 op=Encrypt account=\"111122223333\" key_id=\"arn:aws:kms:us-east-1:111122223333:key/1\" status=200 ms=0.467 quoted=\"a \\\"b\\\" \\\\ c\" negative=-3 flag=true"
        ),
        "{}",
        ours[0]
    );
}

#[test]
fn control_characters_in_a_message_are_escaped() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .event_format(PlainText)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let input = "red\x1b[31m\nnext\tline\u{9b}";
        tracing::info!("got {input}");
    });
    let lines = capture.lines();
    assert_eq!(
        lines.len(),
        1,
        "a newline in a message must not split the line"
    );
    assert!(
        lines[0].ends_with(": got red\\u{1b}[31m\\u{a}next\tline\\u{9b}"),
        "{}",
        lines[0]
    );
}

#[test]
fn timestamps_are_utc_with_microseconds() {
    let at = |secs: u64, micros: u32| {
        let mut text = String::new();
        write_timestamp(&mut text, secs, micros).unwrap();
        text
    };
    assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z ");
    assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.000005Z ");
    assert_eq!(at(1_709_251_199, 999_999), "2024-02-29T23:59:59.999999Z ");
    assert_eq!(at(4_107_542_399, 10), "2100-02-28T23:59:59.000010Z ");
    assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z ");
    assert_eq!(at(253_402_300_799, 1), "9999-12-31T23:59:59.000001Z ");
    // The per-second cache must not serve a stale second.
    assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z ");
    assert_eq!(at(4_107_542_401, 0), "2100-03-01T00:00:01.000000Z ");
}
