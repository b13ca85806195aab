@seed-003 @kong-guide @kong-auth-code @needs-kong-oidc @needs-gateway-admin
Feature: Kong OIDC auth-code flow: where a login sends the browser, and how long its session lasts
  The browser side of https://developer.konghq.com/how-to/configure-oidc-with-auth-code-flow/
  beyond the guide itself (features/kong/auth_code_flow.feature), with the parameters of
  https://developer.konghq.com/plugins/openid-connect/reference/: `login_action: redirect` with
  `login_redirect_uri`, `login_tokens` and `login_redirect_mode`; `session_rolling_timeout` and
  `session_absolute_timeout`; `refresh_tokens`; and a callback replayed after it succeeded.
  Session timeouts run on the gateway's clock and token lifetimes on the OP's (the kong-oidc
  realm's access tokens live 60 s). Time passes on both together, as it would for real: a
  session outliving its access token has it refreshed on the way (the refreshed token must be
  valid on the gateway's clock too). Only an in-process stack's clocks can be moved, so those
  scenarios are @reference-only.

  Background:
    Given the "kong-oidc" stack is running

  Scenario: login_action redirect sends the browser to login_redirect_uri with the login tokens in the fragment
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"], "login_action": "redirect", "login_redirect_uri": ["${gateway.proxy}/anything/welcome"], "login_tokens": ["id_token", "access_token"]}
      """
    And the browser opens "/anything" through the gateway
    And the user logs in as "alex" with password "doe"
    Then the gateway sends the browser to "/anything/welcome" with the login tokens "id_token, access_token" in the fragment
    And the browser's page echoes the header "Authorization" starting with "Bearer ey"

  Scenario: login_redirect_mode query puts the login tokens in the query of login_redirect_uri
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"], "login_action": "redirect", "login_redirect_uri": ["${gateway.proxy}/anything/welcome"], "login_tokens": ["id_token", "access_token"], "login_redirect_mode": "query"}
      """
    And the browser opens "/anything" through the gateway
    And the user logs in as "alex" with password "doe"
    Then the gateway sends the browser to "/anything/welcome" with the login tokens "id_token, access_token" in the query
    And the browser's page echoes the header "Authorization" starting with "Bearer ey"

  Scenario: A login the IdP refuses is 401: no redirect to login_redirect_uri, no tokens, no session
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"], "login_action": "redirect", "login_redirect_uri": ["${gateway.proxy}/anything/welcome"], "login_tokens": ["id_token", "access_token"]}
      """
    And the browser opens "/anything" through the gateway
    Then the OP asks for a username and password
    When the browser comes back from the OP to "/anything" with "error=access_denied"
    Then the browser gets 401 with the message "Unauthorized"
    And the gateway did not send the browser to "/anything/welcome"
    And the browser has no cookie "session" for the gateway

  @reference-only
  Scenario: session_rolling_timeout: each request renews the session; one unused for longer expires
    # The idling timeout is off, so only the rolling one counts; steps of hundreds of seconds
    # leave room for the real time a loaded machine takes between them.
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"], "session_rolling_timeout": 2000, "session_idling_timeout": 0}
      """
    And the browser opens "/anything" through the gateway
    And the user logs in as "alex" with password "doe"
    Then the browser's page echoes the header "Authorization" starting with "Bearer ey"
    # Past three quarters of the rolling timeout: this request renews the session.
    When 1600 seconds pass
    And 1600 seconds pass on the gateway's clock
    And the browser opens "/anything" through the gateway
    Then the browser was not sent to the OP
    # 3400 s after the login, 1800 s after the renewal: still a session, renewed again.
    When 1800 seconds pass
    And 1800 seconds pass on the gateway's clock
    And the browser opens "/anything" through the gateway
    Then the browser was not sent to the OP
    And the browser's page echoes the header "Authorization" starting with "Bearer ey"
    # Unused for longer than the rolling timeout since that renewal: over.
    When 2001 seconds pass
    And 2001 seconds pass on the gateway's clock
    And the browser opens "/anything" through the gateway
    Then the gateway redirects the browser to the OP with "response_type=code"

  @reference-only
  Scenario: session_absolute_timeout ends a session however busy it is
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"], "session_absolute_timeout": 3000, "session_rolling_timeout": 1800, "session_idling_timeout": 0}
      """
    And the browser opens "/anything" through the gateway
    And the user logs in as "alex" with password "doe"
    # Used past three quarters of the rolling timeout: renewed.
    When 1500 seconds pass
    And 1500 seconds pass on the gateway's clock
    And the browser opens "/anything" through the gateway
    Then the browser was not sent to the OP
    # 2500 s after the login: alive only through that renewal.
    When 1000 seconds pass
    And 1000 seconds pass on the gateway's clock
    And the browser opens "/anything" through the gateway
    Then the browser was not sent to the OP
    # Renewed 1501 s ago, well within the rolling timeout, but 3001 s after the login: over.
    When 501 seconds pass
    And 501 seconds pass on the gateway's clock
    And the browser opens "/anything" through the gateway
    Then the gateway redirects the browser to the OP with "response_type=code"

  @reference-only
  Scenario: refresh_tokens: an expired access token is refreshed with the session's refresh token before proxying
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"]}
      """
    And the browser opens "/anything" through the gateway
    And the user logs in as "alex" with password "doe"
    Then the browser's page echoes the header "Authorization" starting with "Bearer ey"
    When the echoed header "Authorization" on the browser's page is kept as "FIRST"
    # The access token lives 60 s: past its expiry on both clocks.
    And 61 seconds pass
    And 61 seconds pass on the gateway's clock
    And the browser opens "/anything" through the gateway
    Then the browser was not sent to the OP
    And the browser's page echoes the header "Authorization" starting with "Bearer ey"
    And the browser's page echoes the header "Authorization" other than "${FIRST}"

  @reference-only
  Scenario: A refresh the OP refuses ends the session: the browser is sent to log in again, its session cookie deleted
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"], "upstream_refresh_token_header": "X-Refresh-Token"}
      """
    And the browser opens "/anything" through the gateway
    And the user logs in as "alex" with password "doe"
    And the refresh token the upstream received in "X-Refresh-Token" is revoked at the OP
    And 61 seconds pass
    And 61 seconds pass on the gateway's clock
    And the browser opens "/anything" through the gateway
    Then the gateway redirects the browser to the OP with "response_type=code"
    And the gateway deletes the cookie "session" as it sends the browser to the OP

  @reference-only
  Scenario: A refresh the OP refuses ends the session: an API client gets 401, the session cookie deleted
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"], "upstream_refresh_token_header": "X-Refresh-Token"}
      """
    And the browser opens "/anything" through the gateway
    And the user logs in as "alex" with password "doe"
    And the refresh token the upstream received in "X-Refresh-Token" is revoked at the OP
    And 61 seconds pass
    And 61 seconds pass on the gateway's clock
    And the page's script fetches "/anything" through the gateway asking for JSON
    Then the browser gets 401 with the message "Unauthorized"
    And the browser has no cookie "session" for the gateway

  Scenario: A callback replayed with its original authorization cookie is 401 and makes no session
    When the administrator applies the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["authorization_code", "session"]}
      """
    And the browser opens "/anything" through the gateway
    And the user logs in as "alex" with password "doe"
    Then the browser's page echoes the header "Authorization" starting with "Bearer ey"
    When the caller replays the browser's callback with its original "authorization" cookie
    Then the gateway answers 401 with the message "Unauthorized"
    And the gateway's answer sets no cookie "session"
