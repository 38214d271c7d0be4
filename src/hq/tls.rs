//! TLS to HQ's PostgreSQL with rustls.
//!
//! - The crypto provider is aws-lc-rs, the one reqwest already brings, handed to rustls
//!   explicitly: no process-level default provider is needed (or installed).
//! - Certificates are ALWAYS verified, name included (libpq's `verify-full`): against the
//!   system's roots (the platform verifier reqwest uses), or, when `[hq] ca_file` is set, against
//!   that file's certificates only (a shop's private CA). There is no "accept anything" mode.
//! - `sslmode` in the URL decides whether TLS is used at all (tokio-postgres): `disable` plain,
//!   `prefer` (the default) TLS when the server offers it, `require` TLS or no connection.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::HqError;

/// What is wrong with `[hq] ca_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaProblem {
    /// Missing, a folder, or not readable (the OS error).
    Unreadable(String),
    /// Not PEM text (the parser's complaint).
    NotPem(String),
    /// PEM, but without a `-----BEGIN CERTIFICATE-----` block (a key, say).
    NoCertificate,
    /// A certificate rustls cannot use as a root.
    BadCertificate(String),
}

impl std::fmt::Display for CaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaProblem::Unreadable(e) => write!(f, "cannot be read: {e}"),
            CaProblem::NotPem(e) => write!(f, "is not a PEM file of certificates: {e}"),
            CaProblem::NoCertificate => f.write_str("holds no -----BEGIN CERTIFICATE----- block"),
            CaProblem::BadCertificate(e) => write!(f, "holds a certificate that is unusable: {e}"),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The CA certificates of `path` (PEM, one or more `CERTIFICATE` blocks; other blocks skipped).
pub fn load_ca(path: &Path) -> Result<RootCertStore, HqError> {
    let bad = |problem| HqError::CaFile {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(CaProblem::Unreadable(e.to_string())))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| bad(CaProblem::NotPem(e.to_string())))?;
        roots
            .add(cert)
            .map_err(|e| bad(CaProblem::BadCertificate(e.to_string())))?;
    }
    if roots.is_empty() {
        return Err(bad(CaProblem::NoCertificate));
    }
    Ok(roots)
}

/// The rustls client settings: `ca_file`'s roots only, or the system's.
pub fn client_config(ca_file: Option<&Path>) -> Result<ClientConfig, HqError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| HqError::Tls(e.to_string()))?;
    Ok(match ca_file {
        Some(path) => builder
            .with_root_certificates(load_ca(path)?)
            .with_no_client_auth(),
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(SystemRoots::new(provider())))
            .with_no_client_auth(),
    })
}

/// The connector for tokio-postgres / deadpool.
pub fn connector(
    ca_file: Option<&Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, HqError> {
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(
        client_config(ca_file)?,
    ))
}

/// The system's roots through rustls-platform-verifier (what reqwest uses). A machine without
/// CA certificates does not stop the pool from being built (a plain `sslmode=prefer` server still
/// works): a TLS handshake is then refused with a message saying so.
#[derive(Debug)]
struct SystemRoots {
    verifier: Result<rustls_platform_verifier::Verifier, String>,
    provider: Arc<CryptoProvider>,
}

impl SystemRoots {
    fn new(provider: Arc<CryptoProvider>) -> SystemRoots {
        SystemRoots {
            verifier: rustls_platform_verifier::Verifier::new(provider.clone())
                .map_err(|e| e.to_string()),
            provider,
        }
    }
}

impl ServerCertVerifier for SystemRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.verifier {
            Ok(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            Err(e) => Err(rustls::Error::General(format!(
                "no system CA certificates to verify HQ's certificate ({e}); set hq.ca_file"
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_ca_file_is_named_and_unreadable() {
        let e = load_ca(Path::new("/nonexistent/kasse-ca.pem")).unwrap_err();
        assert!(
            matches!(
                &e,
                HqError::CaFile {
                    problem: CaProblem::Unreadable(_),
                    ..
                }
            ),
            "{e:?}"
        );
        let t = e.text();
        assert!(
            t.nb.contains("hq.ca_file") && t.en.contains("hq.ca_file"),
            "{t:?}"
        );
        assert!(t.en.contains("/nonexistent/kasse-ca.pem"), "{t:?}");
    }

    #[test]
    fn a_file_without_certificates_or_with_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate at all\n").unwrap();
        assert!(matches!(
            load_ca(&empty),
            Err(HqError::CaFile {
                problem: CaProblem::NoCertificate,
                ..
            })
        ));
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = load_ca(&broken).unwrap_err();
        assert!(
            matches!(
                &e,
                HqError::CaFile {
                    problem: CaProblem::NotPem(_) | CaProblem::BadCertificate(_),
                    ..
                }
            ),
            "{e:?}"
        );
        let junk_der = dir.path().join("junk.pem");
        // Valid base64, but not a certificate.
        std::fs::write(
            &junk_der,
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(matches!(
            load_ca(&junk_der),
            Err(HqError::CaFile {
                problem: CaProblem::BadCertificate(_),
                ..
            })
        ));
        // A folder is not a file.
        assert!(matches!(
            load_ca(dir.path()),
            Err(HqError::CaFile {
                problem: CaProblem::Unreadable(_),
                ..
            })
        ));
    }

    #[test]
    fn without_system_roots_a_certificate_is_refused_with_a_hint() {
        let roots = SystemRoots {
            verifier: Err("No CA certificates were loaded from the system".into()),
            provider: provider(),
        };
        let cert = CertificateDer::from(vec![0x30, 0x00]);
        let name = ServerName::try_from("hq.example").unwrap();
        let e = roots
            .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
            .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("no system CA certificates"), "{text}");
        assert!(text.contains("hq.ca_file"), "{text}");
        assert!(!roots.supported_verify_schemes().is_empty());
    }

    #[test]
    fn system_roots_build_with_the_provider_passed_explicitly() {
        // Nothing installs a process-level CryptoProvider: the provider is handed over.
        let c = client_config(None).unwrap();
        assert!(!c.crypto_provider().cipher_suites.is_empty());
    }
}
