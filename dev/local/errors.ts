/** A local default that cannot be filled in; its message is the one line the user sees. */
export class LocalEnvError extends Error {}
