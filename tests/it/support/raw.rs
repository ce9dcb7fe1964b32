//! Hand-built HTTP requests and their parsed responses, for what the SDK cannot send
//! (malformed JSON, unknown targets, wrong content types) and for the admin API.

/// A hand-built HTTP request.
pub struct RawRequest<'a> {
    /// `POST`, `GET`, ...
    pub method: &'a str,
    /// The request path, `/` for the KMS API.
    pub path: &'a str,
    /// The `X-Amz-Target` header, if any.
    pub target: Option<&'a str>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The body, sent as it is.
    pub body: &'a [u8],
    /// A Content-Length to claim instead of the body's real length.
    pub declared_length: Option<usize>,
}

impl<'a> RawRequest<'a> {
    /// A POST of `body` to `/` for the KMS operation `target` (`TrentService.X`).
    pub fn kms(target: &'a str, body: &'a [u8]) -> RawRequest<'a> {
        RawRequest {
            method: "POST",
            path: "/",
            target: Some(target),
            content_type: Some("application/x-amz-json-1.1"),
            body,
            declared_length: None,
        }
    }
}

/// What came back from `TestServer::raw`.
#[derive(Debug)]
pub struct RawResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Every header, its name in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// Parses a complete HTTP/1.1 response (a chunked body is joined).
    pub fn parse(raw: &[u8]) -> RawResponse {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete HTTP response");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect::<Vec<_>>();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
        {
            body = dechunk(&body);
        }
        RawResponse {
            status,
            headers,
            body,
        }
    }

    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics, showing the body, when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts an error response: status, `__type` and (when given) the exact message.
    pub fn assert_error(&self, status: u16, error_type: &str, message: Option<&str>) {
        let json = self.json();
        assert_eq!(self.status, status, "status of {json}");
        assert_eq!(json["__type"], error_type, "type of {json}");
        if let Some(message) = message {
            assert_eq!(json["message"], message, "message of {json}");
        }
        assert_eq!(
            self.header("content-type"),
            Some("application/x-amz-json-1.1")
        );
        let request_id = self.header("x-amzn-requestid").expect("x-amzn-RequestId");
        assert!(
            uuid::Uuid::parse_str(request_id).is_ok(),
            "request id {request_id}"
        );
    }
}

/// Joins the chunks of a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}
