@seed-003 @kong-guide @kong-oauth2 @needs-kong-oidc @needs-gateway-admin @needs-gateway-tls
Feature: Kong OIDC guide "kong-oauth2": tokens of Kong's own OAuth 2.0 plugin
  https://developer.konghq.com/how-to/configure-oidc-with-kong-oauth2/ — consumer alex gets an
  OAuth 2.0 application (client / secret, hashed), the oauth2 plugin goes on example-route
  (client_credentials, global_credentials, a provision key), openid-connect on example-service
  accepts `auth_methods: [kong_oauth2]`. The token is asked for over HTTPS, as the oauth2
  plugin requires (the guide's https://localhost:8443 is the gateway's TLS listener).

  Background:
    Given the "kong-oidc" stack is running
    When the administrator adds the consumer "alex" through the Admin API
    And the administrator adds an OAuth 2.0 application to the consumer "alex" with:
      """
      {"name": "oauth2-app", "client_id": "client", "client_secret": "secret", "hash_secret": true}
      """

  Scenario: A client_credentials token from the oauth2 plugin passes openid-connect's kong_oauth2
    When the administrator adds the plugin "oauth2" to the route "example-route" with:
      """
      {"global_credentials": true, "hide_credentials": false, "enable_client_credentials": true, "provision_key": "0b5a1d6e-2f0c-4a8e-9a51-6d1c2b7e9f10"}
      """
    And the administrator adds the plugin "openid-connect" to the service "example-service" with:
      """
      {"issuer": "${op.issuer}", "client_id": ["kong"], "client_secret": ["${sites.kong.client_secret}"], "client_auth": ["client_secret_post"], "auth_methods": ["kong_oauth2"], "bearer_token_param_type": ["header"], "cache_tokens_salt": "c2FsdA=="}
      """
    And the caller posts to "/anything/oauth2/token" over HTTPS with the JSON '{"client_id":"client","client_secret":"secret","grant_type":"client_credentials"}'
    Then the gateway answers 200
    When the caller keeps the JSON field "access_token" as "ACCESS_TOKEN"
    And the caller sends GET "/anything" with the header "Authorization" set to "Bearer ${ACCESS_TOKEN}"
    Then the gateway answers 200
    And the echo shows the header "Authorization" with "Bearer ${ACCESS_TOKEN}"
    When the caller sends GET "/anything" over HTTPS with the header "Authorization" set to "Bearer ${ACCESS_TOKEN}"
    Then the gateway answers 200
    And the echo shows the header "X-Forwarded-Proto" with "https"

  Scenario: The token endpoint refuses plain http
    When the administrator adds the plugin "oauth2" to the route "example-route" with:
      """
      {"global_credentials": true, "enable_client_credentials": true, "provision_key": "k"}
      """
    And the caller sends POST "/anything/oauth2/token" with the header "Content-Type" set to "application/json"
    Then the gateway answers 400 with the OAuth error "access_denied" saying "You must use HTTPS"

  Scenario: A wrong client secret is refused
    When the administrator adds the plugin "oauth2" to the route "example-route" with:
      """
      {"global_credentials": true, "enable_client_credentials": true, "provision_key": "k"}
      """
    And the caller posts to "/anything/oauth2/token" over HTTPS with the JSON '{"client_id":"client","client_secret":"wrong","grant_type":"client_credentials"}'
    Then the gateway answers 400 with the OAuth error "invalid_client" saying "Invalid client authentication"

  Scenario: A wrong provision key is refused
    When the administrator adds the plugin "oauth2" to the route "example-route" with:
      """
      {"global_credentials": true, "enable_client_credentials": true, "enable_password_grant": true, "provision_key": "the-real-key"}
      """
    And the caller posts to "/anything/oauth2/token" over HTTPS with the JSON '{"client_id":"client","client_secret":"secret","grant_type":"password","provision_key":"a-guess","authenticated_userid":"alex"}'
    Then the gateway answers 400 with the OAuth error "invalid_provision_key" saying "Invalid provision_key"
    When the caller posts to "/anything/oauth2/token" over HTTPS with the JSON '{"client_id":"client","client_secret":"secret","grant_type":"password","provision_key":"the-real-key","authenticated_userid":"alex"}'
    Then the gateway answers 200

  @reference-only
  Scenario: An expired token is refused
    When the administrator adds the plugin "oauth2" to the route "example-route" with:
      """
      {"global_credentials": true, "enable_client_credentials": true, "provision_key": "k", "token_expiration": 60}
      """
    And the caller posts to "/anything/oauth2/token" over HTTPS with the JSON '{"client_id":"client","client_secret":"secret","grant_type":"client_credentials"}'
    And the caller keeps the JSON field "access_token" as "ACCESS_TOKEN"
    And the caller sends GET "/anything" with the header "Authorization" set to "Bearer ${ACCESS_TOKEN}"
    Then the gateway answers 200
    When 61 seconds pass on the gateway's clock
    And the caller sends GET "/anything" with the header "Authorization" set to "Bearer ${ACCESS_TOKEN}"
    Then the gateway answers 401 with the OAuth error "invalid_token" saying "The access token is invalid or has expired"
    And the gateway's challenge is "Bearer realm=\"service\" error=\"invalid_token\" error_description=\"The access token is invalid or has expired\""

  Scenario: Without global_credentials a token is only good on the service it was issued for
    When the administrator adds the plugin "oauth2" to the route "example-route" with:
      """
      {"enable_client_credentials": true, "provision_key": "k"}
      """
    And the caller posts to "/anything/oauth2/token" over HTTPS with the JSON '{"client_id":"client","client_secret":"secret","grant_type":"client_credentials"}'
    And the caller keeps the JSON field "access_token" as "ACCESS_TOKEN"
    And the caller sends GET "/anything" with the header "Authorization" set to "Bearer ${ACCESS_TOKEN}"
    Then the gateway answers 200
    When the administrator adds the service "other-service" with URL "${upstreams.httpbin}/anything" through the Admin API
    And the administrator adds the route "other-route" with the path "/other" to the service "other-service"
    And the administrator adds the plugin "oauth2" to the route "other-route" with:
      """
      {"enable_client_credentials": true, "provision_key": "k2"}
      """
    And the caller sends GET "/other" with the header "Authorization" set to "Bearer ${ACCESS_TOKEN}"
    Then the gateway answers 401 with the OAuth error "invalid_token" saying "The access token is invalid or has expired"

  Scenario: The authorization code grant, as Kong's oauth2 documentation walks through it
    # https://developer.konghq.com/plugins/oauth2/ — the application's own login page has
    # authenticated the user; its backend asks Kong for a code with the provision key, the
    # browser brings the code to the client, which trades it for a token once.
    When the administrator adds an OAuth 2.0 application to the consumer "alex" with:
      """
      {"name": "web-app", "client_id": "web-app", "client_secret": "web-secret", "redirect_uris": ["https://app.example/callback"]}
      """
    And the administrator adds the plugin "oauth2" to the route "example-route" with:
      """
      {"enable_authorization_code": true, "scopes": ["email"], "provision_key": "code-flow-provision-key"}
      """
    And the caller posts to "/anything/oauth2/authorize" over HTTPS with the JSON '{"client_id":"web-app","response_type":"code","scope":"email","provision_key":"code-flow-provision-key","authenticated_userid":"alex-user","state":"xyz"}'
    Then the gateway answers 200
    And the JSON field "redirect_uri" is a redirect to "https://app.example/callback"
    When the caller keeps the query parameter "code" of the JSON field "redirect_uri" as "CODE"
    And the caller posts to "/anything/oauth2/token" over HTTPS with the JSON '{"grant_type":"authorization_code","client_id":"web-app","client_secret":"web-secret","code":"${CODE}","redirect_uri":"https://app.example/callback"}'
    Then the gateway answers 200
    When the caller keeps the JSON field "access_token" as "ACCESS_TOKEN"
    And the caller sends GET "/anything" over HTTPS with the header "Authorization" set to "Bearer ${ACCESS_TOKEN}"
    Then the gateway answers 200
    And the echo shows the header "X-Authenticated-Userid" with "alex-user"
    And the echo shows the header "X-Authenticated-Scope" with "email"
    And the echo shows the header "X-Consumer-Username" with "alex"
    When the caller posts to "/anything/oauth2/token" over HTTPS with the JSON '{"grant_type":"authorization_code","client_id":"web-app","client_secret":"web-secret","code":"${CODE}","redirect_uri":"https://app.example/callback"}'
    Then the gateway answers 400 with the OAuth error "invalid_request" saying "Invalid code"

  # Kong's oauth2 schema marks provision_key `unique = true`.
  Scenario: A second oauth2 plugin with the same provision key is refused
    When the administrator adds the plugin "oauth2" to the route "example-route" with:
      """
      {"enable_client_credentials": true, "provision_key": "shared-key"}
      """
    And the administrator tries to add the plugin "oauth2" to the service "example-service" with:
      """
      {"enable_client_credentials": true, "provision_key": "shared-key"}
      """
    Then the Admin API answers 409 naming the field "config.provision_key"
