/**
 * Every message kind and form Meta documents, as real bodies (Meta's Cloud API reference
 * and the maintained SDKs' tests), without the recipient: each test adds `to` (or
 * `recipient`) itself. A kind here must pass Sandesh unchanged and reach `read` in the
 * Meta sandbox.
 */
export interface Kind {
  name: string;
  body: Record<string, unknown>;
  /** Who it goes to when not a phone number. */
  recipient?: { recipient: string } | { recipient_type: "group"; to: string };
}

const WAMID = "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA";
const cta = (i: number) => ({
  card_index: i,
  type: "cta_url",
  header: { type: "image", image: { link: `https://www.example.com/card${i}.png` } },
  body: { text: `Card ${i}: *fresh* arrivals` },
  action: { name: "cta_url", parameters: { display_text: "Shop now", url: `https://shop.example.com/c/${i}` } },
});

export const KINDS: Kind[] = [
  { name: "text with a link preview", body: { type: "text", text: { preview_url: true, body: "As requested, here's the link to our latest product: https://www.meta.com/quest/quest-3/" } } },
  { name: "text without a type", body: { text: { body: "No type is a text, as at Meta" } } },
  { name: "text with nulls for optional fields", body: { type: "text", text: { body: "nulls are absent", preview_url: null }, context: null, biz_opaque_callback_data: null } },
  { name: "a reply, with context", body: { context: { message_id: WAMID }, type: "text", text: { body: "Replying to you" } } },
  { name: "individual recipient type and messaging_product", body: { messaging_product: "whatsapp", recipient_type: "individual", type: "text", text: { body: "explicit" } } },
  { name: "biz_opaque_callback_data and recipient_identity_key_hash", body: { type: "text", text: { body: "tracked" }, biz_opaque_callback_data: "order-9817|campaign=spring", recipient_identity_key_hash: "DF2lS5v2W6x=" } },
  { name: "image by http link", body: { type: "image", image: { link: "http://www.example.com/images/lucky-shrub.png", caption: "The best succulent ever?" } } },
  { name: "image by id", body: { type: "image", image: { id: "1479537139650973" } } },
  { name: "audio voice note", body: { type: "audio", audio: { id: "1013859600285441", voice: true } } },
  { name: "document", body: { type: "document", document: { link: "https://www.example.com/invoices/lucky-shrub-invoice.pdf", caption: "Lucky Shrub Invoice", filename: "lucky-shrub-invoice.pdf" } } },
  { name: "video", body: { type: "video", video: { link: "https://www.example.com/videos/succulents.mp4", caption: "A succulent eclipse!" } } },
  { name: "sticker", body: { type: "sticker", sticker: { id: "798882015472548" } } },
  { name: "location with numeric strings", body: { type: "location", location: { latitude: "37.44216251868683", longitude: "-122.16153582049394", name: "Philz Coffee", address: "101 Forest Ave, Palo Alto, CA 94301" } } },
  {
    name: "contacts",
    body: {
      type: "contacts",
      contacts: [
        {
          addresses: [{ street: "1 Lucky Shrub Way", city: "Menlo Park", state: "CA", zip: "94025", country: "United States", country_code: "US", type: "WORK" }],
          birthday: "1999-01-23",
          emails: [{ email: "bjohnson@luckyshrub.com", type: "WORK" }],
          name: { formatted_name: "Barbara J. Johnson", first_name: "Barbara", last_name: "Johnson", middle_name: "Joana", suffix: "Esq.", prefix: "Dr." },
          org: { company: "Lucky Shrub", department: "Legal", title: "Lead Counsel" },
          phones: [{ phone: "+1 (415) 555-0123", type: "WORK", wa_id: "14155550123" }],
          urls: [{ url: "https://www.luckyshrub.com", type: "WORK" }],
        },
      ],
    },
  },
  { name: "reaction", body: { type: "reaction", reaction: { message_id: WAMID, emoji: "\uD83D\uDE00" } } },
  {
    name: "interactive button",
    body: {
      type: "interactive",
      interactive: {
        type: "button",
        header: { type: "image", image: { link: "https://www.example.com/header.png" } },
        body: { text: "Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow. Use the buttons if you need to reschedule. Thank you!" },
        footer: { text: "Lucky Shrub: Your gateway to succulents!™" },
        action: { buttons: [{ type: "reply", reply: { id: "change-button", title: "Change" } }, { type: "reply", reply: { id: "cancel-button", title: "Cancel" } }] },
      },
    },
  },
  {
    name: "interactive list",
    body: {
      type: "interactive",
      interactive: {
        type: "list",
        header: { type: "text", text: "Choose Shipping Option" },
        body: { text: "Which shipping option do you prefer?" },
        footer: { text: "Lucky Shrub: Your gateway to succulents™" },
        action: {
          button: "Shipping Options",
          sections: [
            { title: "I want it ASAP!", rows: [{ id: "priority_express", title: "Priority Mail Express", description: "Next Day to 2 Days" }, { id: "priority_mail", title: "Priority Mail", description: "1–3 Days" }] },
            { title: "I can wait a bit", rows: [{ id: "ground_advantage", title: "Ground Advantage", description: "2–5 Days" }] },
          ],
        },
      },
    },
  },
  {
    name: "interactive cta_url",
    body: {
      type: "interactive",
      interactive: {
        type: "cta_url",
        header: { type: "image", image: { link: "https://www.luckyshrub.com/assets/succulents/aloe.png" } },
        body: { text: "Tap the button below to see available dates." },
        footer: { text: "Dates subject to change." },
        action: { name: "cta_url", parameters: { display_text: "See Dates", url: "https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4" } },
      },
    },
  },
  {
    name: "interactive flow",
    body: {
      type: "interactive",
      interactive: {
        type: "flow",
        header: { type: "text", text: "Flow message header" },
        body: { text: "Flow message body" },
        footer: { text: "Flow message footer" },
        action: { name: "flow", parameters: { flow_message_version: "3", flow_token: "AQAAAAACS5FpgQ_cAAAAAD0QI3s.", flow_id: "1", flow_cta: "Book!", flow_action: "navigate", flow_action_payload: { screen: "<SCREEN_NAME>", data: { product_name: "name", product_description: "description", product_price: 100 } } } },
      },
    },
  },
  { name: "interactive product", body: { type: "interactive", interactive: { type: "product", body: { text: "optional body text" }, footer: { text: "optional footer text" }, action: { catalog_id: "194836987003835", product_retailer_id: "di9ozbzfi4" } } } },
  {
    name: "interactive product_list",
    body: {
      type: "interactive",
      interactive: {
        type: "product_list",
        header: { type: "text", text: "Our top succulents" },
        body: { text: "Take a look at our best sellers." },
        footer: { text: "Free shipping on orders over $50" },
        action: { catalog_id: "194836987003835", sections: [{ title: "Succulents", product_items: [{ product_retailer_id: "di9ozbzfi4" }, { product_retailer_id: "nqryix03ez" }] }] },
      },
    },
  },
  { name: "interactive catalog_message", body: { type: "interactive", interactive: { type: "catalog_message", body: { text: "Hello! Thanks for your interest. Ordering is easy. Just visit our catalog and add items to purchase." }, action: { name: "catalog_message", parameters: { thumbnail_product_retailer_id: "2lc20305pt" } }, footer: { text: "Best grocery deals on WhatsApp!" } } } },
  { name: "interactive carousel", body: { type: "interactive", interactive: { type: "carousel", body: { text: "Check out our latest offers!" }, action: { cards: [cta(0), cta(1)] } } } },
  { name: "interactive location_request_message", body: { type: "interactive", interactive: { type: "location_request_message", body: { text: "Let's start with your pickup. You can either manually *enter an address* or *share your current location*." }, action: { name: "send_location" } } } },
  { name: "interactive address_message", body: { type: "interactive", interactive: { type: "address_message", body: { text: "Thanks for your order! Tell us what address you'd like this order delivered to." }, action: { name: "address_message", parameters: { country: "IN" } } } } },
  { name: "interactive voice_call", body: { type: "interactive", interactive: { type: "voice_call", body: { text: "You can call us on WhatsApp now for faster service!" }, action: { name: "voice_call", parameters: { display_text: "Call on WhatsApp", ttl_minutes: 100 } } } } },
  { name: "interactive call_permission_request", body: { type: "interactive", interactive: { type: "call_permission_request", action: { name: "call_permission_request" }, body: { text: "We would like to call you to help support your query on Order No: ON-12853." } } } },
  { name: "an interactive type Meta adds later", body: { type: "interactive", interactive: { type: "booking_slots", body: { text: "Pick a slot" }, action: { name: "booking_slots", parameters: { days: 3 } } } } },
  {
    name: "template, components in capitals",
    body: {
      type: "template",
      template: {
        name: "order_confirmation",
        language: { policy: "deterministic", code: "en_US" },
        components: [
          { type: "HEADER", parameters: [{ type: "image", image: { link: "https://www.example.com/order.png" } }] },
          { type: "BODY", parameters: [{ type: "text", text: "Pablo" }, { type: "currency", currency: { fallback_value: "$100.99", code: "USD", amount_1000: 100990 } }, { type: "date_time", date_time: { fallback_value: "February 25, 1977" } }] },
          { type: "BUTTON", sub_type: "quick_reply", index: "0", parameters: [{ type: "payload", payload: "STOP-PROMOS" }] },
        ],
      },
    },
  },
  {
    name: "template carousel",
    body: {
      type: "template",
      template: {
        name: "summer_carousel_promo_2023",
        language: { code: "en_US" },
        components: [
          { type: "body", parameters: [{ type: "text", text: "20OFF" }, { type: "text", text: "20%" }] },
          {
            type: "carousel",
            cards: [0, 1].map((card_index) => ({
              card_index,
              components: [
                { type: "header", parameters: [{ type: "image", image: { id: "24230790383178626" } }] },
                { type: "body", parameters: [{ type: "text", text: "10OFF" }] },
                { type: "button", sub_type: "quick_reply", index: "0", parameters: [{ type: "payload", payload: "59NqSd" }] },
                { type: "button", sub_type: "url", index: "1", parameters: [{ type: "text", text: "last_chance_2023" }] },
              ],
            })),
          },
        ],
      },
    },
  },
  {
    name: "template limited_time_offer",
    body: {
      type: "template",
      template: {
        name: "limited_time_offer_caribbean_pkg_2023",
        language: { code: "en_US" },
        components: [
          { type: "header", parameters: [{ type: "image", image: { id: "1602186516975000" } }] },
          { type: "body", parameters: [{ type: "text", text: "Pablo" }, { type: "text", text: "CARIBE25" }] },
          { type: "limited_time_offer", parameters: [{ type: "limited_time_offer", limited_time_offer: { expiration_time_ms: 1209600000 } }] },
          { type: "button", sub_type: "copy_code", index: 0, parameters: [{ type: "coupon_code", coupon_code: "CARIBE25" }] },
          { type: "button", sub_type: "url", index: 1, parameters: [{ type: "text", text: "n3mtql" }] },
        ],
      },
    },
  },
  { name: "template with Sandesh's category and null components", body: { type: "template", template: { name: "order_update", language: { code: "en" }, components: null, category: "UTILITY" } } },
  { name: "a business-scoped user id", body: { type: "text", text: { body: "to a username" } }, recipient: { recipient: "US.13491208655302741918" } },
  { name: "a group", body: { type: "text", text: { body: "Hello, group" } }, recipient: { recipient_type: "group", to: "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyOTM4NjMZD" } },
];
