//! JSON pointers (RFC 6901) naming the offending item of a rejected document.

/// `base` extended by one reference token (escaped: `~` → `~0`, `/` → `~1`).
pub(crate) fn child(base: &str, token: impl std::fmt::Display) -> String {
    let token = token.to_string();
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{base}/{escaped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reference_tokens() {
        assert_eq!(child("", 0), "/0");
        assert_eq!(child("/0/conditions", "a/b~c"), "/0/conditions/a~1b~0c");
    }
}
