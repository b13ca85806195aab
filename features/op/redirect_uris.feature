@seed-004
Feature: Redirect URIs: matched exactly; another domain through a sector identifier
  Gluu Server 4.2's OP page, "Adding Redirect URIs to Client"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#adding-redirect-uris-to-client):
  a client's redirect URIs tell the OP where users go back after authorization; a URI in another
  domain is added through a sector identifier. At the protocol level (OpenID Connect Dynamic
  Client Registration 1.0 §5, which Gluu implements): a client whose redirect URIs span several
  hosts and that uses pairwise subjects must register a sector_identifier_uri, a JSON document
  listing every one of its redirect URIs; the OP fetches it and refuses the registration with
  invalid_client_metadata when a URI is missing. At the authorization endpoint the redirect URI
  must be one the client registered, exactly: anything else ends on the OP's error page, never
  at the URI asked for. The features' RP serves the sector identifier documents itself.

  @reference-only
  Scenario Outline: A redirect URI that is not exactly a registered one is refused: <case>
    Given the "op" stack is running
    When the "web-app" client sends the user to the OP with response type "code" and "redirect_uri=<uri>"
    Then the OP shows the error page "invalid_request_redirect_uri" and does not send the user to the client

    Examples:
      | case                    | uri                                        |
      | a trailing slash        | https://web.example.org/callback/          |
      | another path            | https://web.example.org/other              |
      | an extra query          | https://web.example.org/callback?next=/x   |
      | another host            | https://web.example.org.evil.example/callback |
      | http instead of https   | http://web.example.org/callback            |
      | upper-case path         | https://web.example.org/CALLBACK           |

  @reference-only
  Scenario: The registered redirect URI itself is accepted
    Given the "op" stack is running
    When the "web-app" client sends the user to the OP with response type "code" and "redirect_uri=https://web.example.org/callback"
    And the user logs in as "admin" with password "secret"
    Then the client receives "code" in the query

  # The RP serves its sector identifier documents over loopback http, which only the reference
  # OP's test configuration fetches (registration.sector_identifier_http_loopback); an OP that
  # fetches https only would refuse them for that reason.
  @needs-dynamic-registration @reference-only
  Scenario: Redirect URIs in two domains, listed by the client's sector identifier document
    Given the "op" stack is running
    And the RP serves a sector identifier document listing "https://app.example.org/callback, https://app.example.net/callback"
    When the RP registers the client "two-domains" with:
      """
      {"subject_type": "pairwise",
       "redirect_uris": ["https://app.example.org/callback", "https://app.example.net/callback"],
       "sector_identifier_uri": "(sector)"}
      """
    Then the OP registers the client with a client_id and a client_secret
    When the "two-domains" client sends the user to the OP with response type "code" and "redirect_uri=https://app.example.net/callback"
    And the user logs in as "admin" with password "secret"
    And the user allows the requested permissions
    Then the client receives "code" in the query
    When the client exchanges the code at the token endpoint
    Then the token endpoint answers an access token and an ID token

  @needs-dynamic-registration
  Scenario: Redirect URIs in two domains without a sector identifier are refused
    Given the "op" stack is running
    When the RP registers the client "two-domains" with:
      """
      {"subject_type": "pairwise",
       "redirect_uris": ["https://app.example.org/callback", "https://app.example.net/callback"]}
      """
    Then the registration is refused with 400 and "invalid_client_metadata" naming "sector_identifier_uri"

  @needs-dynamic-registration @reference-only
  Scenario: A redirect URI missing from the sector identifier document is refused
    Given the "op" stack is running
    And the RP serves a sector identifier document listing "https://app.example.org/callback"
    When the RP registers the client "two-domains" with:
      """
      {"subject_type": "pairwise",
       "redirect_uris": ["https://app.example.org/callback", "https://app.example.net/callback"],
       "sector_identifier_uri": "(sector)"}
      """
    Then the registration is refused with 400 and "invalid_client_metadata" naming "https://app.example.net/callback"
