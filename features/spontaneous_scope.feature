@seed-002 @stack-per-feature @needs-gluu-plugins @needs-oxd @needs-gateway-admin @needs-spontaneous-scopes
Feature: OAuth spontaneous scope and API security (seed 002)
  The gateway is the resource server in front of the demo API. gluu-oauth-auth checks the
  bearer token (introspection through oxd) and maps its client to a Kong consumer;
  gluu-oauth-pep protects /transactions/? with the scope regex ^transactions:.+$. The
  consumer OP client was created with the spontaneous scope ^transactions:.+$, so it can ask
  the OP for transactions:123 although nobody registered that scope.

  Background:
    Given the "spontaneous-scope" stack is running

  Scenario: The requesting party gets transactions:123 from oxd and reads the transaction
    When the requesting party gets a client token with scope "transactions:123" from oxd
    Then the token response grants the scope "transactions:123"
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 200 with the demo transaction

  Scenario: The tutorial's script sends "authorization: bearer" in lower case
    When the requesting party gets a client token with scope "transactions:123" from oxd
    And the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token in a lower-case "authorization: bearer" header
    Then the gateway answers 200 with the demo transaction

  Scenario: A token without a transactions scope is not authorized
    When the requesting party gets a client token with scope "oxd" from oxd
    Then the token response does not grant the scope "transactions:123"
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 403 with the message "You are not authorized to access this resource"

  Scenario: Without a token the auth plugin answers before the PEP
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" without a token
    Then the gateway answers 401 with the message "Failed to get bearer token from Authorization header"

  Scenario: A token the OP never issued is refused
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token "not-a-real-token"
    Then the gateway answers 401 with the message "Invalid access token provided in Authorization header"

  Scenario: A scope the client may not request is dropped, the rest is granted
    When the requesting party gets a client token with scope "transactions:123 bank:admin" from oxd
    Then the token response grants the scope "transactions:123"
    And the token response does not grant the scope "bank:admin"
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 200 with the demo transaction

  Scenario: Paths outside the expression are denied by default
    When the requesting party gets a client token with scope "transactions:123" from oxd
    And the requesting party calls GET "/accounts/1" on "oauth-demo.example.com" with the token
    Then the gateway answers 403 with the message "Unprotected path/method are not allowed"

  Scenario Outline: Any transactions:<id> token opens <method> /transactions/<id>
    When the requesting party gets a client token with scope "transactions:<id>" from oxd
    And the requesting party calls <method> "/transactions/<id>" on "oauth-demo.example.com" with the token
    Then the gateway answers 200 with the demo transaction

    Examples:
      | method | id    |
      | GET    | 123   |
      | GET    | 45    |
      | POST   | 46    |
      | POST   | 99999 |

  Scenario Outline: Methods the expression does not list are refused (<method>)
    When the requesting party gets a client token with scope "transactions:123" from oxd
    And the requesting party calls <method> "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 403 with the message "Unprotected path/method are not allowed"

    Examples:
      | method |
      | DELETE |
      | PATCH  |

  Scenario: PUT is authorized by the PEP and answered by the API itself (Express 404)
    When the requesting party gets a client token with scope "transactions:7" from oxd
    And the requesting party calls PUT "/transactions/7" on "oauth-demo.example.com" with the token
    Then the gateway answers 404

  Scenario: The upstream sees the consumer and client, not the token
    When the requesting party gets a client token with scope "transactions:123" from oxd
    And the requesting party calls GET "/transactions/123" on "echo.example.com" with the token
    Then the gateway answers 200
    And the upstream received the header "x-oauth-client-id" with "${sites.consumer.client_id}"
    And the upstream received the header "x-consumer-custom-id" with "${sites.consumer.client_id}"
    And the upstream received no "authorization" header

  Scenario: The requesting party script (gatecheck rqp) end to end
    When the requesting party runs "gatecheck rqp" for the scope "transactions:123"
    Then it prints the token response and the demo transaction

  Scenario: The requesting party script with the token straight from the OP
    When the requesting party runs "gatecheck rqp" with "--direct" for the scope "transactions:123"
    Then it prints the token response and the demo transaction

  Scenario: The requesting party script reports a refused request
    When the requesting party runs "gatecheck rqp" for the scope "oxd"
    Then it fails with "Error: Failed Not Ok Endpoint"
