// The Cloudflare plugin finds Durable Object classes among the entry's named exports.
export { Inventory } from "./inventory";

/** The one inventory this app uses; the seed script reaches the same one. */
export const INVENTORY_NAME = "main";

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/api/items") {
      const items = await env.INVENTORY.getByName(INVENTORY_NAME).listItems();
      return Response.json({ count: items.length, items });
    }
    return new Response("durable-object-sqlite example: GET /api/items lists the seeded items.\n");
  },
} satisfies ExportedHandler<Env>;
