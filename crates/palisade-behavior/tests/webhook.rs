//! Alerts reach a real HTTP listener: signed with HMAC-SHA-256 over the exact body, retried
//! with back-off after a failure, and never blocking the scoring call.

mod common;

use common::*;
use palisade_behavior::alert::sign;
use palisade_behavior::{AlertPayload, Baselines, BehaviorConfig, WebhookConfig, SIGNATURE_HEADER};
use palisade_core::{BehaviorAction, DataClass, DestinationClass, IdentityKind, ManualClock};
use palisade_store::Store;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Reads one HTTP request; returns (request line, headers, body).
fn read_request(stream: &mut std::net::TcpStream) -> (String, Vec<(String, String)>, Vec<u8>) {
    let mut r = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let mut headers = vec![];
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        let h = h.trim_end().to_owned();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(": ").unwrap();
        headers.push((k.to_ascii_lowercase(), v.to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .unwrap()
        .1
        .parse()
        .unwrap();
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (line, headers, body)
}

#[test]
fn alert_is_signed_retried_and_never_blocks() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let server = std::thread::spawn(move || {
        // First attempt: answer slowly with a 503, forcing a retry.
        let (mut s, _) = listener.accept().unwrap();
        let first = read_request(&mut s);
        std::thread::sleep(Duration::from_millis(300));
        s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        drop(s);
        let (mut s, _) = listener.accept().unwrap();
        let second = read_request(&mut s);
        s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        tx.send((first, second)).unwrap();
    });
    let cfg = BehaviorConfig {
        learning_period_requests: 20,
        learning_period_hours: 0,
        webhook: Some(WebhookConfig {
            url: format!("http://127.0.0.1:{port}/hooks/palisade"),
            secret_env: None,
            secret: Some("test-hmac-key".into()),
            max_attempts: 4,
            initial_backoff_ms: 20,
            queue_capacity: 8,
        }),
        ..Default::default()
    };
    let b = Baselines::open(
        Arc::new(Store::open_in_memory().unwrap()),
        cfg,
        Arc::new(ManualClock::new(T0)),
    )
    .unwrap();
    let id = identity("research", "agent-w", IdentityKind::Agent);
    for k in 0..30u64 {
        feed(
            &b,
            &id,
            &Call::to(
                T0 + k * 60_000,
                "gpt-4o",
                "openai",
                DestinationClass::External,
                2000,
            ),
        );
    }
    let mut c = Call::to(
        T0 + 31 * 60_000,
        "gpt-4o",
        "openai",
        DestinationClass::External,
        2000,
    );
    c.findings = vec![finding(DataClass::Canary)];
    let started = Instant::now();
    let s = feed(&b, &id, &c);
    // The scoring call returns while the webhook is still being answered (300 ms).
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.action, BehaviorAction::Quarantine);

    let ((line1, _h1, body1), (line2, h2, body2)) =
        rx.recv_timeout(Duration::from_secs(20)).unwrap();
    server.join().unwrap();
    assert_eq!(line1.trim_end(), "POST /hooks/palisade HTTP/1.1");
    assert_eq!(line2, line1);
    assert_eq!(body1, body2, "the retry resends the same body");
    let sig = |h: &Vec<(String, String)>| {
        h.iter()
            .find(|(k, _)| *k == SIGNATURE_HEADER.to_ascii_lowercase())
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(sig(&h2), sign(b"test-hmac-key", &body2));
    assert_ne!(sig(&h2), sign(b"other-key", &body2));
    let alert: AlertPayload = serde_json::from_slice(&body2).unwrap();
    println!("{alert:?}");
    assert_eq!(alert.identity, "spiffe://lab.example/research/agent-w");
    assert_eq!(alert.action, BehaviorAction::Quarantine);
    assert!(alert
        .top_features
        .iter()
        .any(|(n, _)| n == "findings_canary"));
    assert!(!String::from_utf8_lossy(&body2).contains("test-hmac-key"));
    // Delivery is counted once the retry succeeded.
    let deadline = Instant::now() + Duration::from_secs(5);
    while b
        .alert_stats()
        .unwrap()
        .sent
        .load(std::sync::atomic::Ordering::Relaxed)
        == 0
    {
        assert!(Instant::now() < deadline, "sent counter never moved");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn hmac_matches_rfc4231_case_2() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    assert_eq!(
        sign(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn builtin_transport_refuses_https_and_reports_unreachable_hosts() {
    use palisade_behavior::{AlertTransport, HttpTransport, TransportError};
    let t = HttpTransport {
        timeout: Duration::from_millis(500),
    };
    let e = t.post("https://example.invalid/x", &[], b"{}").unwrap_err();
    assert!(matches!(e, TransportError::Url(_)), "{e}");
    // A port nobody listens on (bound then dropped).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = t
        .post(&format!("http://127.0.0.1:{port}/"), &[], b"{}")
        .unwrap_err();
    assert!(matches!(e, TransportError::Io(_)), "{e}");
}

#[test]
fn missing_secret_env_fails_open_with_a_clear_error() {
    let cfg = BehaviorConfig {
        webhook: Some(WebhookConfig {
            url: "http://127.0.0.1:9/".into(),
            secret_env: Some("PALISADE_TEST_SURELY_UNSET_VAR".into()),
            secret: None,
            max_attempts: 1,
            initial_backoff_ms: 1,
            queue_capacity: 1,
        }),
        ..Default::default()
    };
    let err = Baselines::open(
        Arc::new(Store::open_in_memory().unwrap()),
        cfg,
        Arc::new(ManualClock::new(T0)),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("PALISADE_TEST_SURELY_UNSET_VAR"),
        "{err}"
    );
}

/// Counts posts instead of sending them: the `AlertTransport` seam.
#[derive(Default)]
struct Counting(std::sync::Mutex<Vec<Vec<u8>>>);

impl palisade_behavior::AlertTransport for Counting {
    fn post(
        &self,
        _url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<(), palisade_behavior::TransportError> {
        assert_eq!(headers[0].0, SIGNATURE_HEADER);
        self.0.lock().unwrap().push(body.to_vec());
        Ok(())
    }
}

#[test]
fn custom_transport_and_alert_cooldown() {
    let transport = Arc::new(Counting::default());
    let cfg = BehaviorConfig {
        learning_period_requests: 20,
        learning_period_hours: 0,
        alert_cooldown_secs: 600,
        // A response by feature: any surplus of PII findings alerts.
        feature_rules: vec![palisade_behavior::FeatureRule {
            feature: "findings_pii".into(),
            min_contribution: 0.1,
            action: BehaviorAction::Alert,
        }],
        webhook: Some(WebhookConfig {
            url: "https://hooks.example/palisade".into(),
            secret_env: None,
            secret: Some("k".into()),
            max_attempts: 1,
            initial_backoff_ms: 1,
            queue_capacity: 64,
        }),
        ..Default::default()
    };
    let b = Baselines::open_with_transport(
        Arc::new(Store::open_in_memory().unwrap()),
        cfg,
        Arc::new(ManualClock::new(T0)),
        transport.clone(),
    )
    .unwrap();
    let id = identity("research", "agent-c", IdentityKind::Agent);
    // Five hours of steady internal traffic, then calls carrying PII: alert-level each time.
    for k in 0..300u64 {
        feed(
            &b,
            &id,
            &Call::to(
                T0 + k * 60_000,
                "embed",
                "internal-embed",
                DestinationClass::Internal,
                2000,
            ),
        );
    }
    let mut alerts = 0;
    for k in 0..5u64 {
        let mut c = Call::to(
            T0 + 300 * 60_000 + k * 1000,
            "embed",
            "internal-embed",
            DestinationClass::Internal,
            2000,
        );
        c.findings = vec![finding(DataClass::Pii); 3];
        let s = feed(&b, &id, &c);
        println!("{s:?}");
        alerts += usize::from(s.action == BehaviorAction::Alert);
    }
    assert_eq!(
        alerts, 5,
        "every PII-carrying call answers alert by the feature rule"
    );
    drop(b); // joins the delivery thread after the queue drains
    let posted = transport.0.lock().unwrap();
    assert_eq!(posted.len(), 1, "cooldown lets one alert through per level");
}
