//! The simulated upstream itself: after a broken stream it still answers new connections.

use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use palisade_gateway::dev::fake_upstream::FakeUpstream;

#[tokio::test]
async fn fake_upstream_survives_a_broken_stream() {
    let up = FakeUpstream::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let url = format!("http://{}/v1/chat/completions", up.addr());
    let req = |model: &str| {
        http::Request::post(url.as_str())
            .body(Full::new(bytes::Bytes::from(format!(
                "{{\"model\":\"{model}\",\"stream\":true,\"messages\":[]}}"
            ))))
            .unwrap()
    };
    let r = client.request(req("break")).await.unwrap();
    assert!(r.into_body().collect().await.is_err());
    let r = client.request(req("ok")).await.unwrap();
    let body = r.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("[DONE]"));
    assert_eq!(up.requests().len(), 2);
}
