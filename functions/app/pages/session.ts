/**
 * The signed-in person as the pages see it: `c.get("session")`, set by the session
 * middleware. The shape is the one lib/sessions exports (SessionAuth); the pages read
 * only these facts.
 */
export type Role = "owner" | "admin" | "agent" | "viewer";

export interface SessionAuth {
  sessionId: string;
  userId: string;
  email: string;
  workspaceId: string | null;
  role: Role | null;
  csrfToken: string;
  method: "passkey" | "google";
  userVerified: boolean;
  secondFactorAt: Date | null;
}
