import { listNotes } from "@/db";

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/api/notes") {
      const notes = await listNotes(env.DB);
      return Response.json({ count: notes.length, notes });
    }
    return new Response("d1-seed example: GET /api/notes lists the seeded notes.\n");
  },
} satisfies ExportedHandler<Env>;
