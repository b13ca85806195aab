@needs-dynamic-registration @oidcc-rp-initiated-logout
Feature: RP-Initiated OP certification plan
  The modules of the OpenID Foundation's oidcc-rp-initiated-logout-certification-test-plan
  (OpenID Connect RP-Initiated Logout 1.0), each scenario one module named as the suite names
  it. The RP registers a client with the suite's post_logout_redirect_uri (its callback
  server's /post_logout_redirect), logs the user in with the code flow and sends the browser to
  the OP's end_session_endpoint. The OP may redirect back only for a valid id_token_hint and a
  registered post_logout_redirect_uri, with the state it was given; otherwise it shows an error
  page or asks the user to confirm, and never redirects.

  Background:
    Given the "oidcc" stack is running
    And the certification RP uses response type "code" and response mode "default", registered with:
      """
      {"post_logout_redirect_uris": ["(rp)/post_logout_redirect"]}
      """

  Scenario: oidcc-rp-initiated-logout-discovery-endpoint-verification
    Then the OP's discovery document passes the suite's checks
    And the OP's discovery document names its "end_session_endpoint"

  Scenario: oidcc-rp-initiated-logout
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token)&post_logout_redirect_uri=(rp)/post_logout_redirect&state=(state)"
    Then the OP sends the user to the post_logout_redirect_uri with the state
    When the RP sends the user to the OP with "prompt=none"
    Then the RP receives the error "login_required or interaction_required"

  Scenario: oidcc-rp-initiated-logout-bad-post-logout-redirect-uri
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token)&post_logout_redirect_uri=(rp)/post_logout_redirect/unregistered&state=(state)"
    Then the OP does not send the user to the post_logout_redirect_uri

  Scenario: oidcc-rp-initiated-logout-modified-id-token-hint
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(modified ID token)&post_logout_redirect_uri=(rp)/post_logout_redirect&state=(state)"
    Then the OP does not send the user to the post_logout_redirect_uri

  Scenario: oidcc-rp-initiated-logout-no-id-token-hint
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "post_logout_redirect_uri=(rp)/post_logout_redirect&client_id=(client_id)&state=(state)"
    Then the OP does not send the user to the post_logout_redirect_uri
    When the user confirms the logout if the OP asks
    Then the OP does not send the user to the post_logout_redirect_uri

  Scenario: oidcc-rp-initiated-logout-no-params
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with ""
    And the user confirms the logout if the OP asks
    Then the OP does not send the user to the post_logout_redirect_uri
    When the RP sends the user to the OP with "prompt=none"
    Then the RP receives the error "login_required or interaction_required"

  Scenario: oidcc-rp-initiated-logout-no-post-logout-redirect-uri
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token)"
    And the user confirms the logout if the OP asks
    Then the OP does not send the user to the post_logout_redirect_uri
    When the RP sends the user to the OP with "prompt=none"
    Then the RP receives the error "login_required or interaction_required"

  Scenario: oidcc-rp-initiated-logout-no-state
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token)&post_logout_redirect_uri=(rp)/post_logout_redirect"
    Then the OP sends the user to the post_logout_redirect_uri without a state
    When the RP sends the user to the OP with "prompt=none"
    Then the RP receives the error "login_required or interaction_required"

  Scenario: oidcc-rp-initiated-logout-only-state
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "state=(state)"
    And the user confirms the logout if the OP asks
    Then the OP does not send the user to the post_logout_redirect_uri
    When the RP sends the user to the OP with "prompt=none"
    Then the RP receives the error "login_required or interaction_required"

  Scenario: oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token)&post_logout_redirect_uri=(rp)/post_logout_redirect?foo=bar&state=(state)"
    Then the OP does not send the user to the post_logout_redirect_uri

  Scenario: oidcc-rp-initiated-logout-bad-id-token-hint
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    And the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token signed by the RP)&post_logout_redirect_uri=(rp)/post_logout_redirect&state=(state)"
    Then the OP does not send the user to the post_logout_redirect_uri
