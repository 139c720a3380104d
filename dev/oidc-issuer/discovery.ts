/**
 * Google's discovery document (https://accounts.google.com/.well-known/openid-configuration),
 * field for field, with every endpoint on this issuer's own origin. Google serves the
 * token, JWKS and userinfo endpoints from other hosts (oauth2.googleapis.com,
 * www.googleapis.com, openidconnect.googleapis.com); a relying party that reads the
 * document, as it must, never notices the difference.
 */
export function discoveryDocument(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/o/oauth2/v2/auth`,
    device_authorization_endpoint: `${issuer}/device/code`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/v1/userinfo`,
    revocation_endpoint: `${issuer}/revoke`,
    jwks_uri: `${issuer}/oauth2/v3/certs`,
    response_types_supported: ["code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token", "none"],
    response_modes_supported: ["query", "fragment", "form_post"],
    // RFC 9207: the authorization response names its issuer (`iss`), against mix-up attacks.
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    scopes_supported: ["openid", "email", "profile"],
    token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
    claims_supported: ["aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss", "name", "picture", "sub"],
    code_challenge_methods_supported: ["plain", "S256"],
    grant_types_supported: [
      "authorization_code",
      "refresh_token",
      "urn:ietf:params:oauth:grant-type:device_code",
      "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ],
  };
}
