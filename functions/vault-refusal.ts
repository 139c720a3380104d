/**
 * What the Worker answers while its MASTER_KEK does not match the vault. The callers are
 * anyone on the internet: the problem itself (which variable, which key version) goes to
 * the log and to /healthz, the answer says only that the service cannot serve.
 */
export const vaultMismatchResponse = (): Response =>
  Response.json(
    { error: { code: "vault_key_mismatch", message: "The service is misconfigured and cannot serve; see its logs", request_id: "" } },
    { status: 503 },
  );
