//! RFC 8705 groundwork: with `request_client_cert = true` the listener asks for (but does not
//! require) a client certificate, and the authenticator receives the SHA-256 of the presented
//! DER certificate; without one it receives `None`.

mod common;

use common::*;
use http_body_util::{BodyExt, Full};
use palisade_core::*;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

struct Recorder(Arc<Mutex<Vec<Option<[u8; 32]>>>>, Identity);

impl Authenticator for Recorder {
    fn authenticate(&self, creds: &RequestCredentials<'_>) -> Result<Identity, AuthFailure> {
        self.0.lock().unwrap().push(creds.client_cert_sha256);
        Ok(self.1.clone())
    }
}

#[tokio::test]
async fn client_certificate_thumbprint_reaches_the_authenticator() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let DevStages {
        cfg, mut stages, ..
    } = dev_stages();
    let identity = palisade_gateway::dev::DevOpenAuthenticator::new(&cfg.auth)
        .unwrap()
        .authenticate(&RequestCredentials {
            method: "GET",
            url: "",
            authorization: None,
            dpop: None,
            client_cert_sha256: None,
            api_key: None,
        })
        .unwrap();
    stages.authenticator = Arc::new(Recorder(seen.clone(), identity));
    let h = start_full(Some(stages), "request_client_cert = true").await;

    // Without a certificate: still served, thumbprint None.
    assert_eq!(h.get("/v1/models").await.0, 200);

    // With a self-signed client certificate.
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["agent-1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let expected: [u8; 32] = Sha256::digest(cert.der()).into();
    let tls = tls13_trusting(&h.ca_pem)
        .with_client_auth_cert(
            vec![cert.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let client = https_client(tls);
    let resp = client
        .request(
            http::Request::get(h.url("/v1/models"))
                .body(Full::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let _ = resp.into_body().collect().await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, vec![None, Some(expected)]);
    h.shutdown().await;
}
