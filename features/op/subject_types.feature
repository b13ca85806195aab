@seed-004 @reference-only
Feature: Subject identifier types: public and pairwise (algorithmic or persistent)
  Gluu Server 4.2's OP page, "Subject Identifier Types"
  (https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/#subject-identifier-types):
  a public sub is the same for every client. A pairwise sub is computed per sector identifier,
  so the clients of one administrative domain share it and other sectors see another; it cannot
  be reversed by anyone but the OP. Gluu has two kinds: PERSISTENT, a random identifier stored
  per sector and user, and ALGORITHMIC,
  sub = base64urlencode(HS256Signature(sectorIdentifier + userInum + salt, key)) with the key and
  salt of pairwiseCalculationKey / pairwiseCalculationSalt. In the stack (scenarios/op.yml):
  web-app and hybrid-app are public; portal-news and portal-mail (redirect URIs on
  portal.example.org) and shop (shop.example.com) are pairwise; pairwise.id_type is algorithmic
  with the key "op-doc-pairwise-calculation-key" and the salt "op-doc-pairwise-salt". The user
  admin's own identifier is "admin"; jdoe's is "8f7d2c1e-5a4b-4c3d-9e8f-0a1b2c3d4e5f" (the users[].sub
  attribute, as Gluu puts the configured LDAP attribute, the inum by default, in sub). A client's sector is its redirect URIs' host (or the host of
  its sector_identifier_uri: see redirect_uris.feature).

  Scenario: Public: every client sees the same sub
    Given the "op" stack is running
    When the user signs in to the "web-app" client as "admin" with password "secret"
    And the user signs in to the "hybrid-app" client as "admin" with password "secret"
    Then the "web-app" and "hybrid-app" clients see the same sub
    And the "web-app" client sees the sub "admin"
    And the userinfo endpoint answers the claims "sub"

  Scenario: The public sub is the user's configured identifier, not the login name
    Given the "op" stack is running
    When the user signs in to the "web-app" client as "jdoe" with password "jdoe-secret"
    Then the "web-app" client sees the sub "8f7d2c1e-5a4b-4c3d-9e8f-0a1b2c3d4e5f"

  Scenario: Pairwise: one sub per sector, another for another sector, none the public one
    Given the "op" stack is running
    When the user signs in to the "portal-news" client as "admin" with password "secret"
    And the user signs in to the "portal-mail" client as "admin" with password "secret"
    And the user signs in to the "shop" client as "admin" with password "secret"
    Then the "portal-news" and "portal-mail" clients see the same sub
    And the "portal-news" and "shop" clients see different subs
    And the "portal-news" client does not see the sub "admin"
    And the "shop" client does not see the sub "admin"
    And the userinfo endpoint answers the claims "sub"

  Scenario: Pairwise subs are stable across logins
    Given the "op" stack is running
    When the user signs in to the "shop" client as "admin" with password "secret"
    And the user comes back later in a new browser
    And the user signs in to the "shop" client as "admin" with password "secret"
    Then every sign-in to the "shop" client saw the same sub

  Scenario: The algorithmic kind is Gluu's formula over the sector, the user and the salt
    Given the "op" stack is running
    When the user signs in to the "portal-news" client as "admin" with password "secret"
    And the user signs in to the "shop" client as "admin" with password "secret"
    Then the sub the "portal-news" client sees is base64url(HMAC-SHA256("op-doc-pairwise-calculation-key", "portal.example.org" + "admin" + "op-doc-pairwise-salt"))
    And the sub the "shop" client sees is base64url(HMAC-SHA256("op-doc-pairwise-calculation-key", "shop.example.com" + "admin" + "op-doc-pairwise-salt"))

  Scenario: The algorithmic formula takes the user's identifier (Gluu's inum), not the login name
    Given the "op" stack is running
    When the user signs in to the "shop" client as "jdoe" with password "jdoe-secret"
    Then the sub the "shop" client sees is base64url(HMAC-SHA256("op-doc-pairwise-calculation-key", "shop.example.com" + "8f7d2c1e-5a4b-4c3d-9e8f-0a1b2c3d4e5f" + "op-doc-pairwise-salt"))

  Scenario: The persistent kind: a stored random identifier per sector, stable across logins
    Given the "op" stack is running with the OP's "pairwise.id_type" set to "persistent"
    When the user signs in to the "portal-news" client as "admin" with password "secret"
    And the user signs in to the "portal-mail" client as "admin" with password "secret"
    And the user signs in to the "shop" client as "admin" with password "secret"
    And the user comes back later in a new browser
    And the user signs in to the "portal-news" client as "admin" with password "secret"
    Then the "portal-news" and "portal-mail" clients see the same sub
    And the "portal-news" and "shop" clients see different subs
    And every sign-in to the "portal-news" client saw the same sub
    And the sub the "portal-news" client sees is not base64url(HMAC-SHA256("op-doc-pairwise-calculation-key", "portal.example.org" + "admin" + "op-doc-pairwise-salt"))

  @needs-dynamic-registration
  Scenario: A registration asking for an unknown subject type is refused
    Given the "op" stack is running
    When the RP registers the client "odd" with:
      """
      {"subject_type": "random"}
      """
    Then the registration is refused with 400 and "invalid_client_metadata"
