import { randomBytes } from "node:crypto";

/**
 * Meta's error catalogue as the sandbox answers it: code → HTTP status, title, details.
 * Statuses follow the Cloud API error-code reference (which lists one per code), not
 * intuition: a throughput limit (130429) is a 400 there, like an undeliverable number,
 * which is why clients must classify by `error.code` and never by HTTP status.
 */
export interface GraphErrorSpec {
  code: number;
  httpStatus: number;
  title: string;
  details?: string;
  subcode?: number;
  /** Graph's own errors (tokens, paths) are not prefixed with "(#code)". */
  rawMessage?: boolean;
}

const spec = (code: number, httpStatus: number, title: string, details?: string, extra: Partial<GraphErrorSpec> = {}): GraphErrorSpec => ({
  code,
  httpStatus,
  title,
  ...(details === undefined ? {} : { details }),
  ...extra,
});

export const META_ERRORS = {
  invalidParameter: spec(100, 400, "Invalid parameter"),
  tokenInvalid: spec(190, 401, "Invalid OAuth access token - Cannot parse access token", undefined, { rawMessage: true }),
  tokenExpired: spec(190, 401, "Error validating access token: Session has expired. The current time is after the expiry time of the token.", undefined, { rawMessage: true, subcode: 463 }),
  tokenMissing: spec(104, 401, "An access token is required to request this resource.", undefined, { rawMessage: true }),
  unknownPath: spec(2500, 400, "Unknown path components", undefined, { rawMessage: true }),
  permissionDenied: spec(10, 403, "Application does not have permission for this action", "The app does not have the whatsapp_business_messaging permission for this phone number."),
  policyBlocked: spec(368, 403, "Temporarily blocked for policies violations", "The WhatsApp Business Account is temporarily restricted for violating platform policy."),
  throughput: spec(130429, 400, "Rate limit hit", "Cloud API message throughput has been reached."),
  somethingWentWrong: spec(131000, 500, "Something went wrong", "Something went wrong. Try again later."),
  recipientIsSender: spec(131021, 400, "Recipient cannot be sender.", "Sender and recipient phone number is the same."),
  undeliverable: spec(131026, 400, "Message undeliverable", "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted WhatsApp's latest Terms of Service; the recipient uses an old WhatsApp version."),
  notInAllowedList: spec(131030, 400, "Recipient phone number not in allowed list", "Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again."),
  reEngagement: spec(131047, 400, "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."),
  ecosystemEngagement: spec(131049, 400, "This message was not delivered to maintain healthy ecosystem engagement.", "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."),
  unsupportedType: spec(131051, 400, "Unsupported message type", "Message type is not currently supported."),
  pairRateLimit: spec(131056, 400, "(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."),
  templateParams: spec(132000, 400, "Number of parameters does not match the expected number of params", "The number of variable parameter values included in the request did not match the number of variable parameters defined in the template."),
  templateMissing: spec(132001, 404, "Template name does not exist in the translation", "The template does not exist in the requested language."),
  templatePaused: spec(132015, 400, "Template is Paused", "Template is paused due to low quality so it cannot be sent in a template message."),
  serverUnavailable: spec(133004, 503, "Server temporarily unavailable", "The server is temporarily unavailable. Check the WhatsApp Business Platform Status page and try again later."),
} satisfies Record<string, GraphErrorSpec>;

export type MetaErrorName = keyof typeof META_ERRORS;

/** A handler throws this; the server renders Meta's envelope with its HTTP status. */
export class GraphError extends Error {
  constructor(
    readonly spec: GraphErrorSpec,
    /** Overrides the catalogue's details, e.g. which parameter was wrong. */
    readonly details?: string,
    /** Overrides the whole message, e.g. "(#100) The parameter to is required." */
    readonly fullMessage?: string,
  ) {
    super(fullMessage ?? spec.title);
  }
}

/** A missing required field: Graph names it in the message itself. */
export const requiredParam = (name: string) => new GraphError(META_ERRORS.invalidParameter, undefined, `(#100) The parameter ${name} is required.`);
/** A present but wrong field: "(#100) Invalid parameter" and the detail says which. */
export const invalidParam = (details: string) => new GraphError(META_ERRORS.invalidParameter, details);

export const newFbtraceId = () => randomBytes(17).toString("base64url").slice(0, 23);

export interface GraphErrorBody {
  error: {
    message: string;
    type: "OAuthException";
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: "whatsapp"; details: string };
    fbtrace_id: string;
  };
}

export function graphErrorBody(err: GraphError, fbtraceId = newFbtraceId()): GraphErrorBody {
  const s = err.spec;
  const message = err.fullMessage ?? (s.rawMessage ? s.title : `(#${s.code}) ${s.title}`);
  const details = err.details ?? s.details;
  return {
    error: {
      message,
      type: "OAuthException",
      code: s.code,
      ...(s.subcode === undefined ? {} : { error_subcode: s.subcode }),
      ...(details === undefined ? {} : { error_data: { messaging_product: "whatsapp" as const, details } }),
      fbtrace_id: fbtraceId,
    },
  };
}

/** The `errors[]` item of a failed status webhook for the same code. */
export function statusErrorOf(s: GraphErrorSpec) {
  return { code: s.code, title: s.title, message: s.title, error_data: { details: s.details ?? s.title } };
}
