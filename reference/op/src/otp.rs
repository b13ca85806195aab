//! TOTP (RFC 6238) enrollment and verification, as Gluu's OTP script does it: SHA1, 6 digits,
//! 30 s steps, 20-byte secrets, plus a ±1 step window and replay refusal (a code of a step at or
//! before the last accepted step is refused).

use totp_rs::{Algorithm, TOTP};

/// Digits of a code.
pub const DIGITS: usize = 6;
/// Seconds per step.
pub const STEP: u64 = 30;

/// Decodes a base32 (RFC 4648, padding optional) secret.
pub fn decode_secret(base32: &str) -> Result<Vec<u8>, String> {
    let bytes = totp_rs::Secret::Encoded(base32.trim().to_uppercase())
        .to_bytes()
        .map_err(|e| format!("not a base32 secret: {e:?}"))?;
    if bytes.len() < 16 {
        return Err("secret must be at least 128 bits".into());
    }
    Ok(bytes)
}

/// A fresh 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// Base32 (no padding) form shown to the user.
pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::Raw(secret.to_vec())
        .to_encoded()
        .to_string()
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The `otpauth://totp/...` key URI (issuer, account, SHA1, 6 digits, 30 s written explicitly).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        secret_base32(secret),
        enc(issuer)
    )
}

/// PNG of the QR code of `uri`, base64 encoded (for a `data:` URL).
pub fn qr_png_base64(uri: &str) -> Result<String, String> {
    qrcodegen_image::draw_base64(uri)
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP,
        secret.to_vec(),
        None,
        String::new(),
    )
    .into()
}

/// The code for `time` (used by tests and by nothing else in the OP).
pub fn code_at(secret: &[u8], time: u64) -> String {
    totp(secret).map(|t| t.generate(time)).unwrap_or_default()
}

/// Checks `code` at `now` against the current step and one step either side. Returns the
/// matching step when it is later than `last_step` (so no code is ever accepted twice).
pub fn verify(secret: &[u8], code: &str, now: i64, last_step: Option<u64>) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret)?;
    let now = u64::try_from(now).ok()?;
    let current = now / STEP;
    let mut matched = None;
    for step in current.saturating_sub(1)..=current + 1 {
        let expected = totp.generate(step * STEP);
        if crate::util::secure_eq(&expected, code) {
            matched = Some(step);
        }
    }
    matched.filter(|step| last_step.is_none_or(|last| *step > last))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_vectors_six_digits() {
        for (time, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
            (20000000000, "353130"),
        ] {
            assert_eq!(code_at(RFC_SECRET, time), code, "t={time}");
        }
    }

    #[test]
    fn window_is_one_step_each_side() {
        let now = 1_234_567_890i64;
        let prev = code_at(RFC_SECRET, (now - 30) as u64);
        let next = code_at(RFC_SECRET, (now + 30) as u64);
        let old = code_at(RFC_SECRET, (now - 60) as u64);
        assert!(verify(RFC_SECRET, &prev, now, None).is_some());
        assert!(verify(RFC_SECRET, &next, now, None).is_some());
        assert!(verify(RFC_SECRET, &old, now, None).is_none());
        assert!(verify(RFC_SECRET, "12345", now, None).is_none());
        assert!(verify(RFC_SECRET, "abcdef", now, None).is_none());
    }

    #[test]
    fn replay_and_older_steps_are_refused() {
        let now = 1_234_567_890i64;
        let code = code_at(RFC_SECRET, now as u64);
        let step = verify(RFC_SECRET, &code, now, None).unwrap();
        assert_eq!(verify(RFC_SECRET, &code, now, Some(step)), None);
        let prev = code_at(RFC_SECRET, (now - 30) as u64);
        assert_eq!(verify(RFC_SECRET, &prev, now, Some(step)), None);
        let next = code_at(RFC_SECRET, (now + 30) as u64);
        assert_eq!(verify(RFC_SECRET, &next, now, Some(step)), Some(step + 1));
    }

    #[test]
    fn uri_and_secret_format() {
        assert_eq!(
            secret_base32(RFC_SECRET),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(
            decode_secret("gezdgnbvgy3tqojqgezdgnbvgy3tqojq").unwrap(),
            RFC_SECRET
        );
        assert!(decode_secret("!!").is_err());
        assert!(decode_secret("GEZDGNBV").is_err(), "too short");
        let uri = otpauth_uri("Gluu Inc", "admin", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Gluu%20Inc:admin?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gluu%20Inc&algorithm=SHA1&digits=6&period=30"
        );
        assert!(
            qr_png_base64(&uri).unwrap().starts_with("iVBOR"),
            "PNG magic"
        );
        assert_eq!(new_secret().len(), 20);
    }
}
