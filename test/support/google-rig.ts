import { startDevIssuer, type DevIssuer } from "../../dev/oidc-issuer/index.js";
import { serveLater } from "./served.js";
import { createTestStack, type TestStack } from "./stack.js";

export interface GoogleRig {
  issuer: DevIssuer;
  stack: TestStack;
  server: Awaited<ReturnType<typeof serveLater>>;
  base: string;
  close(): Promise<void>;
}

/**
 * Sandesh on a port of its own with Google sign-in pointed at the development issuer, which
 * knows this client. Each simulated browser gives its address in x-test-client-ip (the
 * sign-in limits are per address).
 */
export async function googleRig(clientId: string, clientSecret: string): Promise<GoogleRig> {
  const server = await serveLater((req) => req.headers.get("x-test-client-ip") ?? "127.0.0.1");
  const base = server.url;
  const issuer = await startDevIssuer({ clients: [{ clientId, clientSecret, redirectUris: [`${base}/app/auth/google/callback`] }] });
  const stack = await createTestStack({ PUBLIC_URL: base, GOOGLE_CLIENT_ID: clientId, GOOGLE_CLIENT_SECRET: clientSecret, OIDC_ISSUER: issuer.url });
  server.attach(stack);
  return {
    issuer,
    stack,
    server,
    base,
    async close() {
      await server.close();
      await stack.close();
      await issuer.close();
    },
  };
}
