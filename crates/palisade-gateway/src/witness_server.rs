//! `palisade witness serve`: the HTTP face of [`palisade_audit::Witness`] per C2SP
//! tlog-witness. One route, `POST /add-checkpoint`; the body is read under a small limit
//! before anything else (a request is an `old` line, at most 63 proof lines and a note);
//! refusals carry the status the spec assigns (409 with the witness's size as
//! `text/x.tlog.size`, 403, 404, 422, 400); success is the cosignature line. The check and
//! the atomic persist run on a blocking thread (they fsync). Plain HTTP/1.1: what a witness
//! answers is signed, and it holds no secret a caller could read; put TLS in front of it when it
//! leaves the host.

use crate::body::{full, GwBody};
use http::{HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use palisade_audit::witness::SIZE_CONTENT_TYPE;
use palisade_audit::Witness;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Largest add-checkpoint body accepted: 63 proof lines of 45 bytes, the `old` line and a
/// checkpoint note with a few signatures fit in far less.
pub const MAX_BODY: usize = 16 * 1024;
/// Time a client gets to send its head and body.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `witness` on `listener` until `shutdown` completes.
pub async fn serve_witness(
    listener: TcpListener,
    witness: Arc<Witness>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "witness accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let witness = witness.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let witness = witness.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&witness, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .serve_connection(TokioIo::new(tcp), svc);
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "witness connection ended with an error");
            }
        });
    }
}

fn answer(status: StatusCode, content_type: &'static str, body: String) -> http::Response<GwBody> {
    let mut r = http::Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    r
}

async fn handle(witness: &Arc<Witness>, req: http::Request<Incoming>) -> http::Response<GwBody> {
    let text = |s: StatusCode, m: &str| answer(s, "text/plain; charset=utf-8", format!("{m}\n"));
    if req.uri().path() != "/add-checkpoint" {
        return text(StatusCode::NOT_FOUND, "not found");
    }
    if req.method() != Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "use POST");
    }
    let limited = Limited::new(req.into_body(), MAX_BODY);
    let bytes = match tokio::time::timeout(READ_TIMEOUT, limited.collect()).await {
        Err(_) => return text(StatusCode::REQUEST_TIMEOUT, "body not received in time"),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return text(StatusCode::PAYLOAD_TOO_LARGE, "body too large")
        }
        Ok(Err(_)) => return text(StatusCode::BAD_REQUEST, "body could not be read"),
        Ok(Ok(c)) => c.to_bytes(),
    };
    let Ok(body) = String::from_utf8(bytes.to_vec()) else {
        return text(StatusCode::BAD_REQUEST, "body is not UTF-8");
    };
    let w = witness.clone();
    let result = tokio::task::spawn_blocking(move || w.add_checkpoint(&body, unix_now())).await;
    match result {
        Ok(Ok(cosignature)) => answer(StatusCode::OK, "text/plain; charset=utf-8", cosignature),
        Ok(Err(e)) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status == StatusCode::CONFLICT {
                answer(status, SIZE_CONTENT_TYPE, e.body())
            } else {
                tracing::info!(status = status.as_u16(), reason = %e, "add-checkpoint refused");
                answer(status, "text/plain; charset=utf-8", e.body())
            }
        }
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "witness task failed"),
    }
}

/// POSIX seconds for the cosignature timestamp (the spec's `time` line).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
