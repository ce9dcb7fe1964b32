//! Headless Chromium driven through chromedriver's W3C WebDriver HTTP API, with the raw HTTP
//! client of `http.rs` (no WebDriver crate): enough to load a page, click, type, press keys,
//! run a script, wait in the page for a condition and take screenshots. Tests that need it
//! skip when Chromium or chromedriver is missing, except under `CI=true`, where that fails them.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::http;
use super::tool_available;

/// Where the browser tests write their screenshots.
pub const SCREENSHOTS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/console");

/// How long a condition may take to come true in the page.
const WAIT: Duration = Duration::from_secs(15);

/// The key a WebDriver element reference is stored under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session in it.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    /// The profile directory, removed with the browser.
    _profile: tempfile::TempDir,
}

/// WebDriver key codes (W3C WebDriver, "Keyboard actions").
pub mod key {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const ESCAPE: &str = "\u{E00C}";
}

impl Browser {
    /// Starts chromedriver and a headless Chromium of `width` × `height`, or `None` (after
    /// saying so) when either is not installed.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        if !tool_available("chromedriver", "--version") || !tool_available("chromium", "--version")
        {
            return None;
        }
        let port = {
            // A free port for chromedriver, which cannot report one it chose itself.
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // chromedriver says on stdout when it listens.
        let stdout = driver.stdout.take().unwrap();
        let started = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let ready = lines
                .by_ref()
                .map_while(Result::ok)
                .any(|line| line.contains("started successfully"));
            // Keep draining, so chromedriver never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            ready
        });
        assert!(
            tokio::time::timeout(WAIT, started).await.unwrap().unwrap(),
            "chromedriver did not start"
        );
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let profile = tempfile::tempdir().unwrap();
        // Debian's /usr/bin/chromium is a launcher script; the browser itself is here.
        let binary = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("chromium");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new",
                    // Containers often run tests as root, where the sandbox cannot start.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let created = call(addr, "POST", "/session", Some(&capabilities)).await;
        let session = created["sessionId"].as_str().unwrap().to_owned();
        let browser = Browser {
            driver,
            addr,
            session,
            _profile: profile,
        };
        browser
            .command(
                "POST",
                "timeouts",
                json!({"script": WAIT.as_millis() as u64}),
            )
            .await;
        Some(browser)
    }

    /// A command of this session (`/session/<id>/<path>`); returns its `value`.
    async fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}/{path}", self.session);
        call(self.addr, method, &path, Some(&body)).await
    }

    /// Loads `url` and waits until the page has loaded.
    pub async fn goto(&self, url: &str) {
        self.command("POST", "url", json!({ "url": url })).await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page; returns what it
    /// returns.
    pub async fn eval(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "execute/sync",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// Waits in the page until the expression `condition` is truthy; returns its value. The
    /// page checks it after every change of its document (and every 50 ms for the clock's
    /// sake), so the test waits for the condition, not for a time.
    pub async fn wait_for(&self, condition: &str) -> Value {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const test = () => {{ try {{ return ({condition}); }} catch (e) {{ return null; }} }};
             const first = test();
             if (first) {{ done(first); return; }}
             const observer = new MutationObserver(check);
             const timer = setInterval(check, 50);
             function check() {{
               const value = test();
               if (value) {{ observer.disconnect(); clearInterval(timer); done(value); }}
             }}
             observer.observe(document, {{subtree: true, childList: true, attributes: true,
               characterData: true}});"
        );
        let path = format!("/session/{}/execute/async", self.session);
        let answer = raw_call(
            self.addr,
            "POST",
            &path,
            Some(&json!({ "script": script, "args": [] })),
        )
        .await;
        if answer.status != 200 {
            let text = self
                .eval(
                    "return document.body.innerText + '\\nfocus: ' +
                       (document.activeElement.id || document.activeElement.tagName) +
                       [...document.querySelectorAll('input')]
                         .map(i => '\\ninput ' + i.id + ' = ' + JSON.stringify(i.value)).join('');",
                    json!([]),
                )
                .await;
            panic!(
                "the page never showed {condition}: {}\npage text:\n{}",
                answer.body,
                text.as_str().unwrap_or_default()
            );
        }
        answer.json()["value"].clone()
    }

    /// The element `css` selects (the first one).
    pub async fn find(&self, css: &str) -> String {
        let found = self
            .command(
                "POST",
                "element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    /// Clicks the element `css` selects. The page redraws a view when kmsd's state changes,
    /// which can replace the element between finding and clicking it: then the new one is
    /// clicked.
    pub async fn click(&self, css: &str) {
        for _ in 0..5 {
            let element = self.find(css).await;
            let path = format!("/session/{}/element/{element}/click", self.session);
            let answer = raw_call(self.addr, "POST", &path, Some(&json!({}))).await;
            if answer.status == 200 {
                return;
            }
            assert!(
                answer.body.contains("stale element reference"),
                "clicking {css}: {}",
                answer.body
            );
        }
        panic!("{css} was replaced every time it was about to be clicked");
    }

    /// Clears the field `css` selects and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("element/{element}/clear"), json!({}))
            .await;
        self.command(
            "POST",
            &format!("element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// Presses and releases each key (see [`key`]) in turn, as a user at the keyboard would:
    /// the page gets the events wherever its focus is.
    pub async fn press(&self, keys: &[&str]) {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        self.command(
            "POST",
            "actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await;
    }

    /// Resizes the window.
    pub async fn resize(&self, width: u32, height: u32) {
        self.command(
            "POST",
            "window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    /// Saves a PNG of the whole page, as tall as its content, under [`SCREENSHOTS`] as
    /// `name.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.command("GET", "screenshot", json!(null)).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::create_dir_all(SCREENSHOTS).unwrap();
        let path = Path::new(SCREENSHOTS).join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Ends the session (the browser quits) and chromedriver.
    pub async fn quit(mut self) {
        let path = format!("/session/{}", self.session);
        raw_call(self.addr, "DELETE", &path, None).await;
        self.session.clear();
    }
}

impl Drop for Browser {
    /// A failed test must not leave chromedriver or its browser running: the session is
    /// ended first (the browser outlives a killed chromedriver), then chromedriver.
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let request = http::request(
                "DELETE",
                &format!("/session/{}", self.session),
                &[("Host", &self.addr.to_string())],
                "",
            );
            if let Ok(mut stream) = std::net::TcpStream::connect(self.addr) {
                use std::io::{Read, Write};
                let _ = stream.set_read_timeout(Some(WAIT));
                // The answer's first bytes come once the browser has quit.
                let _ = stream.write_all(&request);
                let _ = stream.read(&mut [0u8; 64]);
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// One WebDriver request; panics unless it succeeds, returns the answer's `value`.
async fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
    let answer = raw_call(addr, method, path, body).await;
    assert_eq!(
        answer.status, 200,
        "WebDriver {method} {path}: {}",
        answer.body
    );
    answer.json()["value"].clone()
}

async fn raw_call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> http::Answer {
    let body = match (method, body) {
        ("GET" | "DELETE", _) | (_, None) => String::new(),
        (_, Some(body)) => body.to_string(),
    };
    let host = addr.to_string();
    let mut headers = vec![("Host", host.as_str())];
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json; charset=utf-8"));
    }
    let request = http::request(method, path, &headers, &body);
    // Some commands (a page load, a wait in the page) take longer than a kmsd answer.
    tokio::time::timeout(WAIT * 2, exchange(addr, &request))
        .await
        .unwrap_or_else(|_| panic!("WebDriver {method} {path} did not answer"))
}

/// Sends `request` and reads one answer by its `Content-Length`: chromedriver keeps the
/// connection open after answering, `Connection: close` or not.
async fn exchange(addr: SocketAddr, request: &[u8]) -> http::Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut raw = Vec::new();
    let mut buffer = vec![0u8; 65536];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |n| n.trim().parse::<usize>().unwrap());
            if raw.len() >= end + 4 + length {
                return http::Answer::parse(&raw);
            }
        }
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "chromedriver closed the connection mid-answer");
        raw.extend_from_slice(&buffer[..n]);
    }
}
