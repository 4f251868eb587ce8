//! A key's public identity, from a certificate's SubjectPublicKeyInfo or from a private
//! key file (PKCS#1, PKCS#8, SEC1), so that a private key finds its certificates without
//! any of its secret parts leaving this function: only the public half is returned.

const RSA: &str = "1.2.840.113549.1.1.1";
const EC: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";

/// The identity of a public key: its algorithm and the bytes that name it (an RSA
/// modulus without leading zeros, an EC point, an Ed25519 key).
pub(super) fn identity(algorithm: &str, key: &[u8]) -> Vec<u8> {
    match algorithm {
        RSA => match pkcs1::RsaPublicKey::try_from(key) {
            Ok(k) => tagged(b"rsa:", k.modulus.as_bytes()),
            Err(_) => tagged(b"rsa-raw:", key),
        },
        EC => tagged(b"ec:", key),
        ED25519 => tagged(b"ed25519:", key),
        other => tagged(format!("{other}:").as_bytes(), key),
    }
}

fn tagged(tag: &[u8], key: &[u8]) -> Vec<u8> {
    let key = match key.iter().position(|&b| b != 0) {
        Some(i) if tag.starts_with(b"rsa") => &key[i..],
        _ => key,
    };
    let mut out = tag.to_vec();
    out.extend_from_slice(key);
    out
}

/// A private key's public identity (when the file holds it) and whether it is encrypted.
pub(super) fn read(label: &str, der: &[u8]) -> Result<(Option<Vec<u8>>, bool), String> {
    match label {
        "ENCRYPTED PRIVATE KEY" => Ok((None, true)),
        "RSA PRIVATE KEY" => {
            let k = pkcs1::RsaPrivateKey::try_from(der)
                .map_err(|_| "not a PKCS#1 key (encrypted with a PEM header, or damaged)")?;
            Ok((Some(tagged(b"rsa:", k.modulus.as_bytes())), false))
        }
        "EC PRIVATE KEY" => {
            let k = sec1::EcPrivateKey::try_from(der)
                .map_err(|_| "not a SEC1 key (encrypted with a PEM header, or damaged)")?;
            Ok((k.public_key.map(|p| tagged(b"ec:", p)), false))
        }
        "PRIVATE KEY" => {
            let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|_| "not a PKCS#8 key")?;
            let public = match info.algorithm.oid.to_string().as_str() {
                RSA => pkcs1::RsaPrivateKey::try_from(info.private_key)
                    .ok()
                    .map(|k| tagged(b"rsa:", k.modulus.as_bytes())),
                EC => sec1::EcPrivateKey::try_from(info.private_key)
                    .ok()
                    .and_then(|k| k.public_key.map(|p| tagged(b"ec:", p)))
                    .or_else(|| info.public_key.map(|p| tagged(b"ec:", p))),
                // PKCS#8 v1 holds no public key for Ed25519: without deriving it (which
                // needs the secret), the key finds no certificate.
                ED25519 => info.public_key.map(|p| tagged(b"ed25519:", p)),
                _ => info
                    .public_key
                    .map(|p| identity(&info.algorithm.oid.to_string(), p)),
            };
            Ok((public, false))
        }
        other => Err(format!("unknown key type {}", crate::report::clean(other))),
    }
}
