import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { requireApiKey } from "../middleware/api-key.js";
import { registerContactDelete } from "./v1_contacts_delete.js";
import { registerContactsExport } from "./v1_contacts_export.js";
import { registerContactsImportGet } from "./v1_contacts_imports_get.js";
import { registerContactsImportPost } from "./v1_contacts_imports_post.js";
import { registerContactGet, registerContactsList } from "./v1_contacts_get.js";
import { registerContactPatch } from "./v1_contacts_patch.js";
import { registerContactsPost } from "./v1_contacts_post.js";
import { registerTemplateDelete } from "./v1_templates_delete.js";
import { registerTemplatesList } from "./v1_templates_get.js";
import { registerTemplatesPost } from "./v1_templates_post.js";
import { registerTemplatesSync } from "./v1_templates_sync_post.js";
import { registerMessageGet, registerMessagesList } from "./v1_messages_get.js";
import { registerMessagesPost } from "./v1_messages_post.js";
import { registerMetaDeadLetters } from "./v1_meta_dead_letters_get.js";
import { registerWebhookEndpointAttempts } from "./v1_webhook_endpoints_attempts_get.js";
import { registerWebhookEndpointDelete } from "./v1_webhook_endpoints_delete.js";
import { registerWebhookEndpointGet, registerWebhookEndpointsList } from "./v1_webhook_endpoints_get.js";
import { registerWebhookEndpointPatch } from "./v1_webhook_endpoints_patch.js";
import { registerWebhookEndpointsPost } from "./v1_webhook_endpoints_post.js";
import { registerWebhookEndpointRotateSecret } from "./v1_webhook_endpoints_rotate_secret.js";
import { registerWorkspaceGet } from "./v1_workspace_get.js";

/** The REST API, mounted at /v1. Every route needs a workspace API key. */
export function apiApp() {
  const app = new Hono<AppEnv>();
  app.use("*", requireApiKey);
  registerWorkspaceGet(app);
  registerMessagesPost(app);
  registerMessagesList(app);
  registerMessageGet(app);
  registerWebhookEndpointsPost(app);
  registerWebhookEndpointsList(app);
  registerWebhookEndpointGet(app);
  registerWebhookEndpointPatch(app);
  registerWebhookEndpointDelete(app);
  registerWebhookEndpointRotateSecret(app);
  registerWebhookEndpointAttempts(app);
  registerMetaDeadLetters(app);
  // Fixed paths (export, imports) before /contacts/{id}.
  registerContactsImportPost(app);
  registerContactsImportGet(app);
  registerContactsExport(app);
  registerContactsPost(app);
  registerContactsList(app);
  registerContactGet(app);
  registerContactPatch(app);
  registerContactDelete(app);
  registerTemplatesSync(app);
  registerTemplatesList(app);
  registerTemplatesPost(app);
  registerTemplateDelete(app);
  return app;
}
