@seed-000 @gui @needs-gui @needs-otp-enrollment
Feature: Gluu Gateway configuration (RP) in the Admin GUI (seed 000)
  The tutorial's gateway configuration done the way it is written: in the Gluu Gateway Admin
  GUI on port 1338, click by click. The GUI creates the service and the route through the Kong
  Admin API and registers the OpenID Connect client through oxd while the plugin is added.
  Then the user of the website logs in; Payments needs the one-time password.

  Scenario: Add the service, the route and the Gluu OIDC & UMA PEP plugin, then reach Payments with OTP
    Given the "stepped-up-otp-gui" stack is running
    When the administrator logs in to the Admin GUI
    And the administrator clicks "SERVICES" on the left panel
    And the administrator clicks "+ ADD NEW SERVICE"
    And the administrator fills in "Name" with "oidc-steppedup-demo"
    And the administrator fills in "URL" with "${upstreams.website}"
    And the administrator clicks "Submit Service"
    Then the Admin GUI says "Service oidc-steppedup-demo created."
    When the administrator clicks "SERVICES" on the left panel
    And the administrator clicks "oidc-steppedup-demo"
    And the administrator clicks "Routes"
    And the administrator clicks "+ ADD ROUTE"
    And the administrator fills in "Name" with "oidc-steppedup-demo"
    And the administrator fills in "Hosts" with "${gateway.proxy_host}"
    And the administrator presses Enter to accept the value
    And the administrator clicks "Submit Route"
    Then the Admin GUI says "Route oidc-steppedup-demo created."
    When the administrator clicks "ROUTES" on the left panel
    And the administrator clicks "oidc-steppedup-demo"
    And the administrator clicks "Plugins"
    And the administrator clicks "+ ADD PLUGIN"
    And the administrator clicks the + of "Gluu OIDC & UMA PEP"
    And the administrator clicks "+ ADD PATH"
    And the administrator fills in path 1 with "/payments/??"
    And the administrator ticks the methods "?" of path 1
    And the administrator enters the ACR "otp" for path 1
    And the administrator clicks "+ ADD PATH"
    And the administrator fills in path 2 with "/??"
    And the administrator ticks the methods "?" of path 2
    And the administrator enters the ACR "auth_ldap_server" for path 2
    And the administrator clicks "Add Plugin"
    Then the Admin GUI says "Gluu OIDC & UMA PEP added to the route oidc-steppedup-demo"
    When the browser opens "/" through the gateway
    Then the gateway redirects the browser to the OP with "acr_values=auth_ldap_server"
    And the OP asks for a username and password
    When the user logs in as "admin" with password "secret"
    Then the OP asks to allow "openid"
    When the user allows the requested permissions
    Then the browser sees "Welcome to Gluu Security !!!"
    When the user clicks "Flights"
    Then the browser was not sent to the OP
    And the browser sees "Flights Available"
    When the user clicks "Payments"
    Then the gateway redirects the browser to the OP with "acr_values=otp"
    And the OP asks for a username and password
    When the user logs in as "admin" with password "secret"
    Then the OP asks the user to enroll an authenticator
    When the user enrolls an authenticator from the QR code
    Then the OP asks for a one-time password
    When the user enters the one-time password from the authenticator
    Then the browser is on the website's "/payments/" page
    And the browser sees "Payment Status"

  Scenario: The ACR expression builder shows GG's message next to the path
    Given the "stepped-up-otp-gui" stack is running
    When the administrator logs in to the Admin GUI
    And the administrator opens the Admin GUI at "/plugins/add/gluu-openid-connect"
    And the administrator clicks "+ ADD PATH"
    And the administrator fills in path 1 with "/??"
    And the administrator ticks the methods "?" of path 1
    And the administrator enters the ACR "otp" for path 1
    And the administrator clicks "+ ADD PATH"
    And the administrator fills in path 2 with "/??"
    And the administrator ticks the methods "?" of path 2
    And the administrator enters the ACR "auth_ldap_server" for path 2
    And the administrator clicks "Add Plugin"
    Then the Admin GUI shows the error "Duplicate path in expression" next to "Path 2"
