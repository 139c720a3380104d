export * from "./workspaces.js";
export * from "./api-keys.js";
export * from "./whatsapp-numbers.js";
export * from "./contacts.js";
export * from "./messages.js";
export * from "./audit-log.js";
export * from "./ingest.js";
export * from "./webhooks.js";
