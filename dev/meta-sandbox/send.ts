import { DEFAULT_STATUSES, recipeFor, type Recipe } from "./failures.js";
import { GraphError, graphErrorBody, invalidParam, META_ERRORS, newFbtraceId } from "./graph-errors.js";
import { newWamid } from "./envelope.js";
import type { BusinessNumber, NumberRegistry } from "./numbers.js";
import { statusEnvelope, statusFor, type Conversations, type PricingCategory } from "./statuses.js";
import { validateReadReceipt, validateSend, type MessageType } from "./validate.js";
import type { TemplateRegistry } from "./templates.js";
import type { WebhookPoster } from "./webhooks.js";

/**
 * POST /{version}/{phone-number-id}/messages, in Meta's order: token, body, throughput,
 * then whatever the recipient's recipe asks for. An accepted message is recorded and
 * its status webhooks start in the background.
 */
export interface SentMessage {
  id: string;
  phoneNumberId: string;
  /** `to` as the client sent it. */
  to: string;
  waId: string;
  type: MessageType;
  body: Record<string, unknown>;
  /** The failure recipe that applied, by suffix. */
  recipe?: string;
  at: string;
}

/** A mark-as-read (typing indicator or not) Meta answered `{success: true}`. */
export interface ReadReceipt {
  phoneNumberId: string;
  messageId: string;
  body: Record<string, unknown>;
  at: string;
}

/** Every call to the send endpoint, accepted or not: "did the client call Meta twice?" */
export interface SendAttempt {
  phoneNumberId: string;
  to?: string;
  httpStatus: number;
  code?: number;
  wamid?: string;
  /** The dropped-connection recipe: Meta took the message, the client heard nothing. */
  dropped?: boolean;
  at: string;
}

export interface SendContext {
  numbers: NumberRegistry;
  conversations: Conversations;
  poster: WebhookPoster;
  sent: SentMessage[];
  reads: ReadReceipt[];
  attempts: SendAttempt[];
  /** `${phoneNumberId}:${waId}`: once-recipes already used. */
  spent: Set<string>;
  webhookUrl(): string | undefined;
  statusDelayMs(): number;
  throttleHttpStatus: number;
  templateCategory(name: string): PricingCategory;
  templates: TemplateRegistry;
}

export interface SendAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** Close the socket without answering (the message was taken). */
  drop?: boolean;
}

function errorAnswer(err: GraphError): SendAnswer {
  const trace = newFbtraceId();
  const headers: Record<string, string> = { "x-fb-trace-id": trace };
  if (err.spec.httpStatus === 401) headers["www-authenticate"] = `OAuth "Facebook Platform" "invalid_token" "${err.message.replace(/"/g, "'")}"`;
  return { status: err.spec.httpStatus, body: graphErrorBody(err, trace), headers };
}

export function handleSend(ctx: SendContext, phoneNumberId: string, token: string | undefined, rawBody: string): SendAnswer {
  const at = new Date().toISOString();
  let to: string | undefined;
  try {
    if (!token) throw new GraphError(META_ERRORS.tokenMissing);
    const number = ctx.numbers.authorise(phoneNumberId, token);
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw invalidParam("The request body is not valid JSON");
    }
    if (typeof json === "object" && json !== null && "status" in json && (json as { type?: unknown }).type == null) {
      const body = json as Record<string, unknown>;
      if (body.messaging_product !== "whatsapp") throw invalidParam("Param messaging_product must be 'whatsapp'");
      const { messageId } = validateReadReceipt(body);
      ctx.reads.push({ phoneNumberId, messageId, body, at });
      ctx.attempts.push({ phoneNumberId, httpStatus: 200, at });
      return { status: 200, body: { success: true }, headers: { "x-fb-trace-id": newFbtraceId() } };
    }
    const send = validateSend(json);
    to = send.input;
    if (send.type === "template") ctx.templates.checkSend(number.wabaId, send.body.template as Record<string, unknown>);
    ctx.numbers.take(number, Date.now(), ctx.throttleHttpStatus);

    const recipe = recipeFor(send.waId);
    const onceKey = `${phoneNumberId}:${send.waId}`;
    const fires = recipe !== undefined && (!recipe.once || !ctx.spent.has(onceKey));
    if (fires && recipe.once) ctx.spent.add(onceKey);
    if (fires && recipe.reject) throw new GraphError(recipe.reject);

    const wamid = newWamid(send.waId);
    // The catalogue's category when the WABA has the template; else guessed from the name.
    const known = send.templateName === undefined ? undefined : ctx.templates.all(number.wabaId).find((t) => t.name === send.templateName);
    const category = send.templateName === undefined ? null : known ? (known.category.toLowerCase() as PricingCategory) : ctx.templateCategory(send.templateName);
    const conversation = ctx.conversations.join(phoneNumberId, send.waId, category);
    ctx.sent.push({ id: wamid, phoneNumberId, to: send.input, waId: send.waId, type: send.type, body: send.body, ...(recipe ? { recipe: recipe.suffix } : {}), at });
    const drop = fires && recipe.dropConnection === true;
    ctx.attempts.push({ phoneNumberId, to, httpStatus: 200, wamid, ...(drop ? { dropped: true } : {}), at });
    const msg = { wamid, waId: send.waId, recipientKind: send.recipientKind, conversation, ...(send.bizOpaqueCallbackData === undefined ? {} : { bizOpaqueCallbackData: send.bizOpaqueCallbackData }) };
    postStatuses(ctx, number, recipe, msg);

    const message = send.type === "template" ? { id: wamid, message_status: "accepted" } : { id: wamid };
    return {
      status: 200,
      body: { messaging_product: "whatsapp", contacts: [contactOf(send)], messages: [message] },
      headers: { "x-fb-trace-id": newFbtraceId() },
      ...(drop ? { drop: true } : {}),
    };
  } catch (err) {
    if (!(err instanceof GraphError)) throw err;
    const answer = errorAnswer(err);
    ctx.attempts.push({ phoneNumberId, ...(to === undefined ? {} : { to }), httpStatus: answer.status, code: err.spec.code, at });
    return answer;
  }
}

export const graphErrorAnswer = errorAnswer;

/** A phone number answers with its `wa_id`, a business-scoped user with its `user_id`, a group with its id alone. */
function contactOf(send: { input: string; waId: string; recipientKind: "phone" | "group" | "user" }) {
  if (send.recipientKind === "user") return { input: send.input, user_id: send.waId };
  if (send.recipientKind === "group") return { input: send.input };
  return { input: send.input, wa_id: send.waId };
}

function postStatuses(ctx: SendContext, number: BusinessNumber, recipe: Recipe | undefined, msg: Parameters<typeof statusFor>[1]) {
  if (!ctx.webhookUrl()) return;
  const steps = (recipe?.statuses ?? DEFAULT_STATUSES).flatMap((step) => (recipe?.duplicateWebhooks ? [{ step, again: false }, { step, again: true }] : [{ step, again: false }]));
  const bodyOf = (step: (typeof steps)[number]["step"]) =>
    JSON.stringify(statusEnvelope(number, [typeof step === "string" ? statusFor(step, msg) : statusFor("failed", msg, step.failed)]));
  let k = 0; // the next step not yet handed out
  let posting: string | undefined;
  let last = "";
  // Each status `statusDelayMs` after the previous one was delivered; a duplicate at once, the same bytes.
  ctx.poster.sequence(ctx.webhookUrl, {
    async next() {
      posting = undefined;
      const s = steps[k];
      if (!s) return undefined;
      if (!s.again && !(await ctx.poster.pause(ctx.statusDelayMs()))) return undefined;
      k++;
      posting = last = s.again ? last : bodyOf(s.step);
      return posting;
    },
    remaining: () => [...(posting === undefined ? [] : [posting]), ...steps.slice(k).map((s) => bodyOf(s.step))],
  });
}
