@needs-dynamic-registration
Feature: Dynamic OP certification plan: request objects
  The request-object modules of the OpenID Foundation's oidcc-dynamic-certification-test-plan
  (discovery, dynamic client; the plan's usual response type code id_token). The RP puts the
  whole authorization request in a request object (OIDC Core §6), with iss = its client_id and
  aud = the issuer, and sends client_id, response_type, scope and redirect_uri beside it. By
  reference, the OP fetches the object from the RP's own callback server. Each scenario is one
  module, named as the suite names it, tagged @oidcc-dynamic; checks beyond the suite are
  tagged @oidcc-extra.

  Background:
    Given the "oidcc" stack is running

  # The suite skips this module unless discovery lists "none" for request objects.
  @oidcc-dynamic
  Scenario Outline: oidcc-request-uri-unsigned
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    Then the OP's discovery document lists "none" in request_object_signing_alg_values_supported
    And the OP's discovery document says "request_uri_parameter_supported" is "true"
    When the RP sends the user to the OP with its request in an unsigned request object passed by reference
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-request-uri-signed-rs256
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with its key registered for RS256 request objects
    Then the OP's discovery document lists "RS256" in request_object_signing_alg_values_supported
    When the RP sends the user to the OP with its request in an RS256-signed request object passed by reference
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP exchanges the code at the token endpoint
    Then the token endpoint answers with tokens for the code

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  # The client registered RS256: the same request unsigned must not be processed. The suite has
  # no module for this refusal; OIDC Core §6.3.2 and the client's registration require it.
  @oidcc-extra
  Scenario Outline: an unsigned request object of a client that registered RS256 is refused
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>", with its key registered for RS256 request objects
    When the RP sends the user to the OP with its request in an unsigned request object passed by reference
    Then the RP receives the error "invalid_request_object" for its request object

    Examples:
      | response_type | response_mode |
      | code id_token | default       |

  @oidcc-dynamic
  Scenario Outline: oidcc-ensure-request-object-with-redirect-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object naming another redirect URI
    And the user logs in as "admin" with password "secret" and consents
    Then the OP uses the request object's redirect URI or shows an error page

    Examples:
      | response_type | response_mode |
      | code id_token | default       |
