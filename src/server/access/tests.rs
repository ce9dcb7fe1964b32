use axum::http::{HeaderMap, HeaderValue, header};

use super::{AdminToken, AllowedHosts, check_json_body, check_origin};

fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
    }
    map
}

fn host_allowed(allowed: &AllowedHosts, host: &str) -> bool {
    allowed.check(&headers(&[(header::HOST, host)])).is_ok()
}

#[test]
fn hosts_no_one_can_point_at_kmsd_by_dns_pass() {
    let builtin = AllowedHosts::default();
    for host in [
        "127.0.0.1",
        "127.0.0.1:8080",
        "10.1.2.3:80",
        "[::1]:8080",
        "[::1]",
        "localhost",
        "localhost:8080",
        "LOCALHOST:8080",
        "localhost.",
        "kms:8080",
        "localstack",
        "kms-1",
        "app.localhost:8080",
        "kms.default.svc.cluster.local",
        "printer.local",
        "host.docker.internal:8080",
        "nas.home.arpa",
        "local",
    ] {
        assert!(host_allowed(&builtin, host), "{host}");
    }
    // A request without Host cannot come from a browser.
    assert!(builtin.check(&HeaderMap::new()).is_ok());
}

#[test]
fn public_names_and_malformed_hosts_are_refused() {
    let builtin = AllowedHosts::default();
    for host in [
        "evil.example",
        "evil.example:8080",
        "127.0.0.1.nip.io",
        "localhost.evil.example",
        "internal.evil.example",
        "kms.localhost.evil.example",
        "",
        ":8080",
        "[::1",
        "[evil.example]:80",
        "kms:port",
        "a b",
        "kms/x",
    ] {
        let refusal = builtin
            .check(&headers(&[(header::HOST, host)]))
            .unwrap_err();
        assert!(refusal.0.contains("--allowed-hosts"), "{}", refusal.0);
    }
}

#[test]
fn allowed_hosts_adds_exact_names_and_star_allows_all() {
    let allowed = AllowedHosts::parse(" kms.example.com ,Other.Example. ,");
    assert!(host_allowed(&allowed, "kms.example.com:8080"));
    assert!(host_allowed(&allowed, "KMS.example.com"));
    assert!(host_allowed(&allowed, "other.example"));
    assert!(!host_allowed(&allowed, "sub.kms.example.com"));
    assert!(!host_allowed(&allowed, "evil.example"));
    assert!(host_allowed(&AllowedHosts::parse("*"), "evil.example"));
    assert!(host_allowed(&AllowedHosts::any(), "evil.example"));
    assert_eq!(AllowedHosts::parse(""), AllowedHosts::default());
}

#[test]
fn only_no_origin_or_the_servers_own_passes() {
    assert!(check_origin(&headers(&[(header::HOST, "localhost:8080")])).is_ok());
    assert!(
        check_origin(&headers(&[
            (header::HOST, "localhost:8080"),
            (header::ORIGIN, "http://localhost:8080"),
        ]))
        .is_ok()
    );
    for origin in [
        "http://evil.example",
        "http://localhost:8081",
        "https://localhost:8080",
        "null",
        "http://localhost:8080.evil.example",
    ] {
        let refusal = check_origin(&headers(&[
            (header::HOST, "localhost:8080"),
            (header::ORIGIN, origin),
        ]))
        .unwrap_err();
        assert!(refusal.0.contains(origin), "{}", refusal.0);
    }
}

#[test]
fn state_changing_admin_bodies_must_be_json() {
    let ok = [
        vec![(header::CONTENT_TYPE, "application/json")],
        vec![(header::CONTENT_TYPE, "Application/JSON; charset=utf-8")],
        vec![],
        vec![(header::CONTENT_LENGTH, "0")],
    ];
    for pairs in ok {
        assert!(check_json_body(&headers(&pairs)).is_ok(), "{pairs:?}");
    }
    let refused = [
        vec![(header::CONTENT_TYPE, "text/plain")],
        vec![
            (header::CONTENT_TYPE, "text/plain"),
            (header::CONTENT_LENGTH, "0"),
        ],
        vec![(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
        vec![(header::CONTENT_TYPE, "multipart/form-data; boundary=x")],
        vec![(header::CONTENT_LENGTH, "17")],
        vec![(header::TRANSFER_ENCODING, "chunked")],
    ];
    for pairs in refused {
        assert!(check_json_body(&headers(&pairs)).is_err(), "{pairs:?}");
    }
}

#[test]
fn the_admin_token_is_checked_and_never_shown() {
    let token = AdminToken::new("s3cret").unwrap();
    let bearer = |v: &str| HeaderValue::from_str(v).unwrap();
    assert!(token.accepts(Some(&bearer("Bearer s3cret"))));
    assert!(token.accepts(Some(&bearer("bearer s3cret"))));
    assert!(!token.accepts(Some(&bearer("Bearer s3cret2"))));
    assert!(!token.accepts(Some(&bearer("Basic s3cret"))));
    assert!(!token.accepts(Some(&bearer("s3cret"))));
    assert!(!token.accepts(None));
    assert!(!format!("{token:?}").contains("s3cret"));
    // Basic: the token is the password, whatever the user name ("kmsd:s3cret", ":s3cret").
    assert!(token.accepts(Some(&bearer("Basic a21zZDpzM2NyZXQ="))));
    assert!(token.accepts(Some(&bearer("basic OnMzY3JldA=="))));
    // "s3cret:kmsd" (the token as the user name), "kmsd:s3cret2", and no colon at all.
    assert!(!token.accepts(Some(&bearer("Basic czNjcmV0Omttc2Q="))));
    assert!(!token.accepts(Some(&bearer("Basic a21zZDpzM2NyZXQy"))));
    assert!(!token.accepts(Some(&bearer("Basic czNjcmV0"))));
    assert!(!token.accepts(Some(&bearer("Basic !!!"))));
    assert!(AdminToken::new("").is_none());
}
