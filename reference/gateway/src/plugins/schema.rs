//! Plugin config validation: Kong-style field errors (`crate::schema`) and the field types the
//! Gluu plugins share.

use url::Url;

use crate::schema::{Field, Record};

pub use crate::schema::{ConfigError, FieldError};

/// Kong's `typedefs.url` as the plugins use it: an absolute http(s) URL with a host.
pub fn url() -> Field {
    Field::string().validator(|v| match Url::parse(v.as_str().unwrap_or_default()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(_) => Err("missing host in url".into()),
        Err(e) => Err(format!("invalid url: {e}")),
    })
}

/// A required [`url`] (`oxd_url`, `op_url`).
pub fn http_url() -> Field {
    url().required().len_min(1)
}

/// `record` with the oxd client fields every Gluu plugin starts with: `oxd_id`, `oxd_url`,
/// `client_id`, `client_secret`, `op_url`.
pub fn oxd_client(record: Record) -> Record {
    let text = || Field::string().required().len_min(1);
    record
        .field("oxd_id", text())
        .field("oxd_url", http_url())
        .field("client_id", text())
        .field("client_secret", text())
        .field("op_url", http_url())
}
