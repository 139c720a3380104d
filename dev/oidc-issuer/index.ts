/** The development OpenID Connect issuer (a stand-in for Google sign-in): see README.md beside this file. */
export { startDevIssuer, type DevIssuer, type DevIssuerOptions, type DevClient, type TokenFault, type TokenRequest } from "./server.js";
export { chooseAccount } from "./consent.js";
export { subjectFor, type DevAccount } from "./accounts.js";
