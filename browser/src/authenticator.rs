//! An authenticator app: enrolls from a QR code image and computes TOTP codes (RFC 6238).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use totp_rs::TOTP;

use crate::BrowserError;

/// A TOTP authenticator enrolled from an `otpauth://totp/...` URI.
#[derive(Debug, Clone)]
pub struct Authenticator {
    totp: TOTP,
    uri: String,
}

impl Authenticator {
    /// Enrolls from the PNG of a QR code, as a phone camera would: decodes the image, reads the
    /// `otpauth://` URI from it and parses its secret, algorithm, digits and period.
    pub fn from_qr_png(png: &[u8]) -> Result<Self, BrowserError> {
        let uri = decode_qr_png(png)?;
        Self::from_uri(&uri)
    }

    /// Enrolls from the `src` of an `<img>`: a `data:image/png;base64,...` URL.
    pub fn from_qr_data_url(src: &str) -> Result<Self, BrowserError> {
        let png = decode_png_data_url(src)?;
        Self::from_qr_png(&png)
    }

    /// Enrolls from an `otpauth://totp/...` URI.
    pub fn from_uri(uri: &str) -> Result<Self, BrowserError> {
        let totp = TOTP::from_url(uri)
            .map_err(|e| BrowserError::Otp(format!("not a usable otpauth URI ({e:?}): {uri}")))?;
        Ok(Self {
            totp,
            uri: uri.to_owned(),
        })
    }

    /// The otpauth URI read at enrollment.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The shared secret, base32 as in the URI.
    pub fn secret(&self) -> String {
        self.totp.get_secret_base32()
    }

    /// The account name of the enrollment (the user the OP enrolled).
    pub fn account(&self) -> &str {
        &self.totp.account_name
    }

    /// The issuer of the enrollment, if the URI named one.
    pub fn issuer(&self) -> Option<&str> {
        self.totp.issuer.as_deref()
    }

    /// The code for the current time.
    pub fn current_code(&self) -> String {
        self.code_at(now())
    }

    /// The code for a Unix time.
    pub fn code_at(&self, unix_secs: u64) -> String {
        self.totp.generate(unix_secs)
    }

    /// A well-formed code that is not valid now: not the code of the current step nor of the
    /// steps either side (the window a verifier accepts).
    pub fn wrong_code(&self) -> String {
        let t = now();
        let step = self.totp.step;
        let valid = [
            self.code_at(t.saturating_sub(step)),
            self.code_at(t),
            self.code_at(t + step),
        ];
        let digits = self.totp.digits;
        (0u32..)
            .map(|n| {
                format!(
                    "{:0width$}",
                    (n * 7919 + 123_456) % 10u32.pow(digits as u32),
                    width = digits
                )
            })
            .find(|c| !valid.contains(c))
            .unwrap_or_default()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Decodes the first QR code found in a PNG image and returns its text.
pub fn decode_qr_png(png: &[u8]) -> Result<String, BrowserError> {
    let image = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .map_err(|e| BrowserError::Otp(format!("the QR code is not a readable PNG: {e}")))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    let grid = grids
        .first()
        .ok_or_else(|| BrowserError::Otp("no QR code found in the image".into()))?;
    let (_, text) = grid
        .decode()
        .map_err(|e| BrowserError::Otp(format!("the QR code cannot be decoded: {e}")))?;
    Ok(text)
}

/// The bytes of a `data:image/png;base64,...` URL.
pub fn decode_png_data_url(src: &str) -> Result<Vec<u8>, BrowserError> {
    let payload = src.strip_prefix("data:image/png;base64,").ok_or_else(|| {
        BrowserError::Otp(format!("the QR image is not a PNG data URL: {:.40}", src))
    })?;
    base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|e| BrowserError::Otp(format!("the QR image data is not base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "otpauth://totp/Gluu%20Inc:admin?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Gluu%20Inc&algorithm=SHA1&digits=6&period=30";

    fn qr_png(text: &str) -> Vec<u8> {
        let totp = TOTP::from_url(text).unwrap();
        let b64 = totp.get_qr_base64().unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    }

    #[test]
    fn enrolls_from_a_qr_png_and_computes_rfc6238_codes() {
        let auth = Authenticator::from_qr_png(&qr_png(URI)).unwrap();
        assert_eq!(auth.account(), "admin");
        assert_eq!(auth.issuer(), Some("Gluu Inc"));
        // Same secret, same time, independent computation.
        let reference = TOTP::from_url(URI).unwrap();
        assert_eq!(auth.code_at(59), reference.generate(59));
        assert_eq!(auth.current_code().len(), 6);
    }

    #[test]
    fn wrong_code_is_outside_the_accepted_window() {
        let auth = Authenticator::from_uri(URI).unwrap();
        let wrong = auth.wrong_code();
        assert_eq!(wrong.len(), 6);
        let t = now();
        for s in [t - 30, t, t + 30] {
            assert_ne!(wrong, auth.code_at(s));
        }
    }

    #[test]
    fn data_url_and_image_errors_say_what_is_wrong() {
        let err = Authenticator::from_qr_data_url("data:image/gif;base64,AAAA").unwrap_err();
        assert!(err.to_string().contains("not a PNG data URL"), "{err}");
        let err = Authenticator::from_qr_data_url("data:image/png;base64,@@@").unwrap_err();
        assert!(err.to_string().contains("not base64"), "{err}");
        let err = Authenticator::from_qr_png(b"\x89PNG not really").unwrap_err();
        assert!(err.to_string().contains("not a readable PNG"), "{err}");
        // A blank PNG has no QR code.
        let mut png = Vec::new();
        image::DynamicImage::new_luma8(64, 64)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let err = Authenticator::from_qr_png(&png).unwrap_err();
        assert!(err.to_string().contains("no QR code"), "{err}");
        let err = Authenticator::from_uri("https://example.org").unwrap_err();
        assert!(err.to_string().contains("otpauth"), "{err}");
    }
}
