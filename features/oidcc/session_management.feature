@needs-dynamic-registration @oidcc-session-management
Feature: Session OP certification plan
  The modules of the OpenID Foundation's oidcc-session-management-certification-test-plan
  (OpenID Connect Session Management 1.0). The authorization response carries session_state;
  the RP asks the OP's check_session_iframe about it (the iframe's own script, run in Node.js
  with the browser's cookies for the OP and a postMessage from the RP's origin) and expects
  "unchanged"; after RP-initiated logout, "changed".

  Background:
    Given the "oidcc" stack is running

  Scenario: oidcc-session-management-discovery-endpoint-verification
    Then the OP's discovery document passes the suite's checks
    And the OP's discovery document names its "check_session_iframe"
    And the OP's discovery document names its "end_session_endpoint"

  Scenario: oidcc-session-management-rp-initiated-logout
    Given the certification RP uses response type "code" and response mode "default", registered with:
      """
      {"post_logout_redirect_uris": ["(rp)/post_logout_redirect"]}
      """
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the authorization response has a session_state
    And the OP's check_session_iframe answers "unchanged" for the session_state
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token)&post_logout_redirect_uri=(rp)/post_logout_redirect&state=(state)"
    Then the OP sends the user to the post_logout_redirect_uri with the state
    And the OP's check_session_iframe answers "changed" for the session_state
