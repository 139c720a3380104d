/** The Meta sandbox's public surface: the server, and the payload helpers other suites reuse. */
export { startMetaSandbox, type MetaSandbox, type MetaSandboxOptions, type InboundInput, type InboundResult } from "./server.js";
export { signMetaBody, retryDelayMs, META_RETRY_SCHEDULE, type RetrySchedule, type WebhookDelivery } from "./webhooks.js";
export { buildInboundMessage, inboundEnvelope, INBOUND_TYPES, type InboundType, type InboundMessageSpec, type InboundEnvelopeSpec, type InboundContext } from "./inbound.js";
export { buildStatus, statusEnvelope, guessTemplateCategory, type StatusInput, type StatusName, type PricingCategory } from "./statuses.js";
export { messagesEnvelope, newWamid, type BusinessRef, type MetaEnvelope } from "./envelope.js";
export { META_ERRORS, graphErrorBody, GraphError, type GraphErrorSpec, type GraphErrorBody } from "./graph-errors.js";
export { RECIPES, recipeFor, type Recipe, type StatusStep } from "./failures.js";
export { MESSAGE_TYPES, type MessageType } from "./validate.js";
export { DEFAULT_THROUGHPUT_MPS, MAX_THROUGHPUT_MPS, type NumberOptions } from "./numbers.js";
export type { SentMessage, SendAttempt } from "./send.js";
