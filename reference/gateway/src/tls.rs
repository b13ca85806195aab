//! The TLS proxy listener (Kong's `proxy_listen … ssl`, 8443): rustls through tokio-rustls,
//! with the certificate given (`ssl_cert` / `ssl_cert_key`, PEM) or, when none is, a
//! self-signed one generated at start for `localhost`, `127.0.0.1` and `::1` (rcgen), as Kong
//! generates its default certificate. The listener is served by
//! `gatecheck_serve::Server::spawn_handler_tls` with the same proxy handler as plain http; its
//! connections' `Peer` has `tls` set, so the proxy knows their scheme is `https`.
//!
//! [`Client`] is a small HTTPS client for that listener (trusting its certificate, or any
//! certificate like `curl -k`), for tests and the harness.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use http::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types};

use pki_types::pem::PemObject;
use pki_types::{CertificateDer, PrivateKeyDer, ServerName};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A server certificate chain and its key.
#[derive(Debug)]
pub struct Identity {
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// A self-signed certificate for `localhost`, `127.0.0.1` and `::1`.
    pub fn self_signed() -> anyhow::Result<Identity> {
        let names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        let generated =
            rcgen::generate_simple_self_signed(names).context("cannot generate a certificate")?;
        Ok(Identity {
            chain: vec![generated.cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(generated.key_pair.serialize_der().into()),
        })
    }

    /// The PEM certificate chain at `cert` and the PEM private key at `key`.
    pub fn from_pem_files(cert: &Path, key: &Path) -> anyhow::Result<Identity> {
        let chain = CertificateDer::pem_file_iter(cert)
            .with_context(|| format!("cannot read {}", cert.display()))?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{}: not a PEM certificate chain", cert.display()))?;
        if chain.is_empty() {
            anyhow::bail!("{}: no certificate in the file", cert.display());
        }
        let key = PrivateKeyDer::from_pem_file(key)
            .with_context(|| format!("{}: not a PEM private key", key.display()))?;
        Ok(Identity { chain, key })
    }

    /// The certificate given, or a self-signed one when neither file is; one without the other
    /// is an error.
    pub fn load(cert: Option<&Path>, key: Option<&Path>) -> anyhow::Result<Identity> {
        match (cert, key) {
            (Some(c), Some(k)) => Identity::from_pem_files(c, k),
            (None, None) => Identity::self_signed(),
            _ => anyhow::bail!("give both ssl_cert and ssl_cert_key, or neither"),
        }
    }

    /// The rustls server configuration (HTTP/2 and HTTP/1.1 by ALPN).
    pub fn server_config(&self) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .context("the certificate does not match its key")?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Accepts any server certificate (`curl -k`): the guides call the gateway's self-signed
/// listener this way.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// An HTTPS client for the TLS listener: one HTTP/1.1 request per connection.
#[derive(Debug, Clone)]
pub struct Client {
    config: Arc<rustls::ClientConfig>,
    timeout: Duration,
}

impl Client {
    /// Trusts only `roots` (e.g. the gateway's [`Identity::chain`]), verifying the name.
    pub fn trusting(roots: &[CertificateDer<'static>]) -> anyhow::Result<Client> {
        let mut store = rustls::RootCertStore::empty();
        for r in roots {
            store
                .add(r.clone())
                .context("not a usable root certificate")?;
        }
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(Client {
            config: Arc::new(config),
            timeout: Duration::from_secs(30),
        })
    }

    /// Accepts any certificate (`curl -k`).
    pub fn insecure() -> anyhow::Result<Client> {
        let provider = provider();
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        Ok(Client {
            config: Arc::new(config),
            timeout: Duration::from_secs(30),
        })
    }

    /// Sends `req` (its URI absolute, `https://host:port/...`) and reads the whole answer.
    pub async fn send(&self, req: Request<Body>) -> anyhow::Result<Response<bytes::Bytes>> {
        tokio::time::timeout(self.timeout, self.exchange(req))
            .await
            .context("the HTTPS request timed out")?
    }

    async fn exchange(&self, mut req: Request<Body>) -> anyhow::Result<Response<bytes::Bytes>> {
        use http_body_util::BodyExt;
        let uri = req.uri().clone();
        let host = uri.host().context("the URL has no host")?.to_owned();
        let port = uri.port_u16().unwrap_or(443);
        let bare = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tcp = TcpStream::connect((bare.as_str(), port))
            .await
            .with_context(|| format!("cannot connect to {host}:{port}"))?;
        let name = ServerName::try_from(bare).context("not a server name")?;
        let tls = tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, tcp)
            .await
            .context("TLS handshake failed")?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .context("HTTP handshake failed")?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        if !req.headers().contains_key(http::header::HOST) {
            let authority = uri.authority().map(|a| a.as_str()).unwrap_or(&host);
            req.headers_mut()
                .insert(http::header::HOST, authority.parse().context("bad host")?);
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        *req.uri_mut() = path.parse().context("bad path")?;
        let response = sender.send_request(req).await.context("request failed")?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.context("reading the body")?.to_bytes();
        Ok(Response::from_parts(parts, bytes))
    }
}

/// The request body type [`Client::send`] takes.
pub use axum::body::Body as RequestBody;
