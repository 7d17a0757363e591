//! The witness server over a real socket on 127.0.0.1: the spec's statuses and content types
//! reach the client as the state machine assigned them.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use palisade_audit::witness::AddCheckpoint;
use palisade_audit::{Checkpoint, Cosigner, NoteSigner, Witness};
use std::sync::Arc;

async fn post(url: &str, method: &str, body: String) -> (u16, String, String) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn witness_http_statuses_follow_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let log = NoteSigner::generate("palisade.test/audit").unwrap();
    let key = Cosigner::generate("witness.test/a").unwrap();
    let wkey = key.verifier();
    let witness = Arc::new(Witness::open(dir.path(), key, vec![log.verifier()]).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(palisade_gateway::serve_witness(listener, witness, async {
        let _ = rx.await;
    }));
    let url = format!("http://{addr}/add-checkpoint");
    let cp = Checkpoint {
        origin: "palisade.test/audit".into(),
        size: 5,
        root: [7u8; 32],
    };
    let note = log.sign(&cp.to_text()).unwrap();
    let (s, _, line) = post(&url, "POST", AddCheckpoint::to_body(0, &[], &note)).await;
    assert_eq!(s, 200, "{line}");
    assert!(wkey.verify(&format!("{note}{line}")).unwrap() > 0);
    let (s, ct, body) = post(&url, "POST", AddCheckpoint::to_body(0, &[], &note)).await;
    assert_eq!(
        (s, ct.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "5\n")
    );
    let other = NoteSigner::generate("palisade.test/audit")
        .unwrap()
        .sign(&cp.to_text())
        .unwrap();
    let (s, _, _) = post(&url, "POST", AddCheckpoint::to_body(5, &[], &other)).await;
    assert_eq!(s, 403);
    let (s, _, _) = post(&url, "POST", "old 01\n\n".into()).await;
    assert_eq!(s, 400);
    let (s, _, _) = post(&url, "GET", String::new()).await;
    assert_eq!(s, 405);
    let (s, _, _) = post(&format!("http://{addr}/other"), "POST", String::new()).await;
    assert_eq!(s, 404);
    let (s, _, _) = post(&url, "POST", "x".repeat(64 * 1024)).await;
    assert_eq!(s, 413);
    let _ = tx.send(());
    server.await.unwrap();
}
