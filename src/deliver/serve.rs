//! The staff app's accept loop, for plain HTTP and TLS alike. It never
//! spins and never stops: an accept error (no file handles left, say) is
//! logged and waited out with a growing pause; at most `MAX_CONNECTIONS`
//! are served at once, the next waiting to be accepted; a client that
//! stalls its handshake or its request headers is dropped alone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// Phones of a whole wing with a stream each, and room to spare.
pub const MAX_CONNECTIONS: usize = 256;
/// A TLS handshake or a request's headers must come within this long.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The pause after an accept error: doubling from 10 ms to 1 s, back to
/// 10 ms once a connection is accepted again.
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    pub fn failed(&mut self) -> Duration {
        let pause = Duration::from_millis(10) * 2u32.pow(self.failures.min(7));
        self.failures += 1;
        pause.min(Duration::from_secs(1))
    }

    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

/// Serves `app` on `listener` until the task is dropped, over TLS when
/// `tls` is given.
pub async fn serve(listener: TcpListener, tls: Option<Arc<ServerConfig>>, app: Router) {
    let tls = tls.map(TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut backoff = AcceptBackoff::default();
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => {
                backoff.succeeded();
                accepted
            }
            Err(e) => {
                let pause = backoff.failed();
                tracing::warn!(
                    "staff app: cannot accept a connection ({e}); next try in {pause:?}"
                );
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        let (tls, app) = (tls.clone(), app.clone());
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        connection(stream, peer, app).await;
                    }
                }
                None => connection(stream, peer, app).await,
            }
            drop(slot);
        });
    }
}

async fn connection<S>(stream: S, peer: SocketAddr, app: Router)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(app.layer(axum::Extension(ConnectInfo(peer))));
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_after_accept_errors_grows_to_a_second_and_resets() {
        let mut backoff = AcceptBackoff::default();
        let pauses: Vec<u128> = (0..10).map(|_| backoff.failed().as_millis()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), Duration::from_millis(10));
    }
}
