//! `prompt`: none, login, consent, select_account; `none` cannot be combined with others.

use super::{param, Params};
use crate::authorize::request::Prompt;
use crate::error::OAuthError;

/// Parses `prompt`.
pub fn check(params: &Params) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    let Some(value) = param(params, "prompt") else {
        return Ok(prompt);
    };
    let mut count = 0;
    for item in value.split(' ').filter(|s| !s.is_empty()) {
        count += 1;
        match item {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            other => {
                return Err(OAuthError::InvalidRequest(format!(
                    "prompt value `{other}` is not supported"
                )))
            }
        }
    }
    if prompt.none && count > 1 {
        return Err(OAuthError::InvalidRequest(
            "prompt=none cannot be combined with other values".into(),
        ));
    }
    Ok(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &str) -> Params {
        [("prompt".to_string(), v.to_string())]
            .into_iter()
            .collect()
    }

    #[test]
    fn values() {
        assert!(check(&p("none")).unwrap().none);
        let both = check(&p("login consent")).unwrap();
        assert!(both.login && both.consent);
        assert_eq!(
            check(&p("none login")).unwrap_err().code(),
            "invalid_request"
        );
        assert_eq!(check(&p("bogus")).unwrap_err().code(), "invalid_request");
        assert_eq!(check(&Params::new()).unwrap(), Prompt::default());
    }
}
