use std::io;

use super::*;
use crate::logging::capture::Capture;

const ID: &str = "5f0c8a52-0000-4000-8000-000000000001";

/// Lines of every shape: all values, absent ones, values that need escaping, a fault, a
/// dropped connection, durations with and without a fraction.
fn sample_lines() -> Vec<RequestLine<'static>> {
    let ok = RequestLine {
        request_id: ID,
        operation: "Encrypt",
        account: "111122223333",
        region: "eu-west-1",
        key_id: Some("arn:aws:kms:eu-west-1:111122223333:key/1"),
        status: 200,
        error: None,
        fault: None,
        micros: 467,
    };
    vec![
        ok,
        RequestLine {
            key_id: None,
            micros: 0,
            ..ok
        },
        RequestLine {
            key_id: Some("alias/\"quoted\" \\ back\tslash\u{7f} é \u{200b}"),
            status: 400,
            error: Some("ExampleException"),
            micros: 12_500,
            ..ok
        },
        RequestLine {
            operation: "",
            status: 500,
            error: Some("ExampleFaultException"),
            fault: Some(r#"{"error":"ExampleFaultException"}"#),
            micros: 3_000_000,
            ..ok
        },
        RequestLine {
            status: 0,
            fault: Some(r#"{"drop":true}"#),
            micros: 1_234_567_891,
            ..ok
        },
    ]
}

#[test]
fn a_record_reads_back_as_it_was_written() {
    for line in sample_lines() {
        let mut buffer = Vec::new();
        line.encode(&mut buffer);
        buffer.extend_from_slice(b"next");
        let (record, rest) = Record::decode(&buffer).unwrap();
        assert_eq!(rest, b"next");
        let bytes = |text: Option<&'static str>| text.map(str::as_bytes);
        assert_eq!(record.request_id, line.request_id.as_bytes());
        assert_eq!(record.operation, line.operation.as_bytes());
        assert_eq!(record.account, line.account.as_bytes());
        assert_eq!(record.region, line.region.as_bytes());
        assert_eq!(record.key_id, bytes(line.key_id));
        assert_eq!(record.status, line.status);
        assert_eq!(record.error, bytes(line.error));
        assert_eq!(record.fault, bytes(line.fault));
        assert_eq!(record.micros, line.micros);
        // A record cut short is not read.
        assert_eq!(Record::decode(&buffer[..buffer.len() - 5]), None);
    }
}

/// The writer thread's line is the line `tracing`'s own text formatter writes for the same
/// event (both without colour), time stamps aside.
#[test]
fn the_record_formats_as_tracing_formats_the_event() {
    for line in sample_lines() {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(capture.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::with_default(subscriber, || line.log_event());
        let expected = capture.text();

        let mut buffer = Vec::new();
        line.encode(&mut buffer);
        let (record, _) = Record::decode(&buffer).unwrap();
        let mut ours = Vec::new();
        record.write_text(&mut ours);
        let ours = String::from_utf8(ours).unwrap();

        let (_, expected_rest) = expected.split_once(' ').unwrap();
        let (_, ours_rest) = ours.split_once(' ').unwrap();
        assert_eq!(ours_rest, expected_rest);
    }
}

#[test]
fn the_record_carries_the_time_it_was_logged() {
    let mut buffer = Vec::new();
    sample_lines()[0].encode(&mut buffer);
    let mut record = Record::decode(&buffer).unwrap().0;
    // 2026-11-29T10:00:00.000042Z
    record.logged_at = 1_795_946_400_000_042;
    let mut text = Vec::new();
    record.write_text(&mut text);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.starts_with("2026-11-29T10:00:00.000042Z  INFO kmsd::server::call: request "),
        "{text}"
    );
}

#[test]
fn milliseconds_are_written_as_debug_writes_the_quotient() {
    let samples = (0..20_000u64)
        .chain((0..2_000).map(|n| n * 7_919 + 999_000))
        .chain([u32::MAX as u64, 86_400_000_000, 1_000_000_000_000]);
    for micros in samples {
        let mut ours = Vec::new();
        write_millis(&mut ours, micros);
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            format!("{:?}", micros as f64 / 1000.0),
            "{micros} µs"
        );
    }
}

#[test]
fn request_lines_pass_through_the_buffer_in_order_with_other_lines() {
    let sink = Capture::default();
    let log = super::super::BufferedLog::start(sink.clone());
    let mut writer = log.clone();
    io::Write::write_all(&mut writer, b"before\n").unwrap();
    for line in sample_lines() {
        log.shared.append_record(|buffer| line.encode(buffer));
    }
    io::Write::write_all(&mut writer, b"after\n").unwrap();
    super::super::LogGuard { writer: log }.flush();
    let text = sink.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 + sample_lines().len(), "{text}");
    assert_eq!(lines[0], "before");
    assert_eq!(lines[lines.len() - 1], "after");
    for (line, written) in sample_lines().iter().zip(&lines[1..]) {
        assert!(
            written.contains(&format!("request request_id={ID} op={} ", line.operation)),
            "{written}"
        );
    }
}
