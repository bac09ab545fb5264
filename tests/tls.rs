//! R5.3 on the network: the staff app off loopback only over TLS. The
//! device makes its own certificate on first start (key readable by it
//! alone), shows its fingerprint, and serves only TLS on that port; a
//! non-loopback address without TLS is refused before anything opens.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{self, pki_types::ServerName};

#[tokio::test]
async fn the_staff_app_serves_tls_with_its_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "demo",
            "--port",
            "0",
            "--tls",
            "--seconds",
            "60",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let (mut address, mut printed_fingerprint) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("staff app: https://") {
            address = Some(url.trim_end_matches('/').to_string());
        }
        if let Some(rest) = line.strip_prefix("certificate SHA-256 fingerprint: ") {
            printed_fingerprint = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    let address = address.expect("an https address");
    let (cert_file, key_file) = tryghed::deliver::tls::files(&data);
    let pem = std::fs::read(&cert_file).unwrap();
    let cert = rustls_pemfile::certs(&mut pem.as_slice())
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        printed_fingerprint.as_deref(),
        Some(tryghed::deliver::tls::fingerprint(&cert).as_str()),
        "the fingerprint shown is the certificate's"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600,
            "the key is the device's alone"
        );
    }

    // A client that trusts exactly this certificate gets through.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the TLS handshake");
    tls.write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains("\"ok\":true"),
        "{answer}"
    );

    // Plain HTTP on that port gets no answer of the app.
    let mut plain = tokio::net::TcpStream::connect(&address).await.unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        plain.read_to_end(&mut answer),
    )
    .await;
    assert!(
        !String::from_utf8_lossy(&answer).contains("\"ok\":true"),
        "plain HTTP is not served"
    );
    let _ = demo.kill();
    let _ = demo.wait();

    // The same certificate on the next start, on the same address.
    let names = tryghed::deliver::tls::names_for(std::net::Ipv4Addr::LOCALHOST.into());
    let (again, _) = tryghed::deliver::tls::load_or_create(&data, &names).unwrap();
    drop(again);
    assert_eq!(
        std::fs::read(&cert_file).unwrap(),
        pem,
        "kept, not made anew"
    );
}

#[test]
fn a_non_loopback_address_without_tls_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::tryghed(&[
        "--data-dir",
        dir.path().join("demo").to_str().unwrap(),
        "demo",
        "--bind",
        "0.0.0.0",
        "--no-tls",
        "--seconds",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::text(&out.stderr).contains("only over TLS (R5.3)"),
        "{}",
        common::text(&out.stderr)
    );
    assert!(
        !dir.path().join("demo").exists(),
        "refused before anything was made"
    );
}

/// The certificate names what phones reach the device by, never
/// `0.0.0.0`, and is made anew, with a new fingerprint, when that changes.
#[test]
fn the_certificate_names_real_addresses_and_follows_their_changes() {
    use tryghed::deliver::tls::{load_or_create, names_for};
    let all = names_for("0.0.0.0".parse().unwrap());
    assert!(!all.iter().any(|n| n == "0.0.0.0"), "{all:?}");
    assert!(all.iter().any(|n| n == "localhost"), "{all:?}");
    let one = names_for("10.1.2.3".parse().unwrap());
    assert!(one.iter().any(|n| n == "10.1.2.3"), "{one:?}");
    println!("bound to all: {all:?}");
    let dir = tempfile::tempdir().unwrap();
    let names = |extra: &str| vec!["localhost".to_string(), extra.to_string()];
    let (_, first) = load_or_create(dir.path(), &names("10.1.2.3")).unwrap();
    let (_, again) = load_or_create(dir.path(), &names("10.1.2.3")).unwrap();
    assert_eq!(first, again, "kept while the names stand");
    let (_, moved) = load_or_create(dir.path(), &names("10.1.2.4")).unwrap();
    assert_ne!(first, moved, "a new address, a new certificate");
    let (cert_file, _) = tryghed::deliver::tls::files(dir.path());
    let pem = std::fs::read(cert_file).unwrap();
    let der = rustls_pemfile::certs(&mut pem.as_slice())
        .next()
        .unwrap()
        .unwrap();
    assert!(
        der.as_ref().windows(4).any(|w| w == [10, 1, 2, 4]),
        "the new address is in the certificate"
    );
}
