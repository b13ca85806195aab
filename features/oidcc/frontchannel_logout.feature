@needs-dynamic-registration @oidcc-frontchannel
Feature: Front-Channel OP certification plan
  The modules of the OpenID Foundation's oidcc-frontchannel-rp-initiated-logout-certification-test-plan
  (OpenID Connect Front-Channel Logout 1.0). The RP registers a frontchannel_logout_uri on its
  callback server (/frontchannel_logout) with frontchannel_logout_session_required; at logout
  the OP's page must load it in the browser with iss (the issuer) and sid (the ID token's), and
  then send the browser to the post_logout_redirect_uri with the state. The scripted browser
  loads the page's iframes and follows the page's link on (what the page's script does in a
  browser with JavaScript; headless Chromium runs the script itself).

  Background:
    Given the "oidcc" stack is running

  Scenario: oidcc-frontchannel-logout-discovery-endpoint-verification
    Then the OP's discovery document passes the suite's checks
    And the OP's discovery document says "frontchannel_logout_supported" is "true"
    And the OP's discovery document says "frontchannel_logout_session_supported" is "true"
    And the OP's discovery document names its "end_session_endpoint"

  Scenario: oidcc-frontchannel-rp-initiated-logout
    Given the certification RP uses response type "code" and response mode "default", registered with:
      """
      {"post_logout_redirect_uris": ["(rp)/post_logout_redirect"],
       "frontchannel_logout_uri": "(rp)/frontchannel_logout",
       "frontchannel_logout_session_required": true}
      """
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code
    And the ID token has "sid"
    When the RP sends the user to the end_session_endpoint with "id_token_hint=(ID token)&post_logout_redirect_uri=(rp)/post_logout_redirect&state=(state)"
    And the browser loads the logged-out page's iframes and goes on as the page's script does
    Then the OP loads the RP's frontchannel_logout_uri with its iss and the ID token's sid
    And the OP sends the user to the post_logout_redirect_uri with the state
    When the RP sends the user to the OP with "prompt=none"
    Then the RP receives the error "login_required or interaction_required"
