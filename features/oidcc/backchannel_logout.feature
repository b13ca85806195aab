@needs-dynamic-registration @oidcc-backchannel
Feature: Back-Channel OP certification plan
  The modules of the OpenID Foundation's oidcc-backchannel-rp-initiated-logout-certification-test-plan
  (OpenID Connect Back-Channel Logout 1.0). The RP registers a backchannel_logout_uri on its
  callback server (/backchannel_logout) with backchannel_logout_session_required; at logout the
  OP must POST it a logout token the suite accepts (signature by the OP's key, iss, aud, iat,
  jti, exactly the back-channel logout event, sub and sid of the ID token, no nonce), and send
  the browser to the post_logout_redirect_uri with the state.

  Background:
    Given the "oidcc" stack is running

  Scenario: oidcc-backchannel-logout-discovery-endpoint-verification
    Then the OP's discovery document passes the suite's checks
    And the OP's discovery document says "backchannel_logout_supported" is "true"
    And the OP's discovery document says "backchannel_logout_session_supported" is "true"
    And the OP's discovery document names its "end_session_endpoint"

  Scenario: oidcc-backchannel-rp-initiated-logout
    Given the certification RP uses response type "code" and response mode "default", registered with:
      """
      {"post_logout_redirect_uris": ["(rp)/post_logout_redirect"],
       "backchannel_logout_uri": "(rp)/backchannel_logout",
       "backchannel_logout_session_required": true}
      """
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token has "sid"
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token)&post_logout_redirect_uri=(rp)/post_logout_redirect&state=(state)"
    Then the RP receives a valid logout token at its backchannel_logout_uri
    And the OP sends the user to the post_logout_redirect_uri with the state
    When the RP sends the user to the OP with "prompt=none"
    Then the RP receives the error "login_required or interaction_required"
