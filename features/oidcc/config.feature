@oidcc-config
Feature: Config OP certification plan
  The one module of the OpenID Foundation's oidcc-config-certification-test-plan
  (server_metadata=discovery, client_registration=static_client). The module reads the OP's
  discovery document and JWKS and checks them as OpenID Connect Discovery 1.0 §3 and the suite
  require: the document is JSON at {issuer}/.well-known/openid-configuration, its issuer is the
  prefix of that URL, it lists an OpenID Connect response type, public or pairwise subjects, RS256
  for ID tokens and the openid scope, claims_supported is an array, every endpoint is https, and
  every key of the JWKS has a distinct kid. A static client is configured for the plan but this
  module never uses it, so the scenario needs nothing from the OP beyond its discovery document.

  Background:
    Given the "oidcc" stack is running

  Scenario: oidcc-discovery-endpoint-verification
    Then the OP's discovery document passes the suite's checks
    And the OP's discovery document names its "authorization_endpoint"
    And the OP's discovery document names its "token_endpoint"
    And the OP's discovery document names its "userinfo_endpoint"
    And the OP's discovery document names its "jwks_uri"
