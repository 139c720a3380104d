/** RFC 7636: a code verifier (and a plain challenge) is 43–128 unreserved characters. */
export const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
