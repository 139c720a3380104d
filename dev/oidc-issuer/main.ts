import { startDevIssuer } from "./server.js";

/**
 * `npm run sandbox:oidc`: the development issuer on its own. Sandesh takes
 * OIDC_ISSUER, GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET from what this prints.
 */
const env = process.env;
const publicUrl = (env.PUBLIC_URL ?? "http://localhost:8787").replace(/\/$/, "");
const clientId = env.GOOGLE_CLIENT_ID ?? "sandesh-dev.apps.googleusercontent.com";
const clientSecret = env.GOOGLE_CLIENT_SECRET ?? "GOCSPX-sandesh-development-only";
const redirectUris = (env.OIDC_DEV_REDIRECT_URIS ?? `${publicUrl}/app/auth/google/callback`).split(",").map((s) => s.trim());
const issuer = await startDevIssuer({
  port: Number(env.OIDC_DEV_PORT ?? 8791),
  host: env.OIDC_DEV_HOST ?? "127.0.0.1",
  clients: [{ clientId, clientSecret, redirectUris }],
});
console.log(`Development OIDC issuer on ${issuer.url}: OIDC_ISSUER=${issuer.url} GOOGLE_CLIENT_ID=${clientId} (secret as given in GOOGLE_CLIENT_SECRET, or the development default); redirect URIs ${redirectUris.join(", ")}`);
const stop = async () => {
  await issuer.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
