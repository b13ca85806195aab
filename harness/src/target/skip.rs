//! Scenarios a target cannot run are reported skipped, with the reason, never passed.
//!
//! Before cucumber runs a feature, every scenario whose tags (its own, its rule's, its
//! feature's) need a capability the target lacks has its steps replaced by one step no
//! definition matches, `Given SKIPPED: <reason>`, and gets the tag [`SKIPPED_TAG`]. Cucumber
//! then reports it skipped everywhere: the terminal shows the reason as the step, the Cucumber
//! JSON has the step with `"status": "skipped"` and the reason as its name, and the JUnit
//! report's `<skipped>` gets the reason as its `message` ([`junit_messages`]). The runner lets
//! only scenarios with that tag stop at an unmatched step without failing.

use cucumber::gherkin;

use super::Capabilities;

/// The tag of a scenario skipped because the target lacks a capability.
pub const SKIPPED_TAG: &str = "skipped-by-target";

/// The text that starts a skipped scenario's only step.
pub const SKIPPED_STEP: &str = "SKIPPED: ";

/// Marks the scenarios of `feature` that need what `caps` lack; returns how many.
pub fn mark(feature: &mut gherkin::Feature, caps: &Capabilities) -> usize {
    let feature_tags = feature.tags.clone();
    let mut marked = 0;
    let mut total = 0;
    let mut one = |sc: &mut gherkin::Scenario, outer: &[String]| {
        total += 1;
        let tags = outer.iter().chain(&sc.tags).map(String::as_str);
        if let Some(reason) = caps.skip_reason(tags) {
            let keyword = sc
                .steps
                .first()
                .map(|s| s.keyword.clone())
                .unwrap_or_else(|| "Given ".into());
            let step = gherkin::Step {
                keyword,
                ty: gherkin::StepType::Given,
                value: format!("{SKIPPED_STEP}{reason}"),
                docstring: None,
                table: None,
                span: sc.span,
                position: sc.position,
            };
            sc.steps = vec![step];
            sc.tags.push(SKIPPED_TAG.into());
            marked += 1;
        }
    };
    for sc in &mut feature.scenarios {
        one(sc, &feature_tags);
    }
    for rule in &mut feature.rules {
        let outer: Vec<String> = feature_tags.iter().chain(&rule.tags).cloned().collect();
        for sc in &mut rule.scenarios {
            one(sc, &outer);
        }
    }
    if marked == total && marked > 0 {
        // Nothing of the feature runs: its background must not start anything either.
        feature.background = None;
        for rule in &mut feature.rules {
            rule.background = None;
        }
    }
    marked
}

/// Whether cucumber may let this scenario stop at an unmatched step without failing.
pub fn is_marked(scenario: &gherkin::Scenario) -> bool {
    scenario.tags.iter().any(|t| t == SKIPPED_TAG)
}

/// Gives each `<skipped/>` of a JUnit report the reason of its scenario as `message`: the
/// reason is the `SKIPPED: ...` step in the test case's `<system-out>`.
pub fn junit_messages(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<testcase") {
        let Some(len) = rest[start..].find("</testcase>") else {
            break;
        };
        let end = start + len + "</testcase>".len();
        out.push_str(&rest[..start]);
        out.push_str(&with_message(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn with_message(case: &str) -> String {
    let Some(at) = case.find(SKIPPED_STEP) else {
        return case.to_owned();
    };
    let reason = case[at + SKIPPED_STEP.len()..]
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end();
    // The system-out text is XML-escaped already; quotes must be too inside an attribute.
    let reason = reason.replace('"', "&quot;");
    case.replacen("<skipped/>", &format!("<skipped message=\"{reason}\"/>"), 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Capability;

    fn feature(text: &str) -> gherkin::Feature {
        gherkin::Feature::parse(text, gherkin::GherkinEnv::default()).unwrap()
    }

    const TEXT: &str = "@needs-oxd\nFeature: f\n  Background:\n    Given the \"x\" stack is running\n\n  @needs-otp-enrollment\n  Scenario: a\n    When the user clicks \"x\"\n\n  Scenario: b\n    When the user clicks \"y\"\n";

    #[test]
    fn scenarios_that_need_what_the_target_lacks_get_one_skipped_step_with_the_reason() {
        let mut caps = Capabilities::all();
        caps.lack(Capability::OtpEnrollment, "the target file has no op.otp");
        let mut f = feature(TEXT);
        assert_eq!(mark(&mut f, &caps), 1);
        let a = &f.scenarios[0];
        assert!(is_marked(a));
        assert_eq!(a.steps.len(), 1);
        assert!(a.steps[0]
            .value
            .starts_with("SKIPPED: @needs-otp-enrollment"));
        assert!(a.steps[0].value.ends_with("the target file has no op.otp"));
        assert!(!is_marked(&f.scenarios[1]));
        assert!(f.background.is_some(), "scenario b still runs");

        caps.lack(Capability::Oxd, "the target file names no oxd");
        let mut f = feature(TEXT);
        assert_eq!(mark(&mut f, &caps), 2, "the feature's tag applies to both");
        assert!(f.background.is_none());
        assert_eq!(mark(&mut feature(TEXT), &Capabilities::all()), 0);
    }

    #[test]
    fn junit_skips_get_the_reason_as_message() {
        let xml = "<testsuite><testcase name=\"a\"><skipped/><system-out>Scenario: a\n  ?  Given SKIPPED: @needs-oxd (an oxd server): the target file names no oxd &quot;x&quot;\n</system-out></testcase><testcase name=\"b\"><skipped/><system-out>?  Given an undefined step\n</system-out></testcase></testsuite>";
        let out = junit_messages(xml);
        assert!(
            out.contains("<skipped message=\"@needs-oxd (an oxd server): the target file names no oxd &quot;x&quot;\"/>"),
            "{out}"
        );
        assert!(out.contains("<testcase name=\"b\"><skipped/>"), "{out}");
        assert!(out.ends_with("</testsuite>"));
    }
}
