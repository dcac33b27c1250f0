/** Seeds the notes table: `worker-run src/scripts/seed.ts [count]` (default 10). */
import { applyD1Migrations } from "vite-plugin-worker-run/d1";
import { defineScript } from "vite-plugin-worker-run/script";
import { insertNotes, listNotes } from "@/db";

export default defineScript<Env>(async ({ env, args }) => {
  const count = Number(args[0] ?? 10);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`Expected a positive whole number of notes to insert, got ${JSON.stringify(args[0])}.`);
  }
  // The schema first: whatever of migrations/ this database has not applied yet.
  await applyD1Migrations(env.DB);
  const titles = Array.from({ length: count }, (_, index) => `Note ${index + 1}`);
  await insertNotes(env.DB, titles);
  console.log(`Inserted ${count} notes.`);
  const total = (await listNotes(env.DB)).length;
  return { inserted: count, total };
});
