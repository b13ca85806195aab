@seed-001 @needs-gluu-plugins @needs-oxd @needs-gateway-admin @needs-spontaneous-scopes
Feature: Gluu Gateway architecture (seed 001)
  The administrator configures Kong's services, routes, plugins and consumers through the
  Admin API; the oxd server manages the OP client; client applications get tokens via oxd or
  directly from the OP and call the Kong proxy; the plugins validate tokens by introspection
  through oxd before the upstream is called.

  Scenario: Configure a protected API through the Kong Admin API, then call it through the proxy
    Given the "spontaneous-scope" stack is running without its gateway configuration
    When the requesting party gets a client token with scope "transactions:123" from oxd
    And the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 404 with the message "no Route matched with those values"
    When the administrator adds the service "oauth-demo" with URL "${upstreams.api}" through the Admin API
    And the administrator adds a route with host "oauth-demo.example.com" to the service "oauth-demo"
    And the administrator adds the plugin "gluu-oauth-auth" to the service "oauth-demo" with:
      """
      {"oxd_id": "${sites.gateway.oxd_id}", "client_id": "${sites.gateway.client_id}",
       "client_secret": "${sites.gateway.client_secret}", "oxd_url": "${oxd.url}", "op_url": "${op.issuer}"}
      """
    And the administrator adds the plugin "gluu-oauth-pep" to the service "oauth-demo" with:
      """
      {"oxd_id": "${sites.gateway.oxd_id}", "client_id": "${sites.gateway.client_id}",
       "client_secret": "${sites.gateway.client_secret}", "oxd_url": "${oxd.url}", "op_url": "${op.issuer}",
       "deny_by_default": true,
       "oauth_scope_expression": "[{\"path\":\"/transactions/?\",\"conditions\":[{\"httpMethods\":[\"GET\",\"POST\",\"PUT\"],\"scope_expression\":{\"rule\":{\"and\":[{\"var\":0}]},\"data\":[\"^transactions:.+$\"]}}]}]"}
      """
    And the administrator adds the consumer "consumer_op_client" for the "consumer" client
    Then the Admin API lists the services "oauth-demo"
    And the Admin API lists the consumers "consumer_op_client"
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 200 with the demo transaction
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" without a token
    Then the gateway answers 401 with the message "Failed to get bearer token from Authorization header"

  Scenario: A plugin configuration the gateway cannot enforce is refused by the Admin API
    Given the "spontaneous-scope" stack is running without its gateway configuration
    When the administrator adds the service "oauth-demo" with URL "${upstreams.api}" through the Admin API
    And the administrator tries to add the plugin "gluu-oauth-auth" to the service "oauth-demo" with:
      """
      {"oxd_id": "${sites.gateway.oxd_id}", "client_id": "${sites.gateway.client_id}",
       "client_secret": "${sites.gateway.client_secret}", "oxd_url": "${oxd.url}", "op_url": "${op.issuer}",
       "pass_credentials": "steal"}
      """
    Then the Admin API answers 400 naming the field "config.pass_credentials"
    When the administrator tries to add the plugin "gluu-oauth-pep" to the service "oauth-demo" with:
      """
      {"oxd_id": "${sites.gateway.oxd_id}", "client_id": "${sites.gateway.client_id}",
       "client_secret": "${sites.gateway.client_secret}", "oxd_url": "${oxd.url}", "op_url": "${op.issuer}",
       "oauth_scope_expression": []}
      """
    Then the Admin API answers 400 naming the field "config.oauth_scope_expression"

  Scenario: A token via oxd and a token directly from the OP both open the API
    Given the "spontaneous-scope" stack is running
    When the requesting party gets a client token with scope "transactions:123" from oxd
    And the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 200 with the demo transaction
    When the requesting party gets a client token with scope "transactions:123" directly from the OP
    Then the token response grants the scope "transactions:123"
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 200 with the demo transaction

  Scenario: The gateway validates tokens by introspection through oxd
    Given the "spontaneous-scope" stack is running
    When the requesting party gets a client token with scope "transactions:123" from oxd
    And the gateway's client introspects the token through oxd
    Then oxd reports the token active with the scope "transactions:123" for the "consumer" client
    When the OP revokes the token
    And the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 401 with the message "Invalid access token provided in Authorization header"

  Scenario: Only a client allowed spontaneous scopes gets transactions:123
    Given the "spontaneous-scope" stack is running
    When the "gateway" client gets a client token with scope "transactions:123" from oxd
    Then the token request is refused with "invalid_scope"

  Scenario: A client that is not a Kong consumer is unknown to the gateway
    Given the "spontaneous-scope" stack is running
    When the "gateway" client gets a client token with scope "oxd" from oxd
    And the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 401 with the message "Unknown consumer"

  @needs-gluu-acrs
  Scenario: One gateway serves the step-up website and the spontaneous-scope API
    Given the "combined" stack is running
    When the requesting party gets a client token with scope "transactions:123" from oxd
    And the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 200 with the demo transaction
    When the browser opens "/flights/" through the gateway
    Then the gateway redirects the browser to the OP with "acr_values=auth_ldap_server"
    When the user logs in as "admin" with password "secret"
    And the user allows the requested permissions
    Then the browser is on the website's "/flights/" page
    And the browser sees "Flights Available"
