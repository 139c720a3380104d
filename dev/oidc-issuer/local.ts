import { randomBytes } from "node:crypto";
import { startDevIssuer, type DevIssuer } from "./server.js";

export const DEV_CLIENT_ID = "sandesh-dev.apps.googleusercontent.com";
/** The issuer's usual port, so its URL (the `iss` identities are stored under) stays the same across restarts. */
export const DEV_ISSUER_PORT = 8791;

/**
 * `npm start` and `npm run dev:worker` with no GOOGLE_CLIENT_ID: the development issuer
 * stands in for Google, its client registered with this Sandesh's callback, and the
 * three variables set as an operator would set them for Google.
 */
export async function startLocalIssuer(env: Record<string, string | undefined>, publicUrl: string): Promise<{ issuer: DevIssuer; note: string }> {
  const wanted = Number(env.SANDESH_DEV_OIDC_PORT ?? DEV_ISSUER_PORT);
  const clientSecret = `GOCSPX-${randomBytes(18).toString("base64url")}`;
  const clients = [{ clientId: DEV_CLIENT_ID, clientSecret, redirectUris: [`${publicUrl}/app/auth/google/callback`] }];
  // Several Sandesh processes on one machine (tests, a second checkout): the later ones take a free port.
  const issuer = await startDevIssuer({ port: wanted, clients }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EADDRINUSE") throw err;
    return startDevIssuer({ port: 0, clients });
  });
  const port = Number(new URL(issuer.url).port);
  env.GOOGLE_CLIENT_ID = DEV_CLIENT_ID;
  env.GOOGLE_CLIENT_SECRET = clientSecret;
  env.OIDC_ISSUER = issuer.url;
  const moved = port === wanted ? "" : ` (port ${wanted} was in use: Google identities linked under http://127.0.0.1:${wanted} do not sign in against this one)`;
  return { issuer, note: `google: no GOOGLE_CLIENT_ID, so the development OIDC issuer stands in for Google at ${issuer.url}${moved}; its sign-in page lets you pick any account (dev/oidc-issuer/README.md)` };
}
