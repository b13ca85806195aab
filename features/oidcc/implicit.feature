@needs-dynamic-registration
Feature: Implicit OP and Form Post Implicit OP certification plans
  The modules of the OpenID Foundation's oidcc-implicit-certification-test-plan (response
  types id_token and id_token token) and, with response_mode=form_post, of
  oidcc-formpost-implicit-certification-test-plan; one scenario per module instance, named as
  the suite names it. How the RP registers and what every ID token is checked for:
  features/oidcc/README.md.

  Background:
    Given the "oidcc" stack is running

  Scenario Outline: oidcc-server
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |

  Scenario Outline: oidcc-server
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the userinfo endpoint answers for the ID token's subject

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | form_post |

  Scenario Outline: oidcc-idtoken-signature
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the ID token is signed with "RS256" and names its key

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-ensure-request-without-nonce-fails
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP without "nonce"
    Then the OP refuses the request with "invalid_request", at the RP or on its own page

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: <module>
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "scope=<scope>"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the OP releases the claims "<claims>"

    @oidcc-implicit
    Examples:
      | response_type | response_mode | module | scope | claims |
      | id_token | default | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | id_token token | default | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | id_token | default | oidcc-scope-email | openid email | email, email_verified |
      | id_token token | default | oidcc-scope-email | openid email | email, email_verified |
      | id_token | default | oidcc-scope-address | openid address | address |
      | id_token token | default | oidcc-scope-address | openid address | address |
      | id_token | default | oidcc-scope-phone | openid phone | phone_number |
      | id_token token | default | oidcc-scope-phone | openid phone | phone_number |
      | id_token | default | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |
      | id_token token | default | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode | module | scope | claims |
      | id_token | form_post | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | id_token token | form_post | oidcc-scope-profile | openid profile | name, given_name, family_name |
      | id_token | form_post | oidcc-scope-email | openid email | email, email_verified |
      | id_token token | form_post | oidcc-scope-email | openid email | email, email_verified |
      | id_token | form_post | oidcc-scope-address | openid address | address |
      | id_token token | form_post | oidcc-scope-address | openid address | address |
      | id_token | form_post | oidcc-scope-phone | openid phone | phone_number |
      | id_token token | form_post | oidcc-scope-phone | openid phone | phone_number |
      | id_token | form_post | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |
      | id_token token | form_post | oidcc-scope-all | openid profile email address phone | name, email, address, phone_number |

  Scenario Outline: oidcc-alternate-happy-flow
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "scope=email openid" in reverse order
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: <module>
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "<parameters>"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response

    @oidcc-implicit
    Examples:
      | response_type | response_mode | module | parameters |
      | id_token | default | oidcc-display-page | display=page |
      | id_token token | default | oidcc-display-page | display=page |
      | id_token | default | oidcc-display-popup | display=popup |
      | id_token token | default | oidcc-display-popup | display=popup |
      | id_token | default | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | id_token token | default | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | id_token | default | oidcc-login-hint | login_hint=buffy@example.com |
      | id_token token | default | oidcc-login-hint | login_hint=buffy@example.com |
      | id_token | default | oidcc-ui-locales | ui_locales=se |
      | id_token token | default | oidcc-ui-locales | ui_locales=se |
      | id_token | default | oidcc-claims-locales | claims_locales=se |
      | id_token token | default | oidcc-claims-locales | claims_locales=se |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode | module | parameters |
      | id_token | form_post | oidcc-display-page | display=page |
      | id_token token | form_post | oidcc-display-page | display=page |
      | id_token | form_post | oidcc-display-popup | display=popup |
      | id_token token | form_post | oidcc-display-popup | display=popup |
      | id_token | form_post | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | id_token token | form_post | oidcc-ensure-request-with-unknown-parameter-succeeds | extra=foobar |
      | id_token | form_post | oidcc-login-hint | login_hint=buffy@example.com |
      | id_token token | form_post | oidcc-login-hint | login_hint=buffy@example.com |
      | id_token | form_post | oidcc-ui-locales | ui_locales=se |
      | id_token token | form_post | oidcc-ui-locales | ui_locales=se |
      | id_token | form_post | oidcc-claims-locales | claims_locales=se |
      | id_token token | form_post | oidcc-claims-locales | claims_locales=se |

  Scenario Outline: oidcc-prompt-login
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When 1 second passes
    And the RP sends the user to the OP with "prompt=login"
    Then the OP asks the user to log in
    When the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the second ID token has a later auth_time than the first

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-prompt-none-not-logged-in
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "prompt=none&state=(128 characters)"
    Then the RP receives the error "login_required or interaction_required or account_selection_required or consent_required"

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-prompt-none-logged-in
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP sends the user to the OP with "prompt=none"
    Then the OP answers without asking the user anything
    And both ID tokens have the same "sub"
    And both ID tokens have the same "auth_time"

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-max-age-1
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When 2 seconds pass
    And the RP sends the user to the OP with "max_age=1"
    Then the OP asks the user to log in
    When the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the ID token has "auth_time"
    And the second ID token has a later auth_time than the first

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-max-age-10000
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "max_age=15000"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP sends the user to the OP with "max_age=10000"
    Then the OP answers without asking the user anything
    And the ID token has "auth_time"
    And both ID tokens have the same "auth_time"
    And both ID tokens have the same "sub"

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-id-token-hint
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP sends the user to the OP with "prompt=none&id_token_hint=(first ID token)"
    Then the OP answers without asking the user anything
    And both ID tokens have the same "sub"
    And both ID tokens have the same "auth_time"

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-ensure-request-with-acr-values-succeeds
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "acr_values=(acr_values_supported)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the ID token's acr is one of the requested acr values

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-ensure-registered-redirect-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "redirect_uri=(unregistered)"
    Then the OP shows an error page and does not send the user to the RP

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object passed by reference
    And the user logs in as "admin" with password "secret" and consents
    Then the OP processes the request object or refuses it with "request_uri_not_supported or request_not_supported"

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object
    And the user logs in as "admin" with password "secret" and consents
    Then the OP processes the request object or refuses it with "request_not_supported"

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-ensure-request-object-with-redirect-uri
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with its request in an unsigned request object naming another redirect URI
    And the user logs in as "admin" with password "secret" and consents
    Then the OP uses the request object's redirect URI or shows an error page

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-claims-essential
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP with "claims=(name essential)"
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    And the OP releases the claims "name"

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token | default |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token | form_post |
      | id_token token | form_post |

  Scenario Outline: oidcc-userinfo-get
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP calls the userinfo endpoint by "GET with a bearer header"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | form_post |

  Scenario Outline: oidcc-userinfo-post-header
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP calls the userinfo endpoint by "POST with a bearer header"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | form_post |

  Scenario Outline: oidcc-userinfo-post-body
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP
    And the user logs in as "admin" with password "secret" and consents
    Then the RP receives a successful authorization response
    When the RP calls the userinfo endpoint by "POST with the token in the body"
    Then the userinfo endpoint answers for the ID token's subject

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | form_post |

  Scenario Outline: oidcc-response-type-missing
    Given the certification RP uses response type "<response_type>" and response mode "<response_mode>"
    When the RP sends the user to the OP without "response_type"
    Then the OP refuses the request with "unsupported_response_type or invalid_request", at the RP or on its own page

    @oidcc-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | default |

    @oidcc-formpost-implicit
    Examples:
      | response_type | response_mode |
      | id_token token | form_post |
