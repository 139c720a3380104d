/**
 * What goes to Meta: the client's body exactly as sent, less Sandesh's own fields
 * (`from`, `template.category`). Nothing is renamed, reordered into a schema's shape,
 * defaulted or dropped; `messaging_product` is added at the send if absent
 * (lib/meta/client.ts), and `biz_opaque_callback_data` carries Sandesh's mark around the
 * client's own value (lib/meta/tag.ts).
 */
export function forwardedBody(body: Record<string, unknown>): Record<string, unknown> {
  const { from: _from, ...rest } = body;
  const tpl = rest.template;
  if (tpl && typeof tpl === "object" && !Array.isArray(tpl) && "category" in tpl) {
    const { category: _category, ...template } = tpl as Record<string, unknown>;
    rest.template = template;
  }
  return rest;
}
