/** Who did it and from where, for the audit log: a signed-in person, or an operator at the CLI. */
export interface PersonActor {
  actorType: "user" | "operator";
  actorId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}
