//! The local development PKI: on first start a CA and a server certificate for `localhost` /
//! `127.0.0.1` / `::1` are generated with rcgen into `<data_dir>/tls/` (keys 0600) and reused on
//! later starts, so clients trust the CA once.

use super::TlsError;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the generated files are, and the CA's fingerprint to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCa {
    /// The CA certificate clients should trust.
    pub ca_cert: PathBuf,
    /// The server certificate chain (leaf then CA).
    pub server_cert: PathBuf,
    /// The server private key.
    pub server_key: PathBuf,
    /// Hex SHA-256 of the CA certificate's DER, colon separated.
    pub ca_sha256: String,
    /// Whether this start created them.
    pub created: bool,
}

/// Loads the dev CA from `data_dir`, creating it when absent.
pub fn ensure_dev_ca(data_dir: &Path) -> Result<DevCa, TlsError> {
    let dir = data_dir.join("tls");
    let ca_cert = dir.join("ca.pem");
    let server_cert = dir.join("server.pem");
    let server_key = dir.join("server.key");
    let created = if ca_cert.exists() && server_cert.exists() && server_key.exists() {
        false
    } else {
        generate(&dir)?;
        true
    };
    let pem = fs::read(&ca_cert).map_err(|e| TlsError::io(&ca_cert, e))?;
    let der = rustls_pemfile::certs(&mut pem.as_slice())
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| TlsError::Pem(ca_cert.display().to_string()))?;
    let ca_sha256 = Sha256::digest(der.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    Ok(DevCa {
        ca_cert,
        server_cert,
        server_key,
        ca_sha256,
        created,
    })
}

fn generate(dir: &Path) -> Result<(), TlsError> {
    fs::create_dir_all(dir).map_err(|e| TlsError::io(dir, e))?;
    let gen = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(gen)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "Palisade local development CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(gen)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(gen)?;

    let mut leaf = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])
    .map_err(gen)?;
    leaf.distinguished_name
        .push(DnType::CommonName, "palisade gateway");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf_key = KeyPair::generate().map_err(gen)?;
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).map_err(gen)?;

    write_private(&dir.join("ca.key"), ca_key.serialize_pem().as_bytes())?;
    write_private(&dir.join("server.key"), leaf_key.serialize_pem().as_bytes())?;
    write_private(&dir.join("ca.pem"), ca_cert.pem().as_bytes())?;
    write_private(
        &dir.join("server.pem"),
        format!("{}{}", leaf_cert.pem(), ca_cert.pem()).as_bytes(),
    )?;
    Ok(())
}

/// Writes a file readable by the owner only (0600 from creation, so there is no window in
/// which a key is world-readable).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| TlsError::io(path, e))?;
    f.write_all(bytes).map_err(|e| TlsError::io(path, e))?;
    f.sync_all().map_err(|e| TlsError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_with_private_modes_and_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure_dev_ca(dir.path()).unwrap();
        assert!(first.created);
        assert_eq!(first.ca_sha256.len(), 32 * 3 - 1);
        #[cfg(unix)]
        for f in ["ca.key", "server.key", "ca.pem", "server.pem"] {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("tls").join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
        let second = ensure_dev_ca(dir.path()).unwrap();
        assert!(!second.created);
        assert_eq!(first.ca_sha256, second.ca_sha256);
    }
}
