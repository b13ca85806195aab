@seed-002 @gui @needs-gui @needs-spontaneous-scopes
Feature: Gluu Gateway configuration (RS) and a consumer with an OP client in the Admin GUI (seed 002)
  The tutorial's steps in the Gluu Gateway Admin GUI: the service and route, the Gluu OAuth Auth
  & PEP plugin with its path and scope expression, then an OP client with a spontaneous scope
  (+ CREATE CLIENT, through oxd) and its Kong consumer (+ CREATE CONSUMER). The requesting party
  then reads /transactions/123 with a transactions:123 token.

  Background:
    Given the "spontaneous-scope-gui" stack is running
    When the administrator logs in to the Admin GUI
    And the administrator clicks "SERVICES" on the left panel
    And the administrator clicks "+ ADD NEW SERVICE"
    And the administrator fills in "Name" with "oauth-demo"
    And the administrator fills in "URL" with "${upstreams.api}"
    And the administrator clicks "Submit Service"
    And the administrator clicks "SERVICES" on the left panel
    And the administrator clicks "oauth-demo"
    And the administrator clicks "Routes"
    And the administrator clicks "+ ADD ROUTE"
    And the administrator fills in "Hosts" with "oauth-demo.example.com"
    And the administrator presses Enter to accept the value
    And the administrator clicks "Submit Route"
    And the administrator clicks "SERVICES" on the left panel
    And the administrator clicks "oauth-demo"
    And the administrator clicks "Plugins"
    And the administrator clicks "+ ADD PLUGIN"
    And the administrator clicks the + of "Gluu OAuth Auth & PEP"
    And the administrator clicks "+ ADD PATH"
    And the administrator fills in path 1 with "/transactions/?"
    And the administrator ticks the methods "GET, POST, PUT" of path 1
    And the administrator chooses "and" for the scopes of path 1
    And the administrator enters the scope "^transactions:.+$" for path 1
    And the administrator clicks "Add Plugin"
    Then the Admin GUI says "Gluu OAuth Auth & PEP added to the service oauth-demo"

  Scenario: Gluu Gateway configuration (RS): the API now needs a token
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" without a token
    Then the gateway answers 401 with the message "Failed to get bearer token from Authorization header"
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token "not-a-real-token"
    Then the gateway answers 401 with the message "Invalid access token provided in Authorization header"

  Scenario: Add Consumer with OP Client, then the requesting party reads transaction 123
    When the administrator clicks "CONSUMERS" on the left panel
    And the administrator clicks "+ CREATE CLIENT"
    And the administrator fills in "Client Name" with "consumer_op_client"
    And the administrator fills in "Spontaneous scopes" with "^transactions:.+$"
    And the administrator presses Enter to accept the value
    And the administrator clicks "Submit"
    Then the Admin GUI says "Client created"
    When the administrator copies the client details as "consumer_op_client"
    And the administrator clicks "CONSUMERS" on the left panel
    And the administrator clicks "+ CREATE CONSUMER"
    And the administrator fills in "Consumer Name" with "consumer_op_client"
    And the administrator fills in "Gluu Client Id" with the client id of "consumer_op_client"
    And the administrator clicks "Submit Consumer"
    Then the Admin GUI says "Consumer consumer_op_client created."
    When the "consumer_op_client" client gets a client token with scope "transactions:123" from oxd
    Then the token response grants the scope "transactions:123"
    When the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 200 with the demo transaction
    When the "consumer_op_client" client gets a client token with scope "oxd" from oxd
    And the requesting party calls GET "/transactions/123" on "oauth-demo.example.com" with the token
    Then the gateway answers 403 with the message "You are not authorized to access this resource"
