import type { BrowserContext, CDPSession, Page } from "playwright-core";

/** One credential as the DevTools WebAuthn domain reports it. */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  userHandle?: string;
  signCount: number;
}

/** What WebAuthn.getCredentials answers and WebAuthn.addCredential takes (the private key included). */
export type ExportedCredential = VirtualCredential & { privateKey: string };

export interface VirtualAuthenticator {
  id: string;
  cdp: CDPSession;
  credentials(): Promise<VirtualCredential[]>;
  /** Every credential with its private key, as a synced passkey provider would carry it to another device. */
  exportCredentials(): Promise<ExportedCredential[]>;
  importCredential(c: ExportedCredential): Promise<void>;
  /** Whether the next ceremony's user verification succeeds (a wrong fingerprint when false). */
  setUserVerified(verified: boolean): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A platform authenticator (a phone's or laptop's built-in one) for one page, through
 * Chrome's DevTools WebAuthn domain: CTAP2 over the internal transport, resident keys
 * (discoverable credentials, so sign-in needs no user name), user verification that
 * succeeds, and presence answered at once, so ceremonies complete without a person.
 */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<VirtualAuthenticator> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    id: authenticatorId,
    cdp,
    async credentials() {
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      return credentials as VirtualCredential[];
    },
    async exportCredentials() {
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      return credentials as ExportedCredential[];
    },
    async importCredential(credential) {
      await cdp.send("WebAuthn.addCredential", { authenticatorId, credential });
    },
    async setUserVerified(isUserVerified) {
      await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified });
    },
    async remove() {
      await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
    },
  };
}
