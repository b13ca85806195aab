//! A nesting bound on YAML text, checked before serde_yaml reads it.
//!
//! libyaml re-examines every open flow collection (`[`, `{`) on each token it scans, so a
//! document nested a hundred thousand levels deep costs minutes of CPU before serde_yaml's own
//! recursion limit (128) refuses it. Streaming the parser's events — libyaml itself, the parser
//! serde_yaml uses, so both read the document the same way — stops at the first collection
//! nested too deep, after work linear in what was read.

use std::mem::MaybeUninit;

use unsafe_libyaml as unsafe_yaml;

/// Refuses `text` when collections nest deeper than `max` levels. Syntax errors are left to
/// serde_yaml, which reports them with their position.
pub fn check(text: &str, max: usize) -> Result<(), String> {
    let mut parser = MaybeUninit::<unsafe_yaml::yaml_parser_t>::uninit();
    let parser = parser.as_mut_ptr();
    // SAFETY: the parser is initialised before use and deleted once, after the last event; the
    // input outlives it (borrowed for this whole function); each event is deleted after its
    // type was read, and never touched again.
    unsafe {
        if unsafe_yaml::yaml_parser_initialize(parser).fail {
            return Err("the YAML parser could not start".into());
        }
        unsafe_yaml::yaml_parser_set_input_string(parser, text.as_ptr(), text.len() as u64);
        let mut depth = 0usize;
        let verdict = loop {
            let mut event = MaybeUninit::<unsafe_yaml::yaml_event_t>::uninit();
            if unsafe_yaml::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
                break Ok(());
            }
            let kind = (*event.as_ptr()).type_;
            unsafe_yaml::yaml_event_delete(event.as_mut_ptr());
            match kind {
                unsafe_yaml::YAML_SEQUENCE_START_EVENT | unsafe_yaml::YAML_MAPPING_START_EVENT => {
                    depth += 1;
                    if depth > max {
                        break Err(format!("nested deeper than {max} levels"));
                    }
                }
                unsafe_yaml::YAML_SEQUENCE_END_EVENT | unsafe_yaml::YAML_MAPPING_END_EVENT => {
                    depth = depth.saturating_sub(1);
                }
                unsafe_yaml::YAML_STREAM_END_EVENT => break Ok(()),
                _ => {}
            }
        };
        unsafe_yaml::yaml_parser_delete(parser);
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_flow_and_block_nesting() {
        assert!(check("a: [1, {b: [2]}]", 4).is_ok());
        assert!(check("a: [1, {b: [2]}]", 3).is_err());
        assert!(check("a:\n  b:\n    c: 1\n", 3).is_ok());
        assert!(check("a:\n  b:\n    c: 1\n", 2).is_err());
        // Brackets inside scalars are text, not nesting.
        assert!(check("a: '[[[[['\nb: \"{{{{\"\nc: x[[[[\n", 1).is_ok());
    }

    #[test]
    fn stops_early_on_hostile_depth() {
        let deep = "{\"a\":".repeat(100_000);
        let started = std::time::Instant::now();
        assert_eq!(
            check(&deep, 128),
            Err("nested deeper than 128 levels".into())
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn syntax_errors_are_left_to_serde_yaml() {
        assert!(check("a: [1, 2", 10).is_ok());
        assert!(check("", 10).is_ok());
    }
}
